"""Analysis benchmark: the KPI set of one period, iso10002.analysis beside pandas, same run.

Per backend (SQLite; PostgreSQL when ``ISO10002_BENCH_POSTGRES_URL`` or
``ISO10002_TEST_POSTGRES_URL`` is set, in a throw-away schema):

1. stores N complaints (default 100,000; ``--size``) with full lifecycle histories spread over
   one year: receipt, acknowledgement and final-response clocks, acknowledgement, decision,
   communication, closure, satisfaction for some; a tenth are still open;
2. times the KPI set for the last quarter with ``Analysis``: ``kpis()`` (rates, durations, SLA
   compliance, satisfaction, backlog, repeat complainants), monthly volumes, volumes by category
   and channel, and a Pareto of categories;
3. times pandas computing the same figures end to end: ``read_sql`` of the same table (the
   denormalised columns and the complaint documents), JSON decoding, then groupby; and checks
   that both give the same figures;
4. each side runs in a fresh process (median of ``--rounds`` runs, peak RSS of that process).

The issue's target is 1,000,000 complaints; run ``--size 1000000`` for it. Usage:
``python benchmarks/analysis_bench.py [--size N] [--rounds R] [--backends sqlite,postgres]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from iso10002 import events as ev
from iso10002.analysis import Analysis, Filters, Period
from iso10002.backends import open_repository
from iso10002.model import Channel, Classification, ComplaintDetails, Outcome
from iso10002.ports import NewComplaint

UTC = timezone.utc
END = datetime(2026, 1, 1, tzinfo=UTC)
START = END - timedelta(days=365)
PERIOD = Period(END - timedelta(days=91), END)
CHANNELS = list(Channel)[:5]
CATEGORIES = ["billing.overcharge", "billing.refund", "delivery.late", "product.quality", "staff"]
PRODUCTS = ["card", "loan", "mortgage", "savings"]
OUTCOMES = list(Outcome)


def history(n: int, size: int, rng: random.Random) -> list[ev.Event]:
    """Complaint *n*'s events: a full lifecycle, or (one in ten) still open."""
    at = START + (END - START) * (n / size)
    cid = f"c{n:07d}"
    events: list[ev.Event] = []

    def emit(cls: type[ev.Event], when: datetime, **fields: Any) -> None:
        events.append(
            cls(complaint_id=cid, sequence=len(events) + 1, occurred_at=when, actor="h", **fields)
        )

    emit(
        ev.ComplaintReceived,
        at,
        reference=f"CMP-{n:07d}",
        state="received",
        details=ComplaintDetails(
            received_at=at,
            channel=CHANNELS[n % len(CHANNELS)],
            complainant_id=f"p{rng.randrange(size * 4 // 5)}",
            subject="Complaint",
            description="The parcel arrived late and damaged.",
            product=rng.choice(PRODUCTS),
        ),
        classification=Classification(category=rng.choice(CATEGORIES)),
    )
    emit(ev.SlaClockStarted, at, milestone="acknowledgement", due_at=at + timedelta(days=1))
    emit(ev.SlaClockStarted, at, milestone="final_response", due_at=at + timedelta(days=56))
    if n % 10 == 0:
        return events
    ack = at + timedelta(hours=rng.choice([1, 3, 6, 20, 30]))
    emit(ev.ComplaintAcknowledged, ack)
    emit(ev.StateChanged, ack, transition="acknowledge", from_state="received", to_state="acked")
    emit(ev.SlaClockStopped, ack, milestone="acknowledgement")
    decided = ack + timedelta(days=rng.choice([2, 5, 9, 14, 30, 60]), hours=rng.randrange(24))
    remedies = ("refund",) if rng.random() < 0.9 else ("goodwill",)
    emit(ev.DecisionMade, decided, outcome=rng.choice(OUTCOMES), reasons="r", remedies=remedies)
    emit(ev.DecisionCommunicated, decided, external_options_given=True)
    emit(ev.SlaClockStopped, decided, milestone="final_response")
    closed = decided + timedelta(days=1)
    emit(ev.ComplaintClosed, closed)
    emit(ev.StateChanged, closed, transition="close", from_state="acked", to_state="closed")
    if rng.random() < 0.4:
        emit(ev.SatisfactionRecorded, closed + timedelta(days=1), score=rng.randint(1, 5))
    return events


def dataset(size: int) -> Iterator[list[NewComplaint]]:
    rng = random.Random(10002)
    batch: list[NewComplaint] = []
    for n in range(size):
        events = history(n, size, rng)
        batch.append(NewComplaint(ev.replay(events), events))
        if len(batch) == 5000:
            yield batch
            batch = []
    if batch:
        yield batch


