"""Business calendars: a time zone, weekly opening hours, holidays and closures.

The dict form (``BusinessCalendar.from_dict`` / ``to_dict``)::

    {
        "timezone": "Europe/London",                  # an IANA key
        "week": {                                     # keys mon..sun; a missing day is closed
            "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
            "sat": [["22:00", "06:00"]],              # end <= start: ends the next local day
        },
        "holidays": [
            "2025-12-25",                             # a date
            {"date": "2025-12-26", "name": "Boxing Day"},
            {"rrule": "FREQ=YEARLY;BYMONTH=5;BYDAY=1MO", "start": "1978-01-01",
             "name": "Early May bank holiday"},       # RFC 5545 RRULE (+ EXDATE/RDATE lines)
            {"easter": -2, "name": "Good Friday"},    # days after Easter Sunday
            {"easter": 1, "method": "orthodox"},      # western (default), orthodox or julian
        ],
        "closures": [                                 # aware ISO 8601 instants, end exclusive
            {"start": "2025-12-24T12:00:00+00:00", "end": "2025-12-24T17:00:00+00:00",
             "name": "Christmas Eve afternoon"},
        ],
    }
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.easter import EASTER_JULIAN, EASTER_ORTHODOX, EASTER_WESTERN, easter
from dateutil.rrule import rruleset, rrulestr

from iso10002 import _validate as v
from iso10002._time import EPOCH
from iso10002.errors import ConfigurationError, Problem, ValidationError, describe

from ._engine import (
    DAY,
    EPOCH_ORD,
    HIGH_US,
    HIGH_YEAR,
    LOW_US,
    LOW_YEAR,
    SECOND,
    US,
    Engine,
    out_of_range,
)

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "Closure",
    "EasterHoliday",
    "FixedHoliday",
    "Holiday",
    "OpeningInterval",
    "RecurringHoliday",
]

#: Weekday keys of the dict form, Monday first.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EASTER_METHODS: dict[str, Literal[1, 2, 3]] = {
    "western": EASTER_WESTERN,
    "orthodox": EASTER_ORTHODOX,
    "julian": EASTER_JULIAN,
}
_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")
_FREQ = re.compile(r"FREQ=([A-Z]+)", re.IGNORECASE)
_MAX_NAME = 200
_RULE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)
_MAX_EASTER_OFFSET = 180
_MAX_BUSINESS_DAYS = 100_000
_WHAT = "business calendar"
_OP = "business-calendar operation"


class _RuleError(ValueError):
    """A recurrence rule this library does not accept (the message says why)."""


def _parse_time(value: object, path: str, problems: list[Problem], *, end: bool) -> int | None:
    if not isinstance(value, str):
        problems.append(
            Problem(path, f"expected a time 'HH:MM' or 'HH:MM:SS', got {describe(value)}")
        )
        return None
    m = _TIME.match(value)
    if m is None:
        problems.append(Problem(path, "expected a time 'HH:MM' or 'HH:MM:SS' (00:00 to 24:00)"))
        return None
    seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)
    if seconds > 86_400:
        problems.append(Problem(path, "expected a time 'HH:MM' or 'HH:MM:SS' (00:00 to 24:00)"))
        return None
    if seconds == 86_400 and not end:
        problems.append(Problem(path, "24:00 is allowed only as the end of an interval"))
        return None
    return seconds


def _format_time(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


def _check_name(value: object, path: str, problems: list[Problem]) -> None:
    if value is not None and (
        not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME
    ):
        problems.append(
            Problem(path, f"a name must be a non-blank str of at most {_MAX_NAME} characters")
        )


def _raise(problems: list[Problem], what: str = _WHAT) -> None:
    if problems:
        raise ConfigurationError(problems, what=what)


@attrs.frozen(repr=False)
class OpeningInterval:
    """Opening hours on one weekday in local wall time; ``end <= start`` ends the next day."""

    start: int
    """Seconds after local midnight, 0 to 86399."""
    end: int
    """Seconds after local midnight, 1 to 86400 (``24:00``); ``end <= start`` is overnight."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for name, value, low, high in (
            ("start", self.start, 0, 86_399),
            ("end", self.end, 1, 86_400),
        ):
            if not v.is_int(value) or not low <= value <= high:
                problems.append(Problem(name, f"expected seconds from {low} to {high}"))
        if not problems and self.start == self.end:
            problems.append(Problem("end", "an interval must not start and end at the same time"))
        _raise(problems, "opening interval")

    @classmethod
    def parse(cls, start: str, end: str) -> OpeningInterval:
        """Build from ``"HH:MM"`` / ``"HH:MM:SS"`` strings (``"24:00"`` allowed as the end)."""
        problems: list[Problem] = []
        s = _parse_time(start, "start", problems, end=False)
        e = _parse_time(end, "end", problems, end=True)
        _raise(problems, "opening interval")
        return cls(s or 0, e or 0)

    @property
    def overnight(self) -> bool:
        """Whether the interval ends on the next local day."""
        return self.end <= self.start

    @property
    def length(self) -> timedelta:
        """Nominal length in wall-clock time (real length differs on DST nights)."""
        end = self.end + 86_400 if self.overnight else self.end
        return timedelta(seconds=end - self.start)

    def to_list(self) -> list[str]:
        """The dict form: ``["HH:MM", "HH:MM"]``."""
        return [_format_time(self.start), _format_time(self.end)]

    def __repr__(self) -> str:
        start, end = self.to_list()
        return f"OpeningInterval.parse({start!r}, {end!r})"


