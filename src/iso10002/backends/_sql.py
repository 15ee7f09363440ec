"""What the SQL backends share: denormalised columns, the query's WHERE clause, the analysis
read model and its aggregates, JSON escaping."""

from __future__ import annotations

import enum
import itertools
import json
import operator
import re
import threading
import types
import typing
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import Any

import attrs
import cattrs
from cattrs.fns import identity

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002 import model
from iso10002._codegen import generate
from iso10002._time import MICROSECOND
from iso10002.errors import ValidationError
from iso10002.model import Complainant, Complaint, EscalationKind
from iso10002.ports import FACT_DIMENSIONS, ComplaintQuery, FactFilter, FactTotals
from iso10002.serialization import SCHEMA_VERSION, dump, load, make_converter

from . import _common as c

COMPLAINT_COLUMNS = (
    "id",
    "reference",
    "version",
    "state",
    "category",
    "channel",
    "assignee",
    "priority",
    "complainant_id",
    "received_at",
    "next_sla_at",
    "breached",
    "payload",
)
"""The columns of the complaints table, in :func:`complaint_row` order."""

EVENT_COLUMNS = ("position", "complaint_id", "sequence", "type", "occurred_at", "payload")
"""The columns of the events table, in :func:`event_row` order."""

EXTERNAL_TABLE = "external_references"
"""The table of external references: ``(source, external_id)`` unique, to ``complaint_id``."""


def external_rows(dialect: Dialect, complaints: Iterable[Complaint]) -> list[tuple[str, str, str]]:
    """The external-references rows ``(source, external_id, complaint_id)`` of *complaints*."""
    text = dialect.text
    return [
        (text(ref.source), text(ref.id), text(complaint.id))
        for complaint in complaints
        if (ref := complaint.details.external_reference) is not None
    ]


DELIVERY_COLUMNS = (
    "key",
    "payload",
    "attempts",
    "status",
    "last_error",
    "available_at",
    "claimed_by",
    "lease_until",
    "delivered_at",
)
"""The columns of the deliveries table."""


@attrs.frozen
class Dialect:
    """How one SQL backend writes parameters, instants and text."""

    placeholder: str
    """``?`` (sqlite3) or ``%s`` (psycopg)."""
    time: Callable[[datetime], Any]
    """An instant as stored: microseconds (SQLite) or the datetime itself (PostgreSQL)."""
    text: Callable[[str], str]
    """Text as stored in a column (PostgreSQL escapes NUL characters)."""
    true: str
    """The SQL literal for true (a literal lets a partial index on ``breached`` serve)."""
    false: str
    """The SQL literal for false."""
    json: Callable[[Any], str]
    """A JSON document as stored (PostgreSQL escapes NUL characters)."""
    read_time: Callable[[Any], datetime]
    """An instant as read back, in UTC (the inverse of :attr:`time`)."""
    read_text: Callable[[str], str]
    """Text as read back (the inverse of :attr:`text`)."""


def _identity(value: str) -> str:
    return value


def complaint_row(dialect: Dialect, complaint: Complaint, payload: str | None) -> tuple[Any, ...]:
    """The complaints-table row of *complaint*, with its JSON *payload*."""
    text = dialect.text
    time = dialect.time
    clocks = complaint.clocks
    next_sla = complaint.next_sla_at if clocks else None
    assessment = complaint.assessment
    category = complaint.classification.category
    assignee = complaint.assignee
    return (
        text(complaint.id),
        text(complaint.reference),
        complaint.version,
        text(complaint.state),
        None if category is None else text(category),
        complaint.details.channel.value,
        None if assignee is None else text(assignee),
        None if assessment is None else assessment.priority.value,
        text(complaint.details.complainant_id),
        time(complaint.details.received_at),
        None if next_sla is None else time(next_sla),
        complaint.breached if clocks else False,
        payload,
    )


def stored_row(dialect: Dialect, complaint: Complaint) -> tuple[Any, ...]:
    """The row of *complaint* as stored; at version 1 the payload is left out (it is the
    receipt's fold)."""
    if complaint.version == 1:
        return complaint_row(dialect, complaint, None)
    return complaint_row(dialect, complaint, dialect.json(complaint_doc(complaint)))


# --- the analysis read model ----------------------------------------------------------------------

FACTS_TABLE = "complaint_facts"
"""One row per complaint: what the clause 8 aggregates read (:func:`fact_row`)."""
CLOCKS_TABLE = "complaint_clocks"
"""One row per SLA clock of a complaint (:func:`clock_rows`), replaced on every save."""

FACT_COLUMNS = (
    "received_at",
    "id",
    "received_day",
    "state",
    "category",
    "channel",
    "priority",
    "product",
    "team",
    "segment",
    "complainant_id",
    "outcome",
    "to_acknowledgement",
    "to_decision",
    "to_closure",
    "closure_at",
    "ever_closed",
    "withdrawn",
    "reopened",
    "internal_review",
    "external_dispute",
    "score",
)
"""The columns of the facts table, in :func:`fact_row` order."""

CLOCK_COLUMNS = (
    "received_at",
    "complaint_id",
    "position",
    "milestone",
    "started_at",
    "due_at",
    "stopped_at",
    "paused_since",
)
"""The columns of the clocks table, in :func:`clock_rows` order."""


def _optional_text(dialect: Dialect, value: str | None) -> str | None:
    return None if value is None else dialect.text(value)


