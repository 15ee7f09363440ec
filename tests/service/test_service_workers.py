"""Several application processes on one PostgreSQL database: lifecycles, sweepers and
dispatchers at once, with no SLA event recorded twice and no notification lost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iso10002.backends import open_repository
from iso10002.ports import DueSweeping, Update
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock

POSTGRES_URL = os.environ.get("ISO10002_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need ISO10002_TEST_POSTGRES_URL"
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "workers_bench.py"
FORM = {
    "channel": "web",
    "subject": "Parcel arrived damaged",
    "description": "The lamp inside is broken.",
    "name": "Jane Doe",
    "email": "jane@example.org",
}

pytestmark = pytest.mark.postgres


def _url(schema: str) -> str:
    assert POSTGRES_URL is not None
    return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"


@pytest.fixture
def schema() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"svc_workers_{uuid.uuid4().hex[:10]}"
    yield name
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_sweepers_at_once_share_the_due_complaints(
    schema: str, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    with open_repository(_url(schema)) as storage:
        assert isinstance(storage, DueSweeping)
        service = ComplaintsHandling(storage, sla=PolicyPlanner(calendar, policy), clock=clock)
        ids = [service.receive({**FORM, "subject": f"s{n}"}, actor="web").id for n in range(60)]
    later = clock.now() + timedelta(days=30)
    reports = []

    def sweep() -> None:
        with open_repository(_url(schema)) as own:
            svc = ComplaintsHandling(own, sla=PolicyPlanner(calendar, policy), clock=clock)
            reports.append(svc.tick(later, batch=7))

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.examined for r in reports) == 60  # each complaint swept by one sweeper
    assert sum(r.breaches for r in reports) == 120  # acknowledgement and final response
    with open_repository(_url(schema)) as storage:
        for complaint_id in ids:
            kinds = [type(e).__name__ for e in storage.events(complaint_id)]
            assert kinds.count("SlaBreached") == 2
        service = ComplaintsHandling(storage, sla=PolicyPlanner(calendar, policy), clock=clock)
        assert service.tick(later).examined == 0


def test_a_sweep_that_fails_writes_nothing(
    schema: str, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    with open_repository(_url(schema)) as storage:
        assert isinstance(storage, DueSweeping)
        service = ComplaintsHandling(storage, sla=PolicyPlanner(calendar, policy), clock=clock)
        c = service.receive(FORM, actor="web")
        calls = []

        def step(complaint: object) -> Update | None:
            calls.append(complaint)
            raise RuntimeError("the step failed")

        with pytest.raises(RuntimeError):
            storage.sweep_due(clock.now() + timedelta(days=30), limit=5, step=step)
        assert len(calls) == 1
        assert storage.get(c.id) == c
        assert service.tick(clock.now() + timedelta(days=30)).breaches == 2


def test_worker_processes_lose_nothing_and_record_nothing_twice() -> None:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    src = str(BENCH.parents[1] / "src")
    env = dict(os.environ, ISO10002_BENCH_POSTGRES_URL=POSTGRES_URL)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--workers", "1,3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 3 |")]
    assert len(rows) == 1
