"""The :class:`Analysis`: every clause 8 figure over a repository or a collection of complaints.

An analysis reads complaints through the ports only. Over a repository that offers
:class:`~iso10002.ports.FactAggregating` (the SQL backends), the figures it can are asked of
storage as aggregates over its read model; a business-time duration, a multi-valued dimension,
recurring issues and remedy consistency still read complaints. Over another
:class:`~iso10002.ports.ComplaintRepository` it pages with
:class:`~iso10002.ports.ComplaintQuery` (narrowed by the filters the query knows: period, states,
category prefix, channel), keeping only the complaints :meth:`Filters.matches`; over a collection
it streams the collection. Each figure method reads the source once and keeps only counters and
the durations it needs, so memory does not grow with the number of complaints beyond that.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import attrs

from iso10002.errors import ValidationError, describe
from iso10002.model import Complaint, EscalationKind, Outcome
from iso10002.ports import (
    FACT_DIMENSIONS,
    ComplaintQuery,
    ComplaintRepository,
    FactAggregating,
    FactTotals,
    provides,
)
from iso10002.sla.calendar import BusinessCalendar

from .figures import (
    AgeBucket,
    Backlog,
    Durations,
    DurationStats,
    KpiReport,
    MilestoneDurations,
    OutcomeRates,
    Pareto,
    ParetoRow,
    Rate,
    RecurringIssue,
    RecurringIssues,
    RemedyConsistency,
    RemedyGroup,
    RemedySet,
    RepeatComplainant,
    RepeatComplainants,
    SatisfactionFigures,
    SlaCompliance,
    SlaMilestone,
    VolumeRow,
    Volumes,
)
from .query import (
    Filters,
    Period,
    bucket_start,
    check_dimension,
    check_granularity,
    check_instant,
    dimension_values,
    next_bucket,
)

__all__ = ["DEFAULT_AGE_LIMITS", "MILESTONES", "Analysis", "poisson_upper_tail"]

_WHAT = "Analysis"

MILESTONES = ("acknowledgement", "decision", "closure")
"""The milestones :meth:`Analysis.durations` measures from receipt."""

DEFAULT_AGE_LIMITS = (
    timedelta(days=1),
    timedelta(days=5),
    timedelta(days=10),
    timedelta(days=20),
    timedelta(days=40),
)
"""The upper limits of the default backlog age buckets (the last bucket is open-ended)."""

_US = timedelta(microseconds=1)


def poisson_upper_tail(count: int, mean: float) -> float:
    """P(X ≥ *count*) for X ~ Poisson(*mean*): 1 when *count* ≤ 0; for *mean* 0, 0 when
    *count* > 0."""
    if count <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    # Sum the terms from *count* upwards (no cancellation), each from the previous one.
    term = math.exp(-mean + count * math.log(mean) - math.lgamma(count + 1))
    total = 0.0
    k = count
    while True:
        total += term
        k += 1
        term *= mean / k
        if k > mean and term <= total * 1e-17:
            break
    return min(total, 1.0)


def _div_round(total: int, n: int) -> int:
    """``total / n`` rounded half to even (as ``timedelta / int`` rounds)."""
    q, r = divmod(total, n)
    r2 = 2 * r
    if r2 > n or (r2 == n and q % 2 == 1):
        q += 1
    return q


def _duration_stats(micros: Sequence[int]) -> DurationStats:
    """Median, p90 (nearest rank) and mean of durations given in microseconds."""
    n = len(micros)
    if n == 0:
        return DurationStats(0, None, None, None)
    ordered = sorted(micros)
    mid = n // 2
    median = ordered[mid] if n % 2 else _div_round(ordered[mid - 1] + ordered[mid], 2)
    p90 = ordered[-(-9 * n // 10) - 1]
    mean = _div_round(sum(ordered), n)
    return DurationStats(n, median * _US, p90 * _US, mean * _US)


def _micros(delta: timedelta) -> int:
    return delta // _US


# -- one-pass accumulators -----------------------------------------------------------------------


class _Rates:
    def __init__(self) -> None:
        self.total = 0
        self.decided = 0
        self.outcomes: Counter[Outcome] = Counter()
        self.ever_closed = 0
        self.reopened = 0
        self.withdrawn = 0
        self.internal = 0
        self.external = 0

    def add(self, c: Complaint) -> None:
        self.total += 1
        decision = c.decision
        if decision is not None:
            self.decided += 1
            self.outcomes[decision.outcome] += 1
        closure = c.closure
        if c.reopened:
            self.reopened += 1
            self.ever_closed += 1
        elif closure is not None and not closure.withdrawn:
            self.ever_closed += 1
        if closure is not None and closure.withdrawn:
            self.withdrawn += 1
        kinds = {e.kind for e in c.escalations}
        self.internal += EscalationKind.INTERNAL_REVIEW in kinds
        self.external += EscalationKind.EXTERNAL_DISPUTE in kinds

    def take(self, totals: FactTotals, outcomes: dict[str | None, int]) -> None:
        """Take the counts from storage's aggregates instead of :meth:`add`."""
        self.total, self.decided = totals.total, totals.decided
        self.outcomes = Counter({Outcome(k): n for k, n in outcomes.items() if k is not None})
        self.ever_closed, self.reopened = totals.ever_closed, totals.reopened
        self.withdrawn = totals.withdrawn
        self.internal, self.external = totals.internal_review, totals.external_dispute

    def result(self) -> OutcomeRates:
        out = self.outcomes
        return OutcomeRates(
            total=self.total,
            decided=self.decided,
            upheld=Rate(out[Outcome.UPHELD], self.decided),
            partly_upheld=Rate(out[Outcome.PARTLY_UPHELD], self.decided),
            not_upheld=Rate(out[Outcome.NOT_UPHELD], self.decided),
            reopened=Rate(self.reopened, self.ever_closed),
            withdrawn=Rate(self.withdrawn, self.total),
            internal_review=Rate(self.internal, self.total),
            external_dispute=Rate(self.external, self.total),
        )


