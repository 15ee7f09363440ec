"""Fixtures for the io tests: storage on every backend, an SLA planner, source files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from iso10002.backends import open_repository
from iso10002.ports import Storage
from iso10002.service import PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy

POSTGRES_ENV = "ISO10002_TEST_POSTGRES_URL"
AS_OF = datetime(2024, 1, 1, tzinfo=timezone.utc)

CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "America/New_York",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
POLICY = SlaPolicy.from_dict(
    {
        "default": {
            "acknowledgement": {"business_days": 1},
            "final_response": {"calendar_days": 15},
        }
    }
)


@pytest.fixture
def planner() -> PolicyPlanner:
    return PolicyPlanner(CALENDAR, POLICY)


def _postgres() -> str | None:
    return os.environ.get(POSTGRES_ENV)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """An empty store on each backend (PostgreSQL skipped unless configured)."""
    kind = request.param
    schema = None
    if kind == "memory":
        url = "memory://"
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'io.db'}"
    else:
        base = _postgres()
        if not base:
            pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests")
        schema = f"iso10002_io_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        url = f"{base}?schema={schema}"
    store = open_repository(url)
    try:
        yield store
    finally:
        store.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(str(_postgres()), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def memory() -> Iterator[Storage]:
    store = open_repository("memory://")
    yield store
    store.close()
