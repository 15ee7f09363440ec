"""Business-calendar arithmetic: iso10002.sla next to businesstimedelta and pandas, in one run.

Calendar: Monday to Friday 09:00-17:00 Europe/London with the England holidays of 2020-2030 (from
the ``holidays`` package). For each operation the median time per call is printed for each library
with the ratio to ours. Run: ``python benchmarks/sla_bench.py`` (``--quick`` for a smoke run).

Targets (issue 3): flat in the span; add <= 5 us and elapsed <= 3 us median; >= 10x faster than
pandas on add; >= 30x faster than businesstimedelta on +8 h and >= 5,000x on 365-day elapsed.
"""

from __future__ import annotations

import argparse
import importlib
import operator
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pandas as pd

from iso10002.sla import BusinessCalendar

pytz: Any = importlib.import_module("pytz")
LONDON = ZoneInfo("Europe/London")
YEARS = range(2020, 2031)
H = timedelta(hours=1)


def build() -> tuple[BusinessCalendar, Any, Any, Any]:
    england = holidays.country_holidays("GB", subdiv="ENG", years=YEARS)
    ours = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": sorted(d.isoformat() for d in england),
        }
    )
    zone = pytz.timezone("Europe/London")
    rules = btd.Rules(
        [
            btd.WorkDayRule(clock_time(9), clock_time(17), [0, 1, 2, 3, 4], tz=zone),
            btd.HolidayRule(england, tz=zone),
        ]
    )
    days = sorted(england)
    hour = pd.offsets.CustomBusinessHour(start="09:00", end="17:00", holidays=days)
    day = pd.offsets.CustomBusinessDay(holidays=days)
    return ours, rules, hour, day


def starts(n: int, seed: int = 10002) -> list[datetime]:
    """Instants on random weekdays of 2021-2029, mostly inside business hours."""
    rng = random.Random(seed)
    first = date(2021, 1, 4).toordinal()
    out: list[datetime] = []
    while len(out) < n:
        day = date.fromordinal(first + rng.randrange(8 * 365))
        if day.weekday() < 5:
            hour = rng.choice([7, 9, 10, 11, 12, 13, 14, 15, 16, 18])
            out.append(
                datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=LONDON)
            )
    return out


def median_us(call: Callable[[Any], object], args: Sequence[Any], repeats: int) -> float:
    """Median over *repeats* batches of the mean time per call, in microseconds."""
    batches = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for arg in args:
            call(arg)
        batches.append((time.perf_counter() - t0) / len(args))
    return statistics.median(batches) * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke run)")
    options = parser.parse_args(argv)
    repeats = 3 if options.quick else 15
    slow = 1 if options.quick else 5

    ours, rules, hour, day = build()
    data = ours.to_dict()
    t0 = time.perf_counter()
    fresh = BusinessCalendar.from_dict(data)
    probe = datetime(2025, 6, 2, 9, tzinfo=LONDON)
    fresh.elapsed(probe, probe + H)
    first_use = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    fresh.elapsed(datetime(2020, 1, 2, tzinfo=LONDON), datetime(2030, 12, 31, tzinfo=LONDON))
    ten_years = (time.perf_counter() - t0) * 1e3
    ours.elapsed(datetime(2020, 1, 2, tzinfo=LONDON), datetime(2030, 12, 31, tzinfo=LONDON))

    many = starts(200)
    few = starts(20)
    stamps = [pd.Timestamp(s) for s in many]
    rows: list[tuple[str, float, float | None, float | None]] = []

    for hours in (8, 40, 240):
        d = hours * H
        delta = btd.BusinessTimeDelta(rules, hours=hours)
        offset = hours * hour
        rows.append(
            (
                f"add +{hours} h",
                median_us(partial(ours.add, duration=d), many, repeats),
                median_us(partial(operator.add, delta), few, slow),
                median_us(partial(operator.add, offset), stamps, repeats),
            )
        )
    for days in (1, 30, 365):
        span = timedelta(days=days)
        pairs = [(s, s + span) for s in many]
        slow_pairs = [(s, s + span) for s in few[: 5 if days == 365 else 20]]
        rows.append(
            (
                f"elapsed {days} d",
                median_us(lambda p: ours.elapsed(*p), pairs, repeats),
                median_us(lambda p: rules.difference(*p), slow_pairs, slow),
                None,
            )
        )
    dates = [s.date() for s in many]
    stamps_days = [pd.Timestamp(d) for d in dates]
    thirty = 30 * day
    rows.append(
        (
            "add 30 business days",
            median_us(lambda d: ours.add_business_days(d, 30), dates, repeats),
            None,
            median_us(lambda t: t + thirty, stamps_days, repeats),
        )
    )
    rows.append(
        (
            "close of 3rd business day",
            median_us(lambda s: ours.close_of_business_day(s, 3), many, repeats),
            None,
            None,
        )
    )

    print(f"Python {platform.python_version()} on {platform.machine()} ({sys.platform})")
    print(
        f"iso10002 first use (load the dict, build one year): {first_use:.1f} ms; "
        f"the other years of 2020-2030: {ten_years:.1f} ms"
    )
    print()
    header = (
        f"{'operation':<26}{'iso10002':>10}{'btd':>12}{'pandas':>11}{'btd/ours':>11}{'pd/ours':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, mine, theirs_btd, theirs_pd in rows:
        b = f"{theirs_btd:>10.1f}us" if theirs_btd is not None else f"{'n/a':>12}"
        p = f"{theirs_pd:>9.1f}us" if theirs_pd is not None else f"{'n/a':>11}"
        rb = f"{theirs_btd / mine:>10.0f}x" if theirs_btd is not None else f"{'':>11}"
        rp = f"{theirs_pd / mine:>9.1f}x" if theirs_pd is not None else f"{'':>10}"
        print(f"{name:<26}{mine:>8.2f}us{b}{p}{rb}{rp}")
    print()
    checks = {
        "add <= 5 us": all(m <= 5 for n, m, _b, _p in rows if n.startswith("add +")),
        "elapsed <= 3 us": all(m <= 3 for n, m, _b, _p in rows if n.startswith("elapsed")),
        ">= 10x pandas on add": all(
            p / m >= 10 for n, m, _b, p in rows if n.startswith("add +") and p is not None
        ),
        ">= 30x businesstimedelta on +8 h": rows[0][2] is not None
        and rows[0][2] / rows[0][1] >= 30,
        ">= 5000x businesstimedelta on 365-day elapsed": rows[5][2] is not None
        and rows[5][2] / rows[5][1] >= 5000,
    }
    for target, met in checks.items():
        print(f"{'met' if met else 'MISSED':>6}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
