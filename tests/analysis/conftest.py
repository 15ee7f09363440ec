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
from iso10002.ports import NewComplaint, Update

POSTGRES_ENV = "ISO10002_TEST_POSTGRES_URL"
BACKENDS = ["list", "memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
Filled = Callable[[str, Sequence[Sequence[ev.Event]]], AbstractContextManager[Any]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a backend: ``list`` (a plain list), ``memory``, ``sqlite``, ``postgres``."""
    name: str = request.param
    return name


@pytest.fixture
def stored() -> Callable[[Any, Sequence[Sequence[ev.Event]]], None]:
    """:func:`store`, for tests to fill repositories of their own with."""
    return store


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of the PostgreSQL server the tests may use (skips when unset)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests (PostgreSQL not configured)")
    return url


@pytest.fixture
def fill() -> Filled:
    """:func:`filled`, for tests to open sources with."""
    return filled


def store(repository: Any, histories: Sequence[Sequence[ev.Event]]) -> None:
    """Store *histories* in *repository*: every other one whole (``add_many``), the others
    from their receipt, then one event at a time with ``save_many`` over all of them, so the
    read model of the SQL backends is written both ways."""
    whole = [NewComplaint(ev.replay(h), list(h)) for h in histories[::2]]
    stepped = [list(h) for h in histories[1::2]]
    if whole:
        repository.add_many(whole)
    if stepped:
        repository.add_many([NewComplaint(ev.replay(h[:1]), h[:1]) for h in stepped])
    for n in range(2, max((len(h) for h in stepped), default=0) + 1):
        updates = []
        for h in stepped:
            if len(h) >= n:
                before = ev.replay(h[: n - 1])
                updates.append(Update(ev.apply(before, h[n - 1]), before.version, [h[n - 1]]))
        repository.save_many(updates)


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
            store(sqlite, histories)
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
            store(postgres, histories)
            yield postgres
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
