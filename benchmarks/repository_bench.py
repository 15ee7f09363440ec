"""Repository benchmark: bulk ingest against the raw driver, get, the overdue query, streaming.

Per backend, in one run:

1. bulk ingest of 100,000 complaints with their receipt events (and complainants) through
   ``add_many`` in batches of 10,000, next to the raw driver inserting the same serialized rows
   (``sqlite3`` ``executemany``; psycopg ``COPY``), printed as a ratio: three rounds, raw and
   ours alternating, each into a fresh store after ``sync``; the medians are reported;
2. ``get`` by id: median microseconds over 2,000 random ids;
3. the store is grown to 1,000,000 complaints (through ``add_many`` again; see ``_dataset`` for
   the mix of open, overdue and closed complaints), then the overdue query — the first 100
   complaints whose next SLA instant is before now — median milliseconds over 200 runs;
4. streaming all 1,000,000 complaints with ``iter_complaints`` in a fresh process: seconds and
   peak RSS.

Targets: SQLite ingest >= 20,000/s and >= 0.3x raw; PostgreSQL ingest >= 10,000/s; overdue
query <= 5 ms at one million; streaming peak RSS < 150 MB.

Usage: ``python benchmarks/repository_bench.py [--size N] [--ingest N] [--backends …]``.
PostgreSQL runs when ``ISO10002_BENCH_POSTGRES_URL`` (or ``ISO10002_TEST_POSTGRES_URL``) is set;
it works in a throw-away schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from iso10002 import events as ev
from iso10002.backends import _common as c
from iso10002.backends import _sql as q
from iso10002.backends import iter_complaints, open_repository
from iso10002.model import Channel, Classification, Complainant, ComplaintDetails
from iso10002.ports import ComplaintQuery, NewComplaint

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=1000)
BATCH = 10_000
CHANNELS = list(Channel)
CATEGORIES = ["billing.overcharge", "billing.refund", "delivery.late", "product.quality", "staff"]


def _received(number: int, size: int) -> datetime:
    """Complaint *number* of *size*: evenly spread over the 1,000 days before NOW."""
    return NOW - SPAN + SPAN * (number / size)


def _receipt(number: int, at: datetime) -> tuple[ev.ComplaintReceived, Complainant]:
    complaint_id = f"cmp-{number:07d}"
    person = f"person-{number % 700_000:06d}"
    details = ComplaintDetails(
        received_at=at,
        channel=CHANNELS[number % len(CHANNELS)],
        complainant_id=person,
        subject=f"Complaint {number}: order arrived late",
        description=(
            "The parcel was promised for Monday and arrived on Friday, opened and damaged. "
            "I called twice and nobody called back. I want a refund of the delivery charge."
        ),
        product="parcel-delivery",
    )
    receipt = ev.ComplaintReceived(
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=at,
        actor="intake",
        reference=f"CMP-{number:07d}",
        state="received",
        details=details,
        classification=Classification(category=CATEGORIES[number % len(CATEGORIES)]),
    )
    complainant = Complainant(
        id=person, name=f"Customer {number % 700_000}", email=f"c{number}@example.org"
    )
    return receipt, complainant


def receipts(start: int, stop: int, size: int) -> Iterator[NewComplaint]:
    """Complaints *start* to *stop* as received (version 1)."""
    for number in range(start, stop):
        receipt, person = _receipt(number, _received(number, size))
        yield NewComplaint(ev.apply(None, receipt), (receipt,), person)


def _dataset(start: int, stop: int, size: int) -> Iterator[NewComplaint]:
    """The complaints that grow the store to *size*.

    Those received in the last 30 days are open with a running 20-day resolution clock (so the
    ones older than 20 days are overdue); one in a hundred older complaints is a forgotten open
    case whose clock is long overdue; the rest are closed (clock started and stopped).
    """
    recent = NOW - timedelta(days=30)
    for number in range(start, stop):
        at = _received(number, size)
        receipt, person = _receipt(number, at)
        complaint = ev.apply(None, receipt)
        due = at + timedelta(days=20)
        started = ev.SlaClockStarted(
            complaint_id=complaint.id,
            sequence=2,
            occurred_at=at,
            actor="system",
            milestone="resolution",
            due_at=due,
            warnings=((0.75, at + timedelta(days=15)),),
        )
        events: list[ev.Event] = [receipt, started]
        complaint = ev.apply(complaint, started)
        if at < recent and number % 100 != 0:
            stopped = ev.SlaClockStopped(
                complaint_id=complaint.id,
                sequence=3,
                occurred_at=at + timedelta(days=5),
                actor="system",
                milestone="resolution",
            )
            events.append(stopped)
            complaint = ev.apply(complaint, stopped)
        yield NewComplaint(complaint, tuple(events), person)


def _batches(items: Iterator[NewComplaint]) -> Iterator[list[NewComplaint]]:
    batch: list[NewComplaint] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --- raw drivers ----------------------------------------------------------------------------------


def _sqlite_rows(items: list[NewComplaint]) -> list[tuple[list[Any], list[Any], list[Any]]]:
    from iso10002.backends import sqlite as backend

    out = []
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        out.append(
            (
                [backend._complaint_row(i.complaint) for i in chunk],
                [
                    q.event_row(backend.DIALECT, None, e, c.to_json(q.event_doc(e)))
                    for i in chunk
                    for e in i.events
                ],
                [
                    (i.complainant.id, c.to_json(q.complainant_doc(i.complainant)))
                    for i in chunk
                    if i.complainant is not None
                ],
            )
        )
    return out


def raw_sqlite(path: str, items: list[NewComplaint]) -> float:
    """Seconds for sqlite3 executemany to insert the rows of *items* (serialized beforehand)."""
    from iso10002.backends import SqliteRepository
    from iso10002.backends import sqlite as backend

    SqliteRepository(path).close()  # the same schema and indexes
    rows = _sqlite_rows(items)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -16384")
    started = time.perf_counter()
    for complaints, events, people in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(backend._COMPLAINT_INSERT, complaints)
        conn.executemany(backend._EVENT_INSERT, events)
        conn.executemany(backend._COMPLAINANT_UPSERT, people)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_postgres(url: str, schema: str, items: list[NewComplaint]) -> float:
    """Seconds for psycopg COPY to insert the rows of *items* (serialized beforehand)."""
    import psycopg

    from iso10002.backends import postgres as backend

    open_repository(f"{url}{'&' if '?' in url else '?'}schema={schema}").close()
    position = 0
    batches = []
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        events = []
        for i in chunk:
            for e in i.events:
                position += 1
                events.append(
                    q.event_row(backend.DIALECT, position, e, q.escaped_json(q.event_doc(e)))
                )
        batches.append(
            (
                [backend._complaint_row(i.complaint) for i in chunk],
                events,
                [
                    (i.complainant.id, q.escaped_json(q.complainant_doc(i.complainant)))
                    for i in chunk
                    if i.complainant is not None
                ],
            )
        )
    s = f'"{schema}"'
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for complaints, events, people in batches:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(f"UPDATE {s}.event_counter SET last = last + %s", (len(events),))
                columns = ", ".join(q.COMPLAINT_COLUMNS)
                with cur.copy(f"COPY {s}.complaints ({columns}) FROM STDIN") as copy:
                    for row in complaints:
                        copy.write_row(row)
                with cur.copy(f"COPY {s}.events ({', '.join(q.EVENT_COLUMNS)}) FROM STDIN") as copy:
                    for row in events:
                        copy.write_row(row)
                with cur.copy(f"COPY {s}.complainants (id, payload) FROM STDIN") as copy:
                    for row in people:
                        copy.write_row(row)
        return time.perf_counter() - started


# --- measurements -----------------------------------------------------------------------------


def ingest(url: str, items: list[NewComplaint]) -> float:
    """Seconds for add_many to store *items* in batches."""
    with open_repository(url) as repo:
        started = time.perf_counter()
        for start in range(0, len(items), BATCH):
            repo.add_many(items[start : start + BATCH])
        return time.perf_counter() - started


def median_get_us(url: str, count: int, size: int) -> float:
    rng = random.Random(7)
    ids = [f"cmp-{rng.randrange(size):07d}" for _ in range(count)]
    timings = []
    with open_repository(url) as repo:
        for complaint_id in ids[:50]:
            repo.get(complaint_id)  # warm up (prepared statements, caches)
        for complaint_id in ids:
            started = time.perf_counter()
            repo.get(complaint_id)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def median_raw_get_us(target: Target, count: int, size: int) -> float:
    """Median microseconds for the raw driver to fetch the same row (no decoding)."""
    rng = random.Random(7)
    ids = [f"cmp-{rng.randrange(size):07d}" for _ in range(count)]
    timings = []
    with target.connect() as (execute, select):
        for complaint_id in ids[:50]:
            execute(select, complaint_id)
        for complaint_id in ids:
            started = time.perf_counter()
            execute(select, complaint_id)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


@contextlib.contextmanager
def _sqlite_reader(path: str) -> Iterator[tuple[Callable[[str, str], Any], str]]:
    from iso10002.backends import sqlite as backend

    conn = sqlite3.connect(path)
    try:
        yield (
            lambda sql, key: conn.execute(sql, (key,)).fetchone(),
            f"{backend._SELECT_COMPLAINT} WHERE c.id = ?",
        )
    finally:
        conn.close()


@contextlib.contextmanager
def _postgres_reader(url: str, schema: str) -> Iterator[tuple[Callable[[str, str], Any], str]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")
        s = f'"{schema}"'
        sql = (
            "SELECT c.id, c.version, c.payload::text, CASE WHEN c.payload IS NULL THEN "
            f"(SELECT e.payload::text FROM {s}.events AS e WHERE e.complaint_id = c.id "
            f"AND e.sequence = 1) END FROM {s}.complaints AS c WHERE c.id = %s"
        )
        yield (lambda q_, key: conn.execute(q_, (key,)).fetchone(), sql)


def grow(url: str, start: int, size: int) -> float:
    with open_repository(url) as repo:
        started = time.perf_counter()
        for batch in _batches(_dataset(start, size, size)):
            repo.add_many(batch)
        return time.perf_counter() - started


def _with(url: str, option: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{option}"


def median_overdue_ms(url: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of the overdue query (with ``cache_size=0`` in *url*: decoding all)."""
    query = ComplaintQuery(next_sla_before=NOW, limit=100)
    timings = []
    with open_repository(url) as repo:
        found = len(repo.query(query).items)
        for _ in range(runs):
            started = time.perf_counter()
            repo.query(query)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3, found


