"""Fixtures for the service tests: storage on every backend, a calendar, a policy, a fake clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from iso10002.backends import open_repository
from iso10002.ports import Storage
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock

POSTGRES_URL = os.environ.get("ISO10002_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need ISO10002_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"

LONDON = {
    "timezone": "Europe/London",
    "week": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-04-03", "2026-04-06", "2026-05-04", "2026-12-25", "2026-12-28"],
}
POLICY = {
    "default": {
        "acknowledgement": {"business_days": 1},
        "final_response": {"business_days": 15},
        "review_response": {"business_days": 10},
    },
    "rules": [
        {
            "name": "urgent",
            "when": {"priority": ["P1"]},
            "targets": {"final_response": {"business_days": 5}},
        },
    ],
}


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """The same storage contract on every bundled backend."""
    kind = request.param
    if kind == "memory":
        with open_repository("memory://") as store:
            yield store
    elif kind == "sqlite":
        with open_repository(f"sqlite:///{tmp_path / 'complaints.db'}") as store:
            yield store
    else:
        if not POSTGRES_URL:
            pytest.skip(NO_POSTGRES)
        schema = f"svc_{uuid.uuid4().hex[:12]}"
        try:
            joiner = "&" if "?" in POSTGRES_URL else "?"
            with open_repository(f"{POSTGRES_URL}{joiner}schema={schema}") as store:
                yield store
        finally:
            drop_schema(POSTGRES_URL, schema)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar.from_dict(LONDON)


@pytest.fixture
def policy() -> SlaPolicy:
    return SlaPolicy.from_dict(POLICY)


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 March 2026, 10:00 in London (GMT).
    return FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))