@attrs.frozen
class FixedHoliday:
    """A holiday on one date."""

    day: date
    name: str | None = None

    def to_dict(self) -> str | dict[str, Any]:
        """``"YYYY-MM-DD"``, or ``{"date": ..., "name": ...}`` when named."""
        if self.name is None:
            return self.day.isoformat()
        return {"date": self.day.isoformat(), "name": self.name}


@attrs.frozen
class RecurringHoliday:
    """Holidays from an RFC 5545 recurrence rule (``dateutil.rrule``), counted from *start*."""

    rrule: str
    """An RRULE value such as ``FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25``, optionally followed by
    ``EXDATE:``/``RDATE:``/``EXRULE:`` lines; no ``DTSTART`` (use *start*); DAILY or coarser."""
    start: date = date(LOW_YEAR, 1, 1)
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"rrule": ..., "start": ..., "name": ...}`` (name only when set)."""
        out: dict[str, Any] = {"rrule": self.rrule, "start": self.start.isoformat()}
        if self.name is not None:
            out["name"] = self.name
        return out

    def compile(self) -> rruleset:
        """The parsed rule set (raises ``ValueError`` and friends on a bad rule)."""
        text = self.rrule.strip()
        if "DTSTART" in text.upper():
            raise _RuleError("DTSTART is not allowed in the rule: use 'start'")
        for freq in _FREQ.findall(text):
            if freq.upper() in ("HOURLY", "MINUTELY", "SECONDLY"):
                raise _RuleError("the frequency must be DAILY or coarser")
        if not _FREQ.search(text):
            raise _RuleError("the rule needs a FREQ")
        start = datetime(self.start.year, self.start.month, self.start.day)
        rules = rrulestr(text, dtstart=start, forceset=True, cache=True)
        if not isinstance(rules, rruleset):  # pragma: no cover - forceset guarantees it
            raise TypeError("not a rule set")
        rules.between(datetime(2000, 1, 1), datetime(2001, 1, 1), inc=True)
        return rules


@attrs.frozen
class EasterHoliday:
    """A holiday *offset* days after Easter Sunday (``-2`` Good Friday, ``1`` Easter Monday)."""

    offset: int
    method: str = "western"
    """``"western"`` (Gregorian), ``"orthodox"`` (Julian Easter as a Gregorian date) or
    ``"julian"`` (Julian Easter as a Julian date), as in ``dateutil.easter``."""
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"easter": offset, "method": ..., "name": ...}`` (method and name only when set)."""
        out: dict[str, Any] = {"easter": self.offset}
        if self.method != "western":
            out["method"] = self.method
        if self.name is not None:
            out["name"] = self.name
        return out

    def dates(self, year: int) -> list[date]:
        """The dates of this holiday that fall in *year*."""
        method = EASTER_METHODS[self.method]
        found = (
            easter(y, method) + timedelta(days=self.offset) for y in (year - 1, year, year + 1)
        )
        return [d for d in found if d.year == year]


