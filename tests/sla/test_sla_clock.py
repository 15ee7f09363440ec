"""SlaClock and the durations: deadlines, pauses, warnings, stops, retargets, validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from iso10002.errors import ConfigurationError, ValidationError
from iso10002.sla import (
    BusinessCalendar,
    BusinessDays,
    BusinessTime,
    CalendarDays,
    SlaClock,
    SuspensionWindow,
    Weeks,
    duration_from_dict,
    duration_to_dict,
)

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    return BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2025-12-25", "2025-12-26", "2026-01-01"],
        }
    )


@pytest.fixture(scope="module")
def always() -> BusinessCalendar:
    return BusinessCalendar.continuous("Europe/London")


# ---------------------------------------------------------------------- durations


def test_business_time_due(office: BusinessCalendar) -> None:
    assert BusinessTime(8 * H).due(london(2025, 12, 22, 9), office) == london(2025, 12, 22, 17)
    assert BusinessTime(timedelta(0)).due(london(2025, 12, 22, 17), office) == london(
        2025, 12, 23, 9
    )


def test_business_days_due(office: BusinessCalendar) -> None:
    due = BusinessDays(3).due(london(2025, 12, 19, 16, 30), office)
    assert due == london(2025, 12, 24, 17)


def test_calendar_days_keep_the_wall_time_or_run_to_the_end_of_the_day(
    office: BusinessCalendar,
) -> None:
    start = london(2025, 3, 29, 10)  # the clocks go forward overnight
    assert CalendarDays(1).due(start, office) == london(2025, 3, 30, 10)
    assert CalendarDays(1).due(start, office).astimezone(UTC) - start == 23 * H
    assert CalendarDays(1, to_end_of_day=True).due(start, office) == london(2025, 3, 31)
    assert CalendarDays(0, to_end_of_day=True).due(start, office) == london(2025, 3, 30)
    # a wall time that does not exist moves forward by the gap
    gap = datetime(2025, 3, 29, 1, 30, tzinfo=LONDON)
    assert CalendarDays(1).due(gap, office) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)


def test_weeks(office: BusinessCalendar) -> None:
    start = london(2025, 3, 3, 10)
    assert Weeks(8).due(start, office) == london(2025, 4, 28, 10)
    assert Weeks(8, to_end_of_day=True).due(start, office) == london(2025, 4, 29)


def test_durations_repr_and_day_basis() -> None:
    assert repr(BusinessTime(timedelta(hours=8, minutes=30))) == "BusinessTime(PT8H30M)"
    assert repr(BusinessTime(timedelta(seconds=1.5))) == "BusinessTime(PT1.5S)"
    assert repr(BusinessTime(timedelta(0))) == "BusinessTime(PT0S)"
    assert repr(BusinessDays(3)) == "BusinessDays(3)"
    assert repr(CalendarDays(15, to_end_of_day=True)) == "CalendarDays(15, to_end_of_day=True)"
    assert repr(Weeks(8)) == "Weeks(8)"
    assert [d.day_basis for d in (BusinessTime(H), BusinessDays(1), CalendarDays(1), Weeks(1))] == [
        "business time",
        "business days",
        "calendar days",
        "calendar days",
    ]


@pytest.mark.parametrize(
    ("data", "value"),
    [
        ({"business_time": "PT8H"}, BusinessTime(8 * H)),
        ({"business_time": "PT90M"}, BusinessTime(timedelta(minutes=90))),
        ({"business_time": "PT1H0M2.25S"}, BusinessTime(timedelta(hours=1, seconds=2.25))),
        ({"business_days": 3}, BusinessDays(3)),
        ({"calendar_days": 15, "to_end_of_day": True}, CalendarDays(15, True)),
        ({"calendar_days": 15}, CalendarDays(15)),
        ({"weeks": 8}, Weeks(8)),
    ],
)
def test_duration_dicts(data: dict[str, Any], value: Any) -> None:
    assert duration_from_dict(data) == value
    assert duration_from_dict(duration_to_dict(value)) == value


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"business_time": "8h"}, "business_time"),
        ({"business_time": "PT"}, "business_time"),
        ({"business_time": "P1D"}, "business_time"),
        ({"business_time": "PT9999999H"}, "business_time"),
        ({"business_time": "PT8H", "to_end_of_day": True}, "to_end_of_day"),
        ({"business_days": -1}, "business_days"),
        ({"business_days": 1.5}, "business_days"),
        ({"business_days": 2, "to_end_of_day": True}, "to_end_of_day"),
        ({"calendar_days": 5, "to_end_of_day": "yes"}, "to_end_of_day"),
        ({"weeks": 10_000}, "weeks"),
        ({"weeks": 1, "days": 2}, "days"),
        ({"weeks": 1, "business_days": 2}, ""),
        ({}, ""),
        ([], ""),
    ],
)
def test_bad_duration_dicts(data: Any, path: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        duration_from_dict(data)
    assert path in info.value.paths


@pytest.mark.parametrize(
    "make",
    [
        lambda: BusinessTime(3600),  # type: ignore[arg-type]
        lambda: BusinessTime(-H),
        lambda: BusinessTime(timedelta(days=40_000)),
        lambda: BusinessDays(-1),
        lambda: BusinessDays(True),
        lambda: BusinessDays(2.0),  # type: ignore[arg-type]
        lambda: CalendarDays(1, to_end_of_day=1),  # type: ignore[arg-type]
        lambda: Weeks(6000),
        lambda: Weeks(-1),
    ],
)
def test_bad_durations(make: Any) -> None:
    with pytest.raises(ValidationError):
        make()


def test_due_refuses_bad_arguments(office: BusinessCalendar) -> None:
    with pytest.raises(ValidationError, match="calendar"):
        BusinessDays(1).due(london(2025, 1, 1), "Europe/London")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="naive"):
        CalendarDays(1).due(datetime(2025, 1, 1), office)
    with pytest.raises(ValidationError, match="supported range"):
        Weeks(5000).due(london(2250, 1, 1), office)


# ---------------------------------------------------------------------- clocks


def test_a_running_clock(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(16 * H))
    assert clock.due_at == london(2025, 12, 23, 17)
    assert clock.budget() == 16 * H
    status = clock.status(london(2025, 12, 22, 13))
    assert status.elapsed == 4 * H
    assert status.remaining == 12 * H
    assert status.fraction_used == 0.25
    assert status.warnings_crossed == ()
    assert not status.breached and status.met_on_time is None
    assert not status.paused and not status.stopped
    assert clock.warning_instants() == (
        (0.5, london(2025, 12, 22, 17)),
        (0.75, london(2025, 12, 23, 13)),
        (0.9, london(2025, 12, 23, 15, 24)),
    )
    late = clock.status(london(2025, 12, 24, 10))
    assert late.breached and late.remaining == -H and late.warnings_crossed == (0.5, 0.75, 0.9)
    assert late.fraction_used == 17 / 16


def test_paused_business_time_moves_the_deadline(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(16 * H))
    paused = clock.pause(london(2025, 12, 22, 13))
    assert paused.paused and paused.due_at is None
    assert paused.warning_instants() == ()
    during = paused.status(london(2025, 12, 23, 12))
    assert during.paused and during.elapsed == 4 * H
    assert during.due_at == london(2025, 12, 24, 16)  # if it resumed now: 7 h later
    resumed = paused.resume(london(2025, 12, 23, 13))
    assert resumed.pauses == ((london(2025, 12, 22, 13), london(2025, 12, 23, 13)),)
    assert resumed.due_at == london(2025, 12, 24, 17)  # 8 business hours later
    assert resumed.warning_instants() == (
        (0.5, london(2025, 12, 23, 17)),
        (0.75, london(2025, 12, 24, 13)),
        (0.9, london(2025, 12, 24, 15, 24)),
    )
    # the status as it stood before the pause knew nothing of it
    assert resumed.status(london(2025, 12, 22, 12)).due_at == london(2025, 12, 23, 17)
    assert resumed.status(london(2025, 12, 22, 14)).paused


def test_a_pause_outside_business_hours_changes_nothing(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(16 * H))
    weekend = clock.pause(london(2025, 12, 22, 18)).resume(london(2025, 12, 23, 8))
    assert weekend.due_at == clock.due_at


def test_a_pause_after_the_deadline_does_not_undo_a_breach(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(8 * H))
    late = clock.pause(london(2025, 12, 23, 10)).resume(london(2025, 12, 24, 10))
    assert late.due_at == london(2025, 12, 22, 17)
    assert late.status(london(2025, 12, 24, 12)).breached
    assert late.pause(london(2025, 12, 29, 10)).due_at == london(2025, 12, 22, 17)


def test_stopping(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(8 * H))
    on_time = clock.stop(london(2025, 12, 22, 17))
    assert on_time.stopped
    status = on_time.status(london(2025, 12, 29, 9))
    assert status.stopped and status.met_on_time is True and not status.breached
    assert status.elapsed == 8 * H and status.fraction_used == 1.0
    before = on_time.status(london(2025, 12, 22, 12))
    assert not before.stopped and before.met_on_time is None
    late = clock.stop(london(2025, 12, 23, 9, 30))
    assert late.status(london(2025, 12, 29, 9)).met_on_time is False
    assert late.status(london(2025, 12, 29, 9)).breached
    # stopping a paused clock closes the pause first
    paused = clock.pause(london(2025, 12, 22, 10)).stop(london(2025, 12, 22, 12))
    assert paused.pauses == ((london(2025, 12, 22, 10), london(2025, 12, 22, 12)),)
    assert paused.status(london(2025, 12, 23, 9)).elapsed == H
    assert paused.warning_instants() == ()  # never reached before the stop


def test_retarget_recomputes_from_the_start_and_may_breach_at_once(
    office: BusinessCalendar,
) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessDays(3))
    clock = clock.pause(london(2025, 12, 22, 10)).resume(london(2025, 12, 22, 11))
    assert clock.due_at == london(2025, 12, 30, 10)  # COB 29 Dec + the paused hour
    shorter = clock.retarget(BusinessTime(4 * H))
    assert shorter.pauses == clock.pauses
    assert shorter.due_at == london(2025, 12, 22, 14)
    assert shorter.status(london(2025, 12, 22, 15)).breached


def test_calendar_day_targets_on_a_continuous_calendar(always: BusinessCalendar) -> None:
    start = london(2025, 3, 3, 10)
    clock = SlaClock(always, start, Weeks(8, to_end_of_day=True))
    assert clock.due_at == london(2025, 4, 29)
    paused = clock.pause(london(2025, 3, 10, 12)).resume(london(2025, 3, 13, 12))
    assert paused.due_at == london(2025, 5, 2)  # three days later
    assert paused.status(london(2025, 4, 30)).remaining == timedelta(days=2)


def test_zero_budget_and_deadlines_before_the_start(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 18), BusinessDays(0))
    assert clock.due_at == london(2025, 12, 22, 18)  # close of that day was before the start
    assert clock.budget() == timedelta(0)
    status = clock.status(london(2025, 12, 22, 18))
    assert status.fraction_used == 1.0 and not status.breached
    assert clock.status(london(2025, 12, 22, 19)).breached
    assert clock.warning_instants() == (
        (0.5, clock.due_at),
        (0.75, clock.due_at),
        (0.9, clock.due_at),
    )
    zero = SlaClock(office, london(2025, 12, 20, 12), BusinessTime(timedelta(0)))
    assert zero.due_at == london(2025, 12, 22, 9)
    saturday = zero.status(london(2025, 12, 20, 13))
    assert saturday.fraction_used == 0.0 and saturday.warnings_crossed == ()
    assert zero.status(london(2025, 12, 22, 9)).warnings_crossed == (0.5, 0.75, 0.9)
    assert zero.warning_instants()[0] == (0.5, london(2025, 12, 22, 9))


def test_status_before_the_start(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(H))
    early = clock.status(london(2025, 12, 21, 9))
    assert early.elapsed == timedelta(0) and not early.breached


def test_suspension_windows_act_as_pauses(always: BusinessCalendar) -> None:
    window = SuspensionWindow(london(2025, 3, 10), london(2025, 3, 17), "stop", "rule 1")
    clock = SlaClock(always, london(2025, 3, 3, 10), CalendarDays(14), suspensions=(window,))
    assert clock.due_at == london(2025, 3, 24, 10)
    paused = clock.pause(london(2025, 3, 8, 10)).resume(london(2025, 3, 12, 10))
    # the pause and the window overlap: 8 Mar 10:00 to 17 Mar 00:00 counts once
    assert paused.due_at == london(2025, 3, 26)


def test_constructible_from_recorded_facts(office: BusinessCalendar) -> None:
    clock = SlaClock(
        office,
        london(2025, 12, 22, 9),
        BusinessTime(16 * H),
        pauses=[[london(2025, 12, 22, 13), london(2025, 12, 23, 13)]],
        paused_since=None,
        stopped_at=None,
        thresholds=[0.8],
    )
    assert clock.pauses == ((london(2025, 12, 22, 13), london(2025, 12, 23, 13)),)
    assert clock.thresholds == (0.8,)
    assert clock.due_at == london(2025, 12, 24, 17)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"calendar": "Europe/London"}, "calendar"),
        ({"started_at": datetime(2025, 12, 22, 9)}, "started_at"),
        ({"target": timedelta(hours=8)}, "target"),
        ({"thresholds": (0.5, 0.5)}, "thresholds[1]"),
        ({"thresholds": (0.0,)}, "thresholds[0]"),
        ({"thresholds": (float("nan"),)}, "thresholds[0]"),
        ({"thresholds": ("0.5",)}, "thresholds[0]"),
        ({"thresholds": 0.5}, "thresholds"),
        ({"suspensions": ("2024",)}, "suspensions"),
        ({"pauses": "none"}, "pauses"),
        ({"pauses": ((london(2025, 12, 22, 10),),)}, "pauses[0]"),
        ({"pauses": ((datetime(2025, 12, 22, 10), london(2025, 12, 22, 11)),)}, "pauses[0]"),
        ({"pauses": ((london(2025, 12, 22, 8), london(2025, 12, 22, 11)),)}, "pauses[0]"),
        ({"pauses": ((london(2025, 12, 22, 12), london(2025, 12, 22, 11)),)}, "pauses[0]"),
        (
            {
                "pauses": (
                    (london(2025, 12, 22, 10), london(2025, 12, 22, 12)),
                    (london(2025, 12, 22, 11), london(2025, 12, 22, 13)),
                )
            },
            "pauses[1]",
        ),
        ({"paused_since": datetime(2025, 12, 22, 10)}, "paused_since"),
        ({"stopped_at": london(2025, 12, 22, 8)}, "stopped_at"),
        (
            {"paused_since": london(2025, 12, 22, 10), "stopped_at": london(2025, 12, 22, 11)},
            "paused_since",
        ),
    ],
)
def test_bad_facts(office: BusinessCalendar, kwargs: dict[str, Any], path: str) -> None:
    facts: dict[str, Any] = {
        "calendar": office,
        "started_at": london(2025, 12, 22, 9),
        "target": BusinessTime(H),
    } | kwargs
    with pytest.raises(ValidationError) as info:
        SlaClock(**facts)
    assert path in info.value.paths


def test_bad_transitions(office: BusinessCalendar) -> None:
    clock = SlaClock(office, london(2025, 12, 22, 9), BusinessTime(8 * H))
    with pytest.raises(ValidationError, match="not paused"):
        clock.resume(london(2025, 12, 22, 10))
    with pytest.raises(ValidationError, match="before the start"):
        clock.pause(london(2025, 12, 22, 8))
    with pytest.raises(ValidationError, match="aware"):
        clock.pause(datetime(2025, 12, 22, 10))
    paused = clock.pause(london(2025, 12, 22, 10))
    with pytest.raises(ValidationError, match="already paused"):
        paused.pause(london(2025, 12, 22, 11))
    with pytest.raises(ValidationError, match="before the pause began"):
        paused.resume(london(2025, 12, 22, 9, 30))
    resumed = paused.resume(london(2025, 12, 22, 11))
    with pytest.raises(ValidationError, match="last pause"):
        resumed.pause(london(2025, 12, 22, 10, 30))
    stopped = resumed.stop(london(2025, 12, 22, 12))
    with pytest.raises(ValidationError, match="stopped clock"):
        stopped.stop(london(2025, 12, 22, 13))
    with pytest.raises(ValidationError, match="stopped clock"):
        stopped.pause(london(2025, 12, 22, 13))
    with pytest.raises(ValidationError, match="naive"):
        clock.status(datetime(2025, 12, 22, 13))


def test_bad_suspension_windows() -> None:
    with pytest.raises(ValidationError) as info:
        SuspensionWindow(datetime(2024, 1, 1), london(2024, 2, 1), "", 5)  # type: ignore[arg-type]
    assert info.value.paths == ("start", "name", "citation")
    with pytest.raises(ValidationError, match="after start"):
        SuspensionWindow(london(2024, 2, 1), london(2024, 1, 1), "x")
