"""Property tests: the compiled calendar agrees with a slow enumerating oracle, to the microsecond.

The oracle enumerates every opening interval day by day with plain ``datetime`` arithmetic: each
interval of each non-holiday local date is mapped to UTC with ``fold=0``
(``replace(tzinfo=zone)``), closures are cut out and the union is taken. Every operation then
walks that list. Random calendars use the zones the issue names, office hours with lunch breaks,
overnight shifts and random cuts of the week, fixed, recurring and Easter holidays, closures, and
start instants often inside a day on which the UTC offset changes.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.easter import EASTER_JULIAN, EASTER_ORTHODOX, EASTER_WESTERN, easter
from dateutil.rrule import rrulestr
from hypothesis import given, note, settings
from hypothesis import strategies as st

from iso10002.sla import (
    BusinessCalendar,
    Closure,
    EasterHoliday,
    FixedHoliday,
    Holiday,
    OpeningInterval,
    RecurringHoliday,
)

# ---------------------------------------------------------------------- oracle

UTC = timezone.utc
Span = tuple[datetime, datetime]
_METHODS: dict[str, Literal[1, 2, 3]] = {
    "western": EASTER_WESTERN,
    "orthodox": EASTER_ORTHODOX,
    "julian": EASTER_JULIAN,
}


def holiday_dates(cal: BusinessCalendar, first: date, last: date) -> set[date]:
    """Every holiday date in ``[first, last]``, computed rule by rule."""
    out: set[date] = set()
    for h in cal.holidays:
        if isinstance(h, FixedHoliday):
            out.add(h.day)
        elif isinstance(h, RecurringHoliday):
            start = datetime.combine(h.start, time())
            rules = rrulestr(h.rrule, dtstart=start, forceset=True)
            lo = datetime.combine(first, time())
            hi = datetime.combine(last, time(23, 59, 59))
            out.update(d.date() for d in rules.between(lo, hi, inc=True))
        elif isinstance(h, EasterHoliday):
            for year in range(first.year - 1, last.year + 2):
                out.add(easter(year, _METHODS[h.method]) + timedelta(days=h.offset))
    return {d for d in out if first <= d <= last}


def wall(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    """Local wall time *day* + *seconds*, as an aware UTC datetime (``fold=0``)."""
    naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def raw_intervals(cal: BusinessCalendar, first: date, last: date) -> list[Span]:
    """Mapped intervals of the dates ``first..last``, before closures and union."""
    zone = ZoneInfo(cal.timezone)
    holidays = holiday_dates(cal, first, last)
    out: list[Span] = []
    day = first
    while day <= last:
        if day not in holidays:
            for iv in cal.week[day.weekday()]:
                a = wall(day, iv.start, zone)
                end = iv.end + 86_400 if iv.end <= iv.start else iv.end
                b = wall(day, end, zone)
                if b > a:
                    out.append((a, b))
        day += timedelta(days=1)
    return out


def union(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def minus(spans: list[Span], holes: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in spans:
        pieces = [(a, b)]
        for h0, h1 in holes:
            next_pieces: list[Span] = []
            for x, y in pieces:
                if h1 <= x or h0 >= y:
                    next_pieces.append((x, y))
                    continue
                if x < h0:
                    next_pieces.append((x, h0))
                if h1 < y:
                    next_pieces.append((h1, y))
            pieces = next_pieces
        out.extend(pieces)
    return out


class Oracle:
    """Business time of *cal* between two instants, by enumeration of every interval."""

    def __init__(self, cal: BusinessCalendar, lo: datetime, hi: datetime) -> None:
        zone = ZoneInfo(cal.timezone)
        self.cal = cal
        self.lo = lo.astimezone(UTC)
        self.hi = hi.astimezone(UTC)
        first = self.lo.astimezone(zone).date() - timedelta(days=3)
        last = self.hi.astimezone(zone).date() + timedelta(days=1)
        closures = [(c.start.astimezone(UTC), c.end.astimezone(UTC)) for c in cal.closures]
        spans = union(raw_intervals(cal, first, last))
        spans = [(max(a, self.lo), min(b, self.hi)) for a, b in minus(spans, closures)]
        self.spans = [(a, b) for a, b in spans if b > a]
        self.starts = [a for a, _ in self.spans]

    def _inside(self, t: datetime) -> datetime:
        """*t* in UTC (``==`` across zones is False for wall times in a gap or fold, PEP 495)."""
        if not self.lo <= t <= self.hi:
            raise ValueError("outside the oracle's window")
        return t.astimezone(UTC)

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Business time in ``[a, b)``, signed."""
        a, b = self._inside(a), self._inside(b)
        if b < a:
            return -self.elapsed(b, a)
        total = timedelta(0)
        for x, y in self.spans:
            lo, hi = max(x, a), min(y, b)
            if hi > lo:
                total += hi - lo
        return total

    def is_open(self, t: datetime) -> bool:
        t = self._inside(t)
        return any(x <= t < y for x, y in self.spans)

    def add(self, start: datetime, d: timedelta) -> datetime:
        """The documented semantics of ``add``, by walking the intervals."""
        start = self._inside(start)
        if d > timedelta(0):
            for x, y in self.spans:
                if y <= start:
                    continue
                first = max(x, start)
                if y - first >= d:
                    return first + d
                d -= y - first
        elif d == timedelta(0):
            for x, y in self.spans:
                if y > start:
                    return max(x, start)
        else:
            d = -d
            for x, y in reversed(self.spans):
                if x >= start:
                    continue
                last = min(y, start)
                if last - x >= d:
                    return last - d
                d -= last - x
        raise ValueError("outside the oracle's window")

    def next_close(self, t: datetime) -> datetime:
        opened = self.add(t, timedelta(0))
        i = bisect_right(self.starts, opened) - 1
        end = self.spans[i][1]
        if end >= self.hi:
            raise ValueError("outside the oracle's window")
        return end


