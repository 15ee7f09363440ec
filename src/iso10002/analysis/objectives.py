"""Objectives (6.2) as data, evaluated against an analysis's figures.

An objective names a figure of :meth:`KpiReport.figures` and a target it must reach::

    {"name": "Acknowledged on time", "figure": "sla.acknowledgement.on_time", "at_least": 0.95}
    {"name": "Median time to close", "figure": "durations.closure.business.median",
     "at_most": {"hours": 85}}
    {"name": "Reopen rate", "figure": "rates.reopened", "at_most": 0.05}

Duration targets are given as ``timedelta`` keyword arguments (``days``, ``hours``, ``minutes``,
``seconds``); the others as numbers. A figure without data (a rate over 0, a median of nothing)
gives the verdict ``no_data``, never ``met``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from iso10002.errors import ConfigurationError, describe

from .engine import MILESTONES, Analysis
from .figures import Figure, KpiReport, Rate, format_duration, text_table

__all__ = ["Objective", "ObjectiveResult", "Objectives", "ObjectivesReport", "Verdict"]

_RATES = (
    "upheld",
    "partly_upheld",
    "not_upheld",
    "reopened",
    "withdrawn",
    "internal_review",
    "external_dispute",
)
_DURATION = re.compile(
    rf"durations\.({'|'.join(MILESTONES)})\.(calendar|business)\.(median|p90|mean)"
)
_NUMBER = re.compile(
    rf"total|rates\.({'|'.join(_RATES)})|sla\.[^.]+\.(on_time|overdue_open)"
    r"|satisfaction\.(mean|responses)|backlog\.open|repeat\.(complainants|complaints)"
)
_DURATION_OTHER = frozenset({"backlog.oldest"})
_UNITS = ("days", "hours", "minutes", "seconds")


class Verdict(str, enum.Enum):
    """Whether the figure reached its target."""

    MET = "met"
    MISSED = "missed"
    NO_DATA = "no_data"


def _is_duration_figure(figure: str) -> bool:
    return bool(_DURATION.fullmatch(figure)) or figure in _DURATION_OTHER


def _target(path: str, value: object, duration: bool) -> float | timedelta:
    if duration:
        if isinstance(value, timedelta):
            return value
        if (
            isinstance(value, Mapping)
            and value
            and all(k in _UNITS for k in value)
            and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value.values())
        ):
            return timedelta(**value)
        raise ConfigurationError(
            [(path, f"expected a duration such as {{'hours': 85}} (keys {', '.join(_UNITS)})")],
            what="Objectives",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ConfigurationError(
        [(path, f"expected a number, got {describe(value)}")], what="Objectives"
    )


@attrs.frozen
class Objective:
    """A named target for one figure: ``at_least`` or ``at_most`` (exactly one)."""

    name: str
    figure: str
    at_least: float | timedelta | None = None
    at_most: float | timedelta | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Objective:
        """Read one objective; :class:`~iso10002.errors.ConfigurationError` names bad keys."""
        where = f"{path}." if path else ""
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                [(path, f"expected an object, got {describe(data)}")], what="Objectives"
            )
        unknown = set(data) - {"name", "figure", "at_least", "at_most"}
        if unknown:
            raise ConfigurationError(
                [
                    (
                        f"{where}{sorted(map(str, unknown))[0]}",
                        "unknown key; accepted: name, figure, at_least, at_most",
                    )
                ],
                what="Objectives",
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(
                [(f"{where}name", "expected a non-empty str")], what="Objectives"
            )
        figure = data.get("figure")
        if not isinstance(figure, str) or not (
            _NUMBER.fullmatch(figure) or _is_duration_figure(figure)
        ):
            raise ConfigurationError(
                [(f"{where}figure", "unknown figure; see KpiReport.figures() for the names")],
                what="Objectives",
            )
        bounds = [k for k in ("at_least", "at_most") if k in data]
        if len(bounds) != 1:
            raise ConfigurationError(
                [(where + "at_least", "give exactly one of at_least and at_most")],
                what="Objectives",
            )
        key = bounds[0]
        target = _target(f"{where}{key}", data[key], _is_duration_figure(figure))
        return cls(name, figure, **{key: target})

    def to_dict(self) -> dict[str, Any]:
        """The objective as :meth:`from_dict` reads it (durations in seconds)."""
        key = "at_least" if self.at_least is not None else "at_most"
        target = self.at_least if self.at_least is not None else self.at_most
        value: Any = (
            {"seconds": target.total_seconds()} if isinstance(target, timedelta) else target
        )
        return {"name": self.name, "figure": self.figure, key: value}

    def evaluate(self, report: KpiReport) -> ObjectiveResult:
        """This objective's figure, target and verdict in *report*."""
        value = report.figures().get(self.figure)
        target = self.at_least if self.at_least is not None else self.at_most
        if target is None:
            raise ConfigurationError(
                [("at_least", "give exactly one of at_least and at_most")], what=self.name
            )
        if value is None:
            verdict = Verdict.NO_DATA
        elif self.at_least is not None:
            verdict = Verdict.MET if value >= target else Verdict.MISSED  # type: ignore[operator]
        else:
            verdict = Verdict.MET if value <= target else Verdict.MISSED  # type: ignore[operator]
        return ObjectiveResult(
            name=self.name,
            figure=self.figure,
            comparison="at_least" if self.at_least is not None else "at_most",
            target=target,
            value=None
            if value is None
            else value
            if isinstance(value, timedelta)
            else float(value),
            rate=report.rate(self.figure),
            verdict=verdict,
        )