def fact_row(dialect: Dialect, complaint: Complaint) -> tuple[Any, ...]:
    """The facts-table row of *complaint*: its filter and dimension values (as
    :func:`~iso10002.analysis.dimension_values` gives them), the durations from receipt to the
    milestones (microseconds), its latest closure instant, outcome flags and satisfaction."""
    text = dialect.text
    time = dialect.time
    details = complaint.details
    received = details.received_at
    decision = complaint.decision
    priority = complaint.priority
    closure = complaint.closure
    closed = None if closure is None or closure.withdrawn else closure.at
    acknowledged = complaint.acknowledged_at
    decided = complaint.decisions[0].decided_at if complaint.decisions else None
    kinds = {e.kind for e in complaint.escalations}
    satisfaction = complaint.satisfaction
    return (
        time(received),
        text(complaint.id),
        v.to_utc(received).date().toordinal(),
        text(complaint.state),
        _optional_text(dialect, complaint.classification.category),
        details.channel.value,
        None if priority is None else priority.value,
        _optional_text(dialect, details.product),
        _optional_text(dialect, complaint.team),
        _optional_text(dialect, details.segment),
        text(details.complainant_id),
        None if decision is None else decision.outcome.value,
        None if acknowledged is None else (acknowledged - received) // MICROSECOND,
        None if decided is None else (decided - received) // MICROSECOND,
        None if closed is None else (closed - received) // MICROSECOND,
        None if closure is None else time(closure.at),
        int(complaint.reopened > 0 or closed is not None),
        int(closure is not None and closure.withdrawn),
        complaint.reopened,
        int(EscalationKind.INTERNAL_REVIEW in kinds),
        int(EscalationKind.EXTERNAL_DISPUTE in kinds),
        None if satisfaction is None else satisfaction.score,
    )


def clock_rows(dialect: Dialect, complaint: Complaint) -> list[tuple[Any, ...]]:
    """The clocks-table rows of *complaint*, one per SLA clock."""
    time = dialect.time
    received = time(complaint.details.received_at)
    key = dialect.text(complaint.id)
    return [
        (
            received,
            key,
            i,
            dialect.text(k.milestone),
            time(k.started_at),
            None if k.due_at is None else time(k.due_at),
            None if k.stopped_at is None else time(k.stopped_at),
            None if k.paused_since is None else time(k.paused_since),
        )
        for i, k in enumerate(complaint.clocks)
    ]


def fact_where(dialect: Dialect, filters: FactFilter, alias: str) -> tuple[str, list[Any]]:
    """The condition (``1 = 1`` if none) and parameters selecting *filters* on the facts table
    named *alias*."""
    p = dialect.placeholder
    text = dialect.text
    clauses: list[str] = []
    params: list[Any] = []
    if filters.received_from is not None:
        clauses.append(f"{alias}.received_at >= {p}")
        params.append(dialect.time(filters.received_from))
    if filters.received_until is not None:
        clauses.append(f"{alias}.received_at < {p}")
        params.append(dialect.time(filters.received_until))
    if filters.states is not None:
        if not filters.states:
            clauses.append("1 = 0")
        else:
            clauses.append(f"{alias}.state IN ({', '.join([p] * len(filters.states))})")
            params.extend(text(s) for s in sorted(filters.states))
    if filters.category_prefix is not None:
        low = text(filters.category_prefix)
        clauses.append(f"{alias}.category >= {p}")
        params.append(low)
        high = c.prefix_upper_bound(low)
        if high is not None:
            clauses.append(f"{alias}.category < {p}")
            params.append(high)
    if filters.channel is not None:
        clauses.append(f"{alias}.channel = {p}")
        params.append(filters.channel.value)
    for name in ("product", "team", "segment"):
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"{alias}.{name} = {p}")
            params.append(text(value))
    return " AND ".join(clauses) or "1 = 1", params


def fact_counts_query(
    dialect: Dialect, table: str, filters: FactFilter, by: Sequence[str], daily: bool
) -> tuple[str, list[Any]]:
    """The query of :meth:`~iso10002.ports.FactAggregating.fact_counts`: rows of the receipt
    day (with *daily*), the *by* values, then the count."""
    for name in by:
        if name not in FACT_DIMENSIONS:
            raise ValidationError([("by", f"not a fact dimension: {name!r}")])
    columns = [*(["f.received_day"] if daily else []), *(f"f.{name}" for name in by)]
    condition, params = fact_where(dialect, filters, "f")
    head = ", ".join([*columns, "count(*)"])
    group = f" GROUP BY {', '.join(columns)}" if columns else ""
    return f"SELECT {head} FROM {table} AS f WHERE {condition}{group}", params


def fact_counts_rows(
    rows: Iterable[Sequence[Any]], daily: bool, unescape: Callable[[str], str]
) -> list[tuple[date | None, tuple[str | None, ...], int]]:
    """The rows of :func:`fact_counts_query` as :meth:`~iso10002.ports.FactAggregating.fact_counts`
    returns them."""
    out: list[tuple[date | None, tuple[str | None, ...], int]] = []
    for row in rows:
        day = date.fromordinal(int(row[0])) if daily else None
        keys = tuple(None if k is None else unescape(k) for k in row[int(daily) : -1])
        out.append((day, keys, int(row[-1])))
    return out


