"""The SQLite backend: the embedded default, on the standard library's :mod:`sqlite3`.

One database file (or ``:memory:``) holds complaints, events, complainants, deliveries and
consumer positions. The file uses WAL; the schema is created and migrated on open (table
``schema_version``). Several threads share a repository (each running statement gets a pooled
connection; writes in one process take turns on a lock) and several processes can share one file
(writes use ``BEGIN IMMEDIATE`` and wait up to ``timeout`` seconds for the lock).
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from os import PathLike, fspath
from types import TracebackType
from typing import Any

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002._time import MICROSECOND, from_micros, micros
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    DuplicateError,
    StorageError,
    ValidationError,
    describe,
)
from iso10002.model import Complainant, Complaint, redacted
from iso10002.ports import (
    ComplaintQuery,
    Delivery,
    FactFilter,
    FactTotals,
    NewComplaint,
    Page,
    StoredEvent,
    Update,
)

from . import _common as c
from . import _sql as q
from ._sql_log import SqlDeliveryLog

__all__ = ["SCHEMA_VERSION", "SqliteDeliveryLog", "SqliteRepository"]

DIALECT = q.Dialect(
    placeholder="?",
    time=micros,
    text=q.IDENTITY,
    true="1",
    false="0",
    json=c.to_json,
    read_time=from_micros,
    read_text=q.IDENTITY,
)

_COMPLAINT_INSERT = (
    f"INSERT INTO complaints ({', '.join(q.COMPLAINT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(q.COMPLAINT_COLUMNS))})"
)
_EVENT_INSERT = (
    f"INSERT INTO events ({', '.join(q.EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(q.EVENT_COLUMNS))})"
)
_EXTERNAL_INSERT = (
    f"INSERT INTO {q.EXTERNAL_TABLE} (source, external_id, complaint_id) VALUES (?, ?, ?)"
)
_FACT_REPLACE = (
    f"INSERT OR REPLACE INTO {q.FACTS_TABLE} ({', '.join(q.FACT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(q.FACT_COLUMNS))})"
)
_CLOCK_INSERT = (
    f"INSERT INTO {q.CLOCKS_TABLE} ({', '.join(q.CLOCK_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(q.CLOCK_COLUMNS))})"
)
_CLOCK_DELETE = f"DELETE FROM {q.CLOCKS_TABLE} WHERE received_at = ? AND complaint_id = ?"
_COMPLAINANT_UPSERT = (
    "INSERT INTO complainants (id, payload) VALUES (?, ?) "
    "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload"
)
_UPDATED_COLUMNS = q.COMPLAINT_COLUMNS[2:]
"""The columns a save may change, in the order of ``complaint_row(...)[2:]``."""
_ALWAYS_UPDATED = frozenset({0, len(_UPDATED_COLUMNS) - 1})


@functools.lru_cache(maxsize=256)
def _complaint_update(changed: tuple[int, ...]) -> str:
    """The UPDATE that sets the columns at *changed* (indexes into ``_UPDATED_COLUMNS``).

    Setting only what changed spares SQLite the upkeep of the indexes over unchanged columns:
    it rewrites an index whenever a column of it is assigned, even to the same value.
    """
    sets = ", ".join(f"{_UPDATED_COLUMNS[i]} = ?" for i in changed)
    return f"UPDATE complaints SET {sets} WHERE id = ? AND version = ?"


_Step = str | Callable[[sqlite3.Connection], None]
"""A migration step: a statement, or a function run on the migrating connection."""


def _backfill_facts(conn: sqlite3.Connection) -> None:
    """Write the read-model rows of every stored complaint (the facts tables were added)."""
    after = ""
    while True:
        rows = conn.execute(
            f"{_SELECT_COMPLAINT} WHERE c.id > ? ORDER BY c.id LIMIT {_CHUNK}", (after,)
        ).fetchall()
        if not rows:
            return
        complaints = [_decode(row[2], row[3]) for row in rows]
        _write_facts(conn, complaints, replace=False)
        after = rows[-1][0]


_MIGRATIONS: tuple[tuple[int, tuple[_Step, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE complaints (
                id TEXT PRIMARY KEY,
                reference TEXT NOT NULL UNIQUE,
                version INTEGER NOT NULL,
                state TEXT NOT NULL,
                category TEXT,
                channel TEXT NOT NULL,
                assignee TEXT,
                priority TEXT,
                complainant_id TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                next_sla_at INTEGER,
                breached INTEGER NOT NULL,
                payload TEXT
            )""",
            "CREATE INDEX complaints_received ON complaints (received_at, id)",
            "CREATE INDEX complaints_state ON complaints (state, received_at, id)",
            "CREATE INDEX complaints_category ON complaints (category, received_at, id) "
            "WHERE category IS NOT NULL",
            "CREATE INDEX complaints_channel ON complaints (channel, received_at, id)",
            "CREATE INDEX complaints_assignee ON complaints (assignee, received_at, id) "
            "WHERE assignee IS NOT NULL",
            "CREATE INDEX complaints_priority ON complaints (priority, received_at, id) "
            "WHERE priority IS NOT NULL",
            "CREATE INDEX complaints_complainant ON complaints (complainant_id, received_at, id)",
            "CREATE INDEX complaints_breached ON complaints (received_at, id) WHERE breached = 1",
            "CREATE INDEX complaints_next_sla ON complaints (next_sla_at) "
            "WHERE next_sla_at IS NOT NULL",
            "CREATE INDEX complaints_open ON complaints (received_at, id, next_sla_at) "
            "WHERE next_sla_at IS NOT NULL",
            """CREATE TABLE events (
                position INTEGER PRIMARY KEY,
                complaint_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                type TEXT NOT NULL,
                occurred_at INTEGER NOT NULL,
                payload TEXT NOT NULL,
                UNIQUE (complaint_id, sequence)
            )""",
            "CREATE TABLE complainants (id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
            """CREATE TABLE deliveries (
                key TEXT PRIMARY KEY,
                payload TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                status TEXT NOT NULL,
                last_error TEXT,
                available_at INTEGER NOT NULL,
                claimed_by TEXT,
                lease_until INTEGER,
                delivered_at INTEGER
            )""",
            "CREATE INDEX deliveries_pending ON deliveries (available_at, key) "
            "WHERE status = 'pending'",
            "CREATE INDEX deliveries_claimed ON deliveries (lease_until) WHERE status = 'claimed'",
            "CREATE INDEX deliveries_dead ON deliveries (key) WHERE status = 'dead'",
            "CREATE TABLE consumers (name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
        ),
    ),
    (
        2,
        (
            f"""CREATE TABLE {q.EXTERNAL_TABLE} (
                source TEXT NOT NULL,
                external_id TEXT NOT NULL,
                complaint_id TEXT NOT NULL,
                PRIMARY KEY (source, external_id)
            ) WITHOUT ROWID""",
            f"CREATE INDEX external_references_complaint ON {q.EXTERNAL_TABLE} (complaint_id)",
        ),
    ),
    (
        3,
        (
            f"""CREATE TABLE {q.FACTS_TABLE} (
                received_at INTEGER NOT NULL,
                id TEXT NOT NULL UNIQUE,
                received_day INTEGER NOT NULL,
                state TEXT NOT NULL,
                category TEXT,
                channel TEXT NOT NULL,
                priority TEXT,
                product TEXT,
                team TEXT,
                segment TEXT,
                complainant_id TEXT NOT NULL,
                outcome TEXT,
                to_acknowledgement INTEGER,
                to_decision INTEGER,
                to_closure INTEGER,
                closure_at INTEGER,
                ever_closed INTEGER NOT NULL,
                withdrawn INTEGER NOT NULL,
                reopened INTEGER NOT NULL,
                internal_review INTEGER NOT NULL,
                external_dispute INTEGER NOT NULL,
                score INTEGER,
                PRIMARY KEY (received_at, id)
            ) WITHOUT ROWID""",
            f"""CREATE TABLE {q.CLOCKS_TABLE} (
                received_at INTEGER NOT NULL,
                complaint_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                milestone TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                due_at INTEGER,
                stopped_at INTEGER,
                paused_since INTEGER,
                PRIMARY KEY (received_at, complaint_id, position)
            ) WITHOUT ROWID""",
            _backfill_facts,
        ),
    ),
)

