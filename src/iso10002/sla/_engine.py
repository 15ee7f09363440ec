"""The compiled form of a business calendar: a business-time coordinate over integer microseconds.

``C(t)`` is the number of business microseconds in ``[T0, t)`` for a fixed origin ``T0`` (the
start of the first year-chunk built). It is continuous and non-decreasing, so

* ``elapsed(a, b) = C(b) - C(a)``;
* ``add(s, d)`` for ``d > 0`` is the earliest ``t`` with ``C(t) >= C(s) + d``; for ``d <= 0`` the
  latest ``t`` with ``C(t) <= C(s) + d``.

The timeline is cut into segments, each with a closed form for ``C``:

* ``REG``: the regular weekly pattern at a constant UTC offset ``o``:
  ``C(t) = R(t + o + 3 days) + k`` where ``R`` counts business time of the weekly pattern in local
  wall time since Monday 1969-12-29 (whole weeks times the weekly total plus a bisection inside the
  week);
* ``LIN``: an open stretch of an irregular window: ``C(t) = t + k``;
* ``CON``: a closed stretch of an irregular window: ``C(t) = k``.

Irregular windows surround every local date that is a holiday, is touched by a closure, or lies
next to a UTC-offset change (daylight saving time); inside them the opening intervals are mapped to
UTC one by one (``fold=0``), clipped, reduced by closures and merged. Everything else is ``REG``.

Segments are built lazily per local calendar year (a chunk), contiguously, and the table is
replaced atomically on each extension, so readers never see a half-built table. A query costs two
bisections whatever the span.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo

from iso10002._time import EPOCH
from iso10002.errors import ValidationError, describe

__all__ = ["DAY", "HIGH_YEAR", "LOW_YEAR", "US", "Engine"]

SECOND = 1_000_000
DAY = 86_400 * SECOND
WEEK = 7 * DAY
US = timedelta(microseconds=1)
NAIVE_EPOCH = datetime(1970, 1, 1)
EPOCH_ORD = date(1970, 1, 1).toordinal()
#: Local wall time of Monday 1969-12-29 00:00 relative to 1970-01-01 00:00.
MONDAY_SHIFT = 3 * DAY

#: Supported range of local years for instants and results.
LOW_YEAR = 1900
HIGH_YEAR = 2299
LOW_US = (datetime(LOW_YEAR, 1, 2, tzinfo=timezone.utc) - EPOCH) // US
HIGH_US = (datetime(HIGH_YEAR, 12, 31, tzinfo=timezone.utc) - EPOCH) // US
RANGE_TEXT = f"{LOW_YEAR}-01-02 to {HIGH_YEAR}-12-30 (UTC)"

REG = 0
LIN = 1
CON = 2

Segment = tuple[int, int, int]  # (mode, a, k): a is the wall shift for REG
Transition = tuple[int, int, int]  # (instant, offset before, offset after), microseconds
BdTable = tuple[list[int], list[int], int, int, int, int]
# (holiday ordinals on working weekdays, rank gaps, first year, end year, first and end ordinals)


class Table:
    """One immutable snapshot of the built years: segments, coordinates and UTC-offset changes."""

    __slots__ = (
        "base",
        "c_hi",
        "cst",
        "fast",
        "hi",
        "lo",
        "posts",
        "rw",
        "segs",
        "starts",
        "ti",
        "tinfo",
        "trans",
        "tw",
        "yhi",
        "ylo",
    )

    def __init__(
        self,
        starts: list[int],
        segs: list[Segment],
        cst: list[int],
        *,
        years: tuple[int, int],
        hi: int,
        c_hi: int,
        trans: list[Transition],
        base: int,
    ) -> None:
        self.starts = starts  # segment start instants
        self.segs = segs  # (mode, a, k) per segment
        self.cst = cst  # coordinate at each segment start
        self.ylo, self.yhi = years  # built local years [ylo, yhi)
        self.lo = starts[0]  # first instant covered
        self.hi = hi  # end of the covered instants (exclusive)
        self.c_hi = c_hi  # coordinate at hi
        self.trans = trans  # offset changes around the covered years, sorted
        self.base = base  # offset before the first change
        # the same changes in local wall time: a gap or a fold [start, end) and its two offsets
        self.tinfo = [(t + min(a, b), t + max(a, b), a, b) for t, a, b in trans]
        self.tw = [w for w, _e, _a, _b in self.tinfo]
        self.ti = [t for t, _a, _b in trans]
        # wall-time regions: [gap or fold, then steady] per change; even index = gap or fold
        self.rw = [x for w, e, _a, _b in self.tinfo for x in (w, e)]
        self.posts = [b for _t, _a, b in trans]
        # changes too close together to read this way: leave conversions to zoneinfo
        self.fast = all(x <= y for x, y in zip(self.rw, self.rw[1:], strict=False))


def out_of_range(path: str) -> ValidationError:
    return ValidationError(
        [(path, f"outside the supported range {RANGE_TEXT}")], what="business-calendar operation"
    )


def _refuse(path: str, value: object, expected: str) -> ValidationError:
    if isinstance(value, datetime):
        message = "naive datetime refused: give a timezone-aware datetime"
    else:
        message = f"expected {expected}, got {describe(value)}"
    return ValidationError([(path, message)], what="business-calendar operation")


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open intervals; touching intervals are joined; empty ones dropped."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(
    intervals: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``intervals`` minus ``holes``; both sorted and merged."""
    if not holes:
        return intervals
    out: list[tuple[int, int]] = []
    for a, b in intervals:
        i = bisect_right(holes, (a, a)) - 1
        i = max(i, 0)
        cur = a
        while i < len(holes) and holes[i][0] < b:
            h0, h1 = holes[i]
            if h1 > cur:
                if h0 > cur:
                    out.append((cur, h0))
                cur = max(cur, h1)
            i += 1
        if cur < b:
            out.append((cur, b))
    return out


