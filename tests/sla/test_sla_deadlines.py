"""How deadlines are shown to people: ``deadline_day`` and ``describe_deadline``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from iso10002.errors import ValidationError
from iso10002.sla import BusinessCalendar, CalendarDays, deadline_day, describe_deadline

LONDON = ZoneInfo("Europe/London")
ZONES = ["Europe/London", "America/New_York", "America/Havana", "Australia/Lord_Howe", "UTC"]


def test_an_end_of_day_deadline_belongs_to_the_day_it_ends() -> None:
    due = datetime(2026, 7, 18, tzinfo=LONDON)  # midnight BST = 17 July 23:00 UTC
    assert deadline_day(due, LONDON) == date(2026, 7, 17)
    assert describe_deadline(due, LONDON) == "the end of Friday 17 July 2026"
    # The same instant read in UTC is 23:00 on the 17th: an ordinary time of day.
    assert describe_deadline(due, timezone.utc) == "Friday 17 July 2026"


def test_a_deadline_during_the_day_is_that_day() -> None:
    due = datetime(2026, 3, 23, 17, tzinfo=timezone.utc)
    assert deadline_day(due, LONDON) == date(2026, 3, 23)
    assert describe_deadline(due, LONDON) == "Monday 23 March 2026"
    one_past = datetime(2026, 7, 18, 0, 0, 0, 1, tzinfo=LONDON)
    assert describe_deadline(one_past, LONDON) == "Saturday 18 July 2026"


def test_a_midnight_that_does_not_exist_still_ends_the_day_before() -> None:
    # Havana moves its clocks from 00:00 to 01:00 on 8 March 2026: that day starts at 01:00.
    havana = ZoneInfo("America/Havana")
    calendar = BusinessCalendar.continuous("America/Havana")
    due = CalendarDays(0, to_end_of_day=True).due(datetime(2026, 3, 7, 12, tzinfo=havana), calendar)
    assert due.astimezone(havana).hour == 1
    assert describe_deadline(due, havana) == "the end of Saturday 7 March 2026"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValidationError) as error:
        deadline_day(datetime(2026, 7, 18), LONDON)  # naive
    assert error.value.paths == ("due_at",)
    with pytest.raises(ValidationError) as error:
        describe_deadline("2026-07-18", "Europe/London")  # type: ignore[arg-type]
    assert error.value.paths == ("due_at", "zone")


@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    days=st.integers(0, 400),
    to_end=st.booleans(),
)
@example(zone="America/Havana", start=datetime(2026, 3, 7, 12), days=0, to_end=True)
def test_calendar_day_deadlines_read_as_the_day_they_count_to(
    zone: str, start: datetime, days: int, to_end: bool
) -> None:
    tz = ZoneInfo(zone)
    calendar = BusinessCalendar.continuous(zone)
    begin = start.replace(tzinfo=timezone.utc)
    due = CalendarDays(days, to_end_of_day=to_end).due(begin, calendar)
    local = begin.astimezone(tz)
    expected = local.date() + timedelta(days=days)
    text = describe_deadline(due, tz)
    if to_end:
        # "the end of the local day n days later", whatever the zone does around midnight
        assert deadline_day(due, tz) == expected
        assert text.startswith("the end of ")
    else:
        # the same wall time n days later: that day, unless the wall time is the day's start
        day = deadline_day(due, tz)
        assert day in {expected, expected - timedelta(days=1)}
        assert (day != expected) == text.startswith("the end of ")
    assert text.endswith(f"{deadline_day(due, tz).day} {deadline_day(due, tz):%B %Y}")