def fact_totals_query(dialect: Dialect, table: str, filters: FactFilter) -> tuple[str, list[Any]]:
    """The query of :meth:`~iso10002.ports.FactAggregating.fact_totals` (one row)."""
    condition, params = fact_where(dialect, filters, "f")
    scores = ", ".join(
        f"sum(CASE WHEN f.ever_closed = 1 AND f.score = {s} THEN 1 ELSE 0 END)" for s in range(1, 6)
    )
    return (
        "SELECT count(*), count(f.outcome), sum(f.ever_closed), "
        "sum(CASE WHEN f.reopened > 0 THEN 1 ELSE 0 END), sum(f.withdrawn), "
        f"sum(f.internal_review), sum(f.external_dispute), {scores} "
        f"FROM {table} AS f WHERE {condition}",
        params,
    )


def fact_totals_row(row: Sequence[Any]) -> FactTotals:
    """The row of :func:`fact_totals_query` as :class:`~iso10002.ports.FactTotals`."""
    n = [int(x or 0) for x in row]
    return FactTotals(
        total=n[0],
        decided=n[1],
        ever_closed=n[2],
        reopened=n[3],
        withdrawn=n[4],
        internal_review=n[5],
        external_dispute=n[6],
        scores=(n[7], n[8], n[9], n[10], n[11]),
    )


def fact_durations_query(
    dialect: Dialect, table: str, filters: FactFilter
) -> tuple[str, list[Any]]:
    """The query of :meth:`~iso10002.ports.FactAggregating.fact_durations`."""
    condition, params = fact_where(dialect, filters, "f")
    return (
        "SELECT f.to_acknowledgement, f.to_decision, f.to_closure "
        f"FROM {table} AS f WHERE {condition} AND (f.to_acknowledgement IS NOT NULL "
        "OR f.to_decision IS NOT NULL OR f.to_closure IS NOT NULL)",
        params,
    )


def fact_durations_rows(rows: Iterable[Sequence[Any]]) -> tuple[list[int], list[int], list[int]]:
    """The rows of :func:`fact_durations_query`, one list per milestone."""
    columns: tuple[list[int], list[int], list[int]] = ([], [], [])
    for row in rows:
        for i in range(3):
            value = row[i]
            if value is not None:
                columns[i].append(int(value))
    return columns


def _only_period(filters: FactFilter) -> bool:
    return attrs.evolve(filters, received_from=None, received_until=None) == FactFilter()


def clock_counts_query(
    dialect: Dialect, facts: str, clocks: str, filters: FactFilter, as_of: datetime
) -> tuple[str, list[Any]]:
    """The query of :meth:`~iso10002.ports.FactAggregating.clock_counts`: rows of milestone,
    kind (0 met on time, 1 met late, 2 open overdue, 3 open within, 4 untargeted) and count."""
    p = dialect.placeholder
    at = dialect.time(as_of)
    kind = (
        "CASE WHEN k.due_at IS NULL THEN 4 "
        f"WHEN k.stopped_at IS NOT NULL AND k.stopped_at <= {p} "
        "THEN (CASE WHEN k.stopped_at <= k.due_at THEN 0 ELSE 1 END) "
        f"WHEN k.paused_since IS NOT NULL AND k.paused_since < {p} "
        "THEN (CASE WHEN k.paused_since > k.due_at THEN 2 ELSE 3 END) "
        f"WHEN {p} > k.due_at THEN 2 ELSE 3 END"
    )
    params: list[Any] = [at, at, at, at]
    period = FactFilter(received_from=filters.received_from, received_until=filters.received_until)
    condition, more = fact_where(dialect, period, "k")
    params.extend(more)
    join = ""
    if not _only_period(filters):
        join = f" JOIN {facts} AS f ON f.received_at = k.received_at AND f.id = k.complaint_id"
        rest, more = fact_where(dialect, filters, "f")
        condition = f"{condition} AND {rest}"
        params.extend(more)
    return (
        f"SELECT k.milestone, {kind}, count(*) FROM {clocks} AS k{join} "
        f"WHERE k.started_at <= {p} AND {condition} GROUP BY 1, 2",
        params,
    )


def clock_counts_rows(
    rows: Iterable[Sequence[Any]], unescape: Callable[[str], str]
) -> dict[str, tuple[int, int, int, int, int]]:
    """The rows of :func:`clock_counts_query` per milestone."""
    counts: dict[str, list[int]] = {}
    for milestone, kind, n in rows:
        counts.setdefault(unescape(milestone), [0, 0, 0, 0, 0])[int(kind)] += int(n)
    return {m: (k[0], k[1], k[2], k[3], k[4]) for m, k in counts.items()}


def backlog_query(
    dialect: Dialect, table: str, filters: FactFilter, at: datetime, limits: Sequence[timedelta]
) -> tuple[str, list[Any]]:
    """The query of :meth:`~iso10002.ports.FactAggregating.backlog_counts`: one row of the open
    count, the earliest receipt, then per limit how many are at least that old."""
    p = dialect.placeholder
    when = dialect.time(at)
    older: list[str] = []
    params: list[Any] = []
    for limit in limits:
        try:
            edge = at - limit
        except OverflowError:  # before year 1: no receipt is that old
            older.append("0")
            continue
        older.append(f"sum(CASE WHEN f.received_at <= {p} THEN 1 ELSE 0 END)")
        params.append(dialect.time(edge))
    condition, more = fact_where(dialect, filters, "f")
    params.extend([*more, when, when])
    return (
        f"SELECT count(*), min(f.received_at){''.join(', ' + o for o in older)} "
        f"FROM {table} AS f WHERE {condition} AND f.received_at <= {p} "
        f"AND (f.closure_at IS NULL OR f.closure_at > {p})",
        params,
    )


