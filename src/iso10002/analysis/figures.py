"""The figures an analysis returns: frozen attrs values that dump to JSON and print as tables.

Every rate is a :class:`Rate` carrying its numerator and denominator; its ``value`` is ``None``
when the denominator is 0, never a division error. Durations are :class:`~datetime.timedelta`
values (seconds in JSON). ``to_dict()`` gives JSON-safe data through
:func:`iso10002.serialization.make_converter`'s converter; ``str()`` renders a plain-text table.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import cattrs

from iso10002.serialization import make_converter

__all__ = [
    "AgeBucket",
    "Backlog",
    "DurationStats",
    "Durations",
    "Figure",
    "KpiReport",
    "MilestoneDurations",
    "OutcomeRates",
    "Pareto",
    "ParetoRow",
    "Rate",
    "RecurringIssue",
    "RecurringIssues",
    "RemedyConsistency",
    "RemedyGroup",
    "RemedySet",
    "RepeatComplainant",
    "RepeatComplainants",
    "SatisfactionFigures",
    "SlaCompliance",
    "SlaMilestone",
    "VolumeRow",
    "Volumes",
    "format_duration",
    "text_table",
]


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Rate):
        return str(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return ", ".join(_text(x) for x in value) if value else "(none)"
    return str(value)


def text_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """*rows* under *headers* as left-aligned text columns, after a *title* line."""
    cells = [list(headers), *([_text(x) for x in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [title]
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines)


def format_duration(value: timedelta) -> str:
    """*value* as ``2d 03h 04m`` (whole minutes), ``5d`` (whole days) or ``45s``."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds and seconds % 86_400 == 0:
        return f"{sign}{seconds // 86_400}d"
    if seconds < 60:
        return f"{sign}{seconds}s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return (
        f"{sign}{days}d {hours:02d}h {minutes:02d}m" if days else f"{sign}{hours}h {minutes:02d}m"
    )


@functools.cache
def _converter() -> cattrs.Converter:
    conv = make_converter()
    conv.register_unstructure_hook(
        Rate,
        lambda r: {"numerator": r.numerator, "denominator": r.denominator, "value": r.value},
    )
    return conv


class Figure:
    """Base of the figures: ``to_dict()`` for JSON, ``to_text()`` (and ``str``) for a table."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data (datetimes as ISO 8601, durations in seconds, enums as values)."""
        data: dict[str, Any] = _converter().unstructure(self)
        return data

    def to_text(self) -> str:
        """A plain-text table."""
        raise NotImplementedError  # pragma: no cover

    def __str__(self) -> str:
        return self.to_text()


