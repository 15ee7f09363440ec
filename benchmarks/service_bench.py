"""Service benchmark: full complaint lifecycles per second, and the SLA sweeper at scale.

1. The lifecycle (receive, acknowledge, assess, start investigation, decide, communicate,
   record reply, close: 8 commands) per complaint on an SQLite file and on PostgreSQL, next to a
   raw-driver baseline that performs the same reads and writes (the same serialized rows, one
   transaction per command) without the library.
2. ``tick`` over 100,000 open complaints of which 1 % are due.

Usage: ``python benchmarks/service_bench.py [--quick]``. PostgreSQL runs when
``ISO10002_TEST_POSTGRES_URL`` is set (a scratch schema is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from iso10002 import Assessment, Breadth, Complexity, Outcome, Priority, Safety, serialization
from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.model import Channel, ComplaintDetails
from iso10002.ports import NewComplaint, Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
POLICY = SlaPolicy.from_dict(
    {"default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}}}
)
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
HANDLER = Actor("bob")
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.SIMPLE,
    priority=Priority.P3,
)
FORM = {
    "channel": "web",
    "subject": "Late delivery",
    "description": "Two weeks late." * 5,
    "name": "Ann Lee",
    "email": "ann@example.org",
}


def lifecycle(svc: ComplaintsHandling, clock: FakeClock) -> str:
    c = svc.receive(FORM, actor="web")
    clock.advance(timedelta(minutes=5))
    svc.acknowledge(c.id, actor=HANDLER)
    svc.assess(c.id, actor=HANDLER, assessment=ASSESSMENT)
    svc.start_investigation(c.id, actor=HANDLER)
    svc.decide(c.id, actor=HANDLER, outcome=Outcome.UPHELD, reasons="Sorry.")
    svc.communicate_decision(c.id, actor=HANDLER, external_options_given=True)
    svc.record_reply(c.id, actor=HANDLER, accepted=True)
    svc.close(c.id, actor=HANDLER)
    return c.id


class Recorder:
    """Delegates to a storage and records every write, to replay it through the raw driver."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.writes: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
        self.recording = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def add(self, complaint: Any, *, events: Any, complainant: Any = None) -> None:
        self._storage.add(complaint, events=events, complainant=complainant)
        self._record("add", complaint, events)

    def save(self, complaint: Any, *, expected_version: int, events: Any) -> None:
        self._storage.save(complaint, expected_version=expected_version, events=events)
        self._record("save", complaint, events)

    def _record(self, kind: str, complaint: Any, events: Any) -> None:
        if self.recording:
            docs = [serialization.dump(e) for e in events]
            self.writes.append((kind, serialization.dump(complaint), docs))


def measure_lifecycles(storage: Storage, n: int) -> tuple[float, list[Any]]:
    """Lifecycles per second, and the writes of the first 50 lifecycles (for the baseline)."""
    clock = FakeClock(START)
    recorder = Recorder(storage)
    svc = ComplaintsHandling(
        recorder,
        sla=PolicyPlanner(CALENDAR, POLICY),
        clock=clock,
    )
    lifecycle(svc, clock)  # warm up
    recorder.recording = True
    lifecycle(svc, clock)
    script = list(recorder.writes)
    recorder.recording = False
    began = time.perf_counter()
    for _ in range(n):
        lifecycle(svc, clock)
    elapsed = time.perf_counter() - began
    return n / elapsed, script


def raw_sqlite(path: Path, script: list[Any], n: int, synchronous: str) -> float:
    """The same reads and writes through ``sqlite3`` directly: lifecycles per second.

    Per command: read the complaint row and parse it, then in one transaction write the new
    complaint row and append its event rows, all as the JSON documents the library wrote.
    """
    import json

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE c (id TEXT PRIMARY KEY, version INT, payload TEXT)")
    conn.execute(
        "CREATE TABLE e (position INTEGER PRIMARY KEY, cid TEXT, seq INT, payload TEXT,"
        " UNIQUE (cid, seq))"
    )
    began = time.perf_counter()
    for i in range(n):
        cid = f"c{i}"
        for kind, complaint_doc, event_docs in script:
            if kind == "save":
                row = conn.execute("SELECT version, payload FROM c WHERE id = ?", (cid,)).fetchone()
                json.loads(row[1])
            payload = json.dumps(complaint_doc)
            conn.execute("BEGIN IMMEDIATE")
            if kind == "add":
                conn.execute(
                    "INSERT INTO c VALUES (?, ?, ?)", (cid, complaint_doc["version"], payload)
                )
            else:
                conn.execute(
                    "UPDATE c SET version = ?, payload = ? WHERE id = ?",
                    (complaint_doc["version"], payload, cid),
                )
            conn.executemany(
                "INSERT INTO e (cid, seq, payload) VALUES (?, ?, ?)",
                [(cid, doc["sequence"], json.dumps(doc)) for doc in event_docs],
            )
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return n / elapsed