def backlog_row(row: Sequence[Any], limits: int) -> list[int]:
    """The per-bucket counts from the row of :func:`backlog_query`."""
    open_ = int(row[0])
    older = [int(x or 0) for x in row[2 : 2 + limits]]
    edges = [open_, *older, 0]
    return [edges[i] - edges[i + 1] for i in range(limits + 1)]


def complainants(total: int, repeat: Mapping[str, int]) -> int:
    """The distinct complainants of *total* complaints, *repeat* giving the count of every
    complainant with more than one (each other complainant has exactly one)."""
    return total - sum(n - 1 for n in repeat.values())


def complainant_queries(
    dialect: Dialect, table: str, filters: FactFilter
) -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
    """The two queries of :meth:`~iso10002.ports.FactAggregating.complainant_counts`: the
    number of complaints, and each complainant with more than one complaint with its count
    (the distinct complainants are the complaints less the repeats, :func:`complainants`)."""
    condition, params = fact_where(dialect, filters, "f")
    return (
        (f"SELECT count(*) FROM {table} AS f WHERE {condition}", params),
        (
            f"SELECT f.complainant_id, count(*) FROM {table} AS f WHERE {condition} "
            "GROUP BY f.complainant_id HAVING count(*) > 1",
            list(params),
        ),
    )


def event_row(
    dialect: Dialect, position: int | None, event: ev.Event, payload: str
) -> tuple[Any, ...]:
    """The events-table row of *event* at *position* (``None``: the next free one)."""
    return (
        position,
        dialect.text(event.complaint_id),
        event.sequence,
        type(event).__name__,
        dialect.time(event.occurred_at),
        payload,
    )


def where(dialect: Dialect, query: ComplaintQuery, schema: str = "") -> tuple[str, list[Any]]:
    """The WHERE clause (``""`` if none) and its parameters for the filters of *query*;
    *schema* (``'"name".'``, quoted, with its dot) qualifies the tables it reads."""
    p = dialect.placeholder
    text = dialect.text
    clauses: list[str] = []
    params: list[Any] = []
    if query.states is not None:
        if not query.states:
            clauses.append("1 = 0")
        else:
            clauses.append(f"state IN ({', '.join([p] * len(query.states))})")
            params.extend(text(s) for s in sorted(query.states))
    if query.category_prefix is not None:
        low = text(query.category_prefix)
        clauses.append(f"category >= {p}")
        params.append(low)
        high = c.prefix_upper_bound(low)
        if high is not None:
            clauses.append(f"category < {p}")
            params.append(high)
    if query.channel is not None:
        clauses.append(f"channel = {p}")
        params.append(query.channel.value)
    if query.assignee is not None:
        clauses.append(f"assignee = {p}")
        params.append(text(query.assignee))
    if query.priority is not None:
        clauses.append(f"priority = {p}")
        params.append(query.priority.value)
    if query.received_from is not None:
        clauses.append(f"received_at >= {p}")
        params.append(dialect.time(query.received_from))
    if query.received_until is not None:
        clauses.append(f"received_at < {p}")
        params.append(dialect.time(query.received_until))
    if query.next_sla_before is not None:
        clauses.append(f"next_sla_at < {p}")
        params.append(dialect.time(query.next_sla_before))
    if query.breached is not None:
        clauses.append(f"breached = {dialect.true if query.breached else dialect.false}")
    if query.complainant_id is not None:
        clauses.append(f"complainant_id = {p}")
        params.append(text(query.complainant_id))
    if query.source is not None or query.external_id is not None:
        clauses.append(_external_clause(dialect, query, schema, params))
    return " AND ".join(clauses), params


def _external_clause(
    dialect: Dialect, query: ComplaintQuery, schema: str, params: list[Any]
) -> str:
    """The condition on the external reference of *query*; appends its parameters."""
    p = dialect.placeholder
    inner: list[str] = []
    if query.source is not None:
        inner.append(f"x.source = {p}")
        params.append(dialect.text(query.source))
    if query.external_id is not None:
        inner.append(f"x.external_id = {p}")
        params.append(dialect.text(query.external_id))
    table = f"{schema}{EXTERNAL_TABLE}"
    return f"id IN (SELECT x.complaint_id FROM {table} AS x WHERE {' AND '.join(inner)})"


def page_clause(dialect: Dialect, query: ComplaintQuery, schema: str = "") -> tuple[str, list[Any]]:
    """The full WHERE … ORDER BY … LIMIT tail of a page query (fetches ``limit + 1`` rows)."""
    p = dialect.placeholder
    condition, params = where(dialect, query, schema)
    after = query.after
    if after is not None:
        keyset = f"(received_at, id) > ({p}, {p})"
        condition = f"{condition} AND {keyset}" if condition else keyset
        params.extend([dialect.time(after[0]), dialect.text(after[1])])
    head = f" WHERE {condition}" if condition else ""
    params.append(query.limit + 1)
    return f"{head} ORDER BY received_at, id LIMIT {p}", params