def _rate_value(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


@attrs.frozen
class Rate(Figure):
    """``numerator / denominator``; ``value`` is ``None`` when the denominator is 0."""

    numerator: int
    denominator: int
    value: float | None = attrs.field(init=False)

    @value.default
    def _value(self) -> float | None:
        return _rate_value(self.numerator, self.denominator)

    def to_text(self) -> str:
        """``95.0 % (19/20)``, or ``- (0/0)``."""
        shown = "-" if self.value is None else f"{self.value * 100:.1f} %"
        return f"{shown} ({self.numerator}/{self.denominator})"


@attrs.frozen
class VolumeRow:
    """A count of complaints in one period bucket and/or under one combination of values."""

    period: date | None
    keys: tuple[str | None, ...]
    count: int


@attrs.frozen
class Volumes(Figure):
    """Complaint counts by period bucket (``every``) and by up to two ``dimensions``.

    With a multi-valued dimension a complaint counts once under each of its values, so the
    rows may add up to more than ``total`` (the number of complaints).
    """

    every: str | None
    dimensions: tuple[str, ...]
    total: int
    rows: tuple[VolumeRow, ...]

    def to_text(self) -> str:
        """The counts as a table."""
        headers = [*(["period"] if self.every else []), *self.dimensions, "count"]
        rows = [[*([r.period] if self.every else []), *r.keys, r.count] for r in self.rows]
        return text_table(f"Volumes ({self.total} complaints)", headers, rows)


@attrs.frozen
class ParetoRow:
    """One value in a Pareto: its count, its share of the total and the cumulative share."""

    key: str | None
    count: int
    share: Rate
    cumulative: Rate


@attrs.frozen
class Pareto(Figure):
    """Values of a dimension by count, largest first (ties by key); see :meth:`Analysis.pareto`.

    ``total`` counts every value (all rows, also those cut off); ``omitted`` is how many values
    were cut off and ``omitted_count`` their summed count.
    """

    dimension: str
    total: int
    rows: tuple[ParetoRow, ...]
    omitted: int
    omitted_count: int

    def to_text(self) -> str:
        """The Pareto as a table."""
        rows = [[r.key, r.count, r.share, r.cumulative] for r in self.rows]
        if self.omitted:
            rows.append([f"({self.omitted} more)", self.omitted_count, "", ""])
        return text_table(
            f"Pareto of {self.dimension} ({self.total})",
            [self.dimension, "count", "share", "cumulative"],
            rows,
        )


@attrs.frozen
class DurationStats:
    """Median, 90th percentile (nearest rank) and mean of ``count`` durations; ``None`` if 0."""

    count: int
    median: timedelta | None
    p90: timedelta | None
    mean: timedelta | None


@attrs.frozen
class MilestoneDurations:
    """Time from receipt to one milestone, in calendar time and (given a calendar) business time."""

    milestone: str
    calendar: DurationStats
    business: DurationStats | None


@attrs.frozen
class Durations(Figure):
    """Durations from receipt to ``acknowledgement``, ``decision`` (the first) and ``closure``.

    Closure counts complaints closed and not withdrawn, at their latest closure.
    """

    rows: tuple[MilestoneDurations, ...]

    def get(self, milestone: str) -> MilestoneDurations | None:
        """The row for *milestone*, or ``None``."""
        return next((r for r in self.rows if r.milestone == milestone), None)

    def to_text(self) -> str:
        """The durations as a table."""
        rows: list[list[object]] = []
        for r in self.rows:
            for basis, s in (("calendar", r.calendar), ("business", r.business)):
                if s is not None:
                    rows.append([r.milestone, basis, s.count, s.median, s.p90, s.mean])
        return text_table(
            "Time from receipt", ["milestone", "time", "count", "median", "p90", "mean"], rows
        )


@attrs.frozen
class SlaMilestone:
    """SLA clocks of one milestone judged at the analysis instant.

    ``on_time`` is met-on-time over every clock with a due instant whose result is known (met
    on time, met late, open overdue); ``overdue_open`` is open-overdue over the open ones.
    ``untargeted`` counts clocks without a due instant (left out of both rates).
    """

    milestone: str
    met_on_time: int
    met_late: int
    open_overdue: int
    open_within: int
    untargeted: int
    on_time: Rate
    overdue_open: Rate


@attrs.frozen
class SlaCompliance(Figure):
    """SLA compliance per milestone, judged at ``as_of``."""

    as_of: datetime
    rows: tuple[SlaMilestone, ...]

    def get(self, milestone: str) -> SlaMilestone | None:
        """The row for *milestone*, or ``None``."""
        return next((r for r in self.rows if r.milestone == milestone), None)

    def to_text(self) -> str:
        """The compliance as a table."""
        rows = [
            [
                r.milestone,
                r.met_on_time,
                r.met_late,
                r.open_overdue,
                r.open_within,
                r.on_time,
                r.overdue_open,
            ]
            for r in self.rows
        ]
        headers = ["milestone", "on time", "late", "overdue", "within", "on-time rate", "overdue"]
        return text_table(f"SLA compliance at {self.as_of.isoformat()}", headers, rows)


@attrs.frozen
class OutcomeRates(Figure):
    """Outcome, reopen, withdrawal and escalation rates.

    Outcomes (of the latest decision) are over ``decided`` complaints; reopened is over the
    complaints closed at least once (not counting withdrawals); withdrawal and escalations are
    over every complaint (``total``).
    """

    total: int
    decided: int
    upheld: Rate
    partly_upheld: Rate
    not_upheld: Rate
    reopened: Rate
    withdrawn: Rate
    internal_review: Rate
    external_dispute: Rate

    def to_text(self) -> str:
        """The rates as a table."""
        names = (
            "upheld",
            "partly_upheld",
            "not_upheld",
            "reopened",
            "withdrawn",
            "internal_review",
            "external_dispute",
        )
        return text_table(
            f"Rates ({self.total} complaints, {self.decided} decided)",
            ["figure", "rate"],
            [[n, getattr(self, n)] for n in names],
        )


@attrs.frozen
class SatisfactionFigures(Figure):
    """Satisfaction with the handling (8.3) of complaints closed at least once.

    ``distribution[i]`` counts score ``i + 1``; ``responses`` is surveyed over closed.
    """

    distribution: tuple[int, int, int, int, int]
    mean: float | None
    responses: Rate

    def to_text(self) -> str:
        """The distribution and mean as a table."""
        rows = [[str(i + 1), n] for i, n in enumerate(self.distribution)]
        rows += [["mean", self.mean], ["response rate", self.responses]]
        return text_table("Satisfaction", ["score", "count"], rows)


@attrs.frozen
class AgeBucket:
    """Open complaints aged at least ``low`` and (unless ``high`` is ``None``) under ``high``."""

    low: timedelta
    high: timedelta | None
    count: int

    @property
    def label(self) -> str:
        """``"5d-10d"`` or ``"≥ 40d"``."""
        if self.high is None:
            return f"≥ {format_duration(self.low)}"
        return f"{format_duration(self.low)}-{format_duration(self.high)}"


@attrs.frozen
class Backlog(Figure):
    """Complaints open at ``at`` (received by then, not closed by then), by age."""

    at: datetime
    open: int
    buckets: tuple[AgeBucket, ...]
    oldest: timedelta | None

    def to_text(self) -> str:
        """The ageing buckets as a table."""
        rows: list[list[object]] = [[b.label, b.count] for b in self.buckets]
        rows.append(["oldest", self.oldest])
        return text_table(
            f"Backlog at {self.at.isoformat()}: {self.open} open", ["age", "count"], rows
        )


@attrs.frozen
class RepeatComplainant:
    """A complainant (by pseudonymous id) with ``count`` complaints."""

    complainant_id: str
    count: int


@attrs.frozen
class RepeatComplainants(Figure):
    """Complainants with more than one complaint, counted by ``complainant_id``.

    ``repeat`` is repeat complainants over complainants; ``complaints`` is complaints from repeat
    complainants over all complaints; ``top`` lists the most frequent (ties by id).
    """

    complainants: int
    repeat: Rate
    complaints: Rate
    top: tuple[RepeatComplainant, ...]

    def to_text(self) -> str:
        """The repeat figures and the top complainants as a table."""
        rows: list[list[object]] = [
            ["repeat complainants", self.repeat],
            ["complaints from them", self.complaints],
        ]
        rows += [[f"  {r.complainant_id}", r.count] for r in self.top]
        return text_table(f"Repeat complainants ({self.complainants})", ["figure", "value"], rows)


@attrs.frozen
class RecurringIssue:
    """A combination of values whose count in the period exceeds its baseline.

    ``p_value`` is P(X ≥ ``count``) for X ~ Poisson(``baseline_mean``).
    """

    keys: tuple[str | None, ...]
    count: int
    baseline_counts: tuple[int, ...]
    baseline_mean: float
    p_value: float
    complaint_ids: tuple[str, ...]


@attrs.frozen
class RecurringIssues(Figure):
    """Recurring or systemic issues in ``period`` against ``baseline_periods`` earlier periods.

    The rule: a combination of ``dimensions`` values is flagged when its count ``c`` in the period
    is at least ``min_count`` and P(X ≥ c) < ``alpha`` for X ~ Poisson(m), where m is the mean of
    its counts over the ``baseline_periods`` periods of the same length just before ``period``.
    Issues are listed by p-value, then count (largest first), then keys.
    """

    dimensions: tuple[str, ...]
    period_start: datetime
    period_end: datetime
    baseline_periods: int
    alpha: float
    min_count: int
    issues: tuple[RecurringIssue, ...]

    def to_text(self) -> str:
        """The flagged issues as a table."""
        rows = [
            [*i.keys, i.count, i.baseline_mean, f"{i.p_value:.2g}", len(i.complaint_ids)]
            for i in self.issues
        ]
        return text_table(
            f"Recurring issues (Poisson, alpha {self.alpha}, {self.baseline_periods} periods)",
            [*self.dimensions, "count", "baseline", "p", "complaints"],
            rows,
        )


@attrs.frozen
class RemedySet:
    """One set of remedies given in a group, how often, and to which complaints."""

    remedies: tuple[str, ...]
    count: int
    complaint_ids: tuple[str, ...]


@attrs.frozen
class RemedyGroup:
    """Complaints with the same category and outcome whose remedies differ.

    ``consistency`` is the most common remedy set's count over the group's size.
    """

    category: str | None
    outcome: str
    size: int
    consistency: Rate
    remedy_sets: tuple[RemedySet, ...]


@attrs.frozen
class RemedyConsistency(Figure):
    """Groups whose remedies diverge, least consistent first; see :meth:`Analysis.remedies`."""

    groups: tuple[RemedyGroup, ...]

    def to_text(self) -> str:
        """The groups and their remedy sets as a table."""
        rows: list[list[object]] = []
        for g in self.groups:
            for s in g.remedy_sets:
                rows.append([g.category, g.outcome, g.consistency, s.remedies, s.count])
        return text_table(
            "Remedy consistency", ["category", "outcome", "consistency", "remedies", "count"], rows
        )


@attrs.frozen
class KpiReport(Figure):
    """The monitoring figures (8.4) of one selection, computed in one pass."""

    as_of: datetime
    total: int
    rates: OutcomeRates
    durations: Durations
    sla: SlaCompliance
    satisfaction: SatisfactionFigures
    backlog: Backlog
    repeat: RepeatComplainants

    def figures(self) -> dict[str, float | timedelta | int | None]:
        """Every scalar figure by dotted name, as objectives name them (see the docs)."""
        found: dict[str, float | timedelta | int | None] = {"total": self.total}
        for name in (
            "upheld",
            "partly_upheld",
            "not_upheld",
            "reopened",
            "withdrawn",
            "internal_review",
            "external_dispute",
        ):
            found[f"rates.{name}"] = getattr(self.rates, name).value
        for row in self.durations.rows:
            for basis, s in (("calendar", row.calendar), ("business", row.business)):
                if s is not None:
                    for stat in ("median", "p90", "mean"):
                        found[f"durations.{row.milestone}.{basis}.{stat}"] = getattr(s, stat)
        for sla in self.sla.rows:
            found[f"sla.{sla.milestone}.on_time"] = sla.on_time.value
            found[f"sla.{sla.milestone}.overdue_open"] = sla.overdue_open.value
        found["satisfaction.mean"] = self.satisfaction.mean
        found["satisfaction.responses"] = self.satisfaction.responses.value
        found["backlog.open"] = self.backlog.open
        found["backlog.oldest"] = self.backlog.oldest
        found["repeat.complainants"] = self.repeat.repeat.value
        found["repeat.complaints"] = self.repeat.complaints.value
        return found

    def rate(self, name: str) -> Rate | None:
        """The :class:`Rate` behind the figure *name*, or ``None`` if it is not a rate."""
        parts = name.split(".")
        if parts[0] == "rates" and len(parts) == 2 and parts[1] in attrs.fields_dict(OutcomeRates):
            value = getattr(self.rates, parts[1])
            return value if isinstance(value, Rate) else None
        if parts[0] == "sla" and len(parts) == 3 and parts[2] in ("on_time", "overdue_open"):
            row = self.sla.get(parts[1])
            return None if row is None else getattr(row, parts[2])
        if name == "satisfaction.responses":
            return self.satisfaction.responses
        if name in ("repeat.complainants", "repeat.complaints"):
            return self.repeat.repeat if name.endswith("complainants") else self.repeat.complaints
        return None

    def to_text(self) -> str:
        """Every part's table, one after another."""
        parts = (self.rates, self.durations, self.sla, self.satisfaction, self.backlog)
        head = f"KPIs at {self.as_of.isoformat()}: {self.total} complaints"
        return "\n\n".join([head, *(p.to_text() for p in parts), self.repeat.to_text()])