SCHEMA_VERSION = _MIGRATIONS[-1][0]
"""The schema version this release creates and reads."""

_CHUNK = 500
_SELECT_COMPLAINT = (
    "SELECT c.id, c.version, c.payload, CASE WHEN c.payload IS NULL THEN "
    "(SELECT e.payload FROM events AS e WHERE e.complaint_id = c.id AND e.sequence = 1) END "
    "FROM complaints AS c"
)
"""A complaint's id, version and document; at version 1, its receipt's document instead."""


_complaint_row = functools.partial(q.stored_row, DIALECT)


def _event_rows(events: Iterable[ev.Event]) -> list[tuple[Any, ...]]:
    """The events-table rows of *events* (positions assigned by SQLite)."""
    return [q.event_row(DIALECT, None, e, c.to_json(q.event_doc(e))) for e in events]


def _decode(complaint: Any, receipt: Any) -> Complaint:
    if complaint is not None:
        return q.load_complaint(json.loads(complaint))
    return ev.apply(None, q.load_event(json.loads(receipt)))


def _write_facts(
    conn: sqlite3.Connection, complaints: Sequence[Complaint], *, replace: bool
) -> None:
    """Write the read-model rows of *complaints*; with *replace*, over their stored ones."""
    if replace:
        conn.executemany(_CLOCK_DELETE, [(micros(x.details.received_at), x.id) for x in complaints])
    conn.executemany(_FACT_REPLACE, [q.fact_row(DIALECT, x) for x in complaints])
    conn.executemany(_CLOCK_INSERT, [r for x in complaints for r in q.clock_rows(DIALECT, x)])