Holiday = FixedHoliday | RecurringHoliday | EasterHoliday
"""Any holiday a calendar lists: one date, a recurrence rule, or an offset from Easter."""

_HOLIDAY_TYPES = (FixedHoliday, RecurringHoliday, EasterHoliday)


@attrs.frozen
class Closure:
    """A one-off closure ``[start, end)`` between two aware instants (partial days allowed)."""

    start: datetime
    end: datetime
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"start": iso, "end": iso, "name": ...}`` (name only when set)."""
        out: dict[str, Any] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.name is not None:
            out["name"] = self.name
        return out


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _check_parts(  # noqa: C901 - one check per part of the calendar, each a separate message
    tz: object, week: object, holidays: object, closures: object, problems: list[Problem]
) -> None:
    """Structural checks shared by the constructor and ``from_dict``."""
    if not isinstance(tz, str):
        problems.append(Problem("timezone", f"expected an IANA time zone key, got {describe(tz)}"))
    else:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
            problems.append(Problem("timezone", "unknown IANA time zone (e.g. 'Europe/London')"))
    if not isinstance(week, tuple) or len(week) != 7:
        problems.append(Problem("week", "expected a tuple of 7 tuples of OpeningInterval"))
    else:
        spans: list[tuple[int, int, str]] = []
        for wd, day in enumerate(week):
            if not isinstance(day, tuple):
                problems.append(
                    Problem(f"week.{WEEKDAYS[wd]}", "expected a tuple of OpeningInterval")
                )
                continue
            for i, iv in enumerate(day):
                path = f"week.{WEEKDAYS[wd]}[{i}]"
                if not isinstance(iv, OpeningInterval):
                    problems.append(
                        Problem(path, f"expected an OpeningInterval, got {describe(iv)}")
                    )
                    continue
                end = iv.end + 86_400 if iv.overnight else iv.end
                spans.append((wd * 86_400 + iv.start, wd * 86_400 + end, path))
        if not spans and not problems:
            problems.append(Problem("week", "at least one opening interval is required"))
        spans.sort()
        for (_a0, b0, p0), (a1, _b1, p1) in itertools.pairwise(spans):
            if a1 < b0:
                problems.append(Problem(p1, f"overlaps {p0}"))
        if len(spans) > 1 and spans[-1][1] - 7 * 86_400 > spans[0][0]:
            problems.append(Problem(spans[0][2], f"overlaps {spans[-1][2]} (across Sunday night)"))
    if not isinstance(holidays, tuple):
        problems.append(
            Problem("holidays", f"expected a tuple of holidays, got {describe(holidays)}")
        )
    else:
        for i, h in enumerate(holidays):
            _check_holiday(h, f"holidays[{i}]", problems)
    if not isinstance(closures, tuple):
        problems.append(
            Problem("closures", f"expected a tuple of Closure, got {describe(closures)}")
        )
    else:
        for i, c in enumerate(closures):
            path = f"closures[{i}]"
            if not isinstance(c, Closure):
                problems.append(Problem(path, f"expected a Closure, got {describe(c)}"))
                continue
            if not _aware(c.start) or not _aware(c.end):
                problems.append(Problem(path, "start and end must be timezone-aware datetimes"))
            elif not c.start < c.end:
                problems.append(Problem(path, "start must be before end"))
            elif c.start.year < LOW_YEAR or c.end.year > HIGH_YEAR:
                problems.append(
                    Problem(path, f"outside the supported years {LOW_YEAR}-{HIGH_YEAR}")
                )
            _check_name(c.name, f"{path}.name", problems)


def _check_holiday(h: object, path: str, problems: list[Problem]) -> None:
    if isinstance(h, FixedHoliday):
        if not isinstance(h.day, date) or isinstance(h.day, datetime):
            problems.append(Problem(f"{path}.date", f"expected a date, got {describe(h.day)}"))
    elif isinstance(h, RecurringHoliday):
        start: object = h.start
        rule: object = h.rrule
        if not isinstance(start, date) or isinstance(start, datetime):
            problems.append(Problem(f"{path}.start", f"expected a date, got {describe(start)}"))
        elif not isinstance(rule, str):
            problems.append(Problem(f"{path}.rrule", f"expected a str, got {describe(rule)}"))
        else:
            try:
                h.compile()
            except _RULE_ERRORS as exc:
                reason = str(exc) if isinstance(exc, _RuleError) else ""
                problems.append(
                    Problem(
                        f"{path}.rrule",
                        "not a valid RFC 5545 recurrence rule" + (f" ({reason})" if reason else ""),
                    )
                )
    elif isinstance(h, EasterHoliday):
        if not v.is_int(h.offset) or abs(h.offset) > _MAX_EASTER_OFFSET:
            problems.append(
                Problem(
                    f"{path}.easter",
                    f"expected whole days from -{_MAX_EASTER_OFFSET} to {_MAX_EASTER_OFFSET}",
                )
            )
        if h.method not in EASTER_METHODS:
            problems.append(
                Problem(f"{path}.method", f"expected one of: {', '.join(EASTER_METHODS)}")
            )
    else:
        problems.append(
            Problem(
                path,
                f"expected a FixedHoliday, RecurringHoliday or EasterHoliday, got {describe(h)}",
            )
        )
        return
    _check_name(h.name, f"{path}.name", problems)


def _holiday_function(holidays: Sequence[Holiday]) -> Callable[[int], frozenset[int]]:
    fixed: dict[int, set[int]] = {}
    rules: list[rruleset] = []
    easters: list[EasterHoliday] = []
    for h in holidays:
        if isinstance(h, FixedHoliday):
            fixed.setdefault(h.day.year, set()).add(h.day.toordinal())
        elif isinstance(h, RecurringHoliday):
            rules.append(h.compile())
        else:
            easters.append(h)

    def dates(year: int) -> frozenset[int]:
        found = set(fixed.get(year, ()))
        if rules:
            first, last = datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59)
            for rule in rules:
                found.update(d.toordinal() for d in rule.between(first, last, inc=True))
        for e in easters:
            found.update(d.toordinal() for d in e.dates(year))
        return frozenset(found)

    return dates


def _to_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _holidays_converter(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(
            FixedHoliday(h) if isinstance(h, date) and not isinstance(h, datetime) else h
            for h in value
        )
    return value


def _week_converter(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(_to_tuple(day) for day in value)
    return value


@attrs.frozen(repr=False)
class BusinessCalendar:
    """Opening hours in an IANA time zone, with holidays and closures; see ``docs/sla.md``.

    Business time is real elapsed time inside opening intervals. Operations take aware datetimes
    (naive ones raise :class:`~iso10002.errors.ValidationError`) and return datetimes in the
    calendar's zone. Supported instants: 1900-01-02 to 2299-12-30 UTC.
    """

    timezone: str
    """IANA time zone key, e.g. ``"Europe/London"``."""
    week: tuple[tuple[OpeningInterval, ...], ...] = attrs.field(converter=_week_converter)
    """Seven tuples of opening intervals, Monday first."""
    holidays: tuple[Holiday, ...] = attrs.field(default=(), converter=_holidays_converter)
    """Holiday dates and rules; an interval is removed when the local date it starts on is one."""
    closures: tuple[Closure, ...] = attrs.field(default=(), converter=_to_tuple)
    """One-off closures between aware instants."""
    _engine: Engine = attrs.field(init=False, repr=False, eq=False, hash=False, order=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _check_parts(self.timezone, self.week, self.holidays, self.closures, problems)
        _raise(problems)
        engine = Engine(
            ZoneInfo(self.timezone),
            [
                [
                    (
                        iv.start * SECOND,
                        (iv.end + (86_400 if iv.overnight else 0)) * SECOND,
                    )
                    for iv in day
                ]
                for day in self.week
            ],
            _holiday_function(self.holidays),
            [((c.start - EPOCH) // US, (c.end - EPOCH) // US) for c in self.closures],
        )
        object.__setattr__(self, "_engine", engine)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BusinessCalendar.from_dict, (self.to_dict(),))

    def __repr__(self) -> str:
        days = [
            f"{WEEKDAYS[wd]} {' '.join('-'.join(iv.to_list()) for iv in day)}"
            for wd, day in enumerate(self.week)
            if day
        ]
        return (
            f"BusinessCalendar({self.timezone!r}, {'; '.join(days)}, "
            f"{len(self.holidays)} holiday rule(s), {len(self.closures)} closure(s))"
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def continuous(cls, timezone: str) -> BusinessCalendar:
        """A calendar open 24 hours a day, 7 days a week (for calendar-day rules)."""
        day = (OpeningInterval(0, 86_400),)
        return cls(timezone, (day,) * 7)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from the dict form (module docstring); ``ConfigurationError`` names bad keys."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                [("", f"expected a mapping, got {describe(data)}")], what=_WHAT
            )
        for key in data:
            if key not in ("timezone", "week", "holidays", "closures"):
                problems.append(
                    Problem(
                        str(key) if isinstance(key, str) else "",
                        "unknown key (expected timezone, week, holidays, closures)",
                    )
                )
        if "timezone" not in data:
            problems.append(Problem("timezone", "required"))
        if "week" not in data:
            problems.append(Problem("week", "required"))
        week = _week_from_dict(data.get("week", {}), problems)
        holidays = tuple(_holidays_from_list(data.get("holidays", []), problems))
        closures = tuple(_closures_from_list(data.get("closures", []), problems))
        _check_parts(data.get("timezone", "UTC"), week, holidays, closures, problems)
        _raise(problems)
        return cls(data["timezone"], week, holidays, closures)

    def to_dict(self) -> dict[str, Any]:
        """The dict form; ``BusinessCalendar.from_dict(c.to_dict()) == c``."""
        return {
            "timezone": self.timezone,
            "week": {
                WEEKDAYS[wd]: [iv.to_list() for iv in day] for wd, day in enumerate(self.week)
            },
            "holidays": [h.to_dict() for h in self.holidays],
            "closures": [c.to_dict() for c in self.closures],
        }

    def with_holidays_from(
        self, country: str, years: int | Iterable[int], subdiv: str | None = None
    ) -> BusinessCalendar:
        """A copy with the public holidays of *country* (and *subdiv*) for *years* added, taken
        from the optional ``holidays`` package (``pip install 'iso10002[holidays]'``)."""
        try:
            import holidays as holidays_package
        except ImportError:
            raise ConfigurationError(
                [("holidays", "the 'holidays' package is needed: install 'iso10002[holidays]'")],
                what=_WHAT,
            ) from None
        given: list[object] = (
            list(years) if isinstance(years, (range, list, tuple, set, frozenset)) else [years]
        )
        wanted = [y for y in given if v.is_int(y) and LOW_YEAR <= y <= HIGH_YEAR]
        if not wanted or len(wanted) != len(given):
            raise ConfigurationError(
                [("years", f"expected years from {LOW_YEAR} to {HIGH_YEAR}")], what=_WHAT
            )
        if not isinstance(country, str) or not (subdiv is None or isinstance(subdiv, str)):
            raise ConfigurationError(
                [("country", "expected a country code (str) and an optional subdivision (str)")],
                what=_WHAT,
            )
        try:
            found = holidays_package.country_holidays(country, subdiv=subdiv, years=wanted)
        except (NotImplementedError, KeyError, ValueError, TypeError):
            raise ConfigurationError(
                [("country", "not a country (and subdivision) known to the holidays package")],
                what=_WHAT,
            ) from None
        known = {h.day for h in self.holidays if isinstance(h, FixedHoliday)}
        added = tuple(
            FixedHoliday(day, str(name)) for day, name in sorted(found.items()) if day not in known
        )
        return attrs.evolve(self, holidays=self.holidays + added)

    # ------------------------------------------------------------------ operations

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        tz = self._engine.tz
        if not isinstance(tz, ZoneInfo):  # pragma: no cover - always a ZoneInfo
            raise TypeError(tz)
        return tz

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """*duration* of business time after *start* (see the semantics in ``docs/sla.md``).

        ``d > 0``: the earliest instant ``t >= start`` with ``elapsed(start, t) >= d``;
        ``d == 0``: the first business instant at or after *start*;
        ``d < 0``: the latest instant ``t <= start`` with ``elapsed(t, start) >= -d``.
        """
        engine = self._engine
        given: object = duration
        if not isinstance(given, timedelta):
            engine.to_us(start, "start")
            raise ValidationError(
                [("duration", f"expected a timedelta, got {describe(given)}")], what=_OP
            )
        us = engine.fast_us(start)
        if us is None:
            us = engine.to_us(start, "start")
        result = engine.add_us(us, duration // US)
        if not LOW_US <= result < HIGH_US:
            raise out_of_range("result")
        return engine.to_dt(result)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; negative when *end* is before *start*."""
        engine = self._engine
        found = engine.elapsed_dt(start, end)
        if found is None:
            found = engine.elapsed_us(engine.to_us(start, "start"), engine.to_us(end, "end"))
        return US * found

    def is_open(self, at: datetime) -> bool:
        """Whether *at* lies inside an opening interval (intervals are ``[open, close)``)."""
        engine = self._engine
        return engine.open_at(engine.to_us(at, "at"))

    def next_open(self, at: datetime) -> datetime:
        """*at* if the calendar is open then, else the instant it next opens."""
        return self.add(at, timedelta(0))

    def next_close(self, at: datetime) -> datetime:
        """The end of the opening that contains :meth:`next_open` of *at* (touching intervals
        count as one opening)."""
        engine = self._engine
        result = engine.next_close_us(engine.to_us(at, "at"))
        if result >= HIGH_US:
            raise out_of_range("result")
        return engine.to_dt(result)

    def local_date(self, at: datetime) -> date:
        """The local date of *at* in the calendar's zone."""
        engine = self._engine
        return date.fromordinal(engine.local_ordinal(engine.to_us(at, "at")))

    def is_business_day(self, day: date) -> bool:
        """Whether *day* is a business day: at least one interval starts on it (not a holiday)."""
        d = _ordinal(day, "day")
        return self._engine.business_days_between(d, d + 1) == 1

    def add_business_days(self, day: date, n: int) -> date:
        """``n > 0``: the n-th business day after *day*; ``n < 0``: the ``abs(n)``-th before it;
        ``n == 0``: *day* if it is a business day, else the next one."""
        d = _ordinal(day, "day")
        _count(n, "n")
        found = self._engine.add_business_days(d, n)
        if not _ORD_LOW <= found <= _ORD_HIGH:
            raise out_of_range("result")
        return date.fromordinal(found)

    def business_days_between(self, day1: date, day2: date) -> int:
        """Business days in ``[day1, day2)``; negative when *day2* is before *day1*."""
        return self._engine.business_days_between(_ordinal(day1, "day1"), _ordinal(day2, "day2"))

    def close_of_business(self, day: date) -> datetime:
        """The end of the last interval that starts on business day *day* (``fold=0``)."""
        d = _ordinal(day, "day")
        engine = self._engine
        if engine.business_days_between(d, d + 1) != 1:
            raise ValidationError([("day", "not a business day")], what=_OP)
        return engine.to_dt(engine.close_of_business(d))

    def close_of_business_day(self, receipt: datetime, n: int) -> datetime:
        """Close of business of the n-th business day after the local date of *receipt*
        (``n == 0``: of that date if a business day, else of the next one)."""
        engine = self._engine
        us = engine.fast_us(receipt)
        if us is None:
            us = engine.to_us(receipt, "receipt")
        _count(n, "n", low=0)
        found = engine.add_business_days(engine.local_ordinal(us), n)
        if not _ORD_LOW <= found <= _ORD_HIGH:
            raise out_of_range("result")
        return engine.to_dt(engine.close_of_business(found))

    def end_of_day(self, day: date) -> datetime:
        """The instant the local date *day* ends: local midnight starting the next date."""
        d = _ordinal(day, "day")
        return self._engine.to_dt(self._engine.midnight(d + 1))

    def at_wall_time(self, day: date, seconds: int) -> datetime:
        """The instant of local wall time *day* + *seconds* (``fold=0``: a time in a gap moves
        forward by the gap; an ambiguous one takes the first occurrence)."""
        d = _ordinal(day, "day")
        if not v.is_int(seconds) or not 0 <= seconds <= 172_800:
            raise ValidationError(
                [("seconds", "expected whole seconds from 0 to 172800 (48 hours)")], what=_OP
            )
        engine = self._engine
        return engine.to_dt(engine.wall_to_utc((d - EPOCH_ORD) * DAY + seconds * SECOND))