def _milestone_instants(c: Complaint) -> tuple[datetime | None, datetime | None, datetime | None]:
    closure = c.closure
    closed = None if closure is None or closure.withdrawn else closure.at
    decided = c.decisions[0].decided_at if c.decisions else None
    return c.acknowledged_at, decided, closed


class _Durations:
    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.calendar = calendar
        self.plain = [array("q") for _ in MILESTONES]
        self.business = [array("q") for _ in MILESTONES]

    def add(self, c: Complaint) -> None:
        start = c.received_at
        calendar = self.calendar
        for i, end in enumerate(_milestone_instants(c)):
            if end is None:
                continue
            self.plain[i].append(_micros(end - start))
            if calendar is not None:
                self.business[i].append(_micros(calendar.elapsed(start, end)))

    def result(self) -> Durations:
        rows = tuple(
            MilestoneDurations(
                milestone=name,
                calendar=_duration_stats(self.plain[i]),
                business=None if self.calendar is None else _duration_stats(self.business[i]),
            )
            for i, name in enumerate(MILESTONES)
        )
        return Durations(rows)


class _Sla:
    """met on time: stopped by ``as_of`` at or before due; met late: stopped by ``as_of`` after
    due; open overdue: not stopped by ``as_of`` and past due at ``as_of`` (or when paused);
    open within: otherwise."""

    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self.counts: dict[str, list[int]] = {}

    def add(self, c: Complaint) -> None:
        as_of = self.as_of
        for clock in c.clocks:
            if clock.started_at > as_of:
                continue
            counts = self.counts.get(clock.milestone)
            if counts is None:
                counts = self.counts[clock.milestone] = [0, 0, 0, 0, 0]
            due = clock.due_at
            if due is None:
                counts[4] += 1
                continue
            stopped = clock.stopped_at
            if stopped is not None and stopped <= as_of:
                counts[0 if stopped <= due else 1] += 1
                continue
            paused = clock.paused_since
            judged = paused if paused is not None and paused < as_of else as_of
            counts[2 if judged > due else 3] += 1

    def result(self) -> SlaCompliance:
        rows = []
        for milestone in sorted(self.counts):
            on, late, overdue, within, untargeted = self.counts[milestone]
            rows.append(
                SlaMilestone(
                    milestone=milestone,
                    met_on_time=on,
                    met_late=late,
                    open_overdue=overdue,
                    open_within=within,
                    untargeted=untargeted,
                    on_time=Rate(on, on + late + overdue),
                    overdue_open=Rate(overdue, overdue + within),
                )
            )
        return SlaCompliance(self.as_of, tuple(rows))