class Engine:
    """Compiled business calendar. All instants are integer microseconds since 1970-01-01 UTC."""

    __slots__ = (
        "_bd",
        "_lock",
        "_tab",
        "_year_holidays",
        "closures",
        "holiday_dates",
        "local_epoch",
        "nwd",
        "ocum",
        "oend",
        "ostart",
        "pbounds",
        "pcum",
        "pdays",
        "pinfo",
        "popen",
        "prefix",
        "run_end",
        "total",
        "tz",
        "wd_open",
        "week_wall",
    )

    def __init__(
        self,
        tz: tzinfo,
        week_wall: Sequence[Sequence[tuple[int, int]]],
        holiday_dates: Callable[[int], frozenset[int]],
        closures: Sequence[tuple[int, int]],
    ) -> None:
        """*week_wall*: per weekday (Monday first) the intervals as wall microseconds after local
        midnight (end > start; an overnight end is past 24 h). *holiday_dates(year)*: the date
        ordinals of the holidays of a year. *closures*: UTC microsecond ranges."""
        self.tz = tz
        self.local_epoch = datetime(1970, 1, 1, tzinfo=tz)
        self.week_wall = tuple(tuple(day) for day in week_wall)
        self.holiday_dates = holiday_dates
        self.closures = merge(closures)
        self._year_holidays: dict[int, frozenset[int]] = {}
        self._lock = threading.RLock()

        pieces: list[tuple[int, int]] = []
        for wd, day in enumerate(self.week_wall):
            for s, e in day:
                a, b = wd * DAY + s, wd * DAY + e
                if b > WEEK:
                    pieces.append((a, WEEK))
                    pieces.append((0, b - WEEK))
                else:
                    pieces.append((a, b))
        opened = merge(pieces)
        self.ostart = [a for a, _ in opened]
        self.oend = [b for _, b in opened]
        ocum: list[int] = []
        total = 0
        for a, b in opened:
            ocum.append(total)
            total += b - a
        self.ocum = ocum
        self.total = total
        bounds: list[int] = []
        cums: list[int] = []
        flags: list[int] = []
        pos = 0
        for (a, b), c in zip(opened, ocum, strict=True):
            if a > pos:
                bounds.append(pos)
                cums.append(c)
                flags.append(0)
            bounds.append(a)
            cums.append(c)
            flags.append(1)
            pos = b
        if pos < WEEK:
            bounds.append(pos)
            cums.append(total)
            flags.append(0)
        self.pbounds, self.pcum, self.popen = bounds, cums, flags
        self.pinfo = list(zip(bounds, cums, flags, strict=True))
        # End of the open run that contains each open piece, following the week's wrap-around.
        run_end: list[int] = []
        for j in range(len(opened)):
            end = self.oend[j]
            if end == WEEK and self.ostart and self.ostart[0] == 0:
                end = WEEK + self.oend[0] if len(opened) > 1 else -1  # -1: open all week
            run_end.append(end)
        self.run_end = run_end

        self.wd_open = [1 if day else 0 for day in self.week_wall]
        self.nwd = sum(self.wd_open)
        self.pdays = [wd for wd in range(7) if self.wd_open[wd]]
        self.prefix = [sum(self.wd_open[:r]) for r in range(8)]
        self._tab: Table | None = None
        # business-day table: (holiday ordinals on working weekdays, g, first year, end year)
        self._bd: BdTable | None = None

    # ------------------------------------------------------------------ conversions

    def to_us(self, t: object, path: str) -> int:
        """Aware datetime to microseconds; refuses naive datetimes, other types and the range."""
        if not isinstance(t, datetime):
            raise _refuse(path, t, "an aware datetime")
        try:
            us: int = (t - EPOCH) // US
        except TypeError:
            raise _refuse(path, t, "an aware datetime") from None
        if not LOW_US <= us < HIGH_US:
            raise out_of_range(path)
        return us

    def to_dt(self, us: int) -> datetime:
        """Microseconds to a datetime in the calendar's zone."""
        if us > DAY:  # fromtimestamp refuses negative values on some platforms
            s, m = divmod(us, SECOND)
            if m:
                return datetime.fromtimestamp(s, self.tz).replace(microsecond=m)
            return datetime.fromtimestamp(s, self.tz)
        return (EPOCH + US * us).astimezone(self.tz)

    def offset_at(self, us: int) -> int:
        """UTC offset (microseconds) in force at instant *us*."""
        off = (EPOCH + US * us).astimezone(self.tz).utcoffset()
        return 0 if off is None else off // US

    def wall_to_utc(self, wall: int) -> int:
        """Local wall time (microseconds since 1970-01-01 00:00 local) to an instant, ``fold=0``."""
        off = (NAIVE_EPOCH + US * wall).replace(tzinfo=self.tz).utcoffset()
        return wall - (0 if off is None else off // US)

    def local_ordinal(self, us: int) -> int:
        """Date ordinal of the local date of instant *us*."""
        tab = self._tab
        if tab is not None and tab.lo <= us < tab.hi:
            i = bisect_right(tab.ti, us) - 1
            off = tab.base if i < 0 else tab.trans[i][2]
        else:
            off = self.offset_at(us)
        return (us + off) // DAY + EPOCH_ORD

    def wall_fast(self, wall: int) -> int:
        """:meth:`wall_to_utc` read from the table's offset changes when it covers *wall*."""
        tab = self._tab
        if tab is not None and tab.fast:
            i = bisect_right(tab.tw, wall) - 1
            if i < 0:
                us = wall - tab.base
            else:
                _ws, we, pre, post = tab.tinfo[i]
                us = wall - (pre if wall < we else post)
            if tab.lo + DAY <= us < tab.hi - DAY:
                return us
        return self.wall_to_utc(wall)

    def midnight(self, ordinal: int) -> int:
        """Instant of local midnight starting the date *ordinal* (``fold=0``)."""
        return self.wall_fast((ordinal - EPOCH_ORD) * DAY)

    def close_of_business(self, ordinal: int) -> int:
        """The end of the last interval starting on the date *ordinal* (``fold=0``; an interval
        that maps to nothing ends where it starts)."""
        base = (ordinal - EPOCH_ORD) * DAY
        return max(
            max(self.wall_fast(base + s), self.wall_fast(base + e))
            for s, e in self.week_wall[(ordinal - 1) % 7]
        )

    # ------------------------------------------------------------------ weekly pattern

    def r_of(self, x: int) -> int:
        """Business microseconds of the weekly pattern in wall time ``[Monday 1969-12-29, x)``."""
        w, r = divmod(x, WEEK)
        j = bisect_right(self.pbounds, r) - 1
        if self.popen[j]:
            return w * self.total + self.pcum[j] + r - self.pbounds[j]
        return w * self.total + self.pcum[j]

    def _r_earliest(self, y: int) -> int:
        """Earliest wall position ``x`` with ``R(x) >= y``."""
        w, ry = divmod(y, self.total)
        if ry == 0:
            w -= 1
            ry = self.total
        m = bisect_left(self.ocum, ry) - 1
        return w * WEEK + self.ostart[m] + ry - self.ocum[m]

    def _r_latest(self, y: int) -> int:
        """Latest wall position ``x`` with ``R(x) <= y``."""
        w, ry = divmod(y, self.total)
        m = bisect_right(self.ocum, ry) - 1
        return w * WEEK + self.ostart[m] + ry - self.ocum[m]

    # ------------------------------------------------------------------ holidays

    def holidays_of_year(self, year: int) -> frozenset[int]:
        """Holiday ordinals of a year (cached)."""
        found = self._year_holidays.get(year)
        if found is None:
            found = self.holiday_dates(year)
            self._year_holidays[year] = found
        return found

    def _holidays_between(self, first: int, last: int) -> set[int]:
        """Holiday ordinals in ``[first, last]``."""
        y0 = date.fromordinal(first).year
        y1 = date.fromordinal(last).year
        out: set[int] = set()
        for year in range(y0, y1 + 1):
            out.update(d for d in self.holidays_of_year(year) if first <= d <= last)
        return out

    # ------------------------------------------------------------------ chunk building

    def _year_bounds(self, year: int) -> tuple[int, int]:
        return (
            self.midnight(date(year, 1, 1).toordinal()),
            self.midnight(date(year + 1, 1, 1).toordinal()),
        )

    def _explicit(
        self, d_from: int, d_to: int, ws: int, we: int, holidays: set[int]
    ) -> list[tuple[int, int]]:
        """Merged open instants in ``[ws, we)`` of the intervals starting on ``d_from..d_to``."""
        found: list[tuple[int, int]] = []
        for d in range(d_from, d_to + 1):
            if d in holidays:
                continue
            base = (d - EPOCH_ORD) * DAY
            for s, e in self.week_wall[(d - 1) % 7]:
                a = max(self.wall_to_utc(base + s), ws)
                b = min(self.wall_to_utc(base + e), we)
                if b > a:
                    found.append((a, b))
        opened = merge(found)
        lo = bisect_left(self.closures, (ws, ws)) - 1
        holes = [c for c in self.closures[max(lo, 0) :] if c[0] < we and c[1] > ws]
        return subtract(opened, holes)

    def _build_year(  # noqa: C901 - one straight pass over a year of the calendar, kept whole for speed
        self, year: int
    ) -> tuple[list[int], list[Segment], list[int], int, int, int, list[Transition], int]:
        """Segments of one year with the coordinate starting at 0, the total, the offset changes
        around the year and the offset before them."""
        t0, t1 = self._year_bounds(year)
        jan1 = date(year, 1, 1).toordinal()
        d_lo, d_hi = jan1 - 3, date(year + 1, 1, 1).toordinal() + 1
        special: set[int] = set()
        trans: list[Transition] = []
        # offset changes, sampled daily at UTC midnight, then located to the second
        prev_us = ((t0 // DAY) - 4) * DAY
        prev_off = self.offset_at(prev_us)
        cur_us = prev_us
        while cur_us < t1 + 4 * DAY:
            cur_us += DAY
            off = self.offset_at(cur_us)
            if off != prev_off:
                first = (prev_us + prev_off) // DAY + EPOCH_ORD - 1
                last = (cur_us + off) // DAY + EPOCH_ORD + 1
                special.update(range(first, last + 1))
                lo_s, hi_s = prev_us // SECOND, cur_us // SECOND
                while hi_s - lo_s > 1:
                    mid = (lo_s + hi_s) // 2
                    if self.offset_at(mid * SECOND) == prev_off:
                        lo_s = mid
                    else:
                        hi_s = mid
                trans.append((hi_s * SECOND, prev_off, self.offset_at(hi_s * SECOND)))
            prev_us, prev_off = cur_us, off
        holidays = self._holidays_between(d_lo - 3, d_hi + 3)
        special.update(d for d in holidays if d_lo <= d <= d_hi and self.wd_open[(d - 1) % 7])
        for c0, c1 in self.closures:
            if c1 > t0 - 3 * DAY and c0 < t1 + 3 * DAY:
                first = max(self.local_ordinal(c0) - 1, d_lo)
                last = min(self.local_ordinal(c1), d_hi)
                special.update(range(first, last + 1))
        covered = sorted({d for s in special for d in (s, s + 1)})
        runs: list[tuple[int, int]] = []
        for d in covered:
            if runs and d == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], d)
            else:
                runs.append((d, d))

        starts: list[int] = []
        segs: list[Segment] = []
        cst: list[int] = []
        cur, c = t0, 0
        for f, last in runs:
            ws, we = max(self.midnight(f), t0), min(self.midnight(last + 1), t1)
            if we <= ws or ws < cur:
                continue
            if ws > cur:
                a = self.offset_at(cur) + MONDAY_SHIFT
                k = c - self.r_of(cur + a)
                starts.append(cur)
                segs.append((REG, a, k))
                cst.append(c)
                c = self.r_of(ws + a) + k
            pos = ws
            for s, e in self._explicit(f - 2, last, ws, we, holidays):
                if s > pos:
                    starts.append(pos)
                    segs.append((CON, 0, c))
                    cst.append(c)
                starts.append(s)
                segs.append((LIN, 0, c - s))
                cst.append(c)
                c += e - s
                pos = e
            if pos < we:
                starts.append(pos)
                segs.append((CON, 0, c))
                cst.append(c)
            cur = we
        if cur < t1:
            a = self.offset_at(cur) + MONDAY_SHIFT
            k = c - self.r_of(cur + a)
            starts.append(cur)
            segs.append((REG, a, k))
            cst.append(c)
            c = self.r_of(t1 + a) + k
        return starts, segs, cst, t0, t1, c, trans, self.offset_at(((t0 // DAY) - 4) * DAY)

    def _initial(self, year: int) -> Table:
        starts, segs, cst, _t0, t1, total, trans, base = self._build_year(year)
        return Table(
            starts, segs, cst, years=(year, year + 1), hi=t1, c_hi=total, trans=trans, base=base
        )

    def _extend(self, up: bool) -> Table:
        """Build the chunk after (or before) the table and publish the new table."""
        with self._lock:
            tab = self._tab or self.table_for(0)
            if up:
                if tab.yhi > HIGH_YEAR + 1:
                    raise out_of_range("result")
                s2, g2, c2, _t0, t1, total, tr2, _base = self._build_year(tab.yhi)
                base = tab.c_hi
                new = Table(
                    tab.starts + s2,
                    tab.segs + [(m, a, k + base) for m, a, k in g2],
                    tab.cst + [x + base for x in c2],
                    years=(tab.ylo, tab.yhi + 1),
                    hi=t1,
                    c_hi=tab.c_hi + total,
                    trans=tab.trans + [t for t in tr2 if not tab.trans or t[0] > tab.trans[-1][0]],
                    base=tab.base,
                )
            else:
                if tab.ylo < LOW_YEAR - 1:
                    raise out_of_range("result")
                s2, g2, c2, _t0, _t1, total, tr2, base2 = self._build_year(tab.ylo - 1)
                base = tab.cst[0] - total
                new = Table(
                    s2 + tab.starts,
                    [(m, a, k + base) for m, a, k in g2] + tab.segs,
                    [x + base for x in c2] + tab.cst,
                    years=(tab.ylo - 1, tab.yhi),
                    hi=tab.hi,
                    c_hi=tab.c_hi,
                    trans=[t for t in tr2 if not tab.trans or t[0] < tab.trans[0][0]] + tab.trans,
                    base=base2,
                )
            self._tab = new
            return new

    def table_for(self, us: int) -> Table:
        """The table, extended so that it covers instant *us*."""
        tab = self._tab
        if tab is None:
            with self._lock:
                tab = self._tab
                if tab is None:
                    year = (EPOCH + US * us).year
                    t0, t1 = self._year_bounds(year)
                    if us < t0:
                        year -= 1
                    elif us >= t1:
                        year += 1
                    tab = self._initial(year)
                    self._tab = tab
        while us < tab.lo:
            tab = self._extend(False)
        while us >= tab.hi:
            tab = self._extend(True)
        return tab

    # ------------------------------------------------------------------ coordinate

    def coord(self, us: int) -> int:
        """Business microseconds from the table origin to *us*."""
        tab = self._tab
        if tab is None or not tab.lo <= us < tab.hi:
            tab = self.table_for(us)
        mode, a, k = tab.segs[bisect_right(tab.starts, us) - 1]
        if mode == REG:
            w, r = divmod(us + a, WEEK)
            bound, cum, opened = self.pinfo[bisect_right(self.pbounds, r) - 1]
            if opened:
                return w * self.total + cum + r - bound + k
            return w * self.total + cum + k
        if mode == LIN:
            return us + k
        return k

    def fast_us(self, t: datetime) -> int | None:
        """Microseconds of a ``datetime`` in the calendar's zone or in UTC, read from the table's
        offset changes (no ``utcoffset`` call); ``None`` when the table cannot tell."""
        tab = self._tab
        if tab is None or type(t) is not datetime or not tab.fast:
            return None
        zone = t.tzinfo
        if zone is self.tz:
            w: int = (t - self.local_epoch) // US
            i = bisect_right(tab.rw, w) - 1
            if i < 0:
                us = w - tab.base
            elif i & 1:
                us = w - tab.posts[i >> 1]
            else:
                _ws, _we, pre, post = tab.tinfo[i >> 1]
                us = w - (post if t.fold else pre)
        elif zone is timezone.utc:
            us = (t - EPOCH) // US
        else:
            return None
        return us if tab.lo <= us < tab.hi else None

    def elapsed_dt(self, start: datetime, end: datetime) -> int | None:
        """``coord(end) - coord(start)`` for two datetimes, everything inlined (the hot path);
        ``None`` when a slower, validating path is needed (other zones, other types, ranges)."""
        tab = self._tab
        if tab is None or not tab.fast:
            return None
        tz = self.tz
        try:
            # wall time in the calendar's zone, through the table's offset regions
            zone = start.tzinfo
            if zone is tz:
                w: int = (start - self.local_epoch) // US
                i = bisect_right(tab.rw, w) - 1
                if i < 0:
                    ua = w - tab.base
                elif i & 1:
                    ua = w - tab.posts[i >> 1]
                else:
                    _ws, _we, pre, post = tab.tinfo[i >> 1]
                    ua = w - (post if start.fold else pre)
            elif zone is timezone.utc:
                ua = (start - EPOCH) // US
            else:
                return None
            zone = end.tzinfo
            if zone is tz:
                w = (end - self.local_epoch) // US
                i = bisect_right(tab.rw, w) - 1
                if i < 0:
                    ub = w - tab.base
                elif i & 1:
                    ub = w - tab.posts[i >> 1]
                else:
                    _ws, _we, pre, post = tab.tinfo[i >> 1]
                    ub = w - (post if end.fold else pre)
            elif zone is timezone.utc:
                ub = (end - EPOCH) // US
            else:
                return None
        except (TypeError, AttributeError):  # not datetimes, or naive ones
            return None
        lo, hi = tab.lo, tab.hi
        if not (lo <= ua < hi and lo <= ub < hi):
            return None
        starts, segs = tab.starts, tab.segs
        pbounds, pinfo, total = self.pbounds, self.pinfo, self.total
        mode, a, k = segs[bisect_right(starts, ub) - 1]
        if mode == REG:
            w, r = divmod(ub + a, WEEK)
            bound, cum, opened = pinfo[bisect_right(pbounds, r) - 1]
            cb = w * total + cum + (r - bound if opened else 0) + k
        else:
            cb = ub + k if mode == LIN else k
        mode, a, k = segs[bisect_right(starts, ua) - 1]
        if mode == REG:
            w, r = divmod(ua + a, WEEK)
            bound, cum, opened = pinfo[bisect_right(pbounds, r) - 1]
            return cb - (w * total + cum + (r - bound if opened else 0) + k)
        return cb - (ua + k if mode == LIN else k)

    def elapsed_us(self, ua: int, ub: int) -> int:
        """``coord(ub) - coord(ua)``, inlined for speed."""
        tab = self._tab
        if tab is None or not (tab.lo <= ua < tab.hi and tab.lo <= ub < tab.hi):
            self.table_for(ua)
            tab = self.table_for(ub)
        starts, segs = tab.starts, tab.segs
        pbounds, pinfo, total = self.pbounds, self.pinfo, self.total
        mode, a, k = segs[bisect_right(starts, ub) - 1]
        if mode == REG:
            w, r = divmod(ub + a, WEEK)
            bound, cum, opened = pinfo[bisect_right(pbounds, r) - 1]
            cb = w * total + cum + (r - bound if opened else 0) + k
        else:
            cb = ub + k if mode == LIN else k
        mode, a, k = segs[bisect_right(starts, ua) - 1]
        if mode == REG:
            w, r = divmod(ua + a, WEEK)
            bound, cum, opened = pinfo[bisect_right(pbounds, r) - 1]
            return cb - (w * total + cum + (r - bound if opened else 0) + k)
        return cb - (ua + k if mode == LIN else k)

    def earliest(self, y: int) -> int:
        """Earliest instant with ``C(t) >= y``."""
        tab = self._tab or self.table_for(0)
        while y > tab.c_hi:
            tab = self._extend(True)
        while y <= tab.cst[0]:
            tab = self._extend(False)
        mode, a, k = tab.segs[bisect_left(tab.cst, y) - 1]
        if mode == LIN:
            return y - k
        return self._r_earliest(y - k) - a

    def latest(self, y: int) -> int:
        """Latest instant with ``C(t) <= y``."""
        tab = self._tab or self.table_for(0)
        while y >= tab.c_hi:
            tab = self._extend(True)
        while y < tab.cst[0]:
            tab = self._extend(False)
        mode, a, k = tab.segs[bisect_right(tab.cst, y) - 1]
        if mode == LIN:
            return y - k
        return self._r_latest(y - k) - a

    def add_us(self, us: int, d: int) -> int:
        """``add`` on microseconds."""
        y = self.coord(us) + d
        if d > 0:
            return self.earliest(y)
        return self.latest(y)

    def open_at(self, us: int) -> bool:
        """Whether instant *us* lies inside an opening interval."""
        tab = self.table_for(us)
        mode, a, _k = tab.segs[bisect_right(tab.starts, us) - 1]
        if mode == REG:
            j = bisect_right(self.pbounds, (us + a) % WEEK) - 1
            return bool(self.popen[j])
        return mode == LIN

    def next_close_us(self, us: int) -> int:
        """End of the open stretch containing the first business instant at or after *us*."""
        u = self.add_us(us, 0)
        tab = self.table_for(u)
        i = bisect_right(tab.starts, u) - 1
        while True:
            if i + 1 >= len(tab.starts):
                tab = self._extend(True)
            starts, segs = tab.starts, tab.segs
            end = starts[i + 1]
            mode, a, _k = segs[i]
            if mode == REG:
                w, r = divmod(u + a, WEEK)
                m = bisect_right(self.ostart, r) - 1
                run = self.run_end[m]
                if run >= 0:
                    close = w * WEEK + run - a
                    if close < end:
                        return close
            # the segment is open up to its end: continue if the next one opens right there
            nmode, na, _nk = segs[i + 1]
            if nmode == CON:
                return end
            if nmode == REG:
                j = bisect_right(self.pbounds, (end + na) % WEEK) - 1
                if not self.popen[j]:
                    return end
            i += 1
            u = end

    # ------------------------------------------------------------------ business days

    def _bd_table(self, first_year: int, last_year: int) -> BdTable:
        """Holidays on working weekdays covering years ``first_year..last_year``."""
        bd = self._bd
        if bd is not None and bd[2] <= first_year and last_year < bd[3]:
            return bd
        with self._lock:
            bd = self._bd
            lo = first_year if bd is None else min(first_year, bd[2])
            hi = last_year + 1 if bd is None else max(last_year + 1, bd[3])
            if lo < LOW_YEAR - 1 or hi > HIGH_YEAR + 2:
                raise out_of_range("result")
            hol = sorted(
                d
                for year in range(lo, hi)
                for d in self.holidays_of_year(year)
                if self.wd_open[(d - 1) % 7]
            )
            g = [self.p_of(h) - j for j, h in enumerate(hol)]
            bd = (hol, g, lo, hi, date(lo, 1, 1).toordinal(), date(hi, 1, 1).toordinal())
            self._bd = bd
            return bd

    def p_of(self, n: int) -> int:
        """Number of working weekdays with ordinal < n (counted from 0001-01-01, a Monday)."""
        q, r = divmod(n - 1, 7)
        return q * self.nwd + self.prefix[r]

    def _p_inv(self, q: int) -> int:
        w, rq = divmod(q, self.nwd)
        return 1 + 7 * w + self.pdays[rq]

    def business_days_between(self, d1: int, d2: int) -> int:
        """Business days in ``[d1, d2)`` (negative when ``d2 < d1``)."""
        lo, hi = min(d1, d2), max(d1, d2)
        bd = self._bd
        if bd is None or not bd[4] <= lo <= hi < bd[5]:
            bd = self._bd_table(date.fromordinal(lo).year, date.fromordinal(hi).year)
        hol = bd[0]
        return self.p_of(d2) - self.p_of(d1) - bisect_left(hol, d2) + bisect_left(hol, d1)

    def add_business_days(self, day: int, n: int) -> int:
        """Ordinal of the n-th business day after (n > 0) / before (n < 0) *day*; n = 0: *day* or
        the next business day."""
        bd = self._bd
        lo_year = hi_year = 0
        tried: tuple[int, int] | None = None
        while True:
            if bd is not None and bd[4] <= day < bd[5]:
                hol, g = bd[0], bd[1]
                if n > 0:
                    r = self.p_of(day + 1) - bisect_left(hol, day + 1) + n - 1
                else:
                    r = self.p_of(day) - bisect_left(hol, day) + n
                found = self._p_inv(r + bisect_right(g, r))
                if bd[4] <= found < bd[5]:
                    return found
                year = date.fromordinal(min(max(found, 1), 3_652_059)).year
            else:
                year = date.fromordinal(day + (n * 7) // self.nwd).year
            day_year = date.fromordinal(day).year
            lo_year = min(lo_year or day_year, day_year, year) - 1
            hi_year = max(hi_year, day_year, year) + 1
            wanted = (max(lo_year, LOW_YEAR - 1), min(hi_year, HIGH_YEAR + 1))
            if wanted == tried:
                raise out_of_range("result")
            tried = wanted
            bd = self._bd_table(*wanted)