_ORD_LOW = date(LOW_YEAR, 1, 1).toordinal()
_ORD_HIGH = date(HIGH_YEAR, 12, 31).toordinal()


def _ordinal(day: object, path: str) -> int:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError([(path, f"expected a date, got {describe(day)}")], what=_OP)
    d = day.toordinal()
    if not _ORD_LOW <= d <= _ORD_HIGH:
        raise ValidationError(
            [(path, f"outside the supported years {LOW_YEAR}-{HIGH_YEAR}")], what=_OP
        )
    return d


def _count(n: object, path: str, low: int = -_MAX_BUSINESS_DAYS) -> None:
    if not v.is_int(n):
        raise ValidationError([(path, f"expected an int, got {describe(n)}")], what=_OP)
    if not low <= n <= _MAX_BUSINESS_DAYS:
        raise ValidationError(
            [(path, f"expected an int from {low} to {_MAX_BUSINESS_DAYS}")], what=_OP
        )


# ---------------------------------------------------------------------- dict parsing


def _week_from_dict(
    value: object, problems: list[Problem]
) -> tuple[tuple[OpeningInterval, ...], ...]:
    days: list[list[OpeningInterval]] = [[] for _ in WEEKDAYS]
    if not isinstance(value, Mapping):
        problems.append(Problem("week", f"expected a mapping of weekdays, got {describe(value)}"))
        return tuple(tuple(d) for d in days)
    for key, intervals in value.items():
        if key not in WEEKDAYS:
            problems.append(
                Problem(
                    f"week.{key}" if isinstance(key, str) and key.isprintable() else "week",
                    f"unknown weekday (expected one of: {', '.join(WEEKDAYS)})",
                )
            )
            continue
        if not isinstance(intervals, (list, tuple)):
            problems.append(
                Problem(
                    f"week.{key}", f"expected a list of [start, end], got {describe(intervals)}"
                )
            )
            continue
        for i, pair in enumerate(intervals):
            path = f"week.{key}[{i}]"
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                problems.append(Problem(path, f"expected [start, end], got {describe(pair)}"))
                continue
            start = _parse_time(pair[0], f"{path}[0]", problems, end=False)
            end = _parse_time(pair[1], f"{path}[1]", problems, end=True)
            if start is None or end is None:
                continue
            if start == end:
                problems.append(
                    Problem(path, "an interval must not start and end at the same time")
                )
                continue
            days[WEEKDAYS.index(key)].append(OpeningInterval(start, end))
    return tuple(tuple(d) for d in days)