class _Satisfaction:
    def __init__(self) -> None:
        self.scores = [0, 0, 0, 0, 0]
        self.closed = 0

    def add(self, c: Complaint) -> None:
        closure = c.closure
        if not (c.reopened or (closure is not None and not closure.withdrawn)):
            return
        self.closed += 1
        if c.satisfaction is not None:
            self.scores[c.satisfaction.score - 1] += 1

    def take(self, totals: FactTotals) -> None:
        """Take the counts from storage's aggregates instead of :meth:`add`."""
        self.scores = list(totals.scores)
        self.closed = totals.ever_closed

    def result(self) -> SatisfactionFigures:
        s = self.scores
        n = sum(s)
        mean = None if n == 0 else sum((i + 1) * k for i, k in enumerate(s)) / n
        return SatisfactionFigures((s[0], s[1], s[2], s[3], s[4]), mean, Rate(n, self.closed))


class _Backlog:
    def __init__(self, at: datetime, limits: tuple[timedelta, ...]) -> None:
        self.at = at
        self.limits = limits
        self.counts = [0] * (len(limits) + 1)
        self.oldest: timedelta | None = None

    def add(self, c: Complaint) -> None:
        at = self.at
        received = c.received_at
        if received > at:
            return
        closure = c.closure
        if closure is not None and closure.at <= at:
            return
        age = at - received
        i = 0
        for limit in self.limits:
            if age < limit:
                break
            i += 1
        self.counts[i] += 1
        if self.oldest is None or age > self.oldest:
            self.oldest = age

    def result(self) -> Backlog:
        lows = (timedelta(0), *self.limits)
        highs: tuple[timedelta | None, ...] = (*self.limits, None)
        buckets = tuple(
            AgeBucket(lo, hi, n) for lo, hi, n in zip(lows, highs, self.counts, strict=True)
        )
        return Backlog(self.at, sum(self.counts), buckets, self.oldest)


class _Repeat:
    def __init__(self, top: int) -> None:
        self.top = top
        self.counts: Counter[str] = Counter()

    def add(self, c: Complaint) -> None:
        self.counts[c.complainant_id] += 1

    def result(self) -> RepeatComplainants:
        counts = self.counts
        repeat = {k: n for k, n in counts.items() if n > 1}
        return self.figures(len(counts), sum(counts.values()), repeat)

    def figures(self, complainants: int, total: int, repeat: dict[str, int]) -> RepeatComplainants:
        """The figures from the counts of *complainants*, complaints and repeat complainants."""
        ranked = sorted(repeat.items(), key=lambda kv: (-kv[1], kv[0]))[: self.top]
        return RepeatComplainants(
            complainants=complainants,
            repeat=Rate(len(repeat), complainants),
            complaints=Rate(sum(repeat.values()), total),
            top=tuple(RepeatComplainant(k, n) for k, n in ranked),
        )


