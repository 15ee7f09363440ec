"""Model-based test: the SQL backends answer every question exactly as the memory backend does.

A hypothesis state machine adds complaints (drawn full histories, split into an ``add`` and later
``save`` calls), saves stale versions, erases complainants and asks every kind of query; after
each command every backend must have answered the same (values and errors alike).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from iso10002 import events as ev
from iso10002.backends import MemoryRepository, SqliteRepository
from iso10002.errors import Iso10002Error
from iso10002.model import Channel, Complainant, Priority
from iso10002.ports import (
    BatchSaving,
    ComplaintQuery,
    ComplaintRepository,
    NewComplaint,
    Update,
)
from iso10002.testing.strategies import complainants, event_histories

PEOPLE = ["p-0", "p-1", "p-2", "p-3"]
STATES = [
    "received",
    "acknowledged",
    "assessed",
    "investigating",
    "awaiting_complainant",
    "responded",
    "closed",
    "withdrawn",
    "internal_review",
]
PREFIXES = ["billing", "billing.", "billing.overcharge", "delivery", "x", "staff.c", "p"]
ACTORS = ["alice", "bob", "carol", "dan", "erin", "system"]
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2085, 1, 1), timezones=st.just(timezone.utc)
)


@st.composite
def queries(draw: st.DrawFn) -> ComplaintQuery:
    """Queries with any combination of filters and a small page size."""
    fields: dict[str, Any] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "states": st.frozensets(st.sampled_from(STATES), max_size=3),
        "category_prefix": st.sampled_from(PREFIXES),
        "channel": st.sampled_from(Channel),
        "assignee": st.sampled_from(ACTORS),
        "priority": st.sampled_from(Priority),
        "received_from": MOMENTS,
        "received_until": MOMENTS,
        "next_sla_before": MOMENTS,
        "breached": st.booleans(),
        "complainant_id": st.sampled_from(PEOPLE),
    }
    for name, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            fields[name] = draw(strategy)
    return ComplaintQuery(**fields, limit=draw(st.integers(1, 7)))


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call did: its value, or the type of error (and its public attributes)."""
    try:
        return ("ok", call())
    except Iso10002Error as exc:
        detail = {k: v for k, v in vars(exc).items() if k in ("key", "by", "expected", "actual")}
        return (type(exc).__name__, detail)


def _query(repository: ComplaintRepository, query: ComplaintQuery) -> Any:
    return repository.query(query)


def _save_many(repository: ComplaintRepository, updates: list[Update]) -> Any:
    assert isinstance(repository, BatchSaving)
    return repository.save_many(updates)


def _complainant(repository: ComplaintRepository, person: str) -> Any:
    return repository.get_complainant(person)


