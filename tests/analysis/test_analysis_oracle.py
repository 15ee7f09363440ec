"""Every backend gives the figures a slow, obvious oracle computes over generated histories.

The oracle below is written from the definitions in ``docs/analysis.md`` without reusing any
code of :mod:`iso10002.analysis`: plain loops, ``statistics.median`` on timedeltas, sorting for
the 90th percentile (nearest rank: the ``ceil(0.9 n)``-th smallest), ``sum / n`` for means.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.analysis import Analysis, Filters, Period
from iso10002.model import Channel, Complaint
from iso10002.ports import FactAggregating, provides
from iso10002.sla import BusinessCalendar
from iso10002.testing.strategies import event_histories

UTC = timezone.utc
CODES = ["billing", "billing.overcharge", "delivery.late", "staff.conduct", "product.quality", "x"]
STATES = [
    "received",
    "acknowledged",
    "assessed",
    "investigating",
    "awaiting_complainant",
    "responded",
    "internal_review",
    "closed",
    "withdrawn",
    "external_dispute",
]
WEEKDAYS = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2030-12-25"],
    }
)

# Receipts spread over a few years so periods, buckets and backlogs hold several complaints.
instants = st.datetimes(
    min_value=datetime(2029, 1, 1), max_value=datetime(2032, 1, 1), timezones=st.just(UTC)
)


@st.composite
def histories(draw: st.DrawFn) -> list[list[ev.Event]]:
    found = draw(
        st.lists(
            event_histories(max_events=15, complainant_ids=st.sampled_from(["p", "q", "r", "s"])),
            max_size=8,
            unique_by=(lambda h: h[0].complaint_id, lambda h: h[0].reference),  # type: ignore[attr-defined]
        )
    )
    # Move each history so it starts in 2029-2031, keeping its own spacing.
    moved = []
    for h in found:
        shift = draw(instants) - h[0].occurred_at
        moved.append([_shift(e, shift) for e in h])
    return moved


def _shift(event: ev.Event, by: timedelta) -> ev.Event:
    import attrs

    changes: dict[str, Any] = {"occurred_at": event.occurred_at + by}
    if isinstance(event, ev.ComplaintReceived):
        changes["details"] = attrs.evolve(event.details, received_at=event.details.received_at + by)
    for name in ("due_at",):
        value = getattr(event, name, None)
        if value is not None:
            changes[name] = value + by
    if getattr(event, "warnings", None):
        changes["warnings"] = tuple((t, at + by) for t, at in event.warnings)  # type: ignore[attr-defined]
    return attrs.evolve(event, **changes)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``None``, so most examples keep some complaints."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


@st.composite
def filters(draw: st.DrawFn) -> Filters:
    period = None
    if draw(st.integers(0, 2)) == 0:
        a, b = draw(instants), draw(instants)
        if a != b:
            period = Period(min(a, b), max(a, b))
    return Filters(
        period=period,
        states=draw(maybe(st.frozensets(st.sampled_from(STATES), min_size=1))),
        category_prefix=draw(maybe(st.sampled_from(["billing", "delivery", "x", "p"]))),
        channel=draw(maybe(st.sampled_from(Channel))),
        product=draw(maybe(st.sampled_from(CODES))),
        team=draw(maybe(st.sampled_from(CODES))),
        segment=draw(maybe(st.sampled_from(["retail", "business", "vip"]))),
    )


# -- the oracle ----------------------------------------------------------------------------------


def selected(complaints: Sequence[Complaint], f: Filters) -> list[Complaint]:
    out = []
    for c in complaints:
        if f.period is not None and not (f.period.start <= c.received_at < f.period.end):
            continue
        if f.states is not None and c.state not in f.states:
            continue
        cat = c.classification.category
        if f.category_prefix is not None and (
            cat is None or cat[: len(f.category_prefix)] != f.category_prefix
        ):
            continue
        if f.channel is not None and c.details.channel != f.channel:
            continue
        if f.product is not None and c.details.product != f.product:
            continue
        if f.team is not None and c.team != f.team:
            continue
        if f.segment is not None and c.details.segment != f.segment:
            continue
        out.append(c)
    return out


def rate(n: int, d: int) -> tuple[int, int, float | None]:
    return (n, d, n / d if d else None)


def stats(values: list[timedelta]) -> tuple[Any, ...]:
    if not values:
        return (0, None, None, None)
    ordered = sorted(values)
    p90 = ordered[math.ceil(0.9 * len(values)) - 1]
    median = statistics.median(values)  # type: ignore[type-var]
    return (len(values), median, p90, sum(values, timedelta()) / len(values))


def ever_closed(c: Complaint) -> bool:
    return c.reopened > 0 or (c.closure is not None and not c.closure.withdrawn)


def oracle(
    complaints: Sequence[Complaint], f: Filters, as_of: datetime, calendar: BusinessCalendar | None
) -> dict[str, Any]:
    cs = selected(complaints, f)
    decided = [c for c in cs if c.decisions]
    closed = [c for c in cs if ever_closed(c)]
    out: dict[str, Any] = {"total": len(cs)}
    for outcome in ("upheld", "partly_upheld", "not_upheld"):
        n = sum(1 for c in decided if c.decisions[-1].outcome.value == outcome)
        out[f"rates.{outcome}"] = rate(n, len(decided))
    out["rates.reopened"] = rate(sum(1 for c in closed if c.reopened > 0), len(closed))
    out["rates.withdrawn"] = rate(
        sum(1 for c in cs if c.closure is not None and c.closure.withdrawn), len(cs)
    )
    for kind in ("internal_review", "external_dispute"):
        n = sum(1 for c in cs if any(e.kind.value == kind for e in c.escalations))
        out[f"rates.{kind}"] = rate(n, len(cs))
    ends: dict[str, Callable[[Complaint], datetime | None]] = {
        "acknowledgement": lambda c: c.acknowledged_at,
        "decision": lambda c: c.decisions[0].decided_at if c.decisions else None,
        "closure": lambda c: c.closure.at if c.closure and not c.closure.withdrawn else None,
    }
    for name, end in ends.items():
        pairs = [(c.received_at, e) for c in cs if (e := end(c)) is not None]
        out[f"durations.{name}.calendar"] = stats([b - a for a, b in pairs])
        out[f"durations.{name}.business"] = (
            None if calendar is None else stats([calendar.elapsed(a, b) for a, b in pairs])
        )
    sla: dict[str, list[int]] = {}
    for c in cs:
        for k in c.clocks:
            if k.started_at > as_of:
                continue
            row = sla.setdefault(k.milestone, [0, 0, 0, 0, 0])
            if k.due_at is None:
                row[4] += 1
            elif k.stopped_at is not None and k.stopped_at <= as_of:
                row[0 if k.stopped_at <= k.due_at else 1] += 1
            else:
                judged = as_of
                if k.paused_since is not None and k.paused_since < as_of:
                    judged = k.paused_since
                row[2 if judged > k.due_at else 3] += 1
    out["sla"] = {
        m: (*r, rate(r[0], r[0] + r[1] + r[2]), rate(r[2], r[2] + r[3]))
        for m, r in sorted(sla.items())
    }
    scores = [c.satisfaction.score for c in closed if c.satisfaction is not None]
    out["satisfaction"] = (
        tuple(scores.count(i) for i in (1, 2, 3, 4, 5)),
        sum(scores) / len(scores) if scores else None,
        rate(len(scores), len(closed)),
    )
    open_ = [
        as_of - c.received_at
        for c in cs
        if c.received_at <= as_of and (c.closure is None or c.closure.at > as_of)
    ]
    edges = [0, 1, 5, 10, 20, 40, 10**8]
    out["backlog"] = (
        len(open_),
        tuple(
            sum(1 for age in open_ if timedelta(days=lo) <= age < timedelta(days=hi))
            for lo, hi in itertools.pairwise(edges)
        ),
        max(open_) if open_ else None,
    )
    per = Counter(c.complainant_id for c in cs)
    repeaters = {k: n for k, n in per.items() if n >= 2}
    out["repeat"] = (
        len(per),
        rate(len(repeaters), len(per)),
        rate(sum(repeaters.values()), len(cs)),
        sorted(repeaters.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
    )
    return out


def values_of(c: Complaint, dimension: str) -> list[str | None]:
    if dimension == "category":
        return [c.classification.category]
    if dimension == "product":
        return [c.details.product]
    if dimension == "channel":
        return [c.details.channel.value]
    if dimension == "outcome":
        return [c.decisions[-1].outcome.value if c.decisions else None]
    if dimension == "team":
        return [c.team]
    if dimension == "segment":
        return [c.details.segment]
    if dimension == "state":
        return [c.state]
    if dimension == "priority":
        return [c.assessment.priority.value if c.assessment is not None else None]
    if dimension == "root_cause":
        found = sorted({r for f in c.findings for r in f.root_causes})
        return list(found) or [None]
    raise AssertionError(dimension)


def bucket(at: datetime, every: str) -> date:
    day = at.date()
    if every == "day":
        return day
    if every == "week":
        return day - timedelta(days=day.weekday())
    if every == "month":
        return date(at.year, at.month, 1)
    return date(at.year, (at.month - 1) // 3 * 3 + 1, 1)


# -- what the analysis says, in the oracle's shape -------------------------------------------------


def r3(r: Any) -> tuple[int, int, float | None]:
    return (r.numerator, r.denominator, r.value)


def s4(s: Any) -> tuple[Any, ...] | None:
    return None if s is None else (s.count, s.median, s.p90, s.mean)


def measured(a: Analysis) -> dict[str, Any]:
    k = a.kpis()
    out: dict[str, Any] = {"total": k.total}
    for name in (
        "upheld",
        "partly_upheld",
        "not_upheld",
        "reopened",
        "withdrawn",
        "internal_review",
        "external_dispute",
    ):
        out[f"rates.{name}"] = r3(getattr(k.rates, name))
    for row in k.durations.rows:
        out[f"durations.{row.milestone}.calendar"] = s4(row.calendar)
        out[f"durations.{row.milestone}.business"] = s4(row.business)
    out["sla"] = {
        r.milestone: (
            r.met_on_time,
            r.met_late,
            r.open_overdue,
            r.open_within,
            r.untargeted,
            r3(r.on_time),
            r3(r.overdue_open),
        )
        for r in k.sla.rows
    }
    s = k.satisfaction
    out["satisfaction"] = (s.distribution, s.mean, r3(s.responses))
    b = k.backlog
    out["backlog"] = (b.open, tuple(x.count for x in b.buckets), b.oldest)
    rp = k.repeat
    out["repeat"] = (
        rp.complainants,
        r3(rp.repeat),
        r3(rp.complaints),
        [(t.complainant_id, t.count) for t in rp.top],
    )
    return out


@settings(
    # The CI profile's 500 examples per backend would take minutes; 200 each is the agreed floor.
    max_examples=min(settings().max_examples, 200),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    hs=histories(),
    f=filters(),
    as_of=instants,
    use_calendar=st.booleans(),
    dims=st.sampled_from(
        [
            "category",
            "product",
            "channel",
            "outcome",
            "root_cause",
            "team",
            "segment",
            "state",
            "priority",
        ]
    ),
    every=st.sampled_from(["day", "week", "month", "quarter"]),
)
def test_every_backend_agrees_with_the_oracle(
    backend: str,
    fill: Any,
    hs: list[list[ev.Event]],
    f: Filters,
    as_of: datetime,
    use_calendar: bool,
    dims: str,
    every: str,
) -> None:
    complaints = [ev.replay(h) for h in hs]
    calendar = WEEKDAYS if use_calendar else None
    expected = oracle(complaints, f, as_of, calendar)
    with fill(backend, hs) as source:
        # The SQL backends answer from their read model, the others by streaming complaints.
        assert provides(source, FactAggregating) == (backend in ("sqlite", "postgres"))
        a = Analysis(source, filters=f, as_of=as_of, calendar=calendar, page_size=3)
        assert measured(a) == expected
        cs = selected(complaints, f)
        assert a.count() == len(cs)

        # Volumes by period and one dimension.
        volumes = a.volumes(every=every, by=(dims,))
        want = Counter((bucket(c.received_at, every), v) for c in cs for v in values_of(c, dims))
        assert {(r.period, r.keys[0]): r.count for r in volumes.rows} == dict(want)
        assert volumes.total == len(cs)

        # Two dimensions, and periods alone, as streaming the same complaints gives them.
        streamed = Analysis(complaints, filters=f, as_of=as_of)
        pair = (dims, "channel") if dims != "channel" else (dims, "category")
        assert a.volumes(every=every, by=pair) == streamed.volumes(every=every, by=pair)
        assert a.volumes(every=every) == streamed.volumes(every=every)
        assert a.volumes() == streamed.volumes()

        # Pareto, with ties at the cut-off kept.
        counts = Counter(v for c in cs for v in values_of(c, dims))
        total = sum(counts.values())
        pareto = a.pareto(dims, top=2)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
        cut = [kv for kv in ranked if len(ranked) <= 2 or kv[1] >= ranked[1][1]]
        assert [(r.key, r.count) for r in pareto.rows] == cut
        assert pareto.total == total
        assert pareto.omitted_count == total - sum(n for _, n in cut)
        running = 0
        for row in pareto.rows:
            running += row.count
            assert r3(row.cumulative) == rate(running, total)


def _downgrade_sqlite(path: str) -> None:
    """Turn the database at *path* back into schema 2: no read model."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TABLE complaint_facts")
        conn.execute("DROP TABLE complaint_clocks")
        conn.execute("DELETE FROM schema_version WHERE version = 3")
    finally:
        conn.close()