_UpdateRows = tuple[str, tuple[Any, ...], list[tuple[Any, ...]], q.Prepared]
"""A prepared save: the UPDATE statement, its parameters (without the expected version) and
the event rows."""
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MAX_TIMEOUT = 86_400
"""The longest *timeout* (seconds): SQLite's busy timeout is a 32-bit count of milliseconds."""
_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")


class _Closed(StorageError):
    def __init__(self) -> None:
        super().__init__("the repository is closed")


def _translate(exc: BaseException) -> None:
    """Raise the library's error for the driver error *exc* (return for any other error)."""
    if isinstance(exc, sqlite3.IntegrityError):
        found = _UNIQUE.search(str(exc))
        if found is not None and found.group(1) == q.EXTERNAL_TABLE:
            raise DuplicateError(
                "a complaint with this external reference is already stored"
            ) from None
        if found is not None and found.group(1) in ("complaints", "events"):
            column = {"id": "id", "reference": "reference"}.get(found.group(2), "id")
            raise DuplicateError(f"a complaint with this {column} is already stored") from None
        raise StorageError(f"SQLite refused the write: {exc}") from exc
    if isinstance(exc, sqlite3.Error):
        raise StorageError(f"SQLite failed: {exc}") from exc
    if isinstance(exc, UnicodeEncodeError):
        c.scrub(exc)  # it stays reachable as the new error's __context__
        raise ValidationError(
            [("", "text must be valid Unicode (no lone surrogates) to be stored")]
        ) from None


class _Session:
    """A ``with`` block on a pooled connection: a read or, with *write*, one transaction
    (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on an error); driver errors become the
    library's. A class rather than a generator: it runs once per repository call."""

    __slots__ = ("_conn", "_db", "_write")

    def __init__(self, db: _Connections, write: bool) -> None:
        self._db = db
        self._write = write

    def __enter__(self) -> sqlite3.Connection:
        db = self._db
        try:
            if not self._write:
                self._conn = db.acquire()
                return self._conn
            db.write_lock.acquire()
            try:
                conn = db.acquire()
            except BaseException:
                db.write_lock.release()
                raise
            try:
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                db.release(conn)
                db.write_lock.release()
                raise
            self._conn = conn
            return conn
        except Exception as exc:
            _translate(exc)
            raise

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> None:
        db, conn = self._db, self._conn
        try:
            try:
                if self._write:
                    conn.execute("COMMIT" if error is None else "ROLLBACK")
            finally:
                db.release(conn)
                if self._write:
                    db.write_lock.release()
        except Exception as exc:
            _translate(exc)
            raise
        if isinstance(error, Exception):
            _translate(error)


