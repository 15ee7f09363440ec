"""Durations of SLA targets: business time, business days, calendar days and weeks.

Each is a small frozen value whose ``due(start, calendar)`` gives the deadline instant, in the
calendar's zone. The dict forms (used by :class:`~iso10002.sla.SlaPolicy`)::

    {"business_time": "PT8H30M"}                        # ISO 8601 time-only duration
    {"business_days": 3}                                # close of the 3rd business day after
    {"calendar_days": 15, "to_end_of_day": True}        # end of the local day 15 days later
    {"weeks": 8, "to_end_of_day": False}                # same local wall time 8 weeks later
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002.errors import ConfigurationError, Problem, ValidationError, describe

from ._engine import DAY, EPOCH_ORD, HIGH_US, US, out_of_range
from .calendar import BusinessCalendar

__all__ = [
    "BusinessDays",
    "BusinessTime",
    "CalendarDays",
    "Duration",
    "Weeks",
    "duration_from_dict",
    "duration_problems",
    "duration_to_dict",
]

_MAX_DAYS = 36_500
_MAX_TIME = timedelta(days=36_500)
_ISO = re.compile(r"^PT(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,11})(?:\.(\d{1,6}))?S)?$")


def _bad(path: str, message: str, what: str) -> ValidationError:
    return ValidationError([(path, message)], what=what)


def _check_count(value: object, what: str) -> None:
    if not v.is_int(value):
        raise _bad("n", f"expected an int, got {describe(value)}", what)
    if not 0 <= value <= _MAX_DAYS:
        raise _bad("n", f"expected an int from 0 to {_MAX_DAYS}", what)


def _check_flag(value: object, what: str) -> None:
    if not isinstance(value, bool):
        raise _bad("to_end_of_day", f"expected a bool, got {describe(value)}", what)


def _calendar(value: object) -> BusinessCalendar:
    if not isinstance(value, BusinessCalendar):
        raise _bad("calendar", f"expected a BusinessCalendar, got {describe(value)}", "deadline")
    return value


def _format_iso(value: timedelta) -> str:
    us = value // US
    seconds, micro = divmod(us, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or micro or out == "PT":
        out += f"{secs}.{micro:06d}".rstrip("0").rstrip(".") + "S"
    return out


def _parse_iso(value: str) -> timedelta | None:
    m = _ISO.match(value)
    if m is None or not any(m.group(1, 2, 3)):
        return None
    micro = int((m[4] or "").ljust(6, "0"))
    return timedelta(
        hours=int(m[1] or 0), minutes=int(m[2] or 0), seconds=int(m[3] or 0), microseconds=micro
    )


@attrs.frozen(repr=False)
class BusinessTime:
    """A span of business time: due at ``calendar.add(start, value)``."""

    value: timedelta

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.value, timedelta):
            raise _bad("value", f"expected a timedelta, got {describe(self.value)}", "BusinessTime")
        if not timedelta(0) <= self.value <= _MAX_TIME:
            raise _bad("value", "expected a timedelta from 0 to 36500 days", "BusinessTime")

    @property
    def day_basis(self) -> str:
        """``"business time"``."""
        return "business time"

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """The deadline for a clock started at *start*."""
        return _calendar(calendar).add(start, self.value)

    def to_dict(self) -> dict[str, Any]:
        """``{"business_time": "PT8H"}``."""
        return {"business_time": _format_iso(self.value)}

    def __repr__(self) -> str:
        return f"BusinessTime({_format_iso(self.value)})"


@attrs.frozen(repr=False)
class BusinessDays:
    """Due at the close of business of the n-th business day after the local date of the start
    (``n == 0``: of that date if it is a business day, else of the next one)."""

    n: int

    def __attrs_post_init__(self) -> None:
        _check_count(self.n, "BusinessDays")

    @property
    def day_basis(self) -> str:
        """``"business days"``."""
        return "business days"

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """The deadline for a clock started at *start*."""
        return _calendar(calendar).close_of_business_day(start, self.n)

    def to_dict(self) -> dict[str, Any]:
        """``{"business_days": n}``."""
        return {"business_days": self.n}

    def __repr__(self) -> str:
        return f"BusinessDays({self.n})"


def _calendar_due(
    start: datetime, calendar: BusinessCalendar, days: int, to_end_of_day: bool
) -> datetime:
    cal = _calendar(calendar)
    engine = cal._engine
    us = engine.to_us(start, "start")
    local_us = us + engine.offset_at(us)
    day = local_us // DAY + days
    if to_end_of_day:
        result = engine.midnight(day + EPOCH_ORD + 1)
    else:
        result = engine.wall_to_utc(day * DAY + local_us % DAY)
    if result >= HIGH_US:
        raise out_of_range("result")
    return engine.to_dt(result)


@attrs.frozen(repr=False)
class CalendarDays:
    """*n* calendar days in the calendar's zone: at the same local wall time (``fold=0``), or at
    the end of that local day (the next local midnight) when *to_end_of_day*."""

    n: int
    to_end_of_day: bool = False

    def __attrs_post_init__(self) -> None:
        _check_count(self.n, "CalendarDays")
        _check_flag(self.to_end_of_day, "CalendarDays")

    @property
    def day_basis(self) -> str:
        """``"calendar days"``."""
        return "calendar days"

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """The deadline for a clock started at *start*."""
        return _calendar_due(start, calendar, self.n, self.to_end_of_day)

    def to_dict(self) -> dict[str, Any]:
        """``{"calendar_days": n, "to_end_of_day": bool}``."""
        return {"calendar_days": self.n, "to_end_of_day": self.to_end_of_day}

    def __repr__(self) -> str:
        end = ", to_end_of_day=True" if self.to_end_of_day else ""
        return f"CalendarDays({self.n}{end})"


@attrs.frozen(repr=False)
class Weeks:
    """*n* weeks: ``CalendarDays(7 * n, to_end_of_day)``."""

    n: int
    to_end_of_day: bool = False

    def __attrs_post_init__(self) -> None:
        _check_count(self.n, "Weeks")
        _check_flag(self.to_end_of_day, "Weeks")
        if self.n > _MAX_DAYS // 7:
            raise _bad("n", f"expected an int from 0 to {_MAX_DAYS // 7}", "Weeks")

    @property
    def day_basis(self) -> str:
        """``"calendar days"``."""
        return "calendar days"

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """The deadline for a clock started at *start*."""
        return _calendar_due(start, calendar, 7 * self.n, self.to_end_of_day)

    def to_dict(self) -> dict[str, Any]:
        """``{"weeks": n, "to_end_of_day": bool}``."""
        return {"weeks": self.n, "to_end_of_day": self.to_end_of_day}

    def __repr__(self) -> str:
        end = ", to_end_of_day=True" if self.to_end_of_day else ""
        return f"Weeks({self.n}{end})"


Duration = BusinessTime | BusinessDays | CalendarDays | Weeks
"""Any SLA duration: business time, business days, calendar days or weeks."""

DURATION_TYPES = (BusinessTime, BusinessDays, CalendarDays, Weeks)
_KINDS = ("business_time", "business_days", "calendar_days", "weeks")


def duration_to_dict(duration: Duration) -> dict[str, Any]:
    """The dict form of *duration*."""
    return duration.to_dict()


def duration_from_dict(
    data: object, path: str = "", *, extra: tuple[str, ...] = (), what: str = "duration"
) -> Duration:
    """Parse a duration's dict form; raises ``ConfigurationError`` naming ``path.key``.

    *extra* names keys that may sit beside the duration (they are ignored here)."""
    problems = duration_problems(data, path, extra=extra)
    if problems:
        raise ConfigurationError(problems, what=what)
    return _build(data)  # type: ignore[arg-type]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def duration_problems(
    data: object, path: str = "", *, extra: tuple[str, ...] = ()
) -> list[Problem]:
    """Every problem of a duration's dict form (empty when it is valid)."""
    if not isinstance(data, Mapping):
        return [Problem(path, f"expected a mapping with one of {', '.join(_KINDS)}")]
    kinds = [k for k in _KINDS if k in data]
    problems: list[Problem] = []
    for key in data:
        if key not in _KINDS and key != "to_end_of_day" and key not in extra:
            name = _join(path, key) if isinstance(key, str) and key.isprintable() else path
            problems.append(Problem(name, "unknown key"))
    if len(kinds) != 1:
        problems.append(Problem(path, f"expected exactly one of {', '.join(_KINDS)}"))
        return problems
    kind = kinds[0]
    value = data[kind]
    if kind == "business_time":
        if "to_end_of_day" in data:
            problems.append(Problem(_join(path, "to_end_of_day"), "not allowed with business_time"))
        parsed = _parse_iso(value) if isinstance(value, str) else None
        if parsed is None:
            problems.append(
                Problem(_join(path, kind), "expected an ISO 8601 duration such as 'PT8H30M'")
            )
        elif parsed > _MAX_TIME:
            problems.append(Problem(_join(path, kind), "too long (at most 36500 days)"))
    else:
        high = _MAX_DAYS // 7 if kind == "weeks" else _MAX_DAYS
        if not v.is_int(value) or not 0 <= value <= high:
            problems.append(Problem(_join(path, kind), f"expected an int from 0 to {high}"))
        if kind == "business_days" and "to_end_of_day" in data:
            problems.append(Problem(_join(path, "to_end_of_day"), "not allowed with business_days"))
        elif "to_end_of_day" in data and not isinstance(data["to_end_of_day"], bool):
            problems.append(Problem(_join(path, "to_end_of_day"), "expected a bool"))
    return problems


def _build(data: Mapping[str, Any]) -> Duration:
    if "business_time" in data:
        parsed = _parse_iso(data["business_time"])
        return BusinessTime(parsed if parsed is not None else timedelta(0))
    if "business_days" in data:
        return BusinessDays(data["business_days"])
    end = bool(data.get("to_end_of_day", False))
    if "calendar_days" in data:
        return CalendarDays(data["calendar_days"], end)
    return Weeks(data["weeks"], end)
