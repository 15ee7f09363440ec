"""BusinessCalendar: the documented semantics, the dict form and its validation."""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from iso10002.errors import ConfigurationError, Iso10002Error, ValidationError
from iso10002.sla import (
    BusinessCalendar,
    Closure,
    EasterHoliday,
    FixedHoliday,
    OpeningInterval,
    RecurringHoliday,
)

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
WEEKDAYS_9_17 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 Europe/London with the England holidays of late 2025."""
    return BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": WEEKDAYS_9_17,
            "holidays": ["2025-12-25", "2025-12-26", "2026-01-01"],
        }
    )


@pytest.fixture(scope="module")
def shifts() -> BusinessCalendar:
    """A 22:00-06:00 night shift every night, Christmas Day off."""
    week = {d: [["22:00", "06:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": week, "holidays": ["2025-12-25"]}
    )


# ---------------------------------------------------------------------- add and elapsed


def test_add_reaches_the_closing_instant_not_the_next_opening(office: BusinessCalendar) -> None:
    assert office.add(london(2025, 12, 22, 9), 8 * H) == london(2025, 12, 22, 17)
    assert office.add(london(2025, 12, 22, 9), 9 * H) == london(2025, 12, 23, 10)


def test_add_starts_outside_hours_at_the_next_opening(office: BusinessCalendar) -> None:
    assert office.add(london(2025, 12, 20, 12), H) == london(2025, 12, 22, 10)  # Saturday
    assert office.add(london(2025, 12, 22, 7), H) == london(2025, 12, 22, 10)


def test_add_zero_rolls_a_closing_instant_to_the_next_opening(office: BusinessCalendar) -> None:
    assert office.add(london(2025, 12, 22, 17), timedelta(0)) == london(2025, 12, 23, 9)
    assert office.add(london(2025, 12, 22, 12), timedelta(0)) == london(2025, 12, 22, 12)
    assert office.next_open(london(2025, 12, 24, 17)) == london(2025, 12, 29, 9)


def test_add_negative_is_the_latest_instant_back(office: BusinessCalendar) -> None:
    assert office.add(london(2025, 12, 23, 17), -8 * H) == london(2025, 12, 23, 9)
    assert office.add(london(2025, 12, 23, 9), -8 * H) == london(2025, 12, 22, 9)
    assert office.add(london(2025, 12, 29, 10), -2 * H) == london(2025, 12, 24, 16)


def test_add_skips_holidays(office: BusinessCalendar) -> None:
    # Wed 24 Dec 16:00 + 2 h: one hour on the 24th, then Thu 25 and Fri 26 are holidays
    assert office.add(london(2025, 12, 24, 16), 2 * H) == london(2025, 12, 29, 10)


def test_elapsed_counts_business_time_in_a_half_open_range(office: BusinessCalendar) -> None:
    assert office.elapsed(london(2025, 12, 22, 9), london(2025, 12, 22, 17)) == 8 * H
    assert office.elapsed(london(2025, 12, 22, 16), london(2025, 12, 29, 10)) == 18 * H
    assert office.elapsed(london(2025, 12, 29, 10), london(2025, 12, 22, 16)) == -18 * H
    assert office.elapsed(london(2025, 12, 25, 10), london(2025, 12, 25, 12)) == timedelta(0)


def test_elapsed_keeps_microseconds(office: BusinessCalendar) -> None:
    start = london(2025, 12, 22, 9)
    assert office.elapsed(start, start + timedelta(microseconds=1)) == timedelta(microseconds=1)
    d = timedelta(hours=3, microseconds=7)
    assert office.elapsed(start, office.add(start, d)) == d


def test_results_are_in_the_calendar_zone(office: BusinessCalendar) -> None:
    result = office.add(datetime(2025, 7, 1, 8, tzinfo=UTC), H)
    assert result.tzinfo is office.tz
    assert result == datetime(2025, 7, 1, 9, tzinfo=UTC)  # 10:00 BST


def test_a_night_shift_lasts_seven_or_nine_hours_on_dst_nights(shifts: BusinessCalendar) -> None:
    def night(day: int, month: int) -> timedelta:
        return shifts.elapsed(london(2025, month, day, 21), london(2025, month, day + 1, 12))

    assert night(29, 3) == 7 * H  # clocks go forward on Sunday 30 March
    assert night(25, 10) == 9 * H  # clocks go back on Sunday 26 October
    assert night(1, 7) == 8 * H


def test_an_interval_belongs_to_the_date_it_starts_on(shifts: BusinessCalendar) -> None:
    # the shift starting on Christmas Eve is worked; the one starting on Christmas Day is not
    assert shifts.elapsed(london(2025, 12, 24, 21), london(2025, 12, 25, 12)) == 8 * H
    assert shifts.elapsed(london(2025, 12, 25, 12), london(2025, 12, 26, 12)) == timedelta(0)


def test_inside_an_overnight_shift(shifts: BusinessCalendar) -> None:
    assert shifts.is_open(london(2025, 3, 4, 3))
    assert shifts.add(london(2025, 3, 4, 3), H) == london(2025, 3, 4, 4)
    assert shifts.next_close(london(2025, 3, 4, 3)) == london(2025, 3, 4, 6)


def test_non_existent_wall_times_move_forward_by_the_gap() -> None:
    # 01:30 does not exist on 30 March 2025 in London: the interval starts at 01:30 GMT
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": {"sun": [["01:30", "03:00"]]}}
    )
    start = datetime(2025, 3, 30, 0, tzinfo=UTC)
    assert cal.next_open(start) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert cal.elapsed(start, start + 12 * H) == timedelta(minutes=30)


def test_ambiguous_wall_times_take_the_first_occurrence() -> None:
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": {"sun": [["01:30", "05:00"]]}}
    )
    start = datetime(2025, 10, 26, 0, tzinfo=UTC)
    assert utc(cal.next_open(start)) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert cal.elapsed(start, start + 12 * H) == timedelta(hours=4, minutes=30)


def test_lunch_breaks_and_24_00() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Asia/Kolkata",
            "week": {"mon": [["09:30", "13:00"], ["14:00", "18:30"]], "sat": [["20:00", "24:00"]]},
        }
    )
    kolkata = ZoneInfo("Asia/Kolkata")
    monday = datetime(2025, 6, 2, 9, 30, tzinfo=kolkata)
    assert cal.add(monday, 4 * H) == datetime(2025, 6, 2, 14, 30, tzinfo=kolkata)
    assert cal.next_close(monday) == datetime(2025, 6, 2, 13, tzinfo=kolkata)
    saturday = datetime(2025, 6, 7, 21, tzinfo=kolkata)
    assert cal.next_close(saturday) == datetime(2025, 6, 8, 0, tzinfo=kolkata)
    assert cal.add(saturday, 3 * H) == datetime(2025, 6, 8, 0, tzinfo=kolkata)
    assert cal.add(saturday, 4 * H) == datetime(2025, 6, 9, 10, 30, tzinfo=kolkata)


def test_touching_intervals_make_one_opening() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {"mon": [["18:00", "24:00"]], "tue": [["00:00", "06:00"], ["06:00", "08:00"]]},
        }
    )
    assert cal.next_close(london(2025, 6, 2, 19)) == london(2025, 6, 3, 8)
    assert cal.add(london(2025, 6, 3, 6), timedelta(0)) == london(2025, 6, 3, 6)


def test_is_open_next_open_next_close(office: BusinessCalendar) -> None:
    assert office.is_open(london(2025, 12, 22, 9))
    assert not office.is_open(london(2025, 12, 22, 17))
    assert not office.is_open(london(2025, 12, 25, 12))
    assert office.next_open(london(2025, 12, 22, 12)) == london(2025, 12, 22, 12)
    assert office.next_close(london(2025, 12, 22, 12)) == london(2025, 12, 22, 17)
    assert office.next_close(london(2025, 12, 24, 18)) == london(2025, 12, 29, 17)


def test_closures_remove_part_of_a_day() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": WEEKDAYS_9_17,
            "closures": [
                {
                    "start": "2025-12-24T12:00:00+00:00",
                    "end": "2025-12-24T17:00:00+00:00",
                    "name": "Christmas Eve afternoon",
                }
            ],
        }
    )
    assert cal.elapsed(london(2025, 12, 24, 0), london(2025, 12, 25, 0)) == 3 * H
    assert cal.next_close(london(2025, 12, 24, 10)) == london(2025, 12, 24, 12)
    assert cal.is_business_day(date(2025, 12, 24))  # closures do not change business days
    assert cal.close_of_business(date(2025, 12, 24)) == london(2025, 12, 24, 17)


def test_recurring_and_easter_holidays() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": WEEKDAYS_9_17,
            "holidays": [
                {"rrule": "FREQ=YEARLY;BYMONTH=5;BYDAY=1MO", "start": "1978-01-01"},
                {"rrule": "RRULE:FREQ=YEARLY;BYMONTH=8;BYDAY=-1MO\nEXDATE:20240826"},
                {"easter": -2, "name": "Good Friday"},
                {"easter": 1},
                {"easter": 1, "method": "orthodox"},
            ],
        }
    )
    assert not cal.is_business_day(date(2025, 5, 5))  # first Monday of May
    assert not cal.is_business_day(date(2025, 8, 25))  # last Monday of August
    assert cal.is_business_day(date(2024, 8, 26))  # excluded by EXDATE
    assert not cal.is_business_day(date(2025, 4, 18))
    assert not cal.is_business_day(date(2025, 4, 21))  # both Easters fall on 20 April 2025
    assert not cal.is_business_day(date(2024, 5, 6))  # orthodox Easter Monday 2024
    assert not cal.is_business_day(date(2024, 4, 1))  # western Easter Monday 2024
    assert cal.business_days_between(date(2025, 4, 14), date(2025, 4, 28)) == 8


# ---------------------------------------------------------------------- business days


def test_close_of_business_of_the_nth_business_day(office: BusinessCalendar) -> None:
    received = london(2025, 12, 19, 16, 30)
    assert office.close_of_business_day(received, 3) == london(2025, 12, 24, 17)
    assert office.close_of_business_day(received, 0) == london(2025, 12, 19, 17)
    assert office.close_of_business_day(london(2025, 12, 20, 10), 0) == london(2025, 12, 22, 17)
    assert office.close_of_business_day(london(2025, 12, 24, 10), 1) == london(2025, 12, 29, 17)


def test_add_business_days(office: BusinessCalendar) -> None:
    friday = date(2025, 12, 19)
    assert office.add_business_days(friday, 1) == date(2025, 12, 22)
    assert office.add_business_days(friday, 4) == date(2025, 12, 29)
    assert office.add_business_days(friday, 0) == friday
    assert office.add_business_days(date(2025, 12, 25), 0) == date(2025, 12, 29)
    assert office.add_business_days(date(2025, 12, 29), -1) == date(2025, 12, 24)
    assert office.add_business_days(date(2025, 12, 25), -1) == date(2025, 12, 24)
    assert office.add_business_days(friday, 260) == date(2026, 12, 23)  # 3 holidays on the way


def test_business_days_between_is_antisymmetric(office: BusinessCalendar) -> None:
    a, b = date(2025, 12, 19), date(2026, 1, 5)
    assert office.business_days_between(a, b) == 8  # 19, 22, 23, 24, 29, 30, 31 Dec, 2 Jan
    assert office.business_days_between(b, a) == -8
    assert office.business_days_between(a, a) == 0


def test_close_of_business_of_an_overnight_shift(shifts: BusinessCalendar) -> None:
    assert shifts.close_of_business(date(2025, 3, 29)) == london(2025, 3, 30, 6)
    with pytest.raises(ValidationError, match="not a business day"):
        shifts.close_of_business(date(2025, 12, 25))


def test_end_of_day_and_wall_time(office: BusinessCalendar) -> None:
    assert office.end_of_day(date(2025, 3, 29)) == london(2025, 3, 30, 0)
    assert office.at_wall_time(date(2025, 3, 30), 5400) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert office.local_date(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == date(2025, 7, 1)


# ---------------------------------------------------------------------- spans and range


def test_spans_across_many_years_in_either_direction() -> None:
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": WEEKDAYS_9_17, "holidays": [{"easter": -2}]}
    )
    late = london(2250, 6, 3, 12)
    early = london(1950, 6, 5, 12)
    span = cal.elapsed(early, late)
    assert cal.add(early, span) == late
    assert cal.add(late, -span) == early
    assert cal.elapsed(late, early) == -span
    assert cal.business_days_between(date(1950, 6, 5), date(2250, 6, 3)) == round(
        span / timedelta(hours=8)
    )


def test_the_supported_range(office: BusinessCalendar) -> None:
    with pytest.raises(ValidationError, match="supported range"):
        office.add(datetime(1899, 12, 1, tzinfo=UTC), H)
    with pytest.raises(ValidationError, match="supported range"):
        office.elapsed(london(2025, 1, 1), datetime(2300, 6, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="supported range"):
        office.add(london(2299, 12, 20), timedelta(days=400))
    with pytest.raises(ValidationError, match="supported range"):
        office.add(london(1900, 1, 10), -timedelta(days=400))
    with pytest.raises(ValidationError, match="supported years"):
        office.add_business_days(date(1899, 12, 31), 1)
    with pytest.raises(ValidationError, match="supported range"):
        office.add_business_days(date(2299, 12, 1), 100)


def test_a_calendar_open_around_the_clock() -> None:
    cal = BusinessCalendar.continuous("America/New_York")
    start = datetime(2025, 3, 8, 12, tzinfo=ZoneInfo("America/New_York"))
    assert utc(cal.add(start, 30 * H)) == utc(start) + 30 * H
    assert cal.elapsed(start, utc(start) + timedelta(days=400)) == timedelta(days=400)
    # wall-clock arithmetic on aware datetimes of one zone skips the DST hours
    assert cal.elapsed(start, start + timedelta(days=400)) == timedelta(days=400) - H
    assert cal.is_open(start)
    with pytest.raises(ValidationError, match="supported range"):
        cal.next_close(start)


def test_concurrent_first_use_builds_one_consistent_table() -> None:
    data = {"timezone": "Australia/Sydney", "week": WEEKDAYS_9_17, "holidays": [{"easter": 1}]}
    expected = BusinessCalendar.from_dict(data)
    sydney = ZoneInfo("Australia/Sydney")
    starts = [datetime(1990 + 7 * i, 3, 1, 10, tzinfo=sydney) for i in range(12)]
    want = [expected.elapsed(s, s + timedelta(days=700)) for s in starts]
    shared = BusinessCalendar.from_dict(data)
    got: list[timedelta] = [timedelta(-1)] * len(starts)

    def work(i: int) -> None:
        got[i] = shared.elapsed(starts[i], starts[i] + timedelta(days=700))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == want


# ---------------------------------------------------------------------- dict form


FULL: dict[str, Any] = {
    "timezone": "Europe/London",
    "week": {
        "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [],
        "thu": [["09:00:30", "17:00"]],
        "fri": [["09:00", "24:00"]],
        "sat": [["22:00", "06:00"]],
        "sun": [],
    },
    "holidays": [
        "2025-12-25",
        {"date": "2025-12-26", "name": "Boxing Day"},
        {"rrule": "FREQ=YEARLY;BYMONTH=5;BYDAY=1MO", "start": "1978-01-01", "name": "Early May"},
        {"easter": -2, "name": "Good Friday"},
        {"easter": 1, "method": "orthodox"},
    ],
    "closures": [
        {"start": "2025-12-24T12:00:00+00:00", "end": "2025-12-24T17:00:00+00:00", "name": "Eve"},
        {"start": "2026-01-02T09:00:00+01:00", "end": "2026-01-02T10:00:00+01:00"},
    ],
}


def test_dict_round_trip() -> None:
    cal = BusinessCalendar.from_dict(FULL)
    assert cal.to_dict() == FULL
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal
    assert hash(BusinessCalendar.from_dict(FULL)) == hash(cal)


def test_minimal_dict_and_defaults() -> None:
    cal = BusinessCalendar.from_dict({"timezone": "UTC", "week": {"mon": [["9:00", "17:00"]]}})
    assert cal.week[0] == (OpeningInterval(9 * 3600, 17 * 3600),)
    assert cal.to_dict()["week"]["mon"] == [["09:00", "17:00"]]
    assert cal.holidays == () and cal.closures == ()


def test_pickle_and_copy() -> None:
    cal = BusinessCalendar.from_dict(FULL)
    cal.elapsed(london(2025, 1, 1), london(2025, 2, 1))
    for clone in (pickle.loads(pickle.dumps(cal)), copy.deepcopy(cal), copy.copy(cal)):
        assert clone == cal
        assert clone.elapsed(london(2025, 1, 1), london(2026, 1, 1)) == cal.elapsed(
            london(2025, 1, 1), london(2026, 1, 1)
        )


def test_repr_is_short_and_readable() -> None:
    cal = BusinessCalendar.from_dict(FULL)
    text = repr(cal)
    assert text.startswith("BusinessCalendar('Europe/London', mon 09:00-12:30 13:30-17:00;")
    assert "sat 22:00-06:00" in text and "5 holiday rule(s), 2 closure(s)" in text
    assert repr(OpeningInterval(0, 86_400)) == "OpeningInterval.parse('00:00', '24:00')"


def test_typed_construction() -> None:
    nine_to_five = OpeningInterval.parse("09:00", "17:00")
    cal = BusinessCalendar(
        "Europe/London",
        [[nine_to_five]] * 5 + [[], []],
        [date(2025, 12, 25), FixedHoliday(date(2025, 12, 26), "Boxing Day")],
        [Closure(london(2025, 12, 24, 12), london(2025, 12, 24, 17))],
    )
    assert cal.holidays[0] == FixedHoliday(date(2025, 12, 25))
    assert nine_to_five.length == 8 * H and not nine_to_five.overnight
    assert OpeningInterval.parse("22:00", "06:00").length == 8 * H
    assert cal.add(london(2025, 12, 24, 11), 2 * H) == london(2025, 12, 29, 10)


def test_with_holidays_from_the_holidays_package() -> None:
    base = BusinessCalendar.from_dict({"timezone": "Europe/London", "week": WEEKDAYS_9_17})
    cal = base.with_holidays_from("GB", range(2025, 2027), subdiv="ENG")
    assert FixedHoliday(date(2025, 12, 25), "Christmas Day") in cal.holidays
    assert not cal.is_business_day(date(2025, 8, 25))
    again = cal.with_holidays_from("GB", 2025, subdiv="ENG")
    assert again.holidays == cal.holidays
    with pytest.raises(ConfigurationError, match="country"):
        base.with_holidays_from("XX", 2025)
    with pytest.raises(ConfigurationError, match="country"):
        base.with_holidays_from("GB", 2025, subdiv="Atlantis")
    with pytest.raises(ConfigurationError, match="years"):
        base.with_holidays_from("GB", [])
    with pytest.raises(ConfigurationError, match="years"):
        base.with_holidays_from("GB", [1800])


# ---------------------------------------------------------------------- validation


def _bad(data: object) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        BusinessCalendar.from_dict(data)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "unknown IANA time zone"),
        ({"timezone": 3}, "timezone", "expected an IANA time zone key"),
        ({"week": {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}}, "week.mon[1]", "overlaps"),
        (
            {"week": {"mon": [["22:00", "06:00"]], "tue": [["05:00", "09:00"]]}},
            "week.tue[0]",
            "overlaps week.mon[0]",
        ),
        (
            {"week": {"sun": [["22:00", "06:00"]], "mon": [["05:00", "09:00"]]}},
            "week.mon[0]",
            "across Sunday night",
        ),
        ({"week": {"mon": [["09:00", "09:00"]]}}, "week.mon[0]", "same time"),
        ({"week": {"mun": [["09:00", "17:00"]]}}, "week.mun", "unknown weekday"),
        ({"week": {"mon": [["9", "17:00"]]}}, "week.mon[0][0]", "expected a time"),
        ({"week": {"mon": [["24:00", "17:00"]]}}, "week.mon[0][0]", "24:00 is allowed only"),
        ({"week": {"mon": [["09:00", "24:30"]]}}, "week.mon[0][1]", "expected a time"),
        ({"week": {"mon": [["09:00"]]}}, "week.mon[0]", "expected [start, end]"),
        ({"week": {"mon": "09:00-17:00"}}, "week.mon", "expected a list"),
        ({"week": {}}, "week", "at least one opening interval"),
        ({"week": []}, "week", "expected a mapping of weekdays"),
        ({"holidays": ["2025-13-01"]}, "holidays[0]", "expected a date"),
        ({"holidays": ["25/12/2025"]}, "holidays[0]", "expected a date"),
        ({"holidays": ["2025-12-25T00:00:00"]}, "holidays[0]", "expected a date"),
        ({"holidays": [20251225]}, "holidays[0]", "expected a date string or a mapping"),
        ({"holidays": "2025-12-25"}, "holidays", "expected a list"),
        ({"holidays": [{"day": "2025-12-25"}]}, "holidays[0]", "one of the keys"),
        (
            {"holidays": [{"date": "2025-12-25", "colour": "red"}]},
            "holidays[0].colour",
            "unknown key",
        ),
        ({"holidays": [{"date": "2025-12-25", "name": ""}]}, "holidays[0].name", "non-blank"),
        ({"holidays": [{"rrule": "FREQ=SOMETIMES"}]}, "holidays[0].rrule", "recurrence rule"),
        ({"holidays": [{"rrule": "BYMONTH=5"}]}, "holidays[0].rrule", "needs a FREQ"),
        ({"holidays": [{"rrule": "FREQ=HOURLY"}]}, "holidays[0].rrule", "DAILY or coarser"),
        (
            {"holidays": [{"rrule": "DTSTART:20200101\nRRULE:FREQ=YEARLY"}]},
            "holidays[0].rrule",
            "DTSTART",
        ),
        ({"holidays": [{"rrule": 5}]}, "holidays[0].rrule", "expected a str"),
        (
            {"holidays": [{"rrule": "FREQ=YEARLY", "start": "soon"}]},
            "holidays[0].start",
            "expected a date",
        ),
        ({"holidays": [{"easter": 400}]}, "holidays[0].easter", "whole days from"),
        ({"holidays": [{"easter": "-2"}]}, "holidays[0].easter", "expected whole days"),
        (
            {"holidays": [{"easter": 1, "method": "coptic"}]},
            "holidays[0].method",
            "expected one of",
        ),
        ({"holidays": [{"easter": 1, "method": 2}]}, "holidays[0].method", "expected a str"),
        (
            {"closures": [{"start": "2025-12-24T12:00:00", "end": "2025-12-24T17:00:00+00:00"}]},
            "closures[0].start",
            "naive",
        ),
        (
            {"closures": [{"start": "2025-12-24T17:00:00Z", "end": "2025-12-24T12:00:00Z"}]},
            "closures[0]",
            "before end",
        ),
        (
            {"closures": [{"start": "yesterday", "end": "2025-12-24T12:00:00Z"}]},
            "closures[0].start",
            "ISO 8601",
        ),
        (
            {"closures": [{"start": "2025-12-24T12:00Z", "end": "2025-12-24T13:00Z", "why": "x"}]},
            "closures[0].why",
            "unknown key",
        ),
        (
            {"closures": [{"start": "1800-12-24T12:00Z", "end": "1800-12-24T13:00Z"}]},
            "closures[0]",
            "supported years",
        ),
        ({"closures": ["2025-12-24"]}, "closures[0]", "expected a mapping"),
        ({"closures": {}}, "closures", "expected a list"),
        ({"colour": "blue"}, "colour", "unknown key"),
    ],
)
def test_bad_dicts_name_the_key(change: dict[str, Any], path: str, message: str) -> None:
    data: dict[str, Any] = {"timezone": "Europe/London", "week": WEEKDAYS_9_17} | change
    error = _bad(data)
    assert path in error.paths, error
    assert message in str(error)


def test_every_problem_is_reported_at_once() -> None:
    error = _bad(
        {
            "week": {"xyz": [], "mon": [["25:00", "17:00"]]},
            "holidays": ["nope", {"easter": "x"}],
            "closures": [{"start": "x", "end": "y"}],
        }
    )
    assert set(error.paths) >= {
        "timezone",
        "week.xyz",
        "week.mon[0][0]",
        "holidays[0]",
        "holidays[1].easter",
        "closures[0].start",
        "closures[0].end",
    }


def test_not_a_mapping() -> None:
    assert _bad(["timezone"]).paths == ("",)
    assert "required" in str(_bad({"timezone": "UTC"}))


def test_messages_do_not_repeat_input_values() -> None:
    secret = "Jane Doe, 1 High Street"
    error = _bad({"timezone": secret, "week": {"mon": [[secret, secret]]}, "holidays": [secret]})
    assert secret not in str(error)


def test_typed_construction_is_validated() -> None:
    with pytest.raises(ConfigurationError) as info:
        BusinessCalendar("Europe/London", ((), ()))
    assert info.value.paths == ("week",)
    with pytest.raises(ConfigurationError) as info:
        BusinessCalendar(
            "Europe/London",
            (("09:00-17:00",), (), (), (), (), (), 5),
            (datetime(2025, 12, 25), "2025-12-26"),
            (Closure(datetime(2025, 1, 1), datetime(2025, 1, 2)), "x"),
        )
    assert set(info.value.paths) == {
        "week.mon[0]",
        "week.sun",
        "holidays[0]",
        "holidays[1]",
        "closures[0]",
        "closures[1]",
    }
    with pytest.raises(ConfigurationError) as info:
        BusinessCalendar(
            "UTC",
            ((OpeningInterval(0, 3600),),) + ((),) * 6,
            (
                FixedHoliday(datetime(2025, 1, 1)),
                RecurringHoliday(3, date(2000, 1, 1)),  # type: ignore[arg-type]
                RecurringHoliday("FREQ=YEARLY", "2000"),  # type: ignore[arg-type]
                EasterHoliday(True),
                EasterHoliday(1, name=" "),
            ),
            "closures",
        )
    assert info.value.paths == (
        "holidays[0].date",
        "holidays[1].rrule",
        "holidays[2].start",
        "holidays[3].easter",
        "holidays[4].name",
        "closures",
    )
    with pytest.raises(ConfigurationError, match="holidays"):
        BusinessCalendar("UTC", ((OpeningInterval(0, 3600),),) + ((),) * 6, 5)


@pytest.mark.parametrize(("start", "end"), [(-1, 10), (0, 0), (10, 86_401), (1.5, 10), (True, 9)])
def test_bad_opening_intervals(start: Any, end: Any) -> None:
    with pytest.raises(ConfigurationError):
        OpeningInterval(start, end)


def test_bad_interval_strings() -> None:
    with pytest.raises(ConfigurationError) as info:
        OpeningInterval.parse("9am", "24:00:01")
    assert info.value.paths == ("start", "end")


# ---------------------------------------------------------------------- bad operation input


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(datetime(2025, 1, 1, 9), H),
        lambda c: c.add(london(2025, 1, 1, 9), float("nan")),
        lambda c: c.add(london(2025, 1, 1, 9), 3600),
        lambda c: c.add("2025-01-01T09:00Z", H),
        lambda c: c.add(date(2025, 1, 1), H),
        lambda c: c.elapsed(london(2025, 1, 1), datetime(2025, 1, 2)),
        lambda c: c.elapsed(datetime(2025, 1, 1), london(2025, 1, 2)),
        lambda c: c.elapsed(None, london(2025, 1, 2)),
        lambda c: c.is_open(datetime(2025, 1, 1)),
        lambda c: c.next_open(datetime(2025, 1, 1)),
        lambda c: c.next_close(datetime(2025, 1, 1)),
        lambda c: c.local_date(1),
        lambda c: c.add_business_days(datetime(2025, 1, 1, tzinfo=UTC), 1),
        lambda c: c.add_business_days(date(2025, 1, 1), 1.0),
        lambda c: c.add_business_days(date(2025, 1, 1), True),
        lambda c: c.add_business_days(date(2025, 1, 1), 10**9),
        lambda c: c.business_days_between("2025-01-01", date(2025, 1, 2)),
        lambda c: c.close_of_business_day(london(2025, 1, 1), -1),
        lambda c: c.close_of_business_day(datetime(2025, 1, 1), 1),
        lambda c: c.close_of_business("2025-01-01"),
    ],
)
def test_bad_arguments_raise_validation_error(office: BusinessCalendar, call: Any) -> None:
    with pytest.raises(ValidationError) as info:
        call(office)
    assert isinstance(info.value, Iso10002Error)
    assert "naive" in str(info.value) or "expected" in str(info.value)


def test_a_calendar_that_never_opens_again_fails_cleanly() -> None:
    never = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {"mon": [["09:00", "17:00"]]},
            "holidays": [{"rrule": "FREQ=WEEKLY;BYDAY=MO", "start": "2020-01-01"}],
        }
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    calls: list[Callable[[], object]] = [
        lambda: never.add(start, H),
        lambda: never.next_open(start),
        lambda: never.add_business_days(date(2025, 1, 1), 1),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match="supported range"):
            call()
    assert never.add_business_days(date(2020, 1, 1), -1) == date(2019, 12, 30)


def test_the_holidays_extra_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "holidays", None)  # makes the import fail
    base = BusinessCalendar.from_dict({"timezone": "Europe/London", "week": WEEKDAYS_9_17})
    with pytest.raises(ConfigurationError, match=r"iso10002\[holidays\]"):
        base.with_holidays_from("GB", 2025)


def test_closure_instants_may_end_in_z() -> None:
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": WEEKDAYS_9_17,
            "closures": [{"start": "2025-12-24T12:00:00Z", "end": "2025-12-24T17:00:00z"}],
        }
    )
    assert cal.closures[0].start == datetime(2025, 12, 24, 12, tzinfo=UTC)
