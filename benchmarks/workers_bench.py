"""Workers benchmark: 1, 2 and 4 application processes sharing one PostgreSQL database.

Each worker process runs full complaint lifecycles (receive, acknowledge, assess, start the
investigation, decide, communicate, close: 7 commands) and receives some complaints it leaves
open; then every worker runs the SLA sweeper (``tick``) at the same instant, 60 days later, and
the outbox dispatcher, all at once. Reported per worker count: lifecycles per second (and the
ratio to one worker), how the sweep and the deliveries were shared, and the checks that make
the figures worth having: no SLA event recorded twice, no notification left undelivered, and
how many messages were sent more than once (allowed only as the outbox's documented
at-least-once retries). The script exits non-zero when a check fails.

Usage: ``python benchmarks/workers_bench.py [--quick] [--workers 1,2,4] [--lifecycles N]``,
with ``ISO10002_TEST_POSTGRES_URL`` (or ``ISO10002_BENCH_POSTGRES_URL``) set; a scratch schema
is created per run and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from iso10002 import Outcome
from iso10002.backends import open_repository
from iso10002.notify import Message
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

CALENDAR = {
    "timezone": "Europe/London",
    "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
POLICY = {
    "default": {
        "acknowledgement": {"business_days": 1, "thresholds": [0.5, 0.8]},
        "final_response": {"weeks": 8},
    }
}
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SWEEP_AT = START + timedelta(days=60)
HANDLER = Actor("bob")
OPEN_EVERY = 4
"""One complaint left open (never acknowledged) per this many lifecycles."""


class FileNotifier:
    """Appends each sent message's key to a file: the record of what went out."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: Message) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(message.key + "\n")