def last_number_query(dialect: Dialect, table: str, prefix: str) -> tuple[str, list[Any]]:
    """The query for :meth:`~iso10002.ports.ReferenceNumbering.last_reference_number`.

    It scans the prefix's range of the unique index on ``reference`` and returns the digits of
    the greatest number (longest without leading zeros, then highest), or no row.
    """
    p = dialect.placeholder
    low = dialect.text(prefix)  # escaping keeps prefixes, so the stored range is the same
    clauses, params = [f"reference >= {p}"], [low]
    high = c.prefix_upper_bound(low)
    if high is not None:
        clauses.append(f"reference < {p}")
        params.append(high)
    digits = f"substr(reference, {len(low) + 1})"
    number = f"ltrim({digits}, '0')"
    return (
        f"SELECT {digits} FROM {table} WHERE {' AND '.join(clauses)} "
        f"AND {digits} <> '' AND ltrim({digits}, '0123456789') = '' "
        f"ORDER BY length({number}) DESC, {number} DESC LIMIT 1",
        params,
    )


# --- documents ----------------------------------------------------------------------------------


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _writer() -> cattrs.Converter:
    """The project's converter with cheaper hooks; writes the same documents as ``dump``.

    The default converter sends every ``str`` field through a hook that also turns str-valued
    enums into their values, and every tuple item through a dispatch on its type. Here each
    enum class gets that hook directly, plain ``str`` passes untouched, and the entities and
    events get writers generated from their field types (:func:`_attrs_writer`). The documents
    are equal to ``dump``'s (property tests hold them to it).
    """
    converter = make_converter()
    ours: set[type[Any]] = set()
    for module in (model, ev):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                converter.register_unstructure_hook(value, _enum_value)
            elif isinstance(value, type) and attrs.has(value) and value is not ev.Event:
                ours.add(value)
    converter.register_unstructure_hook(str, identity)
    converter.register_unstructure_hook_factory(
        lambda tp: tp in ours, partial(_attrs_writer, converter)
    )
    return converter


_NONE = type(None)


def _expression(
    converter: cattrs.Converter, tp: Any, src: str, scope: dict[str, Any], fresh: Iterator[int]
) -> str:
    """Python source for the JSON form of *src*, a value of type *tp*: inline for scalars,
    instants, enums, optionals, text sets and tuples of those; otherwise a call of the type's
    hook, put in *scope* under a *fresh* name."""
    if tp in (str, int, float, bool):
        return src
    if tp is datetime:
        return f"{src}.isoformat()"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return f"{src}.value"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and _NONE in args:
        inner = args[0] if args[1] is _NONE else args[1]
        text = _expression(converter, inner, src, scope, fresh)
        return src if text == src else f"(None if {src} is None else {text})"
    if origin is frozenset and args == (str,):
        return f"sorted({src})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and _exact(args[0]):
        item = f"x{next(fresh)}"
        return f"[{_expression(converter, args[0], item, scope, fresh)} for {item} in {src}]"
    if origin is tuple and args and Ellipsis not in args and all(_exact(a) for a in args):
        parts = (_expression(converter, a, f"{src}[{k}]", scope, fresh) for k, a in enumerate(args))
        return f"[{', '.join(parts)}]"
    hook = f"h{next(fresh)}"
    scope[hook] = converter.get_unstructure_hook(tp)  # what cattrs' own code would call
    return f"{hook}({src})"


def _attrs_writer(
    converter: cattrs.Converter, cls: type[Any], *, document: bool = False
) -> Callable[[Any], dict[str, Any]]:
    """A function writing an instance of *cls* as a dict, generated from its field types (as
    cattrs generates its own, with the common field types inlined); events lead with their
    ``"type"``, as :func:`~iso10002.serialization.make_converter` writes them. With *document*,
    the dict is the tagged document :func:`~iso10002.serialization.dump` writes."""
    scope: dict[str, Any] = {}
    fresh = itertools.count()
    lines = ["def write(o):"]
    items = [f"'schema_version': {SCHEMA_VERSION!r}"] if document else []
    if document or issubclass(cls, ev.Event):
        items.append(f"'type': {cls.__name__!r}")
    for i, field in enumerate(attrs.fields(attrs.resolve_types(cls))):
        lines.append(f"    v{i} = o.{field.name}")
        value = _expression(converter, field.type, f"v{i}", scope, fresh)
        items.append(f"{field.name!r}: {value}")
    lines.append(f"    return {{{', '.join(items)}}}")
    write: Callable[[Any], dict[str, Any]] = generate("write", lines, scope, what=cls.__name__)
    return write


def _is_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


def _exact(tp: Any) -> bool:
    """Whether the hook for *tp* serves every value a field of type *tp* holds (no subclass
    or union needs a hook of its own)."""
    if tp in (str, int, float, bool, datetime) or _is_tuple(tp):
        return True
    if not isinstance(tp, type):
        return False
    return issubclass(tp, enum.Enum) or (attrs.has(tp) and not tp.__subclasses__())


_WRITER = _writer()
_COMPLAINT_FIELDS = tuple(
    (f.name, f.type, f',"{f.name}":') for f in attrs.fields(attrs.resolve_types(Complaint))
)
_FIELD_VALUES = operator.attrgetter(*(name for name, _, _ in _COMPLAINT_FIELDS))
_FIELD_INDICES = range(len(_COMPLAINT_FIELDS))
_COMPLAINT_HEAD = '{"schema_version":%d,"type":"Complaint"' % SCHEMA_VERSION  # noqa: UP031

Document = dict[str, Any]
"""A JSON-safe document as :func:`~iso10002.serialization.dump` writes it."""