@attrs.frozen(kw_only=True)
class ObjectiveResult:
    """One objective's figure (and its rate, if a rate), target and verdict."""

    name: str
    figure: str
    comparison: str
    target: float | timedelta
    value: float | timedelta | None
    rate: Rate | None
    verdict: Verdict


def _show(value: float | timedelta | None, figure: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, timedelta):
        return format_duration(value)
    if figure.startswith(("rates.", "sla.", "repeat.")) or figure == "satisfaction.responses":
        return f"{value * 100:.1f} %"
    return f"{value:.3g}"


@attrs.frozen
class ObjectivesReport(Figure):
    """The objectives evaluated for one selection (``period_start`` to ``period_end``)."""

    as_of: datetime
    period_start: datetime | None
    period_end: datetime | None
    results: tuple[ObjectiveResult, ...]

    @property
    def met(self) -> bool:
        """True when every objective is met."""
        return all(r.verdict is Verdict.MET for r in self.results)

    def to_text(self) -> str:
        """The objectives as a table."""
        rows = [
            [
                r.name,
                _show(r.value, r.figure)
                + ("" if r.rate is None else f" ({r.rate.numerator}/{r.rate.denominator})"),
                ("≥ " if r.comparison == "at_least" else "≤ ") + _show(r.target, r.figure),
                r.verdict.value,
            ]
            for r in self.results
        ]
        return text_table("Objectives", ["objective", "figure", "target", "verdict"], rows)


def _objective_tuple(value: Iterable[Objective]) -> tuple[Objective, ...]:
    return tuple(value)


@attrs.frozen
class Objectives:
    """A policy of objectives (6.2), read from data and evaluated for a period."""

    objectives: tuple[Objective, ...] = attrs.field(converter=_objective_tuple)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Objectives:
        """Read ``{"objectives": [...]}`` or a plain list of objectives."""
        items = data.get("objectives") if isinstance(data, Mapping) else data
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            raise ConfigurationError(
                [("objectives", f"expected a list of objectives, got {describe(items)}")],
                what="Objectives",
            )
        return cls(
            tuple(
                Objective.from_dict(item, path=f"objectives[{i}]") for i, item in enumerate(items)
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """The policy as :meth:`from_dict` reads it."""
        return {"objectives": [o.to_dict() for o in self.objectives]}

    def evaluate(self, source: Analysis | KpiReport) -> ObjectivesReport:
        """Every objective against *source*'s figures (an analysis computes its KPIs once)."""
        report = source.kpis() if isinstance(source, Analysis) else source
        period = source.filters.period if isinstance(source, Analysis) else None
        return ObjectivesReport(
            as_of=report.as_of,
            period_start=None if period is None else period.start,
            period_end=None if period is None else period.end,
            results=tuple(o.evaluate(report) for o in self.objectives),
        )
