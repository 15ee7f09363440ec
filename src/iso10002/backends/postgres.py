"""The PostgreSQL backend, on psycopg 3 (``pip install iso10002[postgres]``).

For applications that outgrow one machine: many processes on many hosts share one database. All
tables live in one PostgreSQL schema (``iso10002`` unless told otherwise), created and migrated on
open under an advisory lock. Complaints, events and complainants are JSONB documents beside indexed
columns. Every write that appends events takes the row lock of a one-row counter, so the global
event positions are gap-free and follow commit order; it takes it after writing the complaint
rows, so that no two writers wait for each other in opposite orders. SLA sweepers share the due
complaints (:meth:`PostgresRepository.sweep_due`) and deliveries are claimed, both with
``FOR UPDATE SKIP LOCKED``, so any number of sweepers and dispatchers can work at once without
sharing a row.

PostgreSQL text cannot hold NUL characters; they are stored escaped (see
:data:`iso10002.backends._sql.ESCAPE`) and come back exactly.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

from iso10002 import events as ev
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    DuplicateError,
    StorageError,
    ValidationError,
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

try:
    import psycopg
    from psycopg.types.string import TextLoader
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without psycopg
    raise StorageError(
        "the PostgreSQL backend needs psycopg 3: pip install iso10002[postgres]"
    ) from exc

__all__ = ["SCHEMA_VERSION", "PostgresDeliveryLog", "PostgresRepository"]

DIALECT = q.Dialect(
    placeholder="%s",
    time=c.utc,
    text=q.escape_text,
    true="true",
    false="false",
    json=q.escaped_json,
    read_time=c.utc,
    read_text=q.unescape_text,
)

_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


_Step = str | Callable[["PostgresRepository", psycopg.Connection[Any]], None]
"""A migration step: a statement, or a method run on the migrating connection."""


def _migrations(s: str) -> tuple[tuple[int, tuple[_Step, ...]], ...]:
    """The migrations, for schema *s* (already quoted)."""
    return (
        (
            1,
            (
                f"""CREATE TABLE {s}.complaints (
                    id text COLLATE "C" PRIMARY KEY,
                    reference text COLLATE "C" NOT NULL UNIQUE,
                    version integer NOT NULL,
                    state text COLLATE "C" NOT NULL,
                    category text COLLATE "C",
                    channel text COLLATE "C" NOT NULL,
                    assignee text COLLATE "C",
                    priority text COLLATE "C",
                    complainant_id text COLLATE "C" NOT NULL,
                    received_at timestamptz NOT NULL,
                    next_sla_at timestamptz,
                    breached boolean NOT NULL,
                    payload jsonb
                )""",
                f"CREATE INDEX complaints_received ON {s}.complaints (received_at, id)",
                f"CREATE INDEX complaints_state ON {s}.complaints (state, received_at, id)",
                f"CREATE INDEX complaints_category ON {s}.complaints (category, received_at, id) "
                "WHERE category IS NOT NULL",
                f"CREATE INDEX complaints_channel ON {s}.complaints (channel, received_at, id)",
                f"CREATE INDEX complaints_assignee ON {s}.complaints (assignee, received_at, id) "
                "WHERE assignee IS NOT NULL",
                f"CREATE INDEX complaints_priority ON {s}.complaints (priority, received_at, id) "
                "WHERE priority IS NOT NULL",
                f"CREATE INDEX complaints_complainant ON {s}.complaints "
                "(complainant_id, received_at, id)",
                f"CREATE INDEX complaints_breached ON {s}.complaints (received_at, id) "
                "WHERE breached",
                f"CREATE INDEX complaints_next_sla ON {s}.complaints (next_sla_at) "
                "WHERE next_sla_at IS NOT NULL",
                f"CREATE INDEX complaints_open ON {s}.complaints (received_at, id) "
                "INCLUDE (next_sla_at) WHERE next_sla_at IS NOT NULL",
                f"""CREATE TABLE {s}.events (
                    position bigint PRIMARY KEY,
                    complaint_id text COLLATE "C" NOT NULL,
                    sequence integer NOT NULL,
                    type text COLLATE "C" NOT NULL,
                    occurred_at timestamptz NOT NULL,
                    payload jsonb NOT NULL,
                    UNIQUE (complaint_id, sequence)
                )""",
                f"""CREATE TABLE {s}.event_counter (
                    id boolean PRIMARY KEY DEFAULT true CHECK (id),
                    last bigint NOT NULL
                )""",
                f"INSERT INTO {s}.event_counter (id, last) VALUES (true, 0)",
                f"""CREATE TABLE {s}.complainants (
                    id text COLLATE "C" PRIMARY KEY,
                    payload jsonb NOT NULL
                )""",
                f"""CREATE TABLE {s}.deliveries (
                    key text COLLATE "C" PRIMARY KEY,
                    payload text NOT NULL,
                    attempts integer NOT NULL,
                    status text COLLATE "C" NOT NULL,
                    last_error text,
                    available_at timestamptz NOT NULL,
                    claimed_by text COLLATE "C",
                    lease_until timestamptz,
                    delivered_at timestamptz
                )""",
                f"CREATE INDEX deliveries_pending ON {s}.deliveries (available_at, key) "
                "WHERE status = 'pending'",
                f"CREATE INDEX deliveries_claimed ON {s}.deliveries (lease_until) "
                "WHERE status = 'claimed'",
                f"CREATE INDEX deliveries_dead ON {s}.deliveries (key) WHERE status = 'dead'",
                f"""CREATE TABLE {s}.consumers (
                    name text COLLATE "C" PRIMARY KEY,
                    position bigint NOT NULL
                )""",
            ),
        ),
        (
            2,
            (
                f"""CREATE TABLE {s}.{q.EXTERNAL_TABLE} (
                    source text COLLATE "C" NOT NULL,
                    external_id text COLLATE "C" NOT NULL,
                    complaint_id text COLLATE "C" NOT NULL,
                    CONSTRAINT external_references_pkey PRIMARY KEY (source, external_id)
                )""",
                f"CREATE INDEX external_references_complaint ON {s}.{q.EXTERNAL_TABLE} "
                "(complaint_id)",
            ),
        ),
        (
            3,
            (
                f"""CREATE TABLE {s}.{q.FACTS_TABLE} (
                    received_at timestamptz NOT NULL,
                    id text COLLATE "C" PRIMARY KEY,
                    received_day integer NOT NULL,
                    state text COLLATE "C" NOT NULL,
                    category text COLLATE "C",
                    channel text COLLATE "C" NOT NULL,
                    priority text COLLATE "C",
                    product text COLLATE "C",
                    team text COLLATE "C",
                    segment text COLLATE "C",
                    complainant_id text COLLATE "C" NOT NULL,
                    outcome text COLLATE "C",
                    to_acknowledgement bigint,
                    to_decision bigint,
                    to_closure bigint,
                    closure_at timestamptz,
                    ever_closed smallint NOT NULL,
                    withdrawn smallint NOT NULL,
                    reopened integer NOT NULL,
                    internal_review smallint NOT NULL,
                    external_dispute smallint NOT NULL,
                    score smallint
                )""",
                f"CREATE INDEX {q.FACTS_TABLE}_received ON {s}.{q.FACTS_TABLE} (received_at)",
                f"""CREATE TABLE {s}.{q.CLOCKS_TABLE} (
                    received_at timestamptz NOT NULL,
                    complaint_id text COLLATE "C" NOT NULL,
                    position integer NOT NULL,
                    milestone text COLLATE "C" NOT NULL,
                    started_at timestamptz NOT NULL,
                    due_at timestamptz,
                    stopped_at timestamptz,
                    paused_since timestamptz,
                    PRIMARY KEY (complaint_id, position)
                )""",
                f"CREATE INDEX {q.CLOCKS_TABLE}_received ON {s}.{q.CLOCKS_TABLE} (received_at)",
                lambda repository, conn: repository._backfill_facts(conn),
            ),
        ),
    )


SCHEMA_VERSION = _migrations('"x"')[-1][0]
"""The schema version this release creates and reads."""

_DUPLICATES = {
    "complaints_pkey": "id",
    "complaints_reference_key": "reference",
    "events_complaint_id_sequence_key": "id",
    "external_references_pkey": "external reference",
}


def _reason(exc: psycopg.Error) -> str:
    """Why the server or libpq refused: the server's message, or (for a connection that could
    not be made, which has none) what libpq said, e.g. ``Connection refused``."""
    primary = exc.diag.message_primary
    if primary:
        return primary
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return "no reason given"
    reason = lines[0].rsplit(" failed: ", 1)[-1]
    return reason[:300]


@contextmanager
def _translated() -> Iterator[None]:
    """Turn driver errors into the library's errors (never quoting stored values)."""
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        column = _DUPLICATES.get(exc.diag.constraint_name or "")
        if column is None:  # pragma: no cover - no other unique constraint is written blindly
            raise StorageError("PostgreSQL refused a duplicate key") from exc
        raise DuplicateError(f"a complaint with this {column} is already stored") from None
    except psycopg.Error as exc:
        state = exc.sqlstate or "no SQLSTATE"
        raise StorageError(
            f"PostgreSQL failed ({type(exc).__name__}, {state}): {_reason(exc)}"
        ) from exc
    except UnicodeEncodeError as exc:
        c.scrub(exc)  # it stays reachable as the new error's __context__
        raise ValidationError(
            [("", "text must be valid Unicode (no lone surrogates) to be stored")]
        ) from None