def seed_open_complaints(storage: Storage, total: int, due_share: float, now: datetime) -> None:
    """*total* received complaints with running clocks; *due_share* of them overdue at *now*."""
    due_every = round(1 / due_share)
    batch: list[NewComplaint] = []
    for i in range(total):
        received = now - timedelta(days=2) if i % due_every == 0 else now - timedelta(hours=1)
        cid = uuid.UUID(int=i).hex
        receipt = ev.ComplaintReceived(
            complaint_id=cid,
            sequence=1,
            occurred_at=received,
            actor="seed",
            reference=f"CMP-2026-{i + 1:06d}",
            state="received",
            details=ComplaintDetails(
                received_at=received,
                channel=Channel.WEB,
                complainant_id=f"p{i}",
                subject="s",
                description="d",
            ),
        )
        due = received + timedelta(days=1)
        started = ev.SlaClockStarted(
            complaint_id=cid,
            sequence=2,
            occurred_at=received,
            actor="seed",
            milestone="acknowledgement",
            due_at=due,
            warnings=((0.5, received + timedelta(hours=12)),),
        )
        complaint = ev.replay([receipt, started])
        batch.append(NewComplaint(complaint=complaint, events=[receipt, started]))
        if len(batch) == 5000:
            storage.add_many(batch)
            batch = []
    if batch:
        storage.add_many(batch)


def measure_tick(storage: Storage, total: int) -> tuple[float, int]:
    now = START + timedelta(days=30)
    seed_open_complaints(storage, total, 0.01, now)
    svc = ComplaintsHandling(storage, sla=PolicyPlanner(CALENDAR, POLICY), clock=FakeClock(now))
    began = time.perf_counter()
    report = svc.tick(now)
    elapsed = time.perf_counter() - began
    again = svc.tick(now)
    assert again.examined == 0, again
    return elapsed, report.examined


@contextmanager
def postgres_storage(url: str) -> Iterator[Storage]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    joiner = "&" if "?" in url else "?"
    try:
        with open_repository(f"{url}{joiner}schema={schema}") as storage:
            yield storage
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def raw_postgres(url: str, script: list[Any], n: int) -> float:
    """The same reads and writes through psycopg directly: lifecycles per second."""
    import json

    import psycopg

    schema = f"raw_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(
                f"CREATE TABLE {schema}.c (id text PRIMARY KEY, version int, payload jsonb)"
            )
            conn.execute(
                f"CREATE TABLE {schema}.e (position bigserial PRIMARY KEY, cid text, seq int,"
                " payload jsonb, UNIQUE (cid, seq))"
            )
            began = time.perf_counter()
            for i in range(n):
                cid = f"c{i}"
                for kind, complaint_doc, event_docs in script:
                    if kind == "save":
                        row = conn.execute(
                            f"SELECT version, payload::text FROM {schema}.c WHERE id = %s", (cid,)
                        ).fetchone()
                        assert row is not None
                        json.loads(row[1])
                    payload = json.dumps(complaint_doc)
                    with conn.transaction(), conn.cursor() as cur:
                        if kind == "add":
                            cur.execute(
                                f"INSERT INTO {schema}.c VALUES (%s, %s, %s)",
                                (cid, complaint_doc["version"], payload),
                            )
                        else:
                            cur.execute(
                                f"UPDATE {schema}.c SET version = %s, payload = %s WHERE id = %s",
                                (complaint_doc["version"], payload, cid),
                            )
                        cur.executemany(
                            f"INSERT INTO {schema}.e (cid, seq, payload) VALUES (%s, %s, %s)",
                            [(cid, doc["sequence"], json.dumps(doc)) for doc in event_docs],
                        )
            return n / (time.perf_counter() - began)
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    n = 100 if args.quick else 500
    total = 10_000 if args.quick else 100_000
    pg_url = os.environ.get("ISO10002_TEST_POSTGRES_URL")
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        counter = iter(range(1000))
        for sync in ("FULL", "NORMAL"):

            def sqlite_rate(sync: str = sync) -> tuple[float, list[Any]]:
                path = base / f"svc{next(counter)}.db"
                with open_repository(f"sqlite:///{path}?synchronous={sync}") as storage:
                    return measure_lifecycles(storage, n)

            results = [sqlite_rate() for _ in range(3)]
            ours = statistics.median(r[0] for r in results)
            script = results[0][1]
            raw = statistics.median(
                raw_sqlite(base / f"raw{next(counter)}.db", script, n, sync) for _ in range(3)
            )
            rows.append((f"SQLite {sync}", ours, raw))
        if pg_url:

            def pg_rate() -> tuple[float, list[Any]]:
                with postgres_storage(pg_url) as storage:
                    return measure_lifecycles(storage, n // 2)

            results = [pg_rate() for _ in range(3)]
            ours = statistics.median(r[0] for r in results)
            raw = median_of(3, lambda: raw_postgres(pg_url, results[0][1], n // 2))
            rows.append(("PostgreSQL", ours, raw))
        print(f"Full lifecycle (8 commands); median of 3 runs of {n} ({n // 2} on PostgreSQL)")
        print(f"{'backend':<16}{'ours/s':>10}{'raw/s':>10}{'ours/raw':>10}")
        for name, ours_rate, raw_rate in rows:
            print(f"{name:<16}{ours_rate:>10,.0f}{raw_rate:>10,.0f}{ours_rate / raw_rate:>10.2f}")

        print(f"\ntick over {total:,} open complaints, 1 % due")
        with open_repository(f"sqlite:///{base / 'tick.db'}") as storage:
            seconds, examined = measure_tick(storage, total)
        print(f"{'SQLite':<16}{seconds:>9.3f} s  ({examined} complaints swept)")
        if pg_url:
            with postgres_storage(pg_url) as storage:
                seconds, examined = measure_tick(storage, total)
            print(f"{'PostgreSQL':<16}{seconds:>9.3f} s  ({examined} complaints swept)")


if __name__ == "__main__":
    main()
