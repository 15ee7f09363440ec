"""Fixtures for the storage tests: PostgreSQL connection and throw-away schemas.

PostgreSQL tests read ``ISO10002_TEST_POSTGRES_URL`` and are skipped (with a reason naming it)
when it is unset. Every schema a test creates is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

POSTGRES_ENV = "ISO10002_TEST_POSTGRES_URL"


def postgres_url_or_skip() -> str:
    """The test server's URL, or skip the test."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests (PostgreSQL not configured)")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the PostgreSQL server the tests may use."""
    return postgres_url_or_skip()


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh schema names; every schema made is dropped after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"iso10002_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return name

    yield make
    for name in made:
        _drop(postgres_url, name)