@attrs.frozen
class Texts:
    """The pieces of a complaint's JSON text, kept to build the next version's text from."""

    parts: list[str]
    """The text is ``"".join(parts)``: the head, then each field's key and value text (field
    *i* at index ``2 * i + 2``), then ``"}"``."""
    items: dict[int, tuple[str, ...]]
    """The texts of the items of each tuple field, by field index."""


_CONSTANTS: dict[object, str] = {None: "null", True: "true", False: "false"}


def complaint_doc(complaint: Complaint) -> Document:
    """The JSON document of *complaint* (what :func:`~iso10002.serialization.dump` gives)."""
    return dump(complaint, _WRITER)


def complaint_json(
    complaint: Complaint,
    encode: Callable[[Any], str],
    previous: tuple[Complaint, Texts] | None = None,
) -> tuple[str, Texts]:
    """The JSON text of *complaint* (``encode(dump(complaint))``), and its pieces.

    *encode* writes a document as compact JSON, keys in order. *previous* is an earlier version
    of the complaint with its pieces: a field value the two versions share (the same object, or
    the same items of a tuple) keeps its text instead of being converted and encoded again.
    Values are immutable, so the result is the same.
    """
    unstructure = _WRITER.unstructure
    values = _FIELD_VALUES(complaint)
    if previous is None:
        old_values: tuple[Any, ...] = ()
        parts = [_COMPLAINT_HEAD]
        for _, _, key in _COMPLAINT_FIELDS:
            parts += (key, "")
        parts.append("}")
        items: dict[int, tuple[str, ...]] = {}
        changed: Iterable[int] = _FIELD_INDICES
    else:
        before, texts = previous
        old_values = _FIELD_VALUES(before)
        parts = texts.parts.copy()
        items = texts.items.copy()
        changed = itertools.compress(_FIELD_INDICES, map(operator.is_not, values, old_values))
    for i in changed:
        value = values[i]
        if type(value) is tuple:
            known = items.get(i)
            if known:
                # The old items are alive (held by *before*), so their ids are theirs alone.
                by_id = {id(item): t for item, t in zip(old_values[i], known, strict=True)}
                new = tuple(
                    [
                        by_id[id(item)] if id(item) in by_id else encode(unstructure(item))
                        for item in value
                    ]
                )
            else:
                new = tuple([encode(unstructure(item)) for item in value])
            items[i] = new
            text = f"[{','.join(new)}]"
        elif value is None or type(value) is bool:
            text = _CONSTANTS[value]
        elif type(value) is int:
            text = str(value)
        else:
            text = encode(unstructure(value, _COMPLAINT_FIELDS[i][1]))
        parts[2 * i + 2] = text
    return "".join(parts), Texts(parts, items)


_DOCUMENT_WRITERS = {
    cls: _attrs_writer(_WRITER, cls, document=True)
    for cls in (*ev.EVENT_TYPES.values(), Complainant)
}


def event_doc(event: ev.Event) -> dict[str, Any]:
    """The JSON document of *event* (what :func:`~iso10002.serialization.dump` gives)."""
    write = _DOCUMENT_WRITERS.get(type(event))
    return dump(event, _WRITER) if write is None else write(event)


def complainant_doc(complainant: Complainant) -> dict[str, Any]:
    """The JSON document of *complainant* (what :func:`~iso10002.serialization.dump` gives)."""
    write = _DOCUMENT_WRITERS.get(type(complainant))
    return dump(complainant, _WRITER) if write is None else write(complainant)


_Reader = Callable[[Any], Any]


def _read_float(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise TypeError("float")
    return float(value)


_INSTANTS: dict[str, datetime] = {}
"""Instants read lately, by their text: a document repeats a few instants many times."""


def _read_datetime(text: str) -> datetime:
    found = _INSTANTS.get(text)
    if found is not None:
        return found
    value = datetime.fromisoformat(text)
    if value.tzinfo is not timezone.utc:
        if value.utcoffset() is None:
            raise ValueError("a naive datetime")  # the validating path names the field
        value = value.astimezone(timezone.utc)
    if len(_INSTANTS) >= 4096:
        _INSTANTS.clear()
    _INSTANTS[text] = value
    return value


def _not_read() -> Any:
    raise TypeError("unexpected JSON type")  # the validating path names the field


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _read_scalars(value: Any) -> v.FrozenMapping:
    if type(value) is not dict or not all(type(x) in _SCALARS for x in value.values()):
        raise TypeError("expected an object of JSON scalars")
    return v.FrozenMapping(value)


def _read_expression(tp: Any, src: str, scope: dict[str, Any], fresh: Iterator[int]) -> str:
    """Python source turning *src* (the JSON form of a *tp* value, as :func:`complaint_doc`
    writes it) back into the value, without validating it: for documents this library wrote
    itself. Helpers go into *scope* under *fresh* names; anything unexpected raises, which sends
    the caller to the validating path."""
    if tp is str or tp is int or tp is bool:
        return f"({src} if type({src}) is {tp.__name__} else _not_read())"
    if tp is float:
        return f"_read_float({src})"
    if tp is datetime:
        return f"_read_datetime({src})"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = f"e{next(fresh)}"
        scope[members] = {member.value: member for member in tp}
        return f"{members}[{src}]"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and _NONE in args:
        inner = args[0] if args[1] is _NONE else args[1]
        return f"(None if {src} is None else {_read_expression(inner, src, scope, fresh)})"
    if origin in (tuple, frozenset) and (origin is frozenset or args[1:] == (Ellipsis,)):
        item = f"x{next(fresh)}"
        each = _read_expression(args[0], item, scope, fresh)
        return f"{origin.__name__}([{each} for {item} in {src}])"
    if origin is tuple and args and Ellipsis not in args:
        parts = (_read_expression(a, f"{src}[{k}]", scope, fresh) for k, a in enumerate(args))
        return f"(({', '.join(parts)},) if len({src}) == {len(args)} else _not_read())"
    if origin is Mapping and args == (str, ev.StepValue):
        return f"_read_scalars({src})"
    if attrs.has(tp):
        read = f"r{next(fresh)}"
        scope[read] = _attrs_reader(tp)
        return f"{read}({src})"
    raise TypeError(f"no trusted reader for {tp!r}")  # pragma: no cover - a new field type


def _attrs_reader(cls: type[Any]) -> _Reader:
    """A reader of *cls* generated from its field types (see :func:`_read_expression`): the
    instance is made without running ``__init__``, so no validator runs again."""
    scope: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "put": object.__setattr__,
        "_not_read": _not_read,
        "_read_float": _read_float,
        "_read_datetime": _read_datetime,
        "_read_scalars": _read_scalars,
    }
    fresh = itertools.count()
    lines = ["def read(d):", "    o = new(cls)"]
    for i, field in enumerate(attrs.fields(attrs.resolve_types(cls))):
        lines.append(f"    v{i} = d[{field.name!r}]")
        value = _read_expression(field.type, f"v{i}", scope, fresh)
        lines.append(f"    put(o, {field.name!r}, {value})")
    lines.append("    return o")
    read: _Reader = generate("read", lines, scope, what=cls.__name__)
    return read


