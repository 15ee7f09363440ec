"""Differential tests against businesstimedelta and pandas ``CustomBusinessHour``.

Where the peers are right they must agree with us; each place where they are wrong is pinned by a
test that shows the discrepancy (listed in ``docs/sla.md``).
"""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iso10002.sla import BusinessCalendar

pytz: Any = importlib.import_module("pytz")  # no type stubs installed
UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ENGLAND = holidays.country_holidays("GB", subdiv="ENG", years=range(2023, 2028))
EXAMPLES = settings(max_examples=max(10, settings().max_examples // 2))


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(scope="module")
def ours() -> BusinessCalendar:
    base = BusinessCalendar.from_dict({"timezone": "Europe/London", "week": WEEKDAYS})
    return base.with_holidays_from("GB", range(2023, 2028), subdiv="ENG")


def btd_rules(start: time = time(9), end: time = time(17), days: list[int] | None = None) -> Any:
    zone = pytz.timezone("Europe/London")
    workday = btd.WorkDayRule(
        start_time=start, end_time=end, working_days=days or [0, 1, 2, 3, 4], tz=zone
    )
    return btd.Rules([workday, btd.HolidayRule(ENGLAND, tz=zone)])


def cbh() -> Any:
    return pd.offsets.CustomBusinessHour(start="09:00", end="17:00", holidays=sorted(ENGLAND))


# whole seconds in 2024-2026, in or out of hours
starts = st.datetimes(datetime(2024, 1, 1), datetime(2026, 6, 30)).map(
    lambda t: t.replace(microsecond=0, tzinfo=LONDON)
)


# ---------------------------------------------------------------------- businesstimedelta


@EXAMPLES
@given(start=starts, seconds=st.integers(1, 120 * 3600))
def test_businesstimedelta_add_agrees(
    ours: BusinessCalendar, start: datetime, seconds: int
) -> None:
    d = timedelta(seconds=seconds)
    theirs = start + btd.BusinessTimeDelta(btd_rules(), timedelta=d)
    assert ours.add(start, d) == theirs


@EXAMPLES
@given(start=starts, length=st.timedeltas(timedelta(0), timedelta(days=60)))
def test_businesstimedelta_elapsed_agrees(
    ours: BusinessCalendar, start: datetime, length: timedelta
) -> None:
    end = start + timedelta(seconds=length // timedelta(seconds=1))
    assert ours.elapsed(start, end) == btd_rules().difference(start, end).timedelta


def test_businesstimedelta_drops_fractions_of_a_second(ours: BusinessCalendar) -> None:
    start = london(2025, 12, 22, 9)
    end = start + timedelta(seconds=1, microseconds=500_000)
    assert btd_rules().difference(start, end).timedelta == timedelta(seconds=1)
    assert ours.elapsed(start, end) == timedelta(seconds=1, microseconds=500_000)


def test_businesstimedelta_skips_the_rest_of_a_shift_after_midnight() -> None:
    night = btd.Rules([btd.WorkDayRule(time(22), time(6), list(range(7)), tz=pytz.utc)])
    week = {d: [["22:00", "06:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    cal = BusinessCalendar.from_dict({"timezone": "UTC", "week": week})
    three_am = datetime(2025, 3, 4, 3, tzinfo=UTC)
    assert three_am + btd.BusinessTimeDelta(night, hours=1) == datetime(2025, 3, 4, 23, tzinfo=UTC)
    assert cal.add(three_am, H) == datetime(2025, 3, 4, 4, tzinfo=UTC)


def test_businesstimedelta_takes_the_second_occurrence_of_an_ambiguous_time() -> None:
    zone = pytz.timezone("Europe/London")
    early = btd.Rules([btd.WorkDayRule(time(1, 30), time(5), [6], tz=zone)])
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": {"sun": [["01:30", "05:00"]]}}
    )
    a, b = london(2025, 10, 25, 21), london(2025, 10, 26, 12)
    assert early.difference(a, b).timedelta == timedelta(hours=3, minutes=30)
    assert cal.elapsed(a, b) == timedelta(hours=4, minutes=30)  # 01:30 BST is the first


def test_businesstimedelta_fails_past_the_last_listed_holiday() -> None:
    rules = btd.Rules(
        [
            btd.WorkDayRule(time(9), time(17), [0, 1, 2, 3, 4], tz=pytz.utc),
            btd.HolidayRule([date(2025, 12, 25)], tz=pytz.utc),
        ]
    )
    start = datetime(2025, 12, 22, 9, tzinfo=UTC)
    with pytest.raises(TypeError):
        rules.difference(start, start + timedelta(days=10))
    cal = BusinessCalendar.from_dict(
        {"timezone": "UTC", "week": WEEKDAYS, "holidays": ["2025-12-25"]}
    )
    assert cal.elapsed(start, start + timedelta(days=10)) == 7 * 8 * H


# ---------------------------------------------------------------------- pandas


@EXAMPLES
@given(start=starts, hours=st.integers(1, 400))
def test_pandas_add_agrees_except_on_closing_instants(
    ours: BusinessCalendar, start: datetime, hours: int
) -> None:
    theirs = (pd.Timestamp(start) + hours * cbh()).to_pydatetime()
    result = ours.add(start, hours * H)
    if result.timetz().replace(tzinfo=None) == time(17):
        # pandas moves a result that lands on a closing time to the next opening
        assert theirs == ours.next_open(result)
    else:
        assert theirs == result


def test_pandas_moves_a_deadline_at_closing_time_to_the_next_day(ours: BusinessCalendar) -> None:
    monday = london(2025, 12, 22, 9)
    assert (pd.Timestamp(monday) + 8 * cbh()).to_pydatetime() == london(2025, 12, 23, 9)
    assert ours.add(monday, 8 * H) == london(2025, 12, 22, 17)


def test_pandas_counts_wall_clock_hours_across_dst() -> None:
    nights = pd.offsets.CustomBusinessHour(start="22:00", end="06:00", weekmask="Sat Sun")
    week = {"sat": [["22:00", "06:00"]], "sun": [["22:00", "06:00"]]}
    cal = BusinessCalendar.from_dict({"timezone": "Europe/London", "week": week})
    saturday = london(2025, 3, 29, 22)  # the clocks go forward at 01:00 GMT
    theirs = (pd.Timestamp(saturday) + 7 * nights).to_pydatetime()
    assert theirs == london(2025, 3, 30, 5)  # six real hours later
    assert cal.add(saturday, 7 * H) == london(2025, 3, 30, 6)  # the shift lasts seven
    # Landing in the gap itself fails: pandas 3 raises a ValueError ("... is a nonexistent
    # time ..."); pandas 2 (the newest for Python 3.10) lets pytz's NonExistentTimeError, not a
    # ValueError, escape. Both name the instant that does not exist.
    gap = (ValueError, pytz.exceptions.NonExistentTimeError)
    with pytest.raises(gap, match=r"^2025-03-30 01:00:00"):
        pd.Timestamp(saturday) + 3 * nights