def _sort_key(key: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((k is None, k or "") for k in key)


def _combinations(c: Complaint, dimensions: Sequence[str]) -> Iterator[tuple[str | None, ...]]:
    if len(dimensions) == 1:
        for value in dimension_values(c, dimensions[0]):
            yield (value,)
    else:
        firsts = dimension_values(c, dimensions[0])
        seconds = dimension_values(c, dimensions[1])
        for a in firsts:
            for b in seconds:
                yield (a, b)


class Analysis:
    """Clause 8 figures over *source*: a repository, or a collection of complaints.

    *filters* selects the complaints every figure counts. *as_of* (aware; default: now) is the
    instant open SLA clocks are judged at and the default instant of the backlog. *calendar*
    adds business-time durations. *page_size* is the repository page size. Invalid arguments
    raise :class:`~iso10002.errors.ValidationError` naming the argument.
    """

    def __init__(
        self,
        source: ComplaintRepository | Iterable[Complaint],
        *,
        filters: Filters | None = None,
        as_of: datetime | None = None,
        calendar: BusinessCalendar | None = None,
        page_size: int = 1000,
    ) -> None:
        self._repository: ComplaintRepository | None = None
        if provides(source, ComplaintRepository):
            self._repository = source  # type: ignore[assignment]
        elif not isinstance(source, Iterable):
            raise ValidationError(
                [("source", f"expected a repository or a collection, got {describe(source)}")],
                what=_WHAT,
            )
        elif iter(source) is source:
            raise ValidationError(
                [("source", "an iterator can be read only once: pass a collection (list, …)")],
                what=_WHAT,
            )
        self._source = source
        if filters is None:
            filters = Filters()
        elif not isinstance(filters, Filters):
            raise ValidationError(
                [("filters", f"expected Filters, got {describe(filters)}")], what=_WHAT
            )
        self.filters = filters
        self.as_of = (
            datetime.now(timezone.utc)
            if as_of is None
            else check_instant("as_of", as_of, what=_WHAT)
        )
        if calendar is not None and not isinstance(calendar, BusinessCalendar):
            raise ValidationError(
                [("calendar", f"expected a BusinessCalendar, got {describe(calendar)}")],
                what=_WHAT,
            )
        self.calendar = calendar
        if (
            not isinstance(page_size, int)
            or isinstance(page_size, bool)
            or not 1 <= page_size <= 10_000
        ):
            raise ValidationError(
                [("page_size", f"expected an int from 1 to 10000, got {describe(page_size)}")],
                what=_WHAT,
            )
        self.page_size = page_size
        self._facts: FactAggregating | None = None
        if self._repository is not None and provides(source, FactAggregating):
            self._facts = source  # type: ignore[assignment]

    # -- reading ---------------------------------------------------------------------------------

    def complaints(self, filters: Filters | None = None) -> Iterator[Complaint]:
        """Every complaint *filters* (default: the analysis's) selects, streamed."""
        chosen = self.filters if filters is None else filters
        matches = chosen.matches
        repository = self._repository
        if repository is None:
            for complaint in self._source:  # type: ignore[union-attr]
                if matches(complaint):
                    yield complaint
            return
        query = chosen.query(limit=self.page_size)
        while True:
            page = repository.query(query)
            for complaint in page.items:
                if matches(complaint):
                    yield complaint
            if page.next_cursor is None:
                return
            query = _with_cursor(query, page.next_cursor)

    def _run(self, *accumulators: Any) -> None:
        adders: list[Callable[[Complaint], None]] = [a.add for a in accumulators]
        if len(adders) == 1:
            add = adders[0]
            for complaint in self.complaints():
                add(complaint)
            return
        for complaint in self.complaints():
            for add in adders:
                add(complaint)

    # -- figures ---------------------------------------------------------------------------------

    def count(self) -> int:
        """How many complaints the filters select."""
        if self._facts is not None:
            return sum(n for *_, n in self._facts.fact_counts(self.filters.facts(), ()))
        return sum(1 for _ in self.complaints())

    def volumes(self, *, every: str | None = None, by: Sequence[str] = ()) -> Volumes:
        """Counts by period bucket (*every*: ``day``, ``week``, ``month`` or ``quarter``) and/or
        by up to two dimensions (*by*), ordered by period then keys.

        With *every*, no dimension and a filter period, every bucket of the period is listed,
        empty ones with count 0.
        """
        if every is not None:
            check_granularity("every", every, what=_WHAT)
        dims = self._dimensions(by, low=0)
        counts: Counter[tuple[Any, ...]] = Counter()
        total = 0
        if self._facts is not None and all(d in FACT_DIMENSIONS for d in dims):
            found = self._facts.fact_counts(self.filters.facts(), dims, daily=every is not None)
            for day, keys, n in found:
                total += n
                period = None if every is None or day is None else _bucket_of_day(day, every)
                counts[(period, keys)] += n
        else:
            for c in self.complaints():
                total += 1
                period = None if every is None else bucket_start(c.received_at, every)
                if dims:
                    for keys in _combinations(c, dims):
                        counts[(period, keys)] += 1
                else:
                    counts[(period, ())] += 1
        span = self.filters.period
        if every is not None and not dims and span is not None:
            day = bucket_start(span.start, every)
            last = bucket_start(span.end - _US, every)
            while day <= last:
                counts.setdefault((day, ()), 0)
                day = next_bucket(day, every)
        ordered = sorted(counts.items(), key=lambda kv: (kv[0][0] or 0, _sort_key(kv[0][1])))
        rows = tuple(VolumeRow(period, keys, n) for (period, keys), n in ordered)
        if every is None and not dims:
            rows = (VolumeRow(None, (), total),)
        return Volumes(every, dims, total, rows)

    def pareto(
        self, dimension: str, *, top: int | None = None, share: float | None = None
    ) -> Pareto:
        """Values of *dimension* by count, largest first, with shares of the total and
        cumulative shares.

        *top* keeps the first *top* values; *share* keeps values until the cumulative share
        reaches *share* (0 < share ≤ 1). Either way every value tied with the last kept one is
        kept too. Complaints without a value count under ``None``.
        """
        check_dimension("dimension", dimension, what=_WHAT)
        if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
            raise ValidationError(
                [("top", f"expected a positive int, got {describe(top)}")], what=_WHAT
            )
        if share is not None and (
            not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share <= 1
        ):
            raise ValidationError(
                [("share", f"expected a number in (0, 1], got {describe(share)}")], what=_WHAT
            )
        counts: Counter[str | None] = Counter()
        if self._facts is not None and dimension in FACT_DIMENSIONS:
            for _, keys, n in self._facts.fact_counts(self.filters.facts(), (dimension,)):
                counts[keys[0]] += n
        else:
            for c in self.complaints():
                for value in dimension_values(c, dimension):
                    counts[value] += 1
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
        keep = len(ranked)
        if top is not None:
            keep = min(keep, top)
        if share is not None:
            running = 0
            for i, (_, n) in enumerate(ranked):
                running += n
                if running >= share * total:
                    keep = min(keep, i + 1)
                    break
        while 0 < keep < len(ranked) and ranked[keep][1] == ranked[keep - 1][1]:
            keep += 1
        rows = []
        running = 0
        for key, n in ranked[:keep]:
            running += n
            rows.append(ParetoRow(key, n, Rate(n, total), Rate(running, total)))
        rest = ranked[keep:]
        return Pareto(dimension, total, tuple(rows), len(rest), sum(n for _, n in rest))

    def durations(self) -> Durations:
        """Time from receipt to acknowledgement, to the first decision and to closure (not
        withdrawal): median, p90 and mean, in calendar and (with a calendar) business time."""
        acc = _Durations(self.calendar)
        if not self._durations_from_facts(acc):
            self._run(acc)
        return acc.result()

    def sla(self) -> SlaCompliance:
        """SLA compliance per milestone from the clocks' facts, judged at ``as_of``.

        A clock not started by ``as_of`` is left out; one stopped after ``as_of`` counts as open.
        """
        acc = _Sla(self.as_of)
        if self._facts is not None:
            self._sla_from_facts(acc)
        else:
            self._run(acc)
        return acc.result()

    def rates(self) -> OutcomeRates:
        """Outcome, reopen, withdrawal and escalation rates."""
        acc = _Rates()
        if self._facts is not None:
            self._rates_from_facts(acc, self._facts.fact_totals(self.filters.facts()))
        else:
            self._run(acc)
        return acc.result()

    def satisfaction(self) -> SatisfactionFigures:
        """Satisfaction scores (8.3) of the complaints closed at least once."""
        acc = _Satisfaction()
        if self._facts is not None:
            acc.take(self._facts.fact_totals(self.filters.facts()))
        else:
            self._run(acc)
        return acc.result()

    def backlog(
        self, at: datetime | None = None, *, limits: Sequence[timedelta] = DEFAULT_AGE_LIMITS
    ) -> Backlog:
        """Complaints open at *at* (default ``as_of``), by age against the increasing *limits*.

        Open means received by *at* and not closed (or withdrawn) by *at*, judged from the
        complaint's latest closure.
        """
        instant = self.as_of if at is None else check_instant("at", at, what=_WHAT)
        acc = _Backlog(instant, self._limits(limits))
        if self._facts is not None:
            self._backlog_from_facts(acc)
        else:
            self._run(acc)
        return acc.result()

    def repeat_complainants(self, *, top: int = 10) -> RepeatComplainants:
        """Complainants with more than one complaint, by pseudonymous ``complainant_id``."""
        if not isinstance(top, int) or isinstance(top, bool) or top < 0:
            raise ValidationError(
                [("top", f"expected an int ≥ 0, got {describe(top)}")], what=_WHAT
            )
        acc = _Repeat(top)
        if self._facts is not None:
            return self._repeat_from_facts(acc)
        self._run(acc)
        return acc.result()

    def kpis(self, *, top: int = 10) -> KpiReport:
        """Rates, durations, SLA compliance, satisfaction, backlog at ``as_of`` and repeat
        complainants, in one pass over the source."""
        rates, durations, sla = _Rates(), _Durations(self.calendar), _Sla(self.as_of)
        satisfaction, backlog = _Satisfaction(), _Backlog(self.as_of, DEFAULT_AGE_LIMITS)
        repeat = _Repeat(top)
        if self._facts is None:
            self._run(rates, durations, sla, satisfaction, backlog, repeat)
            return KpiReport(
                as_of=self.as_of,
                total=rates.total,
                rates=rates.result(),
                durations=durations.result(),
                sla=sla.result(),
                satisfaction=satisfaction.result(),
                backlog=backlog.result(),
                repeat=repeat.result(),
            )
        totals = self._facts.fact_totals(self.filters.facts())
        self._rates_from_facts(rates, totals)
        satisfaction.take(totals)
        if not self._durations_from_facts(durations):
            self._run(durations)
        self._sla_from_facts(sla)
        self._backlog_from_facts(backlog)
        return KpiReport(
            as_of=self.as_of,
            total=rates.total,
            rates=rates.result(),
            durations=durations.result(),
            sla=sla.result(),
            satisfaction=satisfaction.result(),
            backlog=backlog.result(),
            repeat=self._repeat_from_facts(repeat, totals.total),
        )

    def recurring(
        self,
        *,
        by: Sequence[str] = ("category", "product"),
        baseline_periods: int = 6,
        alpha: float = 0.01,
        min_count: int = 3,
    ) -> RecurringIssues:
        """Combinations of the *by* values that recur beyond their own baseline.

        The filters' period is the period judged; the *baseline_periods* periods of the same
        length just before it form the baseline (the other filters apply to them too). The rule
        is stated on :class:`~iso10002.analysis.figures.RecurringIssues`.
        """
        period = self.filters.period
        if period is None:
            raise ValidationError(
                [("filters.period", "recurring issues need a period to judge")], what=_WHAT
            )
        dims = self._dimensions(by, low=1)
        if (
            not isinstance(baseline_periods, int)
            or isinstance(baseline_periods, bool)
            or baseline_periods < 1
        ):
            raise ValidationError(
                [("baseline_periods", f"expected an int ≥ 1, got {describe(baseline_periods)}")],
                what=_WHAT,
            )
        if not isinstance(alpha, float) or not 0.0 < alpha < 1.0:
            raise ValidationError(
                [("alpha", f"expected a float in (0, 1), got {describe(alpha)}")], what=_WHAT
            )
        if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
            raise ValidationError(
                [("min_count", f"expected an int ≥ 1, got {describe(min_count)}")], what=_WHAT
            )
        wide = Period(period.start - period.length * baseline_periods, period.end)
        filters = _with_period(self.filters, wide)
        length = period.length
        counts: defaultdict[tuple[str | None, ...], list[int]] = defaultdict(
            lambda: [0] * (baseline_periods + 1)
        )
        ids: defaultdict[tuple[str | None, ...], list[str]] = defaultdict(list)
        for c in self.complaints(filters):
            # index 0 is the judged period, i the i-th period before it
            index = (
                0 if c.received_at >= period.start else -((c.received_at - period.start) // length)
            )
            for keys in _combinations(c, dims):
                counts[keys][index] += 1
                if index == 0:
                    ids[keys].append(c.id)
        issues = []
        for keys, row in counts.items():
            count = row[0]
            if count < min_count:
                continue
            baseline = tuple(reversed(row[1:]))
            mean = sum(baseline) / baseline_periods
            p = poisson_upper_tail(count, mean)
            if p < alpha:
                issues.append(
                    RecurringIssue(keys, count, baseline, mean, p, tuple(sorted(ids[keys])))
                )
        issues.sort(key=lambda i: (i.p_value, -i.count, _sort_key(i.keys)))
        return RecurringIssues(
            dims, period.start, period.end, baseline_periods, alpha, min_count, tuple(issues)
        )

    def remedies(self, *, below: float = 1.0, min_size: int = 2) -> RemedyConsistency:
        """Groups of decided complaints with the same category and outcome (latest decision)
        whose remedy sets differ: groups of at least *min_size* complaints whose consistency
        (the most common remedy set's share) is below *below*, least consistent first."""
        if not isinstance(below, (int, float)) or isinstance(below, bool) or not 0 < below <= 1:
            raise ValidationError(
                [("below", f"expected a number in (0, 1], got {describe(below)}")], what=_WHAT
            )
        if not isinstance(min_size, int) or isinstance(min_size, bool) or min_size < 2:
            raise ValidationError(
                [("min_size", f"expected an int ≥ 2, got {describe(min_size)}")], what=_WHAT
            )
        groups: defaultdict[tuple[str | None, str], defaultdict[tuple[str, ...], list[str]]]
        groups = defaultdict(lambda: defaultdict(list))
        for c in self.complaints():
            decision = c.decision
            if decision is None:
                continue
            key = (c.classification.category, decision.outcome.value)
            groups[key][tuple(sorted(set(decision.remedies)))].append(c.id)
        found = []
        for (category, outcome), sets in groups.items():
            size = sum(len(v) for v in sets.values())
            if len(sets) < 2 or size < min_size:
                continue
            ranked = sorted(sets.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            consistency = Rate(len(ranked[0][1]), size)
            if consistency.value is None or consistency.value >= below:
                continue
            found.append(
                RemedyGroup(
                    category,
                    outcome,
                    size,
                    consistency,
                    tuple(RemedySet(k, len(v), tuple(sorted(v))) for k, v in ranked),
                )
            )
        found.sort(
            key=lambda g: (
                g.consistency.numerator * 1.0 / g.size,
                -g.size,
                g.category is None,
                g.category or "",
                g.outcome,
            )
        )
        return RemedyConsistency(tuple(found))

    # -- storage's aggregates ----------------------------------------------------------------------

    def _rates_from_facts(self, acc: _Rates, totals: FactTotals) -> None:
        assert self._facts is not None
        rows = self._facts.fact_counts(self.filters.facts(), ("outcome",))
        acc.take(totals, {keys[0]: n for _, keys, n in rows})

    def _durations_from_facts(self, acc: _Durations) -> bool:
        """Fill *acc* from storage; ``False`` (nothing done) when it cannot (business time)."""
        if self._facts is None or acc.calendar is not None:
            return False
        for i, values in enumerate(self._facts.fact_durations(self.filters.facts())):
            acc.plain[i] = array("q", values)
        return True

    def _sla_from_facts(self, acc: _Sla) -> None:
        assert self._facts is not None
        found = self._facts.clock_counts(self.filters.facts(), acc.as_of)
        acc.counts = {m: list(k) for m, k in found.items()}

    def _backlog_from_facts(self, acc: _Backlog) -> None:
        assert self._facts is not None
        counts, earliest = self._facts.backlog_counts(self.filters.facts(), acc.at, acc.limits)
        acc.counts = list(counts)
        acc.oldest = None if earliest is None else acc.at - earliest

    def _repeat_from_facts(self, acc: _Repeat, total: int | None = None) -> RepeatComplainants:
        """The figures from storage; *total* is the number of complaints, when known."""
        assert self._facts is not None
        facts = self.filters.facts()
        if total is None:
            total = sum(n for *_, n in self._facts.fact_counts(facts, ()))
        complainants, repeat = self._facts.complainant_counts(facts)
        return acc.figures(complainants, total, repeat)

    # -- helpers ---------------------------------------------------------------------------------

    def _dimensions(self, by: object, *, low: int) -> tuple[str, ...]:
        if isinstance(by, str) or not isinstance(by, (list, tuple)):
            raise ValidationError(
                [("by", f"expected a list or tuple of dimension names, got {describe(by)}")],
                what=_WHAT,
            )
        if not low <= len(by) <= 2:
            raise ValidationError(
                [("by", f"expected {low} to 2 dimensions, got {len(by)}")], what=_WHAT
            )
        for i, name in enumerate(by):
            check_dimension(f"by[{i}]", name, what=_WHAT)
        if len(set(by)) != len(by):
            raise ValidationError([("by", "a dimension is named twice")], what=_WHAT)
        return tuple(by)

    @staticmethod
    def _limits(limits: object) -> tuple[timedelta, ...]:
        if (
            not isinstance(limits, (list, tuple))
            or not all(isinstance(x, timedelta) and x > timedelta(0) for x in limits)
            or any(a >= b for a, b in itertools.pairwise(limits))
        ):
            raise ValidationError(
                [("limits", "expected increasing positive timedeltas")], what=_WHAT
            )
        return tuple(limits)


def _bucket_of_day(day: date, granularity: str) -> date:
    return bucket_start(datetime.combine(day, time(), tzinfo=timezone.utc), granularity)


def _with_cursor(query: ComplaintQuery, cursor: str) -> ComplaintQuery:
    return attrs.evolve(query, cursor=cursor)


def _with_period(filters: Filters, period: Period) -> Filters:
    return attrs.evolve(filters, period=period)