def business_days(cal: BusinessCalendar, first: date, last: date) -> list[date]:
    """Dates in ``[first, last]`` on which at least one interval starts."""
    holidays = holiday_dates(cal, first, last)
    out = []
    day = first
    while day <= last:
        if day not in holidays and cal.week[day.weekday()]:
            out.append(day)
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------------- strategies

ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
FIRST_YEAR, LAST_YEAR = 2023, 2027
WEEK_MINUTES = 7 * 24 * 60
DAY_MINUTES = 24 * 60


@cache
def transition_days(zone_name: str) -> tuple[date, ...]:
    """Local dates on which the UTC offset of *zone_name* changes, 2023-2027."""
    zone = ZoneInfo(zone_name)
    out = []
    t = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    previous = t.astimezone(zone).utcoffset()
    while t.year <= LAST_YEAR:
        t += timedelta(hours=1)
        offset = t.astimezone(zone).utcoffset()
        if offset != previous:
            out.append(t.astimezone(zone).date())
            previous = offset
    return tuple(out)


def _week_from_cuts(cuts: list[int], rotate: bool) -> tuple[tuple[OpeningInterval, ...], ...]:
    """Pair sorted distinct minute marks of the week into intervals (shorter than a day)."""
    points = sorted(set(cuts))
    if len(points) % 2:
        points = points[:-1]
    pairs = list(zip(points[::2], points[1::2], strict=True))
    if rotate and len(points) >= 2:
        shifted = [*points[1:], points[0] + WEEK_MINUTES]
        pairs = list(zip(shifted[::2], shifted[1::2], strict=True))
    days: list[list[OpeningInterval]] = [[] for _ in range(7)]
    for a, b in pairs:
        length = min(b - a, DAY_MINUTES - 1)
        wd, start = divmod(a % WEEK_MINUTES, DAY_MINUTES)
        end = (start + length) % DAY_MINUTES
        days[wd].append(OpeningInterval(start * 60, end * 60 if end else 86_400))
    return tuple(tuple(d) for d in days)