@settings(
    max_examples=min(settings().max_examples, 25),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(hs=histories(), f=filters(), as_of=instants)
def test_migrating_a_schema_2_sqlite_database_builds_the_read_model(
    stored: Any, hs: list[list[ev.Event]], f: Filters, as_of: datetime
) -> None:
    import os
    import tempfile

    from iso10002.backends import SqliteRepository

    complaints = [ev.replay(h) for h in hs]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "old.db")
        with SqliteRepository(path) as repository:
            stored(repository, hs)
        _downgrade_sqlite(path)
        with SqliteRepository(path) as repository:
            assert repository.schema_version() == 3
            a = Analysis(repository, filters=f, as_of=as_of)
            assert measured(a) == oracle(complaints, f, as_of, None)


@settings(
    max_examples=min(settings().max_examples, 25),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@pytest.mark.postgres
@given(hs=histories(), f=filters(), as_of=instants)
def test_migrating_a_schema_2_postgres_schema_builds_the_read_model(
    postgres_url: str, stored: Any, hs: list[list[ev.Event]], f: Filters, as_of: datetime
) -> None:
    import uuid

    import psycopg

    from iso10002.backends.postgres import PostgresRepository

    complaints = [ev.replay(h) for h in hs]
    schema = f"iso10002_migrate_{uuid.uuid4().hex[:12]}"
    try:
        with PostgresRepository(postgres_url, schema=schema) as repository:
            stored(repository, hs)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP TABLE "{schema}".complaint_facts, "{schema}".complaint_clocks')
            conn.execute(f'DELETE FROM "{schema}".schema_version WHERE version = 3')
        with PostgresRepository(postgres_url, schema=schema) as repository:
            assert repository.schema_version() == 3
            a = Analysis(repository, filters=f, as_of=as_of)
            assert measured(a) == oracle(complaints, f, as_of, None)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