def _parse_date(value: object, path: str, problems: list[Problem]) -> date | None:
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(path, f"expected a date 'YYYY-MM-DD', got {describe(value)}"))
    return None


def _parse_instant(value: object, path: str, problems: list[Problem]) -> datetime | None:
    if isinstance(value, str):
        try:  # Python 3.10 does not read a trailing "Z"
            parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "Zz" else value)
        except ValueError:
            pass
        else:
            if parsed.utcoffset() is not None:
                return parsed
            problems.append(Problem(path, "naive date-time refused: include a UTC offset"))
            return None
    problems.append(
        Problem(path, f"expected an ISO 8601 date-time with offset, got {describe(value)}")
    )
    return None


def _check_keys(
    item: Mapping[Any, Any], allowed: tuple[str, ...], path: str, problems: list[Problem]
) -> None:
    for key in item:
        if key not in allowed:
            problems.append(
                Problem(
                    f"{path}.{key}" if isinstance(key, str) and key.isprintable() else path,
                    f"unknown key (expected {', '.join(allowed)})",
                )
            )


def _holidays_from_list(value: object, problems: list[Problem]) -> Iterable[Holiday]:
    if not isinstance(value, (list, tuple)):
        problems.append(Problem("holidays", f"expected a list, got {describe(value)}"))
        return
    for i, item in enumerate(value):
        path = f"holidays[{i}]"
        if isinstance(item, str):
            day = _parse_date(item, path, problems)
            if day is not None:
                yield FixedHoliday(day)
            continue
        if not isinstance(item, Mapping):
            problems.append(
                Problem(path, f"expected a date string or a mapping, got {describe(item)}")
            )
            continue
        name = item.get("name")
        _check_name(name, f"{path}.name", problems)
        if "date" in item:
            _check_keys(item, ("date", "name"), path, problems)
            day = _parse_date(item["date"], f"{path}.date", problems)
            if day is not None:
                yield FixedHoliday(day, name)
        elif "rrule" in item:
            _check_keys(item, ("rrule", "start", "name"), path, problems)
            start = (
                _parse_date(item["start"], f"{path}.start", problems)
                if "start" in item
                else date(LOW_YEAR, 1, 1)
            )
            rule = item["rrule"]
            if not isinstance(rule, str):
                problems.append(Problem(f"{path}.rrule", f"expected a str, got {describe(rule)}"))
            elif start is not None:
                yield RecurringHoliday(rule, start, name)
        elif "easter" in item:
            _check_keys(item, ("easter", "method", "name"), path, problems)
            offset = item["easter"]
            if not v.is_int(offset):
                problems.append(
                    Problem(f"{path}.easter", f"expected whole days, got {describe(offset)}")
                )
                continue
            method = item.get("method", "western")
            if not isinstance(method, str):
                problems.append(
                    Problem(f"{path}.method", f"expected a str, got {describe(method)}")
                )
                continue
            yield EasterHoliday(offset, method, name)
        else:
            problems.append(Problem(path, "expected one of the keys 'date', 'rrule', 'easter'"))


def _closures_from_list(value: object, problems: list[Problem]) -> Iterable[Closure]:
    if not isinstance(value, (list, tuple)):
        problems.append(Problem("closures", f"expected a list, got {describe(value)}"))
        return
    for i, item in enumerate(value):
        path = f"closures[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(path, f"expected a mapping, got {describe(item)}"))
            continue
        _check_keys(item, ("start", "end", "name"), path, problems)
        start = _parse_instant(item.get("start"), f"{path}.start", problems)
        end = _parse_instant(item.get("end"), f"{path}.end", problems)
        name = item.get("name")
        _check_name(name, f"{path}.name", problems)
        if start is not None and end is not None:
            yield Closure(start, end, name)
