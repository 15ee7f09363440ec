"""SQLite specifics: schema and migrations, WAL, indexes behind every filter, atomicity under
injected faults, connection handling."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iso10002 import events as ev
from iso10002.backends import SqliteRepository
from iso10002.backends import _sql as q
from iso10002.backends import sqlite as backend
from iso10002.errors import ComplaintNotFound, StorageError, ValidationError
from iso10002.model import Channel, Priority
from iso10002.ports import ComplaintQuery, make_cursor
from iso10002.testing.contract import T0, advance, new_complaint


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def repo(path: Path) -> Iterator[SqliteRepository]:
    with SqliteRepository(path) as repository:
        yield repository


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_repo_sqlite_schema_is_created_in_wal_mode(repo: SqliteRepository, path: Path) -> None:
    assert repo.schema_version() == backend.SCHEMA_VERSION == 3
    conn = _raw(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {
            "schema_version",
            "complaints",
            "events",
            "complainants",
            "deliveries",
            "consumers",
            "external_references",
            "complaint_facts",
            "complaint_clocks",
        }
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 3
    finally:
        conn.close()


def test_repo_sqlite_reopening_keeps_data_and_does_not_migrate_again(path: Path) -> None:
    item = new_complaint(1)
    with SqliteRepository(path) as repo:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
    with SqliteRepository(path) as repo:
        assert repo.get("c-1") == item.complaint
        assert repo.schema_version() == 3
    conn = _raw(path)
    try:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 3
    finally:
        conn.close()


def test_repo_sqlite_refuses_a_newer_schema(path: Path) -> None:
    SqliteRepository(path).close()
    conn = _raw(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    conn.close()
    with pytest.raises(StorageError, match="upgrade iso10002"):
        SqliteRepository(path)


def test_repo_sqlite_version_one_stores_no_snapshot(repo: SqliteRepository, path: Path) -> None:
    """At version 1 the complaint is the fold of its receipt, so only the event is stored."""
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    conn = _raw(path)
    try:
        assert conn.execute("SELECT payload FROM complaints").fetchone()[0] is None
        later, note = advance(item.complaint, ev.NoteAdded, text="n")
        repo.save(later, expected_version=1, events=[note])
        assert conn.execute("SELECT payload FROM complaints").fetchone()[0] is not None
    finally:
        conn.close()
    assert repo.get("c-1") == later


FILTERS = {
    "states": ComplaintQuery(states={"received"}),
    "category": ComplaintQuery(category_prefix="billing"),
    "channel": ComplaintQuery(channel=Channel.EMAIL),
    "assignee": ComplaintQuery(assignee="alice"),
    "priority": ComplaintQuery(priority=Priority.P1),
    "received": ComplaintQuery(received_from=T0, received_until=T0 + timedelta(days=1)),
    "overdue": ComplaintQuery(next_sla_before=T0),
    "breached": ComplaintQuery(breached=True),
    "complainant": ComplaintQuery(complainant_id="p-1"),
    "everything": ComplaintQuery(),
    "cursor": ComplaintQuery(cursor=make_cursor(T0, "c-1")),
}


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with some thousands of complaints and planner statistics."""
    path = tmp_path_factory.mktemp("analyzed") / "store.db"
    with SqliteRepository(path, synchronous="OFF") as repo:
        repo.add_many(new_complaint(n) for n in range(3000))
    conn = _raw(path)
    conn.execute("ANALYZE")
    conn.close()
    return path


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize("stats", [False, True])
def test_repo_sqlite_every_filter_is_served_by_an_index(
    repo: SqliteRepository, path: Path, analyzed: Path, name: str, stats: bool
) -> None:
    tail, params = q.page_clause(backend.DIALECT, FILTERS[name])
    conn = _raw(analyzed if stats else path)
    try:
        plan = " | ".join(
            str(row[3])
            for row in conn.execute(f"EXPLAIN QUERY PLAN {backend._SELECT_COMPLAINT}{tail}", params)
        )
    finally:
        conn.close()
    first = plan.split(" | ")[0]
    assert first.startswith(("SEARCH c USING", "SCAN c USING")), plan
    assert "INDEX complaints_" in first, plan
    assert "SCAN e" not in plan and "BLOOM" not in plan, plan  # never read all events
    assert "JOIN" not in plan, plan  # a join let the planner build a bloom filter over events


def test_repo_sqlite_a_failed_save_writes_nothing(repo: SqliteRepository, path: Path) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    conn = _raw(path)
    conn.execute(
        "CREATE TRIGGER fail_third BEFORE INSERT ON events WHEN NEW.sequence = 3 "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )
    conn.close()
    two, a = advance(item.complaint, ev.ComplaintAssigned, assignee="alice")
    three, b = advance(two, ev.NoteAdded, text="never stored")
    with pytest.raises(StorageError, match="injected failure"):
        repo.save(three, expected_version=1, events=[a, b])
    assert repo.get("c-1") == item.complaint
    assert repo.events("c-1") == list(item.events)
    assert repo.count(ComplaintQuery(assignee="alice")) == 0
    assert len(repo.events_since(0)) == 1


