"""How a deadline is shown to people: one rendering for letters, status pages and reports.

A deadline is an instant. People read it as a day in the organisation's time zone, and an
end-of-day deadline (one falling on the first instant of a local day, e.g. midnight after
``CalendarDays(n, to_end_of_day=True)``) belongs to the day that ends there: a final response due
at 00:00 on Saturday 18 July is due "by the end of Friday 17 July 2026". The names of days and
months are English whatever the process locale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo

from iso10002.errors import ValidationError, describe

__all__ = ["deadline_day", "describe_deadline"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_US = timedelta(microseconds=1)


def _local(due_at: datetime, zone: tzinfo) -> tuple[date, bool]:
    """The local day *due_at* belongs to in *zone*, and whether it is the end of that day."""
    given: object = due_at
    where: object = zone
    problems = []
    if not isinstance(given, datetime) or given.utcoffset() is None:
        problems.append(("due_at", f"expected an aware datetime, got {describe(given)}"))
    if not isinstance(where, tzinfo):
        problems.append(("zone", f"expected a tzinfo, got {describe(where)}"))
    if problems:
        raise ValidationError(problems, what="deadline")
    instant = due_at.astimezone(timezone.utc)  # arithmetic on instants, not wall times
    day = instant.astimezone(zone).date()
    try:
        before = (instant - _US).astimezone(zone).date()
    except OverflowError:  # the first representable instant
        return day, False
    return (before, True) if before != day else (day, False)


def deadline_day(due_at: datetime, zone: tzinfo) -> date:
    """The local date in *zone* by which *due_at* falls due; an end-of-day deadline (the first
    instant of a local day) belongs to the day before."""
    return _local(due_at, zone)[0]


def describe_deadline(due_at: datetime, zone: tzinfo) -> str:
    """*due_at* as people read it, after "by": ``"the end of Friday 17 July 2026"`` for an
    end-of-day deadline, else the day, ``"Monday 23 March 2026"``."""
    day, end_of_day = _local(due_at, zone)
    text = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"the end of {text}" if end_of_day else text