_COMPLAINT_READERS = {"Complaint": _attrs_reader(Complaint)}
_EVENT_READERS = {name: _attrs_reader(cls) for name, cls in ev.EVENT_TYPES.items()}
_COMPLAINANT_READERS = {"Complainant": _attrs_reader(Complainant)}


def _read_own(doc: object, readers: Mapping[str, _Reader]) -> Any:
    """*doc* read by the reader of its type, or ``None`` when it does not read cleanly.

    The backends' own documents are read without running the model's validators again (they
    ran before the document was written); decoding is what reading a page of complaints costs.
    """
    if type(doc) is not dict or doc.get("schema_version") != SCHEMA_VERSION:
        return None
    tag = doc.get("type")
    read = readers.get(tag) if type(tag) is str else None
    if read is None:
        return None
    try:
        return read(doc)
    except Exception:  # noqa: BLE001 - the caller's validating path reports it
        return None


_T = typing.TypeVar("_T")


def _load_own(doc: object, readers: Mapping[str, _Reader], kind: type[_T], what: str) -> _T:
    value = _read_own(doc, readers)
    if value is None:  # the validating path, which reports exactly what is wrong
        value = load(doc)
    if not isinstance(value, kind):  # pragma: no cover - only a corrupted store
        raise ValidationError([("payload", f"stored document is not {what}")])
    return value


def load_complaint(doc: object) -> Complaint:
    """The complaint stored as *doc*."""
    return _load_own(doc, _COMPLAINT_READERS, Complaint, "a Complaint")


def load_event(doc: object) -> ev.Event:
    """The event stored as *doc*."""
    return _load_own(doc, _EVENT_READERS, ev.Event, "an event")


def load_complainant(doc: object) -> Complainant:
    """The complainant stored as *doc*."""
    return _load_own(doc, _COMPLAINANT_READERS, Complainant, "a Complainant")


_DOCUMENTS = 256
_Written = tuple[Complaint, Texts, tuple[Any, ...]]
"""A remembered save: the complaint, the pieces of its JSON text and its row."""


class Prepared(typing.NamedTuple):
    """A complaint's row ready to be written, before it is stored."""

    row: tuple[Any, ...]
    """The row to write."""
    before: tuple[Any, ...] | None
    """The row stored for the version it replaces, when remembered."""
    written: _Written | None
    """What :meth:`DecodedCache.stored` remembers once the row is stored."""


CACHE_TEXT = 64 * 2**20
"""The most characters of free text the decoded complaints of one cache hold together."""


def text_size(complaint: Complaint) -> int:
    """Roughly how much a decoded complaint weighs: its free text in characters, plus 1000."""
    details = complaint.details
    size = 1000 + len(details.subject) + len(details.description)
    size += len(details.desired_remedy or "") + sum(len(a.uri) for a in details.attachments)
    size += sum(len(n.text) for n in complaint.notes)
    size += sum(len(f.summary) for f in complaint.findings)
    size += sum(len(d.reasons) for d in complaint.decisions)
    return size