class _Pool:
    """Connections kept for reuse; a thread takes one per operation."""

    def __init__(self, conninfo: str, *, max_idle: int) -> None:
        self._conninfo = conninfo
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self.closed = False

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._conninfo, autocommit=True)
        conn.adapters.register_loader("jsonb", TextLoader)
        # JIT compilation costs milliseconds and never pays off for these short statements;
        # with stale statistics after a bulk load it would kick in on every page query.
        conn.execute("SET jit = off")
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            if self.closed:
                raise StorageError("the repository is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            healthy = (
                not conn.closed
                and not conn.broken
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            )
            with self._lock:
                keep = healthy and not self.closed and len(self._idle) < self._max_idle
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_complaint_row = functools.partial(q.stored_row, DIALECT)

_CHUNK = (
    8
    if getattr(psycopg, "capabilities", None) is not None
    and psycopg.capabilities.has_stream_chunked()
    else 1
)
"""Rows per chunk when a page is streamed: chunks need libpq 17 or later, else row by row."""


def _stream(cur: psycopg.Cursor[Any], sql: str, params: Sequence[Any]) -> Iterator[Any]:
    if _CHUNK > 1:
        return cur.stream(sql, params, size=_CHUNK)
    return cur.stream(sql, params)  # psycopg before 3.2 knows no size


