"""Several writers on one store: after any interleaving of saves and conflicts, every indexed
column of every row equals what the stored document says.

The SQL backends keep denormalised columns (state, assignee, category, priority, next SLA
instant, breached) beside the JSON document, and the SQLite backend writes only the columns
that changed since the version it saves over. These tests hold the columns to the document
after concurrent writers, in threads and in processes.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.backends import SqliteRepository
from iso10002.backends import _sql as q
from iso10002.backends import sqlite as backend
from iso10002.errors import ConcurrencyConflict
from iso10002.model import (
    Assessment,
    Breadth,
    Classification,
    Complaint,
    Complexity,
    Priority,
    Safety,
)
from iso10002.ports import ComplaintQuery
from iso10002.testing.contract import T0, advance, new_complaint

_ASSIGNEES = ("alice", "bob", "carol")
_CATEGORIES = ("billing", "delivery", None)


def _assessment(priority: Priority) -> Assessment:
    return Assessment(
        impact=2,
        breadth=Breadth.SINGLE,
        safety=Safety.NONE,
        complexity=Complexity.SIMPLE,
        priority=priority,
    )


def _change(complaint: Complaint, kind: int, value: int) -> tuple[Complaint, ev.Event]:
    """One of a few edits that move indexed columns."""
    if kind == 0:
        return advance(complaint, ev.ComplaintAssigned, assignee=_ASSIGNEES[value % 3], team=None)
    if kind == 1:
        category = _CATEGORIES[value % 3]
        return advance(
            complaint,
            ev.ComplaintClassified,
            classification=Classification(category=category, tags=frozenset()),
        )
    if kind == 2:
        priority = (Priority.P1, Priority.P2, Priority.P3)[value % 3]
        if complaint.assessment is None:
            return advance(complaint, ev.ComplaintAssessed, assessment=_assessment(priority))
        return advance(
            complaint,
            ev.AssessmentRevised,
            assessment=_assessment(priority),
            reason="new information",
        )
    milestone = f"m{value % 4}"
    clock = complaint.clock(milestone)
    if clock is not None and clock.running and clock.breached_at is None and value % 2:
        return advance(complaint, ev.SlaBreached, milestone=milestone)
    return advance(
        complaint,
        ev.SlaClockStarted if clock is None else ev.SlaClockRetargeted,
        milestone=milestone,
        due_at=T0 + timedelta(hours=1 + value),
        warnings=(),
    )


def _columns_agree(path: Path) -> list[str]:
    """The ids of complaints whose indexed columns differ from their stored document."""
    conn = sqlite3.connect(path)
    try:
        names = ", ".join(q.COMPLAINT_COLUMNS[:-1])
        rows = conn.execute(f"SELECT {names} FROM complaints ORDER BY id").fetchall()
    finally:
        conn.close()
    wrong = []
    with SqliteRepository(path, cache_size=0) as fresh:
        for row in rows:
            stored = fresh.get(row[0])
            if tuple(row) != q.complaint_row(backend.DIALECT, stored, None)[:-1]:
                wrong.append(row[0])
    return wrong


def _retrying_save(repo: SqliteRepository, complaint_id: str, kind: int, value: int) -> None:
    """Load, change, save; on a conflict load again and redo the change (as the service does)."""
    while True:
        current = repo.get(complaint_id)
        after, event = _change(current, kind, value)
        try:
            repo.save(after, expected_version=current.version, events=[event])
        except ConcurrencyConflict:
            continue
        return


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def two(path: Path) -> Iterator[tuple[SqliteRepository, SqliteRepository]]:
    with SqliteRepository(path) as first, SqliteRepository(path) as second:
        yield first, second


def test_a_retry_after_a_conflict_writes_every_changed_column(
    two: tuple[SqliteRepository, SqliteRepository], path: Path
) -> None:
    """The save that lost a race leaves nothing behind that the retry compares against."""
    mine, other = two
    item = new_complaint(1)
    mine.add(item.complaint, events=item.events, complainant=item.complainant)
    held = mine.get("c-1")
    theirs, event = advance(other.get("c-1"), ev.ComplaintAssigned, assignee="bob", team=None)
    other.save(theirs, expected_version=1, events=[event])
    lost, event = advance(held, ev.ComplaintAssigned, assignee="alice", team=None)
    with pytest.raises(ConcurrencyConflict):
        mine.save(lost, expected_version=1, events=[event])
    fresh = mine.get("c-1")
    retried, event = advance(fresh, ev.ComplaintAssigned, assignee="alice", team=None)
    mine.save(retried, expected_version=2, events=[event])

    assert [x.id for x in mine.query(ComplaintQuery(assignee="alice")).items] == ["c-1"]
    assert mine.query(ComplaintQuery(assignee="bob")).items == ()
    assert _columns_agree(path) == []


def test_a_retry_after_a_conflict_moves_the_next_sla_column(
    two: tuple[SqliteRepository, SqliteRepository], path: Path
) -> None:
    """A deadline moved by the retried save is where the sweeper's index looks for it."""
    mine, other = two
    item = new_complaint(1)
    mine.add(item.complaint, events=item.events, complainant=item.complainant)
    held = mine.get("c-1")
    late = T0 + timedelta(hours=50)
    soon = T0 + timedelta(hours=2)
    theirs, event = advance(
        other.get("c-1"), ev.SlaClockStarted, milestone="respond", due_at=late, warnings=()
    )
    other.save(theirs, expected_version=1, events=[event])
    lost, event = advance(held, ev.SlaClockStarted, milestone="respond", due_at=soon, warnings=())
    with pytest.raises(ConcurrencyConflict):
        mine.save(lost, expected_version=1, events=[event])
    fresh = mine.get("c-1")
    retried, event = advance(
        fresh, ev.SlaClockRetargeted, milestone="respond", due_at=soon, warnings=()
    )
    mine.save(retried, expected_version=2, events=[event])

    due = mine.query(ComplaintQuery(next_sla_before=T0 + timedelta(hours=3))).items
    assert [x.id for x in due] == ["c-1"]
    assert _columns_agree(path) == []


_steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which writer
        st.integers(0, 3),  # which complaint
        st.integers(0, 3),  # which kind of change
        st.integers(0, 5),  # which value
        st.booleans(),  # whether the writer saves over a version it read earlier
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60)
@given(steps=_steps)
def test_interleaved_writers_keep_every_column_current(
    tmp_path_factory: pytest.TempPathFactory, steps: Sequence[tuple[int, int, int, int, bool]]
) -> None:
    """Writers that save over stale versions, lose, reload and retry, in any order."""
    path = tmp_path_factory.mktemp("interleaved") / "store.db"
    with (
        SqliteRepository(path) as a,
        SqliteRepository(path) as b,
        SqliteRepository(path, cache_size=3) as c,
    ):
        writers = (a, b, c)
        for n in range(4):
            item = new_complaint(n)
            a.add(item.complaint, events=item.events, complainant=item.complainant)
        held: dict[tuple[int, str], Complaint] = {}
        for who, which, kind, value, stale in steps:
            repo = writers[who]
            complaint_id = f"c-{which}"
            base = held.get((who, complaint_id)) if stale else None
            if base is None:
                base = repo.get(complaint_id)
            held[(who, complaint_id)] = base
            after, event = _change(base, kind, value)
            try:
                repo.save(after, expected_version=base.version, events=[event])
            except ConcurrencyConflict:
                _retrying_save(repo, complaint_id, kind, value)
            assert _columns_agree(path) == []


def _worker(path: str, seed: int, rounds: int) -> None:
    import random

    rnd = random.Random(seed)
    with SqliteRepository(path, timeout=30.0) as repo:
        for _ in range(rounds):
            _retrying_save(repo, f"c-{rnd.randrange(3)}", rnd.randrange(4), rnd.randrange(6))


def test_writers_in_threads_keep_every_column_current(path: Path) -> None:
    with SqliteRepository(path) as repo:
        for n in range(3):
            item = new_complaint(n)
            repo.add(item.complaint, events=item.events, complainant=item.complainant)
    threads = [threading.Thread(target=_worker, args=(str(path), k, 60)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _columns_agree(path) == []
    with SqliteRepository(path) as repo:
        assert sum(repo.get(f"c-{n}").version for n in range(3)) == 3 + 4 * 60


def test_writers_in_processes_keep_every_column_current(path: Path) -> None:
    with SqliteRepository(path) as repo:
        for n in range(3):
            item = new_complaint(n)
            repo.add(item.complaint, events=item.events, complainant=item.complainant)
    context = multiprocessing.get_context("spawn")
    workers: list[Any] = [
        context.Process(target=_worker, args=(str(path), k, 60)) for k in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert _columns_agree(path) == []
    with SqliteRepository(path) as repo:
        assert sum(repo.get(f"c-{n}").version for n in range(3)) == 3 + 3 * 60