# --- the two sides --------------------------------------------------------------------------------


def ours(url: str) -> dict[str, Any]:
    """The KPI set with iso10002.analysis; figures in the shape :func:`with_pandas` gives."""
    with open_repository(url) as storage:
        a = Analysis(storage, filters=Filters(period=PERIOD), as_of=END, page_size=5000)
        k = a.kpis()
        months = a.volumes(every="month")
        pairs = a.volumes(by=("category", "channel"))
        pareto = a.pareto("category")
    return {
        "total": k.total,
        "upheld": [k.rates.upheld.numerator, k.rates.upheld.denominator],
        "closure_median_s": _s(k.durations.rows[2].calendar.median),
        "closure_p90_s": _s(k.durations.rows[2].calendar.p90),
        "ack_mean_s": _s(k.durations.rows[0].calendar.mean),
        "sla": {
            r.milestone: [r.met_on_time, r.met_late, r.open_overdue, r.open_within]
            for r in k.sla.rows
        },
        "satisfaction": list(k.satisfaction.distribution),
        "backlog_open": k.backlog.open,
        "repeat": k.repeat.repeat.numerator,
        "months": [r.count for r in months.rows],
        "pairs": len(pairs.rows),
        "pareto_top": [pareto.rows[0].key, pareto.rows[0].count] if pareto.rows else None,
    }