class _Connections:
    """Pooled connections: one per running statement (file), or one shared (``:memory:``)."""

    def __init__(self, path: str, *, timeout: float, synchronous: str) -> None:
        self._path = path
        self._timeout = timeout
        self._synchronous = synchronous
        self._memory = path == ":memory:"
        self._lock = threading.RLock()
        self._idle: list[sqlite3.Connection] = []
        self._busy: set[sqlite3.Connection] = set()
        self.closed = False
        self.write_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path,
            timeout=self._timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA cache_size = -16384")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA secure_delete = ON")
        except BaseException:  # pragma: no cover - a connection that opened takes its pragmas
            conn.close()
            raise
        return conn

    def acquire(self) -> sqlite3.Connection:
        """A connection for the caller alone (``:memory:``: the shared one, under the lock)
        until it is given back with :meth:`release`."""
        if self._memory:
            self._lock.acquire()
            try:
                if self.closed:
                    raise _Closed
                if not self._idle:
                    self._idle.append(self._connect())
                return self._idle[0]
            except BaseException:
                self._lock.release()
                raise
        with self._lock:
            if self.closed:
                raise _Closed
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        with self._lock:
            self._busy.add(conn)
        return conn

    def release(self, conn: sqlite3.Connection) -> None:
        """Give back a connection from :meth:`acquire`; it is kept for reuse unless the pool is
        closed or full, or a transaction was left open on it."""
        if self._memory:
            self._lock.release()
            return
        with self._lock:
            self._busy.discard(conn)
            keep = not self.closed and len(self._idle) < 16 and not conn.in_transaction
            if keep:
                self._idle.append(conn)
        if not keep:
            conn.close()

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            if not self._memory:
                try:
                    conn.execute("PRAGMA analysis_limit = 400")
                    conn.execute("PRAGMA optimize")
                except sqlite3.Error:  # pragma: no cover - best effort on the way out
                    pass
            conn.close()