def test_repo_sqlite_a_failed_batch_writes_nothing(repo: SqliteRepository, path: Path) -> None:
    conn = _raw(path)
    conn.execute(
        "CREATE TRIGGER fail_late BEFORE INSERT ON complainants WHEN NEW.id = 'p-1200' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )
    conn.close()
    with pytest.raises(StorageError):
        repo.add_many(new_complaint(n) for n in range(1300))  # crosses a chunk boundary
    assert repo.count(ComplaintQuery()) == 0
    assert repo.events_since(0) == []
    with pytest.raises(ComplaintNotFound):
        repo.get("c-1")


def test_repo_sqlite_lone_surrogates_are_refused(repo: SqliteRepository) -> None:
    item = new_complaint(1)
    with pytest.raises(ValidationError, match="surrogates"):  # the model refuses them first
        advance(item.complaint, ev.NoteAdded, text="bad \ud800 text")
    later, note = advance(item.complaint, ev.NoteAdded, text="bad text")
    object.__setattr__(note, "text", "bad \ud800 text")  # past the model: storage refuses too
    repo.add(item.complaint, events=item.events)
    with pytest.raises(ValidationError, match="surrogates"):
        repo.save(later, expected_version=1, events=[note])
    assert repo.get("c-1") == item.complaint


def test_repo_sqlite_options_are_checked(path: Path) -> None:
    with pytest.raises(ValidationError):
        SqliteRepository(path, synchronous="SOMETIMES")
    with pytest.raises(ValidationError):
        SqliteRepository(path, timeout=-1)
    with SqliteRepository(path, synchronous="normal", timeout=0.5) as repo:
        assert repr(repo) == f"SqliteRepository({str(path)!r})"


def test_repo_sqlite_memory_databases_are_separate() -> None:
    with SqliteRepository(":memory:") as one, SqliteRepository(":memory:") as two:
        item = new_complaint(1)
        one.add(item.complaint, events=item.events)
        assert one.count(ComplaintQuery()) == 1
        assert two.count(ComplaintQuery()) == 0


def test_repo_sqlite_threads_get_their_own_connections(repo: SqliteRepository) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    barrier = threading.Barrier(4)
    seen: list[str] = []

    def read() -> None:
        barrier.wait()
        for _ in range(20):
            seen.append(repo.get("c-1").id)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["c-1"] * 80


def test_repo_sqlite_closing_while_a_thread_reads(repo: SqliteRepository) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    started = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def slow_reader() -> None:
        try:
            with repo._read() as conn:
                started.set()
                release.wait()
                conn.execute("SELECT 1").fetchone()
        except BaseException as exc:  # noqa: BLE001 - inspected below
            errors.append(exc)

    thread = threading.Thread(target=slow_reader)
    thread.start()
    started.wait()
    repo.close()
    release.set()
    thread.join()
    assert errors == []
    with pytest.raises(StorageError, match="closed"):
        repo.get("c-1")
    repo.close()


def test_repo_sqlite_a_second_process_lock_times_out_as_a_storage_error(path: Path) -> None:
    with SqliteRepository(path, timeout=0.05) as repo:
        blocker = _raw(path)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            item = new_complaint(1)
            with pytest.raises(StorageError, match="locked"):
                repo.add(item.complaint, events=item.events)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        repo.add(item.complaint, events=item.events)
        assert repo.get("c-1") == item.complaint


@pytest.mark.parametrize("cache_size", [2048, 0])
def test_repo_sqlite_saves_keep_every_indexed_column_current(path: Path, cache_size: int) -> None:
    # With the cache, a save assigns only the columns that changed since the cached version;
    # without it, every column. Either way each filter sees exactly the current values, also
    # when the version saved over was read by another repository on the same file.
    with (
        SqliteRepository(path, cache_size=cache_size) as writer,
        SqliteRepository(path, cache_size=cache_size) as other,
    ):
        item = new_complaint(1)
        writer.add(item.complaint, events=item.events)
        c1, assigned = advance(item.complaint, ev.ComplaintAssigned, assignee="ann")
        writer.save(c1, expected_version=1, events=[assigned])
        c2, moved = advance(c1, ev.StateChanged, transition="t", from_state=c1.state, to_state="x")
        other.save(c2, expected_version=2, events=[moved])  # a version `writer` never saw
        c3, clock = advance(
            writer.get(item.complaint.id),
            ev.SlaClockStarted,
            milestone="final_response",
            due_at=T0 + timedelta(days=3),
        )
        writer.save(c3, expected_version=3, events=[clock])
        c4, reassigned = advance(c3, ev.ComplaintAssigned, assignee="bob")
        writer.save(c4, expected_version=4, events=[reassigned])
        c5, moved_on = advance(c4, ev.StateChanged, transition="t", from_state="x", to_state="y")
        writer.save(c5, expected_version=5, events=[moved_on])

        def ids(**filters: object) -> list[str]:
            return [c.id for c in other.query(ComplaintQuery(**filters)).items]  # type: ignore[arg-type]

        found = [item.complaint.id]
        assert ids(assignee="bob") == found and ids(assignee="ann") == []
        assert ids(states=frozenset({"y"})) == found
        assert ids(states=frozenset({"x", item.complaint.state})) == []
        assert ids(next_sla_before=T0 + timedelta(days=4)) == found
        assert ids(next_sla_before=T0 + timedelta(days=2)) == []
        assert other.get(item.complaint.id) == c5
