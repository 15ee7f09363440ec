"""Helpers for the analysis tests: repositories of every backend filled with given histories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from iso10002 import events as ev
from iso10002.backends import MemoryRepository, SqliteRepository
from iso10002.ports import NewComplaint

POSTGRES_ENV = "ISO10002_TEST_POSTGRES_URL"
BACKENDS = ["list", "memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
Filled = Callable[[str, Sequence[Sequence[ev.Event]]], AbstractContextManager[Any]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a backend: ``list`` (a plain list), ``memory``, ``sqlite``, ``postgres``."""
    name: str = request.param
    return name


@pytest.fixture
def fill() -> Filled:
    """:func:`filled`, for tests to open sources with."""
    return filled


@contextmanager
def filled(backend: str, histories: Sequence[Sequence[ev.Event]]) -> Iterator[Any]:
    """A source of the complaints folded from *histories*: a list or a repository."""
    items = [NewComplaint(ev.replay(h), list(h)) for h in histories]
    if backend == "list":
        yield [item.complaint for item in items]
        return
    if backend == "memory":
        with MemoryRepository() as repository:
            if items:
                repository.add_many(items)
            yield repository
        return
    if backend == "sqlite":
        with SqliteRepository(":memory:") as sqlite:
            if items:
                sqlite.add_many(items)
            yield sqlite
        return
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests (PostgreSQL not configured)")
    import psycopg

    from iso10002.backends.postgres import PostgresRepository

    schema = f"iso10002_analysis_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    try:
        with PostgresRepository(url, schema=schema) as postgres:
            if items:
                postgres.add_many(items)
            yield postgres
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