class SqliteRepository:
    """A repository in one SQLite database file, or in memory (``":memory:"``).

    *timeout* is how long (seconds) a write waits for another process's write;
    *synchronous* is SQLite's ``PRAGMA synchronous`` (``FULL`` survives power loss; ``NORMAL``
    survives a crash of the application and is faster). The last *cache_size* complaints read are
    kept decoded (see :class:`~iso10002.backends._sql.DecodedCache`).
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        timeout: float = 60.0,
        synchronous: str = "FULL",
        cache_size: int = 2048,
    ) -> None:
        if not isinstance(synchronous, str) or synchronous.upper() not in _SYNCHRONOUS:
            raise ValidationError(
                [("synchronous", f"expected one of: {', '.join(_SYNCHRONOUS)}")],
                what="SQLite options",
            )
        if not v.is_number(timeout) or not 0 <= timeout <= _MAX_TIMEOUT:
            raise ValidationError(
                [("timeout", f"expected a number of seconds from 0 to {_MAX_TIMEOUT}")],
                what="SQLite options",
            )
        if not isinstance(path, (str, PathLike)):
            raise ValidationError(
                [("path", f"expected a str or path, got {describe(path)}")], what="SQLite options"
            )
        self._cache = q.DecodedCache(cache_size)
        self._path = fspath(path)
        if not isinstance(self._path, str) or "\x00" in self._path or v.has_surrogate(self._path):
            raise ValidationError(
                [("path", "expected a file path without NUL characters, valid Unicode")],
                what="SQLite options",
            )
        self._db = _Connections(self._path, timeout=timeout, synchronous=synchronous.upper())
        self._deliveries = SqliteDeliveryLog(DIALECT, self._read, self._write)
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    # --- plumbing -------------------------------------------------------------------------------

    def _read(self) -> _Session:
        return _Session(self._db, write=False)

    def _write(self) -> _Session:
        return _Session(self._db, write=True)

    def _migrate(self) -> None:
        with self._read() as conn:
            if self._path != ":memory:":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":  # pragma: no cover - e.g. a read-only medium
                    raise StorageError(f"SQLite could not switch {self._path!r} to WAL mode")
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                raise StorageError(
                    f"the database has schema version {current}; this release reads up to "
                    f"{SCHEMA_VERSION}: upgrade iso10002"
                )
            for version, statements in _MIGRATIONS:
                if version > current:
                    for statement in statements:
                        if isinstance(statement, str):
                            conn.execute(statement)
                        else:
                            statement(conn)
                    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @property
    def path(self) -> str:
        """The database path (``":memory:"`` for an in-memory database)."""
        return self._path

    @property
    def deliveries(self) -> SqliteDeliveryLog:
        """The delivery log kept in the same database."""
        return self._deliveries

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._read() as conn:
            return int(conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    # --- writes ---------------------------------------------------------------------------------

    def add(
        self,
        complaint: Complaint,
        *,
        events: Sequence[ev.Event],
        complainant: Complainant | None = None,
    ) -> None:
        """Store a new complaint with its events and, apart, its complainant."""
        self.add_many([NewComplaint(complaint, events, complainant)])
        self._cache.stored(complaint)

    def add_many(self, items: Iterable[NewComplaint]) -> int:
        """Store many new complaints in one transaction, all or none; return how many."""
        batch = c.validate_batch(items)
        with self._write() as conn:
            for start in range(0, len(batch), _CHUNK):
                complaints: list[tuple[Any, ...]] = []
                events: list[tuple[Any, ...]] = []
                complainants: list[tuple[str, str]] = []
                for item in batch[start : start + _CHUNK]:
                    complaints.append(_complaint_row(item.complaint))
                    events.extend(_event_rows(item.events))
                    if item.complainant is not None:
                        complainants.append(
                            (item.complainant.id, c.to_json(q.complainant_doc(item.complainant)))
                        )
                conn.executemany(_COMPLAINT_INSERT, complaints)
                conn.executemany(_EVENT_INSERT, events)
                conn.executemany(_COMPLAINANT_UPSERT, complainants)
                conn.executemany(
                    _EXTERNAL_INSERT,
                    q.external_rows(DIALECT, (i.complaint for i in batch[start : start + _CHUNK])),
                )
                _write_facts(
                    conn, [item.complaint for item in batch[start : start + _CHUNK]], replace=False
                )
        return len(batch)

    def save(
        self, complaint: Complaint, *, expected_version: int, events: Sequence[ev.Event]
    ) -> None:
        """Store the new version with its events, atomically; see the port."""
        self.save_many([Update(complaint, expected_version, events)])

    def save_many(self, updates: Sequence[Update]) -> None:
        """Apply every update in one transaction; see :class:`~iso10002.ports.BatchSaving`."""
        checked = c.validate_updates(updates)
        prepared = [
            (u, self._update_rows(u.complaint, u.expected_version, u.events)) for u in checked
        ]
        with self._write() as conn:
            for update, rows in prepared:
                self._apply_update(conn, update.complaint, update.expected_version, rows)
            _write_facts(conn, [u.complaint for u in checked], replace=True)
        for update, (*_, prepared_row) in prepared:
            self._cache.stored(update.complaint, prepared_row)

    def _update_rows(
        self, complaint: Complaint, expected_version: int, events: Sequence[ev.Event]
    ) -> _UpdateRows:
        """The statement, parameters and event rows of a save over *expected_version*."""
        prepared = self._cache.prepare(DIALECT, complaint, expected_version)
        row, before = prepared.row, prepared.before
        values = row[2:]
        if before is None:
            changed = tuple(range(len(values)))
        else:
            changed = tuple(
                i
                for i, (old, new) in enumerate(zip(before[2:], values, strict=True))
                if i in _ALWAYS_UPDATED or old != new
            )
        params = (*(values[i] for i in changed), complaint.id)
        return _complaint_update(changed), params, _event_rows(events), prepared

    @staticmethod
    def _apply_update(
        conn: sqlite3.Connection,
        complaint: Complaint,
        expected_version: int,
        rows: _UpdateRows,
    ) -> None:
        statement, params, event_rows, _ = rows
        updated = conn.execute(statement, (*params, expected_version)).rowcount
        if updated != 1:
            found = conn.execute(
                "SELECT version FROM complaints WHERE id = ?", (complaint.id,)
            ).fetchone()
            raise ConcurrencyConflict(
                complaint.id, expected_version, None if found is None else int(found[0])
            )
        conn.executemany(_EVENT_INSERT, event_rows)

    def erase_personal_data(self, complainant_id: str) -> bool:
        """Delete the complainant record and erase the free text of their complaints and
        events, in one transaction; return whether a record existed.

        Deleted and overwritten content is zeroed (``secure_delete``), and the write-ahead log
        is checkpointed and truncated afterwards, so the erased text lingers in no page of the
        database file and in no frame of its ``-wal`` (unless another connection is reading
        at that moment: the next erasure's checkpoint clears it).
        """
        c.check_text_key("complainant_id", complainant_id)
        with self._write() as conn:
            existed = (
                conn.execute("DELETE FROM complainants WHERE id = ?", (complainant_id,)).rowcount
                > 0
            )
            rows = conn.execute(
                "SELECT id, payload FROM complaints WHERE complainant_id = ?", (complainant_id,)
            ).fetchall()
            for complaint_id, payload in rows:
                if payload is not None:
                    erased = redacted(q.load_complaint(json.loads(payload)))
                    conn.execute(
                        "UPDATE complaints SET payload = ? WHERE id = ?",
                        (c.to_json(q.complaint_doc(erased)), complaint_id),
                    )
                events = conn.execute(
                    "SELECT position, payload FROM events WHERE complaint_id = ?", (complaint_id,)
                ).fetchall()
                changed = []
                for position, text in events:
                    event = q.load_event(json.loads(text))
                    erased_event = ev.redacted_event(event)
                    if erased_event is not event:
                        changed.append((c.to_json(q.event_doc(erased_event)), position))
                conn.executemany("UPDATE events SET payload = ? WHERE position = ?", changed)
        self._cache.forget(row[0] for row in rows)
        if self._path != ":memory:":
            with self._read() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return existed

    # --- reads ----------------------------------------------------------------------------------

    def _load(self, row: Sequence[Any]) -> Complaint:
        return self._cache.load((row[0], row[1]), lambda: _decode(row[2], row[3]))

    def _one(self, column: str, key: str) -> Complaint | None:
        with self._read() as conn:
            row = conn.execute(f"{_SELECT_COMPLAINT} WHERE c.{column} = ?", (key,)).fetchone()
        return None if row is None else self._load(row)

    def get(self, complaint_id: str) -> Complaint:
        """The complaint with this id."""
        c.check_text_key("complaint_id", complaint_id)
        found = self._one("id", complaint_id)
        if found is None:
            raise ComplaintNotFound(complaint_id)
        return found

    def get_by_reference(self, reference: str) -> Complaint:
        """The complaint with this reference."""
        c.check_text_key("reference", reference)
        found = self._one("reference", reference)
        if found is None:
            raise ComplaintNotFound(reference, by="reference")
        return found

    def get_complainant(self, complainant_id: str) -> Complainant | None:
        """The complainant record, or ``None``."""
        c.check_text_key("complainant_id", complainant_id)
        with self._read() as conn:
            row = conn.execute(
                "SELECT payload FROM complainants WHERE id = ?", (complainant_id,)
            ).fetchone()
        return None if row is None else q.load_complainant(json.loads(row[0]))

    def query(self, query: ComplaintQuery) -> Page:
        """One page of matching complaints in ``(received_at, id)`` order."""
        c.check_query(query)
        tail, params = q.page_clause(DIALECT, query)
        with self._read() as conn:
            rows = conn.execute(f"{_SELECT_COMPLAINT}{tail}", params).fetchall()
        return c.page_from([self._load(r) for r in rows], query.limit)

    def count(self, query: ComplaintQuery) -> int:
        """How many complaints match (cursor and limit ignored)."""
        c.check_query(query)
        condition, params = q.where(DIALECT, query)
        head = f" WHERE {condition}" if condition else ""
        with self._read() as conn:
            return int(conn.execute(f"SELECT count(*) FROM complaints{head}", params).fetchone()[0])

    # --- analysis aggregates (see iso10002.ports.FactAggregating) --------------------------------

    def _all(self, statement: str, params: Sequence[Any]) -> list[Any]:
        with self._read() as conn:
            return conn.execute(statement, params).fetchall()

    def fact_counts(
        self, filters: FactFilter, by: Sequence[str], *, daily: bool = False
    ) -> list[tuple[date | None, tuple[str | None, ...], int]]:
        """Complaint counts by receipt day and dimensions; see the port."""
        statement, params = q.fact_counts_query(DIALECT, q.FACTS_TABLE, filters, by, daily)
        return q.fact_counts_rows(self._all(statement, params), daily, q.IDENTITY)

    def fact_totals(self, filters: FactFilter) -> FactTotals:
        """Outcome-independent counts and satisfaction scores; see the port."""
        return q.fact_totals_row(
            self._all(*q.fact_totals_query(DIALECT, q.FACTS_TABLE, filters))[0]
        )

    def fact_durations(self, filters: FactFilter) -> tuple[list[int], list[int], list[int]]:
        """Durations from receipt to each milestone; see the port."""
        return q.fact_durations_rows(
            self._all(*q.fact_durations_query(DIALECT, q.FACTS_TABLE, filters))
        )

    def clock_counts(
        self, filters: FactFilter, as_of: datetime
    ) -> dict[str, tuple[int, int, int, int, int]]:
        """SLA clocks per milestone and verdict at *as_of*; see the port."""
        statement, params = q.clock_counts_query(
            DIALECT, q.FACTS_TABLE, q.CLOCKS_TABLE, filters, c.check_aware("as_of", as_of)
        )
        return q.clock_counts_rows(self._all(statement, params), q.IDENTITY)

    def backlog_counts(
        self, filters: FactFilter, at: datetime, limits: Sequence[timedelta]
    ) -> tuple[list[int], datetime | None]:
        """Open complaints per age bucket at *at*, and the earliest receipt; see the port."""
        statement, params = q.backlog_query(
            DIALECT, q.FACTS_TABLE, filters, c.check_aware("at", at), limits
        )
        row = self._all(statement, params)[0]
        return q.backlog_row(row, len(limits)), None if row[1] is None else from_micros(row[1])

    def complainant_counts(self, filters: FactFilter) -> tuple[int, dict[str, int]]:
        """Distinct complainants, and the counts of those with several complaints; see the
        port."""
        counted, repeat = q.complainant_queries(DIALECT, q.FACTS_TABLE, filters)
        with self._read() as conn:
            total = int(conn.execute(*counted).fetchone()[0])
            rows = conn.execute(*repeat).fetchall()
        found = {key: int(n) for key, n in rows}
        return q.complainants(total, found), found

    def last_reference_number(self, prefix: str) -> int | None:
        """The greatest number after *prefix* in a stored reference; see the port."""
        statement, params = q.last_number_query(
            DIALECT, "complaints", c.check_reference_prefix(prefix)
        )
        with self._read() as conn:
            row = conn.execute(statement, params).fetchone()
        return None if row is None else int(row[0])

    def events(self, complaint_id: str) -> list[ev.Event]:
        """The complaint's events in order."""
        c.check_text_key("complaint_id", complaint_id)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT payload FROM events WHERE complaint_id = ? ORDER BY sequence",
                (complaint_id,),
            ).fetchall()
        if not rows:
            raise ComplaintNotFound(complaint_id)
        return [q.load_event(json.loads(r[0])) for r in rows]

    def events_since(self, position: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of the global log after *position*, in order."""
        c.check_events_since(position, limit)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT position, payload FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (position, limit),
            ).fetchall()
        return [StoredEvent(int(r[0]), q.load_event(json.loads(r[1]))) for r in rows]

    # --- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection; later calls raise :class:`~iso10002.errors.StorageError`."""
        self._db.close()

    def __enter__(self) -> SqliteRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteRepository({self._path!r})"


class SqliteDeliveryLog(SqlDeliveryLog):
    """The delivery log of a :class:`SqliteRepository`, reached as its ``deliveries``."""

    def claim(self, *, worker: str, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Lease up to *limit* due deliveries to *worker* (SQLite has one writer at a time)."""
        c.check_name("worker", worker)
        at = micros(c.check_aware("now", now))
        c.check_positive_int("limit", limit)
        until = at + c.check_lease(lease) // MICROSECOND
        with self._write() as conn:
            keys = [
                r[0]
                for r in conn.execute(
                    "SELECT key, available_at FROM deliveries "
                    "WHERE status = 'pending' AND available_at <= ? "
                    "UNION ALL SELECT key, available_at FROM deliveries "
                    "WHERE status = 'claimed' AND lease_until <= ? "
                    "ORDER BY available_at, key LIMIT ?",
                    (at, at, limit),
                ).fetchall()
            ]
            conn.executemany(
                "UPDATE deliveries SET status = 'claimed', claimed_by = ?, lease_until = ?, "
                "attempts = attempts + 1 WHERE key = ?",
                [(worker, until, key) for key in keys],
            )
            rows = [conn.execute(f"{self._select} WHERE key = ?", (k,)).fetchone() for k in keys]
        return [self.delivery(r) for r in rows]