class RepositoryMachine(RuleBasedStateMachine):
    """Drives the reference and the backends under test with the same commands."""

    make_backends: Callable[[], list[ComplaintRepository]]
    cleanup: Callable[[], None] = staticmethod(lambda: None)

    def __init__(self) -> None:
        super().__init__()
        self.reference = MemoryRepository()
        self.backends = type(self).make_backends()
        self.pending: dict[str, list[ev.Event]] = {}
        self.known: list[str] = []
        self.number = 0

    def teardown(self) -> None:
        self.reference.close()
        for backend in self.backends:
            backend.close()
        type(self).cleanup()

    def same(self, call: Callable[[ComplaintRepository], Any]) -> Any:
        expected = outcome(partial(call, self.reference))
        for backend in self.backends:
            assert outcome(partial(call, backend)) == expected, type(backend).__name__
        return expected

    def renumbered(self, event: ev.Event, complaint_id: str) -> ev.Event:
        """*event* moved to *complaint_id* (and, for a receipt, its reference)."""
        if isinstance(event, ev.ComplaintReceived):
            return attrs.evolve(
                event, complaint_id=complaint_id, reference=f"REF-{self.number:03d}"
            )
        return attrs.evolve(event, complaint_id=complaint_id)

    @initialize()
    def empty(self) -> None:
        self.same(lambda r: r.count(ComplaintQuery()))

    @rule(
        history=event_histories(
            min_events=3, max_events=10, complainant_ids=st.sampled_from(PEOPLE)
        ),
        split=st.integers(1, 10),
        person=st.none() | complainants(ids=st.just("x")),
    )
    def add(self, history: list[ev.Event], split: int, person: Complainant | None) -> None:
        self.number += 1
        complaint_id = f"c-{self.number:03d}"
        fixed = [self.renumbered(e, complaint_id) for e in history]
        head, tail = fixed[: min(split, len(fixed))], fixed[min(split, len(fixed)) :]
        complaint = ev.replay(head)
        if person is not None:
            person = attrs.evolve(person, id=complaint.complainant_id)
        self.same(lambda r: r.add(complaint, events=head, complainant=person))
        self.pending[complaint_id] = tail
        self.known.append(complaint_id)

    @rule(data=st.data(), size=st.integers(1, 4))
    def add_many(self, data: st.DataObject, size: int) -> None:
        items = []
        for _ in range(size):
            self.number += 1
            history = data.draw(
                event_histories(min_events=3, max_events=4, complainant_ids=st.sampled_from(PEOPLE))
            )
            complaint_id = f"c-{self.number:03d}"
            fixed = [self.renumbered(e, complaint_id) for e in history]
            items.append(NewComplaint(ev.replay(fixed), fixed, None))
            self.pending[complaint_id] = []
            self.known.append(complaint_id)
        self.same(lambda r: r.add_many(items))

    @precondition(lambda self: bool(self.known))
    @rule(data=st.data())
    def add_duplicate(self, data: st.DataObject) -> None:
        complaint_id = data.draw(st.sampled_from(self.known))
        events = self.reference.events(complaint_id)
        complaint = ev.replay(events)
        self.same(lambda r: r.add(complaint, events=events))

    @precondition(lambda self: any(self.pending.values()))
    @rule(data=st.data(), count=st.integers(1, 3))
    def save(self, data: st.DataObject, count: int) -> None:
        complaint_id = data.draw(st.sampled_from(sorted(k for k, v in self.pending.items() if v)))
        current = self.reference.get(complaint_id)
        todo = self.pending[complaint_id]
        events, self.pending[complaint_id] = todo[:count], todo[count:]
        new = ev.replay(events, current)
        self.same(lambda r: r.save(new, expected_version=current.version, events=events))

    @precondition(lambda self: sum(1 for v in self.pending.values() if v) >= 2)
    @rule(data=st.data(), stale=st.booleans())
    def save_many(self, data: st.DataObject, stale: bool) -> None:
        ready = sorted(k for k, v in self.pending.items() if v)
        chosen = data.draw(st.lists(st.sampled_from(ready), min_size=1, max_size=3, unique=True))
        updates = []
        for complaint_id in chosen:
            current = self.reference.get(complaint_id)
            event = self.pending[complaint_id][0]
            updates.append(Update(ev.apply(current, event), current.version, [event]))
        if stale:  # one update from another version: the whole batch must be refused
            first = updates[0]
            old = first.expected_version
            wrong = old - 1 if old > 1 else old + 1
            event = attrs.evolve(first.events[0], sequence=wrong + 1)
            updates[0] = Update(attrs.evolve(first.complaint, version=wrong + 1), wrong, [event])
        outcome_ = self.same(partial(_save_many, updates=updates))
        if outcome_[0] == "ok":
            for complaint_id in chosen:
                self.pending[complaint_id] = self.pending[complaint_id][1:]

    @precondition(lambda self: any(self.pending.values()))
    @rule(data=st.data(), back=st.integers(1, 3))
    def save_stale(self, data: st.DataObject, back: int) -> None:
        complaint_id = data.draw(st.sampled_from(sorted(k for k, v in self.pending.items() if v)))
        current = self.reference.get(complaint_id)
        event = self.pending[complaint_id][0]
        new = ev.apply(current, event)
        stale = max(1, current.version - back) if current.version > 1 else current.version + 1
        shifted = attrs.evolve(event, sequence=stale + 1)
        target = attrs.evolve(new, version=stale + 1)
        self.same(lambda r: r.save(target, expected_version=stale, events=[shifted]))

    @rule(person=st.sampled_from(PEOPLE))
    def erase(self, person: str) -> None:
        self.same(lambda r: r.erase_personal_data(person))

    @rule(query=queries())
    def query_all_pages(self, query: ComplaintQuery) -> None:
        current = query
        for _ in range(100):
            page = self.same(partial(_query, query=current))
            assert page[0] == "ok"
            if page[1].next_cursor is None:
                break
            current = attrs.evolve(current, cursor=page[1].next_cursor)
        self.same(lambda r: r.count(query))

    @rule(position=st.integers(0, 60), limit=st.integers(1, 25))
    def events_since(self, position: int, limit: int) -> None:
        self.same(lambda r: r.events_since(position, limit))

    @precondition(lambda self: bool(self.known))
    @rule(data=st.data())
    def lookups(self, data: st.DataObject) -> None:
        complaint_id = data.draw(st.sampled_from([*self.known, "c-missing"]))
        complaint = self.same(lambda r: r.get(complaint_id))
        self.same(lambda r: r.events(complaint_id))
        if complaint[0] == "ok":
            self.same(lambda r: r.get_by_reference(complaint[1].reference))
        for person in PEOPLE:
            self.same(partial(_complainant, person=person))

    @invariant()
    def same_size(self) -> None:
        self.same(lambda r: r.count(ComplaintQuery()))


def run(machine: type[RepositoryMachine], *, examples: int, steps: int) -> None:
    test = machine.TestCase
    test.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    test("runTest").runTest()


def test_repo_model_sqlite_answers_like_memory(tmp_path: Path) -> None:
    class SqliteMachine(RepositoryMachine):
        @staticmethod
        def make_backends() -> list[ComplaintRepository]:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            return [SqliteRepository(":memory:"), SqliteRepository(path)]

    run(SqliteMachine, examples=60, steps=30)


@pytest.mark.postgres
def test_repo_model_postgres_answers_like_memory(postgres_url: str) -> None:
    from iso10002.backends.postgres import PostgresRepository

    made: list[str] = []

    def make() -> list[ComplaintRepository]:
        schema = f"iso10002_model_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        made.append(schema)
        return [PostgresRepository(postgres_url, schema=schema)]

    def drop() -> None:
        import psycopg

        with psycopg.connect(postgres_url, autocommit=True) as conn:
            while made:
                conn.execute(f'DROP SCHEMA IF EXISTS "{made.pop()}" CASCADE')

    class PostgresMachine(RepositoryMachine):
        make_backends = staticmethod(make)
        cleanup = staticmethod(drop)

    run(PostgresMachine, examples=30, steps=30)
