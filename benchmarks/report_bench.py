"""Management review benchmark: the report for a quarter of N complaints on SQLite.

1. stores N complaints (default 100,000; ``--size``) received over one quarter, with the full
   lifecycle histories of ``analysis_bench.history`` (a tenth still open), plus the previous
   ``--baseline`` quarters' worth at a tenth of the volume, so recurring issues have a baseline;
2. times :func:`iso10002.report.management_review` for the quarter (every figure, the
   self-assessment) and ``write()`` (HTML with seven SVG charts, Markdown, JSON) separately,
   median of ``--rounds`` runs, each in a fresh process, with its peak RSS.

The issue's target: ≤ 10 s for 100,000 complaints. Usage:
``python benchmarks/report_bench.py [--size N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from iso10002 import events as ev
from iso10002.analysis import Period
from iso10002.backends import open_repository
from iso10002.ports import NewComplaint

# The lifecycle histories of the analysis benchmark, next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))
ab: Any = importlib.import_module("analysis_bench")

QUARTER = Period(ab.END - timedelta(days=91), ab.END)


def dataset(size: int, baseline: int) -> Iterator[list[NewComplaint]]:
    """*size* complaints in the quarter, and *size* / 10 in each of the *baseline* quarters
    before it (numbered apart)."""
    rng = random.Random(10002)
    spans = [(QUARTER.start, QUARTER.end, size, 0)]
    for i in range(1, baseline + 1):
        shifted = QUARTER.shifted(-i)
        spans.append((shifted.start, shifted.end, size // 10, 10_000_000 * i))
    batch: list[NewComplaint] = []
    for start, end, count, offset in spans:
        ab.START, ab.END = start, end  # history() spreads complaints over [START, END)
        for n in range(count):
            events = ab.history(n, count, rng)
            if offset:
                events = [_renumber(e, offset + n) for e in events]
            batch.append(NewComplaint(ev.replay(events), events))
            if len(batch) == 5000:
                yield batch
                batch = []
    ab.START, ab.END = QUARTER.end - timedelta(days=365), QUARTER.end
    if batch:
        yield batch


def _renumber(event: ev.Event, n: int) -> ev.Event:
    import attrs

    changes: dict[str, Any] = {"complaint_id": f"c{n:09d}"}
    if isinstance(event, ev.ComplaintReceived):
        changes["reference"] = f"CMP-{n:09d}"
    return attrs.evolve(event, **changes)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, baseline: int) -> None:
    from iso10002.report import management_review

    with open_repository(url) as storage:
        started = time.perf_counter()
        review = management_review(storage, QUARTER, as_of=QUARTER.end, baseline_periods=baseline)
        figures_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        paths = review.write(out)
        write_s = time.perf_counter() - started
        size_kb = paths["html"].stat().st_size / 1024
    print(
        json.dumps(
            {
                "figures_s": figures_s,
                "write_s": write_s,
                "total": review.kpis.total,
                "html_kb": size_kb,
                "peak_rss_mb": _peak_rss_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=int, default=2)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.baseline)
        return
    folder = tempfile.mkdtemp(prefix="report-bench-")
    path = os.path.join(folder, "bench.db")
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    with open_repository(url) as storage:
        for batch in dataset(args.size, args.baseline):
            storage.add_many(batch)
    load_s = time.perf_counter() - started
    runs = []
    for _ in range(args.rounds):
        done = subprocess.run(
            [sys.executable, __file__, "--child", url, "--baseline", str(args.baseline)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    os.remove(path)
    figures = statistics.median(r["figures_s"] for r in runs)
    write = statistics.median(r["write_s"] for r in runs)
    print(f"stored {args.size} + baseline in {load_s:.1f} s; {runs[0]['total']} in the quarter")
    print(f"{'figures s':>10} {'write s':>8} {'total s':>8} {'HTML KB':>8} {'peak MB':>8}")
    print(
        f"{figures:>10.2f} {write:>8.2f} {figures + write:>8.2f} "
        f"{runs[0]['html_kb']:>8.0f} {max(r['peak_rss_mb'] for r in runs):>8.0f}"
    )
    print(f"target 10 s for 100,000: {'met' if figures + write <= 10 else 'not met'}")


if __name__ == "__main__":
    main()
