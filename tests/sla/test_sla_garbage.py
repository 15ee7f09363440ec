"""Garbage in: the public SLA API raises only ``Iso10002Error`` subclasses, never anything else."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from iso10002.errors import Iso10002Error
from iso10002.sla import (
    BusinessCalendar,
    BusinessDays,
    BusinessTime,
    CalendarDays,
    Closure,
    EasterHoliday,
    FixedHoliday,
    OpeningInterval,
    RecurringHoliday,
    Rule,
    SlaClock,
    SlaPolicy,
    SuspensionWindow,
    Target,
    Weeks,
    duration_from_dict,
    preset,
)

LONDON = ZoneInfo("Europe/London")
CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2025-12-25", {"easter": -2}],
    }
)
VALID_CALENDAR: dict[str, Any] = {
    "timezone": "Europe/London",
    "week": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "sat": [["22:00", "06:00"]]},
    "holidays": [
        "2025-12-25",
        {"date": "2025-12-26", "name": "Boxing Day"},
        {"rrule": "FREQ=YEARLY;BYMONTH=5;BYDAY=1MO", "start": "1978-01-01"},
        {"easter": -2},
    ],
    "closures": [{"start": "2025-12-24T12:00:00+00:00", "end": "2025-12-24T17:00:00+00:00"}],
}
VALID_POLICY: dict[str, Any] = {
    "default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}},
    "rules": [
        {
            "when": {"priority": ["P1"], "category": ["billing"]},
            "targets": {"acknowledgement": {"business_time": "PT4H", "thresholds": [0.5]}},
        }
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["09:00", "24:00", "2025-12-25", "P1", "PT8H", "FREQ=YEARLY", "Europe/London"]),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([timezone.utc, LONDON])),
    st.timedeltas(),
    st.times(),
    st.binary(max_size=8),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=4),
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """*valid* with one node replaced by junk (or removed)."""
    data = copy.deepcopy(valid)
    path = draw(st.sampled_from(_paths(data)[1:]))
    node = data
    for key in path[:-1]:
        node = node[key]
    if draw(st.booleans()) and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = draw(junk)
    return data


def only_our_errors(call: Callable[[], object]) -> None:
    with contextlib.suppress(Iso10002Error):
        call()


@given(data=st.one_of(junk, mutated(VALID_CALENDAR)))
def test_calendar_from_garbage(data: Any) -> None:
    only_our_errors(lambda: BusinessCalendar.from_dict(data))


@given(data=st.one_of(junk, mutated(VALID_POLICY)))
def test_policy_from_garbage(data: Any) -> None:
    only_our_errors(lambda: SlaPolicy.from_dict(data))


@given(a=junk, b=junk)
def test_calendar_operations_on_garbage(a: Any, b: Any) -> None:
    for call in (
        lambda: CALENDAR.add(a, b),
        lambda: CALENDAR.elapsed(a, b),
        lambda: CALENDAR.is_open(a),
        lambda: CALENDAR.next_open(a),
        lambda: CALENDAR.next_close(a),
        lambda: CALENDAR.local_date(a),
        lambda: CALENDAR.add_business_days(a, b),
        lambda: CALENDAR.business_days_between(a, b),
        lambda: CALENDAR.close_of_business(a),
        lambda: CALENDAR.close_of_business_day(a, b),
        lambda: CALENDAR.end_of_day(a),
        lambda: CALENDAR.at_wall_time(a, b),
        lambda: CALENDAR.with_holidays_from(a, b),
        lambda: BusinessCalendar.continuous(a),
        lambda: BusinessCalendar(a, b),
        lambda: OpeningInterval(a, b),
        lambda: OpeningInterval.parse(a, b),
        lambda: duration_from_dict(a),
        lambda: preset(a),
    ):
        only_our_errors(call)


@settings(max_examples=max(10, settings().max_examples // 2))
@given(
    a=junk,
    b=junk,
    start=st.datetimes(datetime(1890, 1, 1), datetime(2310, 1, 1), timezones=st.just(LONDON)),
    d=st.timedeltas(-timedelta(days=3 * 365), timedelta(days=3 * 365)),
)
def test_values_and_clocks_on_garbage(a: Any, b: Any, start: datetime, d: timedelta) -> None:
    for call in (
        lambda: CALENDAR.add(start, d),
        lambda: CALENDAR.elapsed(start, start + d),
        lambda: BusinessTime(a),
        lambda: BusinessDays(a),
        lambda: CalendarDays(a, b),
        lambda: Weeks(a, b),
        lambda: FixedHoliday(a, b),
        lambda: RecurringHoliday(a, b),
        lambda: EasterHoliday(a, b),
        lambda: BusinessCalendar("UTC", ((OpeningInterval(0, 3600),),) * 7, (a,), (b,)),
        lambda: Closure(a, b),
        lambda: Target(a, b),
        lambda: Rule(a, name=b),
        lambda: SlaPolicy(a, b),
        lambda: SuspensionWindow(a, b, "x"),
        lambda: SlaClock(CALENDAR, a, b),
        lambda: SlaClock(CALENDAR, start, BusinessTime(abs(d)), pauses=a, thresholds=b),
        lambda: SlaClock(CALENDAR, start, BusinessDays(3)).pause(a).status(b),
        lambda: SlaClock(CALENDAR, start, CalendarDays(30)).status(start + d),
        lambda: SlaClock(CALENDAR, start, Weeks(8)).stop(start + abs(d)).warning_instants(),
        lambda: BusinessDays(3).due(a, b),
        lambda: CalendarDays(1, True).due(start, a),
        lambda: preset("uk_fca").deadlines(CALENDAR, receipt=a),
        lambda: preset("uk_fca_motor").clock("final_response", CALENDAR, start).due_at,
        lambda: CALENDAR.close_of_business_day(start, 3),
        lambda: CALENDAR.add_business_days(date(2025, 1, 1), a),
        lambda: CALENDAR.at_wall_time(date(2025, 1, 1), a),
    ):
        only_our_errors(call)