def _s(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


def with_pandas(url: str) -> dict[str, Any]:
    """The same figures with pandas: ``read_sql``, JSON decoding, groupby."""
    import numpy as np
    import pandas as pd

    if url.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        lo = (PERIOD.start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        hi = (PERIOD.end - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        sql = (
            "SELECT id, state, category, channel, complainant_id, received_at, payload "
            f"FROM complaints WHERE received_at >= {lo} AND received_at < {hi}"
        )
        frame = pd.read_sql(sql, conn)
        frame["received_at"] = pd.to_datetime(frame["received_at"], unit="us", utc=True)
    else:
        import psycopg

        base, _, schema = url.partition("?schema=")
        conn = psycopg.connect(base)
        sql = (
            "SELECT id, state, category, channel, complainant_id, received_at, payload::text "
            f'AS payload FROM "{schema}".complaints '
            f"WHERE received_at >= '{PERIOD.start.isoformat()}' "
            f"AND received_at < '{PERIOD.end.isoformat()}'"
        )
        frame = pd.read_sql(sql, conn)
        frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    conn.close()
    docs = [json.loads(p) for p in frame.pop("payload")]

    def when(values: list[Any]) -> Any:
        series = pd.Series(values, index=frame.index, dtype="object")
        return pd.to_datetime(series, utc=True, format="ISO8601")

    frame["ack"] = when([d["acknowledged_at"] for d in docs])
    frame["decided"] = when(
        [d["decisions"][0]["decided_at"] if d["decisions"] else None for d in docs]
    )
    frame["outcome"] = [d["decisions"][-1]["outcome"] if d["decisions"] else None for d in docs]
    closure = [d["closure"] for d in docs]
    frame["closed"] = when([c["at"] if c and not c["withdrawn"] else None for c in closure])
    frame["score"] = [d["satisfaction"]["score"] if d["satisfaction"] else np.nan for d in docs]
    clocks = pd.DataFrame(
        [(k["milestone"], k["due_at"], k["stopped_at"]) for d in docs for k in d["clocks"]],
        columns=["milestone", "due", "stopped"],
    )
    clocks["due"] = pd.to_datetime(clocks["due"], utc=True, format="ISO8601")
    clocks["stopped"] = pd.to_datetime(clocks["stopped"], utc=True, format="ISO8601")
    as_of = pd.Timestamp(END)
    done = clocks["stopped"].notna() & (clocks["stopped"] <= as_of)
    clocks["kind"] = np.where(
        done,
        np.where(clocks["stopped"] <= clocks["due"], 0, 1),
        np.where(as_of > clocks["due"], 2, 3),
    )
    sla = clocks.groupby(["milestone", "kind"]).size().unstack(fill_value=0)
    closed_ever = frame["closed"].notna()
    to_close = (frame["closed"] - frame["received_at"]).dropna().sort_values()
    to_ack = (frame["ack"] - frame["received_at"]).dropna()
    n = len(to_close)
    per = frame.groupby("complainant_id").size()
    frame["month"] = frame["received_at"].dt.tz_localize(None).dt.to_period("M")
    months = frame.groupby("month").size()
    pairs = frame.groupby(["category", "channel"]).size()
    categories = frame.groupby("category").size().sort_values(ascending=False)
    scores = frame.loc[closed_ever, "score"].dropna().astype(int)
    open_ = (frame["received_at"] <= as_of) & ~(
        frame["closed"].notna() & (frame["closed"] <= as_of)
    )
    return {
        "total": len(frame),
        "upheld": [int((frame["outcome"] == "upheld").sum()), int(frame["outcome"].notna().sum())],
        "closure_median_s": round(to_close.median().total_seconds(), 3) if n else None,
        "closure_p90_s": round(to_close.iloc[-(-9 * n // 10) - 1].total_seconds(), 3)
        if n
        else None,
        "ack_mean_s": round(to_ack.mean().total_seconds(), 3) if len(to_ack) else None,
        "sla": {m: [int(sla.loc[m].get(i, 0)) for i in range(4)] for m in sorted(sla.index)},
        "satisfaction": [int((scores == s).sum()) for s in range(1, 6)],
        "backlog_open": int(open_.sum()),
        "repeat": int((per > 1).sum()),
        "months": [int(x) for x in months.values],
        "pairs": len(pairs),
        "pareto_top": [categories.index[0], int(categories.iloc[0])] if len(categories) else None,
    }


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB (``VmHWM``: the new process image alone)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(side: str, url: str, rounds: int) -> None:
    """Run one side *rounds* times in this process and print seconds, figures and peak RSS."""
    run = ours if side == "ours" else with_pandas
    if side == "pandas":  # imported before timing, as iso10002 is
        import pandas  # noqa: F401
    seconds = []
    figures: dict[str, Any] = {}
    for _ in range(rounds):
        started = time.perf_counter()
        figures = run(url)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "figures": figures, "peak_rss_mb": _peak_rss_mb()}))


def in_child(side: str, url: str, rounds: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, "--url", url, "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{side} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_backend(name: str, url: str, size: int, rounds: int) -> dict[str, Any]:
    started = time.perf_counter()
    with open_repository(url) as storage:
        for batch in dataset(size):
            storage.add_many(batch)
    load_s = time.perf_counter() - started
    a = in_child("ours", url, rounds)
    p = in_child("pandas", url, rounds)
    same = a["figures"] == p["figures"]
    if not same:
        print(json.dumps({"ours": a["figures"], "pandas": p["figures"]}, indent=1), file=sys.stderr)
    ours_s, pandas_s = statistics.median(a["seconds"]), statistics.median(p["seconds"])
    return {
        "backend": name,
        "complaints": size,
        "in_period": a["figures"]["total"],
        "load_s": load_s,
        "ours_s": ours_s,
        "pandas_s": pandas_s,
        "speedup": pandas_s / ours_s,
        "ours_rss_mb": a["peak_rss_mb"],
        "pandas_rss_mb": p["peak_rss_mb"],
        "same_figures": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", choices=["ours", "pandas"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.rounds)
        return
    rows = []
    folder = tempfile.mkdtemp(prefix="analysis-bench-")
    for name in args.backends.split(","):
        if name == "sqlite":
            path = os.path.join(folder, "bench.db")
            rows.append(run_backend(name, f"sqlite:///{path}", args.size, args.rounds))
            os.remove(path)
        elif name == "postgres":
            base = os.environ.get("ISO10002_BENCH_POSTGRES_URL") or os.environ.get(
                "ISO10002_TEST_POSTGRES_URL"
            )
            if not base:
                print("postgres: skipped (set ISO10002_BENCH_POSTGRES_URL)")
                continue
            import psycopg

            schema = f"analysis_bench_{uuid.uuid4().hex[:8]}"
            try:
                rows.append(run_backend(name, f"{base}?schema={schema}", args.size, args.rounds))
            finally:
                with psycopg.connect(base, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    head = (
        f"{'backend':<9} {'stored':>9} {'period':>8} {'ours s':>8} {'pandas s':>9} "
        f"{'pandas/ours':>11} {'ours MB':>8} {'pandas MB':>9} same"
    )
    print(head)
    for r in rows:
        print(
            f"{r['backend']:<9} {r['complaints']:>9,} {r['in_period']:>8,} {r['ours_s']:>8.2f} "
            f"{r['pandas_s']:>9.2f} {r['speedup']:>11.2f} {r['ours_rss_mb']:>8.0f} "
            f"{r['pandas_rss_mb']:>9.0f} {r['same_figures']}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