@st.composite
def weeks(draw: st.DrawFn) -> tuple[tuple[OpeningInterval, ...], ...]:
    """Random weekly hours: office-like (lunch breaks), shifts (overnight) or random cuts."""
    kind = draw(st.sampled_from(["office", "shift", "cuts", "cuts"]))
    if kind == "office":
        start = draw(st.integers(6 * 60, 10 * 60))
        lunch = draw(st.integers(start + 60, 14 * 60))
        back = draw(st.integers(lunch + 1, 15 * 60))
        end = draw(st.integers(back + 1, 24 * 60))
        days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
        week: list[tuple[OpeningInterval, ...]] = [() for _ in range(7)]
        for wd in days:
            week[wd] = (
                OpeningInterval(start * 60, lunch * 60),
                OpeningInterval(back * 60, end * 60),
            )
        return tuple(week)
    if kind == "shift":
        # overnight shifts around the DST hours, e.g. 22:00-06:00 or 00:30-02:30
        start = draw(st.integers(0, 24 * 60 - 1))
        length = draw(st.integers(30, 20 * 60))
        days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
        end = (start + length) % DAY_MINUTES
        iv = OpeningInterval(start * 60, end * 60 if end else 86_400)
        return tuple((iv,) if wd in days else () for wd in range(7))
    cuts = draw(
        st.lists(st.integers(0, WEEK_MINUTES - 1), min_size=2, max_size=16, unique=True).filter(
            lambda c: len(c) >= 2
        )
    )
    return _week_from_cuts(cuts, draw(st.booleans()))


def _fixed_holidays() -> st.SearchStrategy[Holiday]:
    return st.builds(FixedHoliday, st.dates(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)))


def _rule_holidays() -> st.SearchStrategy[Holiday]:
    yearly = st.builds(
        lambda m, d: RecurringHoliday(f"FREQ=YEARLY;BYMONTH={m};BYMONTHDAY={d}"),
        st.integers(1, 12),
        st.integers(1, 28),
    )
    monthly = st.builds(
        lambda n, day: RecurringHoliday(f"FREQ=MONTHLY;BYDAY={n}{day}", date(2020, 1, 1)),
        st.sampled_from(["1", "2", "-1"]),
        st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
    )
    easter = st.builds(EasterHoliday, st.integers(-50, 60))
    return st.one_of(yearly, monthly, easter)


@st.composite
def closures(draw: st.DrawFn) -> Closure:
    start = draw(
        st.datetimes(
            datetime(FIRST_YEAR, 1, 1), datetime(LAST_YEAR, 12, 31), timezones=st.just(UTC)
        )
    )
    length = draw(st.timedeltas(timedelta(minutes=1), timedelta(days=6)))
    return Closure(start, start + length)


@st.composite
def calendars(draw: st.DrawFn, zones: tuple[str, ...] = ZONES) -> BusinessCalendar:
    """A random valid calendar."""
    holidays = draw(
        st.lists(st.one_of(_fixed_holidays(), _fixed_holidays(), _rule_holidays()), max_size=8)
    )
    return BusinessCalendar(
        draw(st.sampled_from(zones)),
        draw(weeks()),
        tuple(holidays),
        tuple(draw(st.lists(closures(), max_size=3))),
    )


@st.composite
def instants(draw: st.DrawFn, zone_name: str) -> datetime:
    """An aware instant in 2024-2026, often inside a day on which the offset changes."""
    zone = ZoneInfo(zone_name)
    days = [d for d in transition_days(zone_name) if 2024 <= d.year <= 2026]
    on_transition_day = draw(st.booleans())
    if days and on_transition_day:
        day = draw(st.sampled_from(days))
        seconds = draw(st.integers(0, 86_399))
        micro = draw(st.sampled_from([0, 0, 1, 999_999, 123_456]))
        naive = datetime.combine(day, time()) + timedelta(seconds=seconds, microseconds=micro)
        return naive.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))
    t = draw(st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)))
    return t.astimezone(zone)


# ---------------------------------------------------------------------- properties


#: The oracle enumerates every interval of up to three years per example: keep the count modest.
_PROFILE_EXAMPLES = settings().max_examples