class DecodedCache:
    """The last *capacity* complaints decoded, by ``(id, version)``; ``0`` disables it.

    The cache also holds no more than :data:`CACHE_TEXT` characters of free text: a few
    complaints of the maximum size evict the others instead of filling the memory.

    Decoding a stored document costs far more than reading it. A stored version of a complaint
    never changes (a save is refused unless it creates the next version), and complaints are
    immutable, so a decoded complaint can be handed out again for as long as it is cached.
    """

    def __init__(self, capacity: int) -> None:
        if not v.is_int(capacity) or capacity < 0:
            raise ValidationError([("cache_size", "expected an int of at least 0")])
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, int], Complaint] = OrderedDict()
        self._sizes: dict[tuple[str, int], int] = {}
        self._size = 0
        self._documents: OrderedDict[tuple[str, int], _Written] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, key: tuple[str, int], decode: Callable[[], Complaint]) -> Complaint:
        """The cached complaint for *key*, or ``decode()`` (then cached)."""
        if not self._capacity:
            return decode()
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        complaint = decode()
        self.put(key, complaint)
        return complaint

    def peek(self, key: tuple[str, int]) -> Complaint | None:
        """The cached complaint for *key*, if any, leaving the eviction order alone."""
        if not self._capacity:
            return None
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[str, int], complaint: Complaint) -> None:
        """Remember *complaint* as the decoded form of *key* (e.g. right after saving it)."""
        if not self._capacity:
            return
        size = text_size(complaint)
        with self._lock:
            self._size += size - self._sizes.get(key, 0)
            self._sizes[key] = size
            self._items[key] = complaint
            self._items.move_to_end(key)
            while len(self._items) > self._capacity or self._size > CACHE_TEXT:
                old, _ = self._items.popitem(last=False)
                self._size -= self._sizes.pop(old)

    def forget(self, complaint_ids: Iterable[str]) -> None:
        """Drop every remembered version of the complaints *complaint_ids* (their stored
        documents were rewritten in place, e.g. by erasure)."""
        ids = set(complaint_ids)
        if not ids:
            return
        with self._lock:
            for store in (self._items, self._documents):
                for key in [k for k in store if k[0] in ids]:
                    del store[key]
            for key in [k for k in self._sizes if k[0] in ids]:
                self._size -= self._sizes.pop(key)

    def prepare(
        self,
        dialect: Dialect,
        complaint: Complaint,
        expected_version: int,
        *,
        payload_at_receipt: bool = False,
    ) -> Prepared:
        """The row of *complaint* saved over *expected_version* (see :func:`stored_row`; with
        *payload_at_receipt* the payload is written at version 1 too), and the row stored for
        *expected_version* when that version is remembered (without its payload when only the
        decoded complaint is).

        The JSON text is built from the pieces remembered for *expected_version*, if any (see
        :func:`complaint_json`). Nothing is remembered here: only :meth:`stored`, called once
        the transaction has committed, does that, so a save that fails leaves no trace.
        """
        if complaint.version == 1 and not payload_at_receipt:
            return Prepared(complaint_row(dialect, complaint, None), None, None)
        if not self._capacity:
            text = dialect.json(complaint_doc(complaint))
            return Prepared(complaint_row(dialect, complaint, text), None, None)
        with self._lock:
            previous = self._documents.get((complaint.id, expected_version))
        text, texts = complaint_json(
            complaint, dialect.json, None if previous is None else previous[:2]
        )
        row = complaint_row(dialect, complaint, text)
        before: tuple[Any, ...] | None
        if previous is not None:
            before = previous[2]
        else:
            decoded = self.peek((complaint.id, expected_version))
            before = None if decoded is None else complaint_row(dialect, decoded, None)
        return Prepared(row, before, (complaint, texts, row))

    def stored(self, complaint: Complaint, prepared: Prepared | None = None) -> None:
        """Remember *complaint* as stored, with the pieces of its text from *prepared*; call it
        only after the transaction that wrote it has committed."""
        self.put((complaint.id, complaint.version), complaint)
        if prepared is None or prepared.written is None:
            return
        with self._lock:
            self._documents[(complaint.id, complaint.version)] = prepared.written
            self._documents.move_to_end((complaint.id, complaint.version))
            if len(self._documents) > _DOCUMENTS:
                self._documents.popitem(last=False)


# --- NUL escaping for PostgreSQL text and JSONB ---------------------------------------------------

ESCAPE = "\ue000"
"""Escape character for text PostgreSQL cannot hold: NUL becomes ESCAPE + "0", ESCAPE itself
becomes ESCAPE + "e". The code is prefix-free, so prefixes and equality survive escaping."""

_UNESCAPE = re.compile(ESCAPE + "(.)", re.DOTALL)
_UNESCAPES = {"0": "\x00", "e": ESCAPE}


def escape_text(value: str) -> str:
    """*value* without NUL characters, reversibly."""
    if "\x00" not in value and ESCAPE not in value:
        return value
    return value.replace(ESCAPE, ESCAPE + "e").replace("\x00", ESCAPE + "0")


def unescape_text(value: str) -> str:
    """The inverse of :func:`escape_text`."""
    if ESCAPE not in value:
        return value
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group(1)], value)


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk(item, fn) for item in value]
    if isinstance(value, dict):
        return {fn(k): _walk(v, fn) for k, v in value.items()}
    return value


def escaped_json(doc: Any) -> str:
    """JSON text of *doc* that JSONB accepts: NUL characters escaped inside every string."""
    text = c.to_json(doc)
    if "\\u0000" not in text and ESCAPE not in text:
        return text
    return c.to_json(_walk(doc, escape_text))


_JSON = json.JSONDecoder()


def unescaped_doc(text: str) -> Any:
    """The document stored by :func:`escaped_json`."""
    if ESCAPE in text:
        return _walk(json.loads(text), unescape_text)
    try:  # PostgreSQL writes JSONB without surrounding whitespace: read it in one step
        doc, end = _JSON.raw_decode(text)
    except ValueError:
        pass
    else:
        if end == len(text):
            return doc
    return json.loads(text)  # whitespace around the document, or json's own error


IDENTITY = _identity
