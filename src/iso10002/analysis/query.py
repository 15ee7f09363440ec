"""What to analyse: a period, filters, dimensions and period granularities.

A :class:`Period` is half-open, ``[start, end)``, on timezone-aware instants. :class:`Filters`
selects complaints by when they were received (the period) and by state, category prefix,
channel, product, team and segment; every given filter must hold. Period buckets (``day``,
``week``, ``month``, ``quarter``) are taken in UTC; a week starts on Monday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

import attrs

from iso10002 import _validate as v
from iso10002.errors import ValidationError, describe
from iso10002.model import Channel, Complaint
from iso10002.ports import ComplaintQuery, FactFilter

__all__ = [
    "DIMENSIONS",
    "GRANULARITIES",
    "MULTI_VALUED",
    "Filters",
    "Period",
    "bucket_start",
    "check_dimension",
    "check_granularity",
    "check_instant",
    "dimension_values",
    "next_bucket",
]

DIMENSIONS: Final = (
    "category",
    "channel",
    "outcome",
    "priority",
    "product",
    "remedy",
    "root_cause",
    "segment",
    "state",
    "tag",
    "team",
)
"""The dimensions figures can be broken down by (``outcome`` is the latest decision's)."""

MULTI_VALUED: Final = frozenset({"remedy", "root_cause", "tag"})
"""Dimensions where one complaint may carry several values (it counts once under each)."""

GRANULARITIES: Final = ("day", "week", "month", "quarter")
"""The period buckets volumes can be counted by."""


def check_dimension(name: str, value: object, *, what: str) -> str:
    """*value* if it names a dimension, else a :class:`ValidationError` at *name*."""
    if not isinstance(value, str) or value not in DIMENSIONS:
        raise ValidationError(
            [(name, f"unknown dimension {describe(value)}; accepted: {', '.join(DIMENSIONS)}")],
            what=what,
        )
    return value


def check_granularity(name: str, value: object, *, what: str) -> str:
    """*value* if it names a granularity, else a :class:`ValidationError` at *name*."""
    if not isinstance(value, str) or value not in GRANULARITIES:
        raise ValidationError(
            [(name, f"unknown period {describe(value)}; accepted: {', '.join(GRANULARITIES)}")],
            what=what,
        )
    return value


def check_instant(name: str, value: object, *, what: str) -> datetime:
    """*value* in UTC if it is an aware datetime, else a :class:`ValidationError` at *name*."""
    if not isinstance(value, datetime):
        raise ValidationError(
            [(name, f"expected an aware datetime, got {describe(value)}")], what=what
        )
    if value.utcoffset() is None:
        raise ValidationError(
            [(name, "naive datetime refused: give a timezone-aware datetime")], what=what
        )
    result: datetime = v.to_utc(value)
    return result


@attrs.frozen
class Period:
    """The half-open span ``[start, end)`` of aware instants (stored in UTC); never empty."""

    start: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    end: datetime = attrs.field(converter=v.to_utc, validator=v.aware)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(
                [("end", "the period is empty: end must be after start")], what="Period"
            )

    @property
    def length(self) -> timedelta:
        """``end - start``."""
        return self.end - self.start

    def __contains__(self, at: object) -> bool:
        return isinstance(at, datetime) and self.start <= at < self.end

    def shifted(self, times: int) -> Period:
        """The period of the same length *times* lengths later (earlier when negative)."""
        step = self.length * times
        return Period(self.start + step, self.end + step)


def _optional_set(value: Iterable[str] | None) -> Any:
    if value is None or isinstance(value, (str, frozenset)) or not isinstance(value, Iterable):
        return value
    return frozenset(value)


def _check_states(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, frozenset) or not all(isinstance(s, str) for s in value):
        v.fail(owner, attribute, f"expected a set of state names, got {describe(value)}")


def _check_period(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Period):
        v.fail(owner, attribute, f"expected a Period, got {describe(value)}")


@attrs.frozen(kw_only=True)
class Filters:
    """Which complaints a figure counts; ``None`` means "any".

    ``period`` selects by ``received_at``; ``category_prefix`` is a plain string prefix of the
    category code (``"billing"`` selects ``billing`` and ``billing.overcharge``).
    """

    period: Period | None = attrs.field(default=None, validator=_check_period)
    states: frozenset[str] | None = attrs.field(
        default=None, converter=_optional_set, validator=_check_states
    )
    category_prefix: str | None = attrs.field(default=None, validator=v.optional_text(200))
    channel: Channel | None = attrs.field(
        default=None, validator=attrs.validators.optional(v.enum_(Channel))
    )
    product: str | None = attrs.field(default=None, validator=v.optional_text(200))
    team: str | None = attrs.field(default=None, validator=v.optional_text(200))
    segment: str | None = attrs.field(default=None, validator=v.optional_text(200))

    def matches(self, complaint: Complaint) -> bool:
        """Whether *complaint* passes every filter."""
        period = self.period
        if period is not None and complaint.received_at not in period:
            return False
        if self.states is not None and complaint.state not in self.states:
            return False
        if self.category_prefix is not None:
            category = complaint.classification.category
            if category is None or not category.startswith(self.category_prefix):
                return False
        details = complaint.details
        if self.channel is not None and details.channel is not self.channel:
            return False
        if self.product is not None and details.product != self.product:
            return False
        if self.team is not None and complaint.team != self.team:
            return False
        return self.segment is None or details.segment == self.segment

    def query(self, *, limit: int = 1000) -> ComplaintQuery:
        """The repository query that narrows the scan (:meth:`matches` still decides)."""
        period = self.period
        return ComplaintQuery(
            states=self.states,
            category_prefix=self.category_prefix,
            channel=self.channel,
            received_from=None if period is None else period.start,
            received_until=None if period is None else period.end,
            limit=limit,
        )

    def facts(self) -> FactFilter:
        """The same selection for a :class:`~iso10002.ports.FactAggregating` repository."""
        period = self.period
        return FactFilter(
            received_from=None if period is None else period.start,
            received_until=None if period is None else period.end,
            states=self.states,
            category_prefix=self.category_prefix,
            channel=self.channel,
            product=self.product,
            team=self.team,
            segment=self.segment,
        )


def bucket_start(at: datetime, granularity: str) -> date:
    """The first day (UTC) of the *granularity* bucket holding *at*."""
    utc: datetime = v.to_utc(at)
    day = utc.date()
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    check_granularity("every", granularity, what="bucket_start")
    raise AssertionError  # pragma: no cover


def next_bucket(start: date, granularity: str) -> date:
    """The first day of the bucket after the one starting on *start*."""
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    months = 1 if granularity == "month" else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def dimension_values(complaint: Complaint, dimension: str) -> tuple[str | None, ...]:
    """The values *complaint* has under *dimension*; ``(None,)`` when it has none."""
    found: Iterable[str]
    if dimension == "category":
        return (complaint.classification.category,)
    if dimension == "channel":
        return (complaint.details.channel.value,)
    if dimension == "product":
        return (complaint.details.product,)
    if dimension == "team":
        return (complaint.team,)
    if dimension == "segment":
        return (complaint.details.segment,)
    if dimension == "state":
        return (complaint.state,)
    if dimension == "priority":
        priority = complaint.priority
        return (None if priority is None else priority.value,)
    if dimension == "outcome":
        decision = complaint.decision
        return (None if decision is None else decision.outcome.value,)
    if dimension == "root_cause":
        found = {code for finding in complaint.findings for code in finding.root_causes}
    elif dimension == "tag":
        found = complaint.classification.tags
    elif dimension == "remedy":
        decision = complaint.decision
        found = () if decision is None else set(decision.remedies)
    else:
        check_dimension("dimension", dimension, what="dimension_values")
        raise AssertionError  # pragma: no cover
    values = tuple(sorted(found))
    return values if values else (None,)