def utc(t: datetime) -> datetime:
    """*t* in UTC: ``==`` between zones is always False for ambiguous wall times (PEP 495)."""
    return t.astimezone(UTC)


HEAVY = settings(max_examples=max(10, _PROFILE_EXAMPLES // 3))


def _fraction(data: st.DataObject, total: timedelta) -> timedelta:
    """A duration between 0 and *total*, often exactly 0 or *total*."""
    us = total // timedelta(microseconds=1)
    pick = data.draw(st.one_of(st.just(0), st.just(us), st.integers(0, max(us, 0))))
    return timedelta(microseconds=pick)


@HEAVY
@given(cal=calendars(), data=st.data())
def test_add_and_elapsed_agree_with_the_oracle(cal: BusinessCalendar, data: st.DataObject) -> None:
    start = data.draw(instants(cal.timezone), label="start")
    span = data.draw(st.timedeltas(timedelta(0), timedelta(days=3 * 365)), label="span")
    back = data.draw(st.timedeltas(timedelta(0), timedelta(days=60)), label="back")
    # arithmetic in UTC: wall-clock arithmetic would reset a fold=1 start to fold=0
    lo, hi = utc(start) - back, utc(start) + span
    oracle = Oracle(cal, lo, hi)
    note(f"{len(oracle.spans)} open spans")

    # elapsed, both ways, against the oracle
    end = data.draw(st.sampled_from([hi, lo, utc(start) + span / 3]), label="end")
    expected = oracle.elapsed(start, end)
    assert cal.elapsed(start, end) == expected
    assert cal.elapsed(end, start) == -expected

    # add forwards: inside the window by construction
    d = _fraction(data, oracle.elapsed(start, hi))
    if d > timedelta(0) or (oracle.spans and oracle.spans[-1][1] > start):
        got = cal.add(start, d)
        assert utc(got) == oracle.add(start, d)
        assert got.tzinfo is cal.tz
        if d > timedelta(0):
            assert cal.elapsed(start, got) == d

    # add backwards
    b = _fraction(data, oracle.elapsed(lo, start))
    if b > timedelta(0):
        got = cal.add(start, -b)
        assert utc(got) == oracle.add(start, -b)
        assert cal.elapsed(got, start) == b


@HEAVY
@given(cal=calendars(), data=st.data())
def test_add_is_additive_and_monotone(cal: BusinessCalendar, data: st.DataObject) -> None:
    start = data.draw(instants(cal.timezone), label="start")
    later = utc(start) + data.draw(st.timedeltas(timedelta(0), timedelta(days=30)), label="later")
    limit = cal.elapsed(start, utc(start) + timedelta(days=500))
    a = _fraction(data, limit)
    b = _fraction(data, limit)
    if a > timedelta(0) and b > timedelta(0):
        assert utc(cal.add(cal.add(start, a), b)) == utc(cal.add(start, a + b))
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)
    assert cal.add(start, a) <= cal.add(later, a)
    assert timedelta(0) <= cal.elapsed(start, later) <= cal.elapsed(start, later + a)
    assert cal.add(start, -a) <= cal.add(later, -a)


@HEAVY
@given(cal=calendars(), data=st.data())
def test_open_next_open_and_next_close_agree_with_the_oracle(
    cal: BusinessCalendar, data: st.DataObject
) -> None:
    start = data.draw(instants(cal.timezone), label="start")
    oracle = Oracle(cal, utc(start) - timedelta(days=1), utc(start) + timedelta(days=400))
    inner = oracle.spans[:-1] or [(start, start)]  # the last span is cut by the window
    probes = [start, *data.draw(st.sampled_from(inner))]
    for t in probes:
        assert cal.is_open(t) == oracle.is_open(t)
        if oracle.spans and oracle.spans[-1][1] > t:
            assert utc(cal.next_open(t)) == oracle.add(t, timedelta(0))
        if len(oracle.spans) > 1 and oracle.spans[-2][1] > t:
            assert utc(cal.next_close(t)) == oracle.next_close(t)


@HEAVY
@given(cal=calendars(), data=st.data())
def test_business_days_agree_with_enumeration(cal: BusinessCalendar, data: st.DataObject) -> None:
    start = data.draw(instants(cal.timezone), label="start")
    day = cal.local_date(start)
    first, last = day - timedelta(days=800), day + timedelta(days=800)
    days = business_days(cal, first, last)
    after = [d for d in days if d > day]
    before = [d for d in days if d < day]
    n = data.draw(st.integers(1, 120), label="n")
    if len(after) >= n:
        assert cal.add_business_days(day, n) == after[n - 1]
    if len(before) >= n:
        assert cal.add_business_days(day, -n) == before[-n]
    if after:
        assert cal.add_business_days(day, 0) == (day if day in days else after[0])
        assert cal.is_business_day(day) == (day in days)
    other = day + timedelta(days=data.draw(st.integers(-700, 700), label="offset"))
    lo, hi = min(day, other), max(day, other)
    count = sum(1 for d in days if lo <= d < hi)
    assert cal.business_days_between(lo, hi) == count
    assert cal.business_days_between(hi, lo) == -count


@settings(max_examples=max(5, _PROFILE_EXAMPLES // 10))
@given(cal=calendars(zones=("Europe/London", "Australia/Sydney")), data=st.data())
def test_elapsed_over_years_matches_the_oracle(cal: BusinessCalendar, data: st.DataObject) -> None:
    """Spans across several year chunks, built in either direction."""
    a = data.draw(instants(cal.timezone), label="a")
    b = utc(a) + data.draw(st.timedeltas(timedelta(days=300), timedelta(days=3 * 365)), label="len")
    fresh = BusinessCalendar.from_dict(cal.to_dict())
    assert fresh.elapsed(b, a) == -Oracle(cal, a, b).elapsed(a, b)


def test_starts_exactly_on_every_boundary() -> None:
    """Each opening and closing instant of a DST-crossing shift calendar."""
    cal = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {
                "sat": [["22:00", "06:00"]],
                "sun": [["07:00", "08:00"], ["23:00", "23:30"]],
                "mon": [["00:30", "02:30"]],
            },
        }
    )
    lo = datetime(2025, 3, 20, tzinfo=UTC)
    hi = datetime(2025, 4, 20, tzinfo=UTC)
    oracle = Oracle(cal, lo, hi)
    for x, y in oracle.spans[:-1]:
        for t in (x, y, x - timedelta(microseconds=1), y - timedelta(microseconds=1)):
            assert utc(cal.add(t, timedelta(0))) == oracle.add(t, timedelta(0))
            assert utc(cal.add(t, timedelta(hours=1))) == oracle.add(t, timedelta(hours=1))
            assert cal.is_open(t) == oracle.is_open(t)


ODD_ZONES = (
    *ZONES,
    "Europe/Dublin",  # negative DST in the tz database
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Apia",  # skipped 30 December 2011
    "America/Santiago",  # changes at midnight
    "Asia/Tehran",
    "UTC",
)


@settings(max_examples=_PROFILE_EXAMPLES * 2)
@given(
    zone_name=st.sampled_from(ODD_ZONES),
    utc_instant=st.datetimes(datetime(1901, 1, 1), datetime(2299, 1, 1), timezones=st.just(UTC)),
    shift=st.integers(-3 * 3600, 3 * 3600),
    fold=st.integers(0, 1),
)
def test_the_table_reads_utc_offsets_like_zoneinfo(
    zone_name: str, utc_instant: datetime, shift: int, fold: int
) -> None:
    """Wall times in gaps and folds included, with either fold."""
    cal = BusinessCalendar.continuous(zone_name)
    zone = ZoneInfo(zone_name)
    local = utc_instant.astimezone(zone) + timedelta(seconds=shift)
    for t in (local.replace(fold=fold), utc_instant):
        expected = (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        cal.elapsed(t, t)  # builds the table around t
        assert cal._engine.fast_us(t) == expected
        assert cal.elapsed(t, utc_instant) == utc_instant - t.astimezone(UTC)