def _decode(complaint: Any, receipt: Any) -> Complaint:
    if complaint is not None:
        return q.load_complaint(q.unescaped_doc(complaint))
    return ev.apply(None, q.load_event(q.unescaped_doc(receipt)))


class PostgresRepository:
    """A repository in PostgreSQL schema *schema*, reached with libpq *conninfo*.

    *conninfo* is a ``postgresql://`` URL or a ``key=value`` string. The schema and its tables
    are created on open if missing, and migrated if older. At most *max_idle* connections are
    kept open between calls; the last *cache_size* complaints read are kept decoded (see
    :class:`~iso10002.backends._sql.DecodedCache`).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "iso10002",
        max_idle: int = 8,
        cache_size: int = 2048,
    ) -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise ValidationError(
                [
                    (
                        "schema",
                        "expected 1 to 63 letters, digits or underscores, not starting "
                        "with a digit",
                    )
                ],
                what="PostgreSQL options",
            )
        self._cache = q.DecodedCache(cache_size)
        self._schema = schema
        s = f'"{schema}"'
        self._s = s
        self._pool = _Pool(conninfo, max_idle=max_idle)
        self._deliveries = PostgresDeliveryLog(DIALECT, self._read, self._write, prefix=f"{s}.")
        self._complaint_insert = (
            f"INSERT INTO {s}.complaints ({', '.join(q.COMPLAINT_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * (len(q.COMPLAINT_COLUMNS) - 1))}, %s::jsonb)"
        )
        self._complaint_copy = f"COPY {s}.complaints ({', '.join(q.COMPLAINT_COLUMNS)}) FROM STDIN"
        self._event_insert = (
            f"INSERT INTO {s}.events ({', '.join(q.EVENT_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * (len(q.EVENT_COLUMNS) - 1))}, %s::jsonb)"
        )
        self._event_copy = f"COPY {s}.events ({', '.join(q.EVENT_COLUMNS)}) FROM STDIN"
        self._complainant_upsert = (
            f"INSERT INTO {s}.complainants (id, payload) "
            "SELECT * FROM unnest(%b::text[], %b::text[]::jsonb[]) "
            "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload"
        )
        self._complaint_update = (
            f"UPDATE {s}.complaints SET version = %s, state = %s, category = %s, channel = %s, "
            "assignee = %s, priority = %s, complainant_id = %s, received_at = %s, "
            "next_sla_at = %s, breached = %s, payload = %s::jsonb WHERE id = %s AND version = %s"
        )
        columns = ", ".join(f"{name} = v.{name}" for name in q.COMPLAINT_COLUMNS[2:])
        self._complaint_update_many = (
            f"UPDATE {s}.complaints AS c SET {columns} FROM unnest("
            "%b::text[], %b::integer[], %b::integer[], %b::text[], %b::text[], %b::text[], "
            "%b::text[], %b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[], "
            "%b::boolean[], %b::text[]::jsonb[]) AS v(id, expected, "
            f"{', '.join(q.COMPLAINT_COLUMNS[2:])}) "
            "WHERE c.id = v.id AND c.version = v.expected RETURNING c.id"
        )
        document = (
            "SELECT c.id, c.version, c.payload, CASE WHEN c.payload IS NULL THEN "
            f"(SELECT e.payload FROM {s}.events AS e WHERE e.complaint_id = c.id "
            "AND e.sequence = 1) END"
        )
        self._select_complaint = f"{document} FROM {s}.complaints AS c"
        self._select_due = (
            f"{document}, c.next_sla_at FROM {s}.complaints AS c WHERE c.next_sla_at < %s"
        )
        self._counter = f"UPDATE {s}.event_counter SET last = last + %s RETURNING last"
        self._facts = f"{s}.{q.FACTS_TABLE}"
        self._clocks = f"{s}.{q.CLOCKS_TABLE}"
        updates = ", ".join(f"{name} = excluded.{name}" for name in q.FACT_COLUMNS[2:])
        self._fact_upsert = (
            f"INSERT INTO {self._facts} ({', '.join(q.FACT_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(q.FACT_COLUMNS))}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        self._fact_copy = f"COPY {self._facts} ({', '.join(q.FACT_COLUMNS)}) FROM STDIN"
        self._clock_insert = (
            f"INSERT INTO {self._clocks} ({', '.join(q.CLOCK_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(q.CLOCK_COLUMNS))})"
        )
        self._clock_copy = f"COPY {self._clocks} ({', '.join(q.CLOCK_COLUMNS)}) FROM STDIN"
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    # --- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        with _translated(), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        with _translated(), self._pool.connection() as conn, conn.transaction():
            yield conn

    def _migrate(self) -> None:
        s = self._s
        with self._write() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"iso10002:{self._schema}",)
            )
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL)"
            )
            row = conn.execute(f"SELECT max(version) FROM {s}.schema_version").fetchone()
            current = int(row[0]) if row is not None and row[0] is not None else 0
            if current > SCHEMA_VERSION:
                raise StorageError(
                    f"schema {self._schema!r} has version {current}; this release reads up to "
                    f"{SCHEMA_VERSION}: upgrade iso10002"
                )
            for version, statements in _migrations(s):
                if version > current:
                    for statement in statements:
                        if isinstance(statement, str):
                            conn.execute(statement)
                        else:
                            statement(self, conn)
                    conn.execute(
                        f"INSERT INTO {s}.schema_version (version) VALUES (%s)", (version,)
                    )

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the tables."""
        return self._schema

    @property
    def deliveries(self) -> PostgresDeliveryLog:
        """The delivery log kept in the same schema."""
        return self._deliveries

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        with self._read() as conn:
            row = conn.execute(f"SELECT max(version) FROM {self._s}.schema_version").fetchone()
        return int(row[0]) if row is not None else 0

    def _backfill_facts(self, conn: psycopg.Connection[Any]) -> None:
        """Write the read-model rows of every stored complaint (the facts tables were added)."""
        after = ""
        while True:
            rows = conn.execute(
                f"{self._select_complaint} WHERE c.id > %s ORDER BY c.id LIMIT 1000", (after,)
            ).fetchall()
            if not rows:
                return
            self._write_facts(conn, [_decode(row[2], row[3]) for row in rows], replace=False)
            after = rows[-1][0]

    def _write_facts(
        self, conn: psycopg.Connection[Any], complaints: Sequence[Complaint], *, replace: bool
    ) -> None:
        """Write the read-model rows of *complaints* (their complaint rows written, so locked,
        already); with *replace*, over their stored ones."""
        if not complaints:
            return
        clocks = [r for x in complaints for r in q.clock_rows(DIALECT, x)]
        with conn.cursor() as cur:
            if replace:
                cur.execute(
                    f"DELETE FROM {self._clocks} WHERE complaint_id = ANY(%s)",
                    ([q.escape_text(x.id) for x in complaints],),
                )
            cur.executemany(self._fact_upsert, [q.fact_row(DIALECT, x) for x in complaints])
            if clocks:
                cur.executemany(self._clock_insert, clocks)

    def _positions(self, conn: psycopg.Connection[Any], count: int) -> int:
        """Reserve *count* positions of the global log; return the first."""
        row = conn.execute(self._counter, (count,)).fetchone()
        if row is None:  # pragma: no cover - the first migration creates the row
            raise StorageError(f"the event counter of schema {self._schema!r} is missing")
        return int(row[0]) - count + 1

    # --- writes ---------------------------------------------------------------------------------

    def add(
        self,
        complaint: Complaint,
        *,
        events: Sequence[ev.Event],
        complainant: Complainant | None = None,
    ) -> None:
        """Store a new complaint with its events and, apart, its complainant."""
        c.validate_new(complaint, events, complainant)
        prepared = self._cache.prepare(DIALECT, complaint, 0, payload_at_receipt=True)
        row = prepared.row
        rows = [q.escaped_json(q.event_doc(e)) for e in events]
        with self._write() as conn:
            conn.execute(self._complaint_insert, row)
            self._write_facts(conn, [complaint], replace=False)
            first = self._positions(conn, len(events))
            with conn.cursor() as cur:
                cur.executemany(
                    self._event_insert,
                    [q.event_row(DIALECT, first + i, e, rows[i]) for i, e in enumerate(events)],
                )
                externals = q.external_rows(DIALECT, (complaint,))
                if externals:
                    cur.executemany(
                        f"INSERT INTO {self._s}.{q.EXTERNAL_TABLE} "
                        "(source, external_id, complaint_id) VALUES (%s, %s, %s)",
                        externals,
                    )
            if complainant is not None:
                conn.execute(
                    self._complainant_upsert,
                    ([complainant.id], [q.escaped_json(q.complainant_doc(complainant))]),
                )
        self._cache.stored(complaint, prepared)

    def add_many(self, items: Iterable[NewComplaint]) -> int:
        """Store many new complaints in one transaction, all or none; return how many.

        Rows are streamed with ``COPY``; complainants go through a temporary staging table so
        that a repeated complainant id keeps its last record.
        """
        batch = c.validate_batch(items)
        if not batch:
            return 0
        with self._write() as conn, conn.cursor() as cur:
            with cur.copy(self._complaint_copy) as copy:
                for item in batch:
                    copy.write_row(_complaint_row(item.complaint))
            with cur.copy(self._fact_copy) as copy:
                for item in batch:
                    copy.write_row(q.fact_row(DIALECT, item.complaint))
            with cur.copy(self._clock_copy) as copy:
                for item in batch:
                    for clock in q.clock_rows(DIALECT, item.complaint):
                        copy.write_row(clock)
            position = self._positions(conn, sum(len(item.events) for item in batch))
            with cur.copy(self._event_copy) as copy:
                for item in batch:
                    for e in item.events:
                        copy.write_row(
                            q.event_row(DIALECT, position, e, q.escaped_json(q.event_doc(e)))
                        )
                        position += 1
            externals = q.external_rows(DIALECT, (item.complaint for item in batch))
            if externals:
                with cur.copy(
                    f"COPY {self._s}.{q.EXTERNAL_TABLE} (source, external_id, complaint_id) "
                    "FROM STDIN"
                ) as copy:
                    for row in externals:
                        copy.write_row(row)
            if any(item.complainant is not None for item in batch):
                cur.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS iso10002_complainants_staging "
                    "(seq bigint, id text, payload jsonb) ON COMMIT DELETE ROWS"
                )
                with cur.copy(
                    "COPY iso10002_complainants_staging (seq, id, payload) FROM STDIN"
                ) as copy:
                    for seq, item in enumerate(batch):
                        if item.complainant is not None:
                            copy.write_row(
                                (
                                    seq,
                                    q.escape_text(item.complainant.id),
                                    q.escaped_json(q.complainant_doc(item.complainant)),
                                )
                            )
                cur.execute(
                    f"INSERT INTO {self._s}.complainants (id, payload) "
                    "SELECT DISTINCT ON (id) id, payload FROM iso10002_complainants_staging "
                    "ORDER BY id, seq DESC "
                    "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload"
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
        with self._write() as conn:
            stored = self._save_in(conn, checked)
        for update, prepared in stored:
            self._cache.stored(update.complaint, prepared)

    def _save_in(
        self, conn: psycopg.Connection[Any], updates: Sequence[Update]
    ) -> list[tuple[Update, q.Prepared]]:
        """Write *updates* (validated) in the open transaction of *conn*; what to remember
        once it commits.

        The complaint rows are locked before the event counter, as every write here does, so
        that no two writers wait for each other in opposite orders; the read-model rows of a
        complaint are written only under its complaint row's lock, between the two.
        """
        prepared = [
            (
                u,
                self._cache.prepare(DIALECT, u.complaint, u.expected_version),
                [q.escaped_json(q.event_doc(e)) for e in u.events],
            )
            for u in updates
        ]
        if not prepared:
            return []
        if len(prepared) == 1:
            update, (row, *_), _docs = prepared[0]
            updated = conn.execute(
                self._complaint_update, (*row[2:], row[0], update.expected_version)
            ).rowcount
            stale = [] if updated == 1 else [update]
        else:
            # One statement for the whole batch: a round trip per complaint would dominate.
            # Arrays go in binary form, which spares escaping every document.
            rows = [p.row for _u, p, _d in prepared]
            params = [[row[0] for row in rows]]
            params.append([u.expected_version for u, _p, _d in prepared])
            for i in range(2, len(q.COMPLAINT_COLUMNS)):
                params.append([row[i] for row in rows])
            done = {r[0] for r in conn.execute(self._complaint_update_many, params)}
            stale = [u for u, p, _d in prepared if p.row[0] not in done]
        if stale:
            found = conn.execute(
                f"SELECT version FROM {self._s}.complaints WHERE id = %s",
                (q.escape_text(stale[0].complaint.id),),
            ).fetchone()
            raise ConcurrencyConflict(
                stale[0].complaint.id,
                stale[0].expected_version,
                None if found is None else int(found[0]),
            )
        self._write_facts(conn, [u.complaint for u in updates], replace=True)
        first = self._positions(conn, sum(len(u.events) for u in updates))
        event_rows: list[Any] = []
        for update, _row, docs in prepared:
            for i, event in enumerate(update.events):
                event_rows.append(q.event_row(DIALECT, first + len(event_rows), event, docs[i]))
        with conn.cursor() as cur:
            cur.executemany(self._event_insert, event_rows)
        return [(u, p) for u, p, _d in prepared]

    def sweep_due(
        self,
        before: datetime,
        *,
        limit: int,
        step: Callable[[Complaint], Update | None],
        after: tuple[datetime, str] | None = None,
    ) -> tuple[int, tuple[datetime, str] | None]:
        """Lock due complaints no other sweeper holds and save what *step* makes of them; see
        :class:`~iso10002.ports.DueSweeping`."""
        before = c.check_aware("before", before)
        limit = c.check_positive_int("limit", limit)
        params: list[Any] = [before]
        keyset = ""
        if after is not None:
            if not isinstance(after, tuple) or len(after) != 2 or not isinstance(after[1], str):
                raise ValidationError([("after", "expected the pair sweep_due returned")])
            params += [c.check_aware("after", after[0]), q.escape_text(after[1])]
            keyset = " AND (c.next_sla_at, c.id) > (%s, %s)"
        params.append(limit)
        sql = (
            f"{self._select_due}{keyset} ORDER BY c.next_sla_at, c.id LIMIT %s "
            "FOR UPDATE OF c SKIP LOCKED"
        )
        with self._write() as conn:
            rows = conn.execute(sql, params).fetchall()
            updates = []
            for row in rows:
                update = step(self._load(row))
                if update is not None:
                    updates.append(update)
            stored = self._save_in(conn, c.validate_updates(updates))
        for update, prepared in stored:
            self._cache.stored(update.complaint, prepared)
        if not rows:
            return 0, None
        return len(rows), (rows[-1][4], q.unescape_text(rows[-1][0]))

    def erase_personal_data(self, complainant_id: str) -> bool:
        """Delete the complainant record and erase the free text of their complaints and
        events, in one transaction; return whether a record existed.

        The complaint rows are locked while their events are rewritten. The old row versions
        stay in the table files as dead tuples until VACUUM reclaims them (see :meth:`vacuum`).
        """
        c.check_text_key("complainant_id", complainant_id)
        s = self._s
        key = q.escape_text(complainant_id)
        with self._write() as conn:
            existed = (
                conn.execute(f"DELETE FROM {s}.complainants WHERE id = %s", (key,)).rowcount > 0
            )
            rows = conn.execute(
                f"SELECT id, payload FROM {s}.complaints WHERE complainant_id = %s "
                "ORDER BY id FOR UPDATE",
                (key,),
            ).fetchall()
            for stored_id, payload in rows:
                if payload is not None:
                    erased = redacted(q.load_complaint(q.unescaped_doc(payload)))
                    conn.execute(
                        f"UPDATE {s}.complaints SET payload = %s::jsonb WHERE id = %s",
                        (q.escaped_json(q.complaint_doc(erased)), stored_id),
                    )
                changed = []
                for position, text in conn.execute(
                    f"SELECT position, payload FROM {s}.events WHERE complaint_id = %s",
                    (stored_id,),
                ).fetchall():
                    event = q.load_event(q.unescaped_doc(text))
                    erased_event = ev.redacted_event(event)
                    if erased_event is not event:
                        changed.append((q.escaped_json(q.event_doc(erased_event)), position))
                if changed:
                    with conn.cursor() as cur:
                        cur.executemany(
                            f"UPDATE {s}.events SET payload = %s::jsonb WHERE position = %s",
                            changed,
                        )
        self._cache.forget([*(row[0] for row in rows), *(q.unescape_text(r[0]) for r in rows)])
        return existed

    def vacuum(self, *, full: bool = False) -> None:
        """Run ``VACUUM`` on the tables erasure rewrites (complainants, complaints, events).

        After :meth:`erase_personal_data` the old row versions are dead tuples in the table
        files until VACUUM removes them; autovacuum does so eventually, this does it now.
        ``full=True`` runs ``VACUUM FULL``, which rewrites the tables into new files (the old
        ones are deleted) but holds an exclusive lock meanwhile. Neither reaches the server's
        write-ahead log, archives or backups.
        """
        if not isinstance(full, bool):
            raise ValidationError([("full", "expected a bool")], what="vacuum")
        s = self._s
        option = "(FULL) " if full else ""
        with self._read() as conn:  # autocommit: VACUUM cannot run inside a transaction
            conn.execute(f"VACUUM {option}{s}.complainants, {s}.complaints, {s}.events")

    # --- reads ----------------------------------------------------------------------------------

    def _load(self, row: Sequence[Any]) -> Complaint:
        return self._cache.load((row[0], row[1]), lambda: _decode(row[2], row[3]))

    def _one(self, column: str, key: str) -> Complaint | None:
        with self._read() as conn:
            row = conn.execute(
                f"{self._select_complaint} WHERE c.{column} = %s", (q.escape_text(key),)
            ).fetchone()
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
                f"SELECT payload FROM {self._s}.complainants WHERE id = %s",
                (q.escape_text(complainant_id),),
            ).fetchone()
        return None if row is None else q.load_complainant(q.unescaped_doc(row[0]))

    def query(self, query: ComplaintQuery) -> Page:
        """One page of matching complaints in ``(received_at, id)`` order."""
        c.check_query(query)
        tail, params = q.page_clause(DIALECT, query, f"{self._s}.")
        with self._read() as conn, conn.cursor() as cur:
            # Streamed: the first rows are decoded while the server still converts the later
            # ones to text, instead of after the whole page has arrived.
            found = [self._load(r) for r in _stream(cur, f"{self._select_complaint}{tail}", params)]
        return c.page_from(found, query.limit)

    def count(self, query: ComplaintQuery) -> int:
        """How many complaints match (cursor and limit ignored)."""
        c.check_query(query)
        condition, params = q.where(DIALECT, query, f"{self._s}.")
        head = f" WHERE {condition}" if condition else ""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT count(*) FROM {self._s}.complaints{head}", params
            ).fetchone()
        return int(row[0]) if row is not None else 0

    # --- analysis aggregates (see iso10002.ports.FactAggregating) --------------------------------

    def _all(self, statement: str, params: Sequence[Any]) -> list[Any]:
        with self._read() as conn:
            return conn.execute(statement, params).fetchall()

    def fact_counts(
        self, filters: FactFilter, by: Sequence[str], *, daily: bool = False
    ) -> list[tuple[date | None, tuple[str | None, ...], int]]:
        """Complaint counts by receipt day and dimensions; see the port."""
        statement, params = q.fact_counts_query(DIALECT, self._facts, filters, by, daily)
        return q.fact_counts_rows(self._all(statement, params), daily, q.unescape_text)

    def fact_totals(self, filters: FactFilter) -> FactTotals:
        """Outcome-independent counts and satisfaction scores; see the port."""
        return q.fact_totals_row(self._all(*q.fact_totals_query(DIALECT, self._facts, filters))[0])

    def fact_durations(self, filters: FactFilter) -> tuple[list[int], list[int], list[int]]:
        """Durations from receipt to each milestone; see the port."""
        return q.fact_durations_rows(
            self._all(*q.fact_durations_query(DIALECT, self._facts, filters))
        )

    def clock_counts(
        self, filters: FactFilter, as_of: datetime
    ) -> dict[str, tuple[int, int, int, int, int]]:
        """SLA clocks per milestone and verdict at *as_of*; see the port."""
        statement, params = q.clock_counts_query(
            DIALECT, self._facts, self._clocks, filters, c.check_aware("as_of", as_of)
        )
        return q.clock_counts_rows(self._all(statement, params), q.unescape_text)

    def backlog_counts(
        self, filters: FactFilter, at: datetime, limits: Sequence[timedelta]
    ) -> tuple[list[int], datetime | None]:
        """Open complaints per age bucket at *at*, and the earliest receipt; see the port."""
        statement, params = q.backlog_query(
            DIALECT, self._facts, filters, c.check_aware("at", at), limits
        )
        row = self._all(statement, params)[0]
        return q.backlog_row(row, len(limits)), None if row[1] is None else c.utc(row[1])

    def complainant_counts(self, filters: FactFilter) -> tuple[int, dict[str, int]]:
        """Distinct complainants, and the counts of those with several complaints; see the
        port."""
        counted, repeat = q.complainant_queries(DIALECT, self._facts, filters)
        with self._read() as conn:
            row = conn.execute(*counted).fetchone()
            rows = conn.execute(*repeat).fetchall()
        found = {q.unescape_text(key): int(n) for key, n in rows}
        return q.complainants(0 if row is None else int(row[0]), found), found

    def last_reference_number(self, prefix: str) -> int | None:
        """The greatest number after *prefix* in a stored reference; see the port."""
        statement, params = q.last_number_query(
            DIALECT, f"{self._s}.complaints", c.check_reference_prefix(prefix)
        )
        with self._read() as conn:
            row = conn.execute(statement, params).fetchone()
        return None if row is None else int(row[0])

    def events(self, complaint_id: str) -> list[ev.Event]:
        """The complaint's events in order."""
        c.check_text_key("complaint_id", complaint_id)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT payload FROM {self._s}.events WHERE complaint_id = %s ORDER BY sequence",
                (q.escape_text(complaint_id),),
            ).fetchall()
        if not rows:
            raise ComplaintNotFound(complaint_id)
        return [q.load_event(q.unescaped_doc(r[0])) for r in rows]

    def events_since(self, position: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of the global log after *position*, in order."""
        c.check_events_since(position, limit)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT position, payload FROM {self._s}.events WHERE position > %s "
                "ORDER BY position LIMIT %s",
                (position, limit),
            ).fetchall()
        return [StoredEvent(int(r[0]), q.load_event(q.unescaped_doc(r[1]))) for r in rows]

    # --- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection; later calls raise :class:`~iso10002.errors.StorageError`."""
        self._pool.close()

    def __enter__(self) -> PostgresRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresRepository(schema={self._schema!r})"


class PostgresDeliveryLog(SqlDeliveryLog):
    """The delivery log of a :class:`PostgresRepository`, reached as its ``deliveries``."""

    def claim(self, *, worker: str, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Lease up to *limit* due deliveries to *worker* (``FOR UPDATE SKIP LOCKED``)."""
        c.check_name("worker", worker)
        at = c.check_aware("now", now)
        c.check_positive_int("limit", limit)
        until = at + c.check_lease(lease)
        columns = ", ".join(f"d.{name}" for name in q.DELIVERY_COLUMNS)
        table = self._deliveries
        with self._write() as conn:
            rows = conn.execute(
                f"UPDATE {table} AS d SET status = 'claimed', claimed_by = %s, "
                "lease_until = %s, attempts = d.attempts + 1 "
                f"FROM (SELECT key FROM {table} "
                "WHERE (status = 'pending' AND available_at <= %s) "
                "OR (status = 'claimed' AND lease_until <= %s) "
                "ORDER BY available_at, key LIMIT %s FOR UPDATE SKIP LOCKED) AS due "
                f"WHERE d.key = due.key RETURNING {columns}",
                (worker, until, at, at, limit),
            ).fetchall()
        claimed = [self.delivery(r) for r in rows]
        claimed.sort(key=lambda d: (d.available_at, d.key))
        return claimed