def stream_in_child(url: str) -> tuple[float, float, int]:
    """Stream every complaint in a fresh process: (seconds, peak RSS in MB, complaints)."""
    done = subprocess.run(
        [sys.executable, __file__, "--stream", url],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["seconds"], result["peak_rss_mb"], result["count"]


def _stream(url: str) -> None:
    with open_repository(url) as repo:
        started = time.perf_counter()
        count = sum(1 for _ in iter_complaints(repo, page_size=1000))
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "count": count}))


def _peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux keeps ``ru_maxrss`` across ``execve``, so a child started by a large parent would
    report the parent's peak; ``VmHWM`` belongs to the new process image alone.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:  # not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Target:
    """One backend under test: where it lives, its raw-driver twin, and how to empty both."""

    name: str
    url: str
    raw: Callable[[list[NewComplaint]], float]
    """Seconds for the raw driver to store the items' rows in a fresh store of its own."""
    reset: Callable[[], None]
    """Empty the backend's store."""
    connect: Callable[[], Any]
    """A context manager yielding ``(execute, select-by-id SQL)`` on a raw driver connection."""


def run_backend(target: Target, *, size: int, first: int, rounds: int) -> dict[str, Any]:
    name, url = target.name, target.url
    print(f"[{name}] generating {first:,} complaints …", flush=True)
    items = list(receipts(0, first, size))
    raw_times, our_times = [], []
    for number in range(rounds):  # alternate, each into a fresh store, after flushing the disk
        print(f"[{name}] round {number + 1}: raw driver, then add_many …", flush=True)
        os.sync()
        raw_times.append(target.raw(items))
        target.reset()
        os.sync()
        our_times.append(ingest(url, items))
    del items
    raw_seconds, seconds = statistics.median(raw_times), statistics.median(our_times)
    row: dict[str, Any] = {
        "backend": name,
        "ingest_per_s": first / seconds,
        "raw_per_s": first / raw_seconds,
        "ratio": raw_seconds / seconds,
        "rounds": [round(first / t) for t in our_times],
        "raw_rounds": [round(first / t) for t in raw_times],
    }
    row["get_us"] = median_get_us(_with(url, "cache_size=0"), 2000, first)
    row["raw_get_us"] = median_raw_get_us(target, 2000, first)
    print(f"[{name}] growing to {size:,} …", flush=True)
    row["grow_per_s"] = (size - first) / grow(url, first, size)
    row["overdue_cold_ms"], _ = median_overdue_ms(_with(url, "cache_size=0"), 50)
    row["overdue_ms"], row["overdue_found"] = median_overdue_ms(url, 200)
    print(f"[{name}] streaming …", flush=True)
    row["stream_s"], row["stream_rss_mb"], row["streamed"] = stream_in_child(url)
    print(json.dumps(row), flush=True)
    return row


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def table(rows: list[dict[str, Any]], size: int, first: int) -> str:
    lines = [
        f"| backend | ingest {first:,} (complaints/s) | raw driver (rows of complaints/s) "
        f"| ratio | get (median µs) | raw driver fetch (median µs) "
        f"| overdue at {size:,}, cold (median ms) "
        f"| overdue, warm (median ms) | stream {size:,} (s) | stream peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['ingest_per_s']:,.0f} | {r['raw_per_s']:,.0f} "
            f"| {r['ratio']:.2f} | {r['get_us']:,.0f} | {r['raw_get_us']:,.0f} "
            f"| {r['overdue_cold_ms']:.1f} "
            f"| {r['overdue_ms']:.2f} "
            f"| {r['stream_s']:.1f} | {r['stream_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--ingest", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream:
        _stream(args.stream)
        return
    size, first = args.size, args.ingest
    rows = []
    workdir = tempfile.mkdtemp(prefix="iso10002-bench-", dir=os.environ.get("ISO10002_BENCH_DIR"))
    try:
        if "sqlite" in args.backends:
            path = os.path.join(workdir, "bench.db")
            raw_path = os.path.join(workdir, "raw.db")

            def raw_sqlite_fresh(items: list[NewComplaint]) -> float:
                _remove(raw_path)
                return raw_sqlite(raw_path, items)

            target = Target(
                "SQLite",
                f"sqlite:///{path}",
                raw_sqlite_fresh,
                lambda: _remove(path),
                lambda: _sqlite_reader(path),
            )
            rows.append(run_backend(target, size=size, first=first, rounds=args.rounds))
            _remove(raw_path)
        pg = os.environ.get("ISO10002_BENCH_POSTGRES_URL") or os.environ.get(
            "ISO10002_TEST_POSTGRES_URL"
        )
        if "postgres" in args.backends and pg:
            schema = f"iso10002_bench_{uuid.uuid4().hex[:8]}"
            raw_schema = f"{schema}_raw"

            def raw_postgres_fresh(items: list[NewComplaint]) -> float:
                assert pg is not None
                _drop(pg, raw_schema)
                return raw_postgres(pg, raw_schema, items)

            target = Target(
                "PostgreSQL",
                f"{pg}{'&' if '?' in pg else '?'}schema={schema}",
                raw_postgres_fresh,
                lambda: _drop(pg, schema),
                lambda: _postgres_reader(pg, schema),
            )
            try:
                rows.append(run_backend(target, size=size, first=first, rounds=args.rounds))
            finally:
                _drop(pg, schema)
                _drop(pg, raw_schema)
        elif "postgres" in args.backends:
            print("PostgreSQL skipped: set ISO10002_BENCH_POSTGRES_URL", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(rows, size, first))


if __name__ == "__main__":
    main()