def _url(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


def _worker(
    url: str,
    sent: str,
    index: int,
    lifecycles: int,
    ready: Any,
    go: Any,
    swept: Any,
    results: Any,
) -> None:
    clock = FakeClock(START)
    with open_repository(url) as storage:
        service = ComplaintsHandling(
            storage,
            sla=PolicyPlanner(BusinessCalendar.from_dict(CALENDAR), SlaPolicy.from_dict(POLICY)),
            notifier=FileNotifier(Path(sent)),
            clock=clock,
            dispatcher_options={
                "addresses": {"handler": "team@example.org", "manager": "lead@example.org"}
            },
        )
        form = {
            "channel": "web",
            "subject": "Parcel arrived damaged",
            "description": "The lamp inside is broken.",
            "name": "Jane Doe",
            "email": "jane@example.org",
        }
        service.receive(form, actor="web")  # warm up connections and caches
        ready.wait(timeout=600)
        go.wait()
        begun = time.perf_counter()
        for n in range(lifecycles):
            c = service.receive({**form, "subject": f"w{index}-{n}"}, actor="web")
            service.acknowledge(c.id, actor=HANDLER)
            service.assess(c.id, actor=HANDLER, impact=2, breadth="single")
            service.start_investigation(c.id, actor=HANDLER)
            service.decide(c.id, actor=HANDLER, outcome=Outcome.UPHELD, reasons="Refunded.")
            service.communicate_decision(c.id, actor=HANDLER, external_options_given=True)
            service.close(c.id, actor=HANDLER)
            if n % OPEN_EVERY == 0:
                service.receive({**form, "subject": f"open w{index}-{n}"}, actor="web")
        lifecycle_seconds = time.perf_counter() - begun
        swept.wait()
        begun = time.perf_counter()
        report = service.tick(SWEEP_AT)
        tick_seconds = time.perf_counter() - begun
        swept.wait()
        clock.set(SWEEP_AT)
        begun = time.perf_counter()
        delivered = 0
        while True:
            done = service.dispatch()
            delivered += done.delivered
            if not (done.collected or done.delivered or done.retried):
                break
        dispatch_seconds = time.perf_counter() - begun
    results.put(
        (index, lifecycle_seconds, report.examined, tick_seconds, delivered, dispatch_seconds)
    )


def _run(base: str, workers: int, lifecycles: int, work: Path) -> dict[str, Any]:
    import psycopg

    schema = f"bench_workers_{uuid.uuid4().hex[:10]}"
    url = _url(base, schema)
    open_repository(url).close()  # create the schema before the workers race to
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    go = context.Event()
    swept = context.Barrier(workers)
    results = context.Queue()
    sent = [work / f"{schema}-{k}.keys" for k in range(workers)]
    procs = [
        context.Process(
            target=_worker,
            args=(url, str(sent[k]), k, lifecycles, ready, go, swept, results),
        )
        for k in range(workers)
    ]
    try:
        for p in procs:
            p.start()
        ready.wait(timeout=600)
        begun = time.perf_counter()
        go.set()
        rows: list[tuple[Any, ...]] = []
        while len(rows) < len(procs):
            try:
                rows.append(results.get(timeout=1))
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise SystemExit(
                        f"a worker failed: exit codes {[p.exitcode for p in procs]}"
                    ) from None
        for p in procs:
            p.join(60)
        if any(p.exitcode != 0 for p in procs):
            raise SystemExit(f"a worker failed: exit codes {[p.exitcode for p in procs]}")
        wall = time.perf_counter() - begun
        with psycopg.connect(base, autocommit=True) as conn:
            s = f'"{schema}"'
            dup_sla = conn.execute(
                f"SELECT count(*) FROM (SELECT complaint_id, type, payload->>'milestone', "
                f"payload->>'threshold' FROM {s}.events "
                "WHERE type IN ('SlaBreached', 'SlaWarningReached', 'SlaClockStarted') "
                "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) AS d"
            ).fetchone()
            statuses: dict[str, int] = dict(
                conn.execute(f"SELECT status, count(*) FROM {s}.deliveries GROUP BY status")
            )
            breaches = conn.execute(
                f"SELECT count(*) FROM {s}.events WHERE type = 'SlaBreached'"
            ).fetchone()
            conn.execute(f"DROP SCHEMA {s} CASCADE")
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    keys: Counter[str] = Counter()
    for path in sent:
        if path.exists():
            keys.update(path.read_text(encoding="utf-8").split())
            path.unlink()
    delivered = statuses.get("delivered", 0)
    longest = max(r[1] for r in rows)
    return {
        "workers": workers,
        "lifecycles": workers * lifecycles,
        "lifecycles_per_s": workers * lifecycles / longest,
        "tick_examined": [r[2] for r in sorted(rows)],
        "tick_s": max(r[3] for r in rows),
        "breaches": 0 if breaches is None else int(breaches[0]),
        "dispatched": [r[4] for r in sorted(rows)],
        "dispatch_s": max(r[5] for r in rows),
        "duplicate_sla_events": 0 if dup_sla is None else int(dup_sla[0]),
        "deliveries": statuses,
        "undelivered": sum(v for k, v in statuses.items() if k != "delivered"),
        "sent_twice": sum(n - 1 for n in keys.values() if n > 1),
        "sent_keys": len(keys),
        "delivered": delivered,
        "wall_s": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (for the test suite)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--lifecycles", type=int, default=None, help="lifecycles per worker")
    args = parser.parse_args()
    base = os.environ.get("ISO10002_BENCH_POSTGRES_URL") or os.environ.get(
        "ISO10002_TEST_POSTGRES_URL"
    )
    if not base:
        print(
            "workers benchmark skipped: set ISO10002_TEST_POSTGRES_URL to run it", file=sys.stderr
        )
        return 0
    counts = [int(x) for x in args.workers.split(",")]
    lifecycles = args.lifecycles or (12 if args.quick else 240)
    print(f"# Workers on one PostgreSQL: {lifecycles} lifecycles per worker, 7 commands each")
    print(f"# Python {sys.version.split()[0]}, {os.cpu_count()} CPUs (server on the same machine)")
    print()
    print(
        "| workers | lifecycles/s | vs 1 worker | tick examined per worker | tick s "
        "| delivered per worker | dispatch s | duplicate SLA events | undelivered "
        "| sent twice |"
    )
    print("|---:|---:|---:|---|---:|---|---:|---:|---:|---:|")
    failed = False
    first: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in counts:
            r = _run(base, workers, lifecycles, Path(tmp))
            first = first or r["lifecycles_per_s"]
            print(
                f"| {workers} | {r['lifecycles_per_s']:.1f} | "
                f"{r['lifecycles_per_s'] / first:.2f}x | {r['tick_examined']} | "
                f"{r['tick_s']:.2f} | {r['dispatched']} | {r['dispatch_s']:.2f} | "
                f"{r['duplicate_sla_events']} | {r['undelivered']} | {r['sent_twice']} |",
                flush=True,
            )
            opened = (-(-lifecycles // OPEN_EVERY) + 1) * workers  # and one warm-up each
            checks = {
                "an SLA event recorded twice": r["duplicate_sla_events"] == 0,
                "a notification left undelivered": r["undelivered"] == 0,
                "a delivered notification never sent": r["sent_keys"] == r["delivered"],
                "the sweep examined a complaint twice": sum(r["tick_examined"]) == opened,
                "an open complaint without its two breaches": r["breaches"] == 2 * opened,
            }
            for what, ok in checks.items():
                if not ok:
                    print(f"check failed with {workers} workers: {what}: {r}", file=sys.stderr)
                    failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
