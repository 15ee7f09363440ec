"""Import benchmark: a CFPB-format CSV into SQLite in historical mode, against ``add_many``.

In one run:

1. writes a CFPB-format CSV of ``--rows`` complaints (a tenth with multi-line narratives, half
   closed, the rest in progress);
2. imports it into a fresh SQLite file through :class:`iso10002.io.Importer` (reading, mapping,
   validating, building each complaint's historical events with an SLA planner, storing);
3. stores the very same complaints and events with the repository's own ``add_many`` in batches
   of the same size into another fresh file (what storing alone costs), and prints the ratio;
4. exports the imported store as JSON Lines and prints the rate;
5. in a child process, imports the file again into a fresh store and reports its peak RSS.

Targets: import >= 10,000 complaints/s and >= 0.5x ``add_many``; export >= 20,000/s; peak RSS
< 200 MB at one million rows (it stays flat in the file's size: rows stream in batches).

Usage: ``python benchmarks/import_bench.py [--rows N] [--no-sla]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from iso10002.backends import open_repository
from iso10002.io import Importer, export_jsonl, preset, read_csv
from iso10002.ports import NewComplaint
from iso10002.service import PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy

HEADER = [
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
]
AS_OF = datetime(2024, 1, 1, tzinfo=timezone.utc)
BATCH = 1000


def planner() -> PolicyPlanner:
    calendar = BusinessCalendar.from_dict(
        {
            "timezone": "America/New_York",
            "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        }
    )
    policy = SlaPolicy.from_dict(
        {
            "default": {
                "final_response": {"calendar_days": 15},
                "acknowledgement": {"business_days": 2},
            }
        }
    )
    return PolicyPlanner(calendar, policy)


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(16)
    start = datetime(2019, 1, 1)
    products = ["Credit card", "Mortgage", "Checking or savings account", "Payday loan"]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(HEADER)
        for n in range(rows):
            received = start + timedelta(days=rng.randrange(1700))
            sent = received + timedelta(days=rng.randrange(30))
            closed = rng.random() < 0.5
            narrative = "Line one\nline two, with a comma." if n % 10 == 0 else ""
            out.writerow(
                [
                    received.strftime("%Y-%m-%d"),
                    rng.choice(products),
                    "",
                    "Billing disputes",
                    "",
                    narrative,
                    "",
                    "Example Bank",
                    "NY",
                    "10001",
                    "Older American" if n % 7 == 0 else "",
                    "N/A",
                    rng.choice(["Web", "Phone", "Referral", "Postal mail"]),
                    sent.strftime("%Y-%m-%d"),
                    "Closed with explanation" if closed else "In progress",
                    "Yes",
                    "N/A",
                    str(100000 + n),
                ]
            )


def child_rss(path: Path, sla: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, open_repository(f"sqlite:///{tmp}/rss.db") as db:
        importer = Importer(
            db, preset("cfpb"), sla=planner() if sla else None, as_of=AS_OF, batch=BATCH
        )
        with path.open("rb") as f:
            report = importer.run(read_csv(f))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{report.imported} {peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--no-sla", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sla = not args.no_sla
    if args.child:
        child_rss(Path(args.child), sla)
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "cfpb.csv"
        write_csv(source, args.rows)
        size = source.stat().st_size / 1e6
        print(f"CFPB-format CSV: {args.rows:,} rows, {size:.1f} MB; SLA planner: {sla}")

        with open_repository(f"sqlite:///{tmp}/import.db") as db:
            importer = Importer(
                db, preset("cfpb"), sla=planner() if sla else None, as_of=AS_OF, batch=BATCH
            )
            t0 = time.perf_counter()
            with source.open("rb") as f:
                report = importer.run(read_csv(f))
            t_import = time.perf_counter() - t0
            assert report.rejected == 0, report.rejects[:3]
            items: list[NewComplaint] = []
            with source.open("rb") as f:
                for row in read_csv(f):
                    prepared = importer.prepare(row)
                    assert not isinstance(prepared, list)
                    items.append(prepared[1])
            t0 = time.perf_counter()
            buffer = io.StringIO()
            exported = export_jsonl(db, buffer)
            t_export = time.perf_counter() - t0

        with open_repository(f"sqlite:///{tmp}/add_many.db") as db:
            t0 = time.perf_counter()
            for i in range(0, len(items), BATCH):
                db.add_many(items[i : i + BATCH])
            t_store = time.perf_counter() - t0

        events = sum(len(i.events) for i in items) / len(items)
        import_rate = report.imported / t_import
        store_rate = len(items) / t_store
        print(f"import (read, map, validate, build history, store): {import_rate:,.0f}/s")
        print(f"add_many of the same complaints ({events:.1f} events each): {store_rate:,.0f}/s")
        print(f"ratio import / add_many: {import_rate / store_rate:.2f} (target >= 0.5)")
        megabytes = len(buffer.getvalue()) / 1e6
        print(f"JSON Lines export: {exported / t_export:,.0f}/s ({megabytes:.0f} MB)")
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(source), *(["--no-sla"] if not sla else [])],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ},
        )
        imported, peak = done.stdout.split()
        print(f"peak RSS importing {imported} rows in a fresh process: {peak} MB")


if __name__ == "__main__":
    main()
