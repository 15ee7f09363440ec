"""The management review (8.6): the period's figures, objectives and conformance findings as one
self-contained HTML file (charts inline as SVG), Markdown and JSON.

:func:`management_review` computes a :class:`ManagementReview` from a repository (or any
collection of complaints) through :class:`~iso10002.analysis.Analysis` and
:func:`~iso10002.improvement.assess_conformance`; its ``to_html()``, ``to_markdown()`` and
``to_dict()`` render it, and :meth:`ManagementReview.write` writes the three files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from markupsafe import Markup

from iso10002.analysis import (
    DEFAULT_AGE_LIMITS,
    Analysis,
    Filters,
    KpiReport,
    Objectives,
    ObjectivesReport,
    Pareto,
    Period,
    Rate,
    RecurringIssues,
    Volumes,
)
from iso10002.analysis.figures import format_duration
from iso10002.analysis.query import check_instant
from iso10002.errors import ValidationError, describe
from iso10002.improvement import ConformanceAssessment, assess_conformance
from iso10002.model import Complaint
from iso10002.ports import ComplaintRepository
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.workflow import WorkflowDefinition, iso10002_workflow

from . import charts
from ._render import render_html, render_markdown

__all__ = ["ManagementReview", "TimeToClose", "management_review", "policy_rows", "workflow_rows"]

_WHAT = "management_review"


@attrs.frozen
class TimeToClose:
    """How long closed complaints took, from receipt to their latest closure (withdrawals left
    out), counted in buckets: ``counts[i]`` is the number below ``limits[i]`` and at or above
    the limit before it; the last count is the rest."""

    limits: tuple[timedelta, ...]
    counts: tuple[int, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per bucket (``< 1d``, ``1d to 5d``, …, ``≥ 40d``)."""
        lows = (None, *self.limits)
        labels = []
        for low, high in zip(lows, (*self.limits, None), strict=True):
            if low is None and high is not None:
                labels.append(f"< {format_duration(high)}")
            elif high is None and low is not None:
                labels.append(f"≥ {format_duration(low)}")
            elif low is not None and high is not None:
                labels.append(f"{format_duration(low)} to {format_duration(high)}")
        return tuple(labels)


def _volumes_every(period: Period) -> str:
    if period.length <= timedelta(days=31):
        return "day"
    if period.length <= timedelta(days=200):
        return "week"
    return "month"


def _time_to_close(analysis: Analysis, limits: tuple[timedelta, ...]) -> TimeToClose:
    counts = [0] * (len(limits) + 1)
    for c in analysis.complaints():
        closure = c.closure
        if closure is None or closure.withdrawn:
            continue
        took = closure.at - c.received_at
        i = 0
        for limit in limits:
            if took < limit:
                break
            i += 1
        counts[i] += 1
    return TimeToClose(limits, tuple(counts))


def _target_text(target: Mapping[str, Any]) -> str:
    parts = []
    flags = []
    for key, value in target.items():
        if key == "thresholds":
            continue
        if isinstance(value, bool):
            if value:
                flags.append(key.replace("_", " "))
        else:
            unit = key.replace("_", " ")
            parts.append(f"{value} {unit[:-1] if value == 1 and unit.endswith('s') else unit}")
    return ", ".join(parts + flags) or "-"


def policy_rows(policy: SlaPolicy) -> list[dict[str, str]]:
    """The SLA policy as table rows: ``rule`` (``default`` or its conditions), ``milestone``
    and ``target`` (readable text)."""
    data = policy.to_dict()
    rows = []
    for milestone, target in data["default"].items():
        rows.append({"rule": "default", "milestone": milestone, "target": _target_text(target)})
    for i, rule in enumerate(data.get("rules", ())):
        when = rule.get("when", {})
        name = rule.get("name") or "; ".join(
            f"{key} in {', '.join(map(str, values)) if isinstance(values, list) else values}"
            for key, values in when.items()
        )
        for milestone, target in rule.get("targets", {}).items():
            rows.append(
                {
                    "rule": name or f"rule {i + 1}",
                    "milestone": milestone,
                    "target": _target_text(target),
                }
            )
    return rows


def workflow_rows(workflow: WorkflowDefinition) -> list[dict[str, str]]:
    """The workflow's states as table rows: name, public label, kind, the SLA milestones
    started, stopped and paused, and the transitions leaving the state (``name → target``)."""
    leaving: dict[str, list[str]] = {name: [] for name in workflow.state_names}
    for transition in workflow.transitions:
        arrow = (
            transition.name
            if transition.target is None
            else f"{transition.name} → {transition.target}"
        )
        for source in workflow.expand_sources(transition.sources):
            leaving[source].append(arrow)
    rows = []
    for state in workflow.states:
        kind = "initial" if state.initial else "terminal" if state.terminal else ""
        rows.append(
            {
                "name": state.name,
                "label": state.public_label,
                "kind": kind,
                "start": ", ".join(state.start),
                "stop": ", ".join(state.stop),
                "pause": ", ".join(state.pause),
                "transitions": ", ".join(leaving[state.name]),
            }
        )
    return rows


def _key(value: str | None) -> str:
    return "(none)" if value is None else value


def _rate(rate: Rate) -> str:
    return "-" if rate.value is None else str(rate)


@attrs.frozen
class ManagementReview:
    """Everything the management review (8.6) shows for one period.

    ``objectives`` is ``None`` when no objectives were given; ``sla_policy`` when the process
    runs without one.
    """

    title: str
    period: Period
    as_of: datetime
    kpis: KpiReport
    objectives: ObjectivesReport | None
    volumes: Volumes
    categories: Pareto
    root_causes: Pareto
    time_to_close: TimeToClose
    recurring: RecurringIssues
    conformance: ConformanceAssessment
    workflow: WorkflowDefinition
    sla_policy: SlaPolicy | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data: every figure, the findings, the workflow's states and the policy."""
        return {
            "title": self.title,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "kpis": self.kpis.to_dict(),
            "objectives": None if self.objectives is None else self.objectives.to_dict(),
            "volumes": self.volumes.to_dict(),
            "categories": self.categories.to_dict(),
            "root_causes": self.root_causes.to_dict(),
            "time_to_close": {
                "labels": list(self.time_to_close.labels),
                "counts": list(self.time_to_close.counts),
            },
            "recurring": self.recurring.to_dict(),
            "conformance": self.conformance.to_dict(),
            "workflow": {
                "name": self.workflow.name,
                "version": self.workflow.version,
                "states": workflow_rows(self.workflow),
            },
            "sla_policy": None if self.sla_policy is None else policy_rows(self.sla_policy),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def _context(self) -> dict[str, Any]:
        kpis = self.kpis
        rates = kpis.rates
        sla_rows = [
            {
                "milestone": row.milestone,
                "met_on_time": row.met_on_time,
                "met_late": row.met_late,
                "open_overdue": row.open_overdue,
                "open_within": row.open_within,
                "on_time": _rate(row.on_time),
            }
            for row in kpis.sla.rows
        ]
        durations = [
            {
                "milestone": row.milestone,
                "count": row.calendar.count,
                "median": "-"
                if row.calendar.median is None
                else format_duration(row.calendar.median),
                "p90": "-" if row.calendar.p90 is None else format_duration(row.calendar.p90),
                "business_median": "-"
                if row.business is None or row.business.median is None
                else format_duration(row.business.median),
            }
            for row in kpis.durations.rows
        ]
        objectives = [
            {
                "name": r.name,
                "figure": r.figure,
                "target": f"{'≥' if r.comparison == 'at_least' else '≤'} "
                + (
                    format_duration(r.target)
                    if isinstance(r.target, timedelta)
                    else f"{r.target:g}"
                ),
                "value": "-"
                if r.value is None
                else format_duration(r.value)
                if isinstance(r.value, timedelta)
                else str(r.rate)
                if r.rate is not None
                else f"{r.value:.3g}",
                "verdict": r.verdict.value,
            }
            for r in (self.objectives.results if self.objectives is not None else ())
        ]
        summary = [
            ("Complaints received", str(kpis.total)),
            ("Decided", str(rates.decided)),
            ("Upheld", _rate(rates.upheld)),
            ("Partly upheld", _rate(rates.partly_upheld)),
            ("Not upheld", _rate(rates.not_upheld)),
            ("Reopened", _rate(rates.reopened)),
            ("Withdrawn", _rate(rates.withdrawn)),
            ("Internal review", _rate(rates.internal_review)),
            ("External dispute", _rate(rates.external_dispute)),
            ("Repeat complainants", _rate(kpis.repeat.repeat)),
        ]
        pareto = {
            name: [
                {
                    "key": _key(row.key),
                    "count": row.count,
                    "share": _rate(row.share),
                    "cumulative": _rate(row.cumulative),
                }
                for row in figure.rows
            ]
            for name, figure in (("categories", self.categories), ("root_causes", self.root_causes))
        }
        recurring = [
            {
                "keys": " / ".join(_key(k) for k in issue.keys),
                "count": issue.count,
                "baseline": f"{issue.baseline_mean:.2f}",
                "p_value": f"{issue.p_value:.2g}",
            }
            for issue in self.recurring.issues
        ]
        sat = kpis.satisfaction
        backlog = kpis.backlog
        return {
            "title": self.title,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "summary": summary,
            "objectives": objectives,
            "has_objectives": self.objectives is not None,
            "volumes": [
                {"period": str(row.period), "count": row.count} for row in self.volumes.rows
            ],
            "every": self.volumes.every,
            "pareto": pareto,
            "sla": sla_rows,
            "durations": durations,
            "time_to_close": list(
                zip(self.time_to_close.labels, self.time_to_close.counts, strict=True)
            ),
            "backlog": [(b.label, b.count) for b in backlog.buckets],
            "backlog_open": backlog.open,
            "backlog_oldest": "-" if backlog.oldest is None else format_duration(backlog.oldest),
            "satisfaction": list(zip(range(1, 6), sat.distribution, strict=True)),
            "satisfaction_mean": "-" if sat.mean is None else f"{sat.mean:.2f}",
            "satisfaction_responses": _rate(sat.responses),
            "recurring": recurring,
            "recurring_rule": (
                f"Poisson, alpha {self.recurring.alpha:g}, {self.recurring.baseline_periods} "
                f"baseline periods, at least {self.recurring.min_count} complaints"
            ),
            "conformance": self.conformance,
            "workflow": self.workflow,
            "states": workflow_rows(self.workflow),
            "policy": None if self.sla_policy is None else policy_rows(self.sla_policy),
        }

    def charts(self) -> dict[str, str]:
        """The charts as SVG elements, by section name."""
        kpis = self.kpis
        volumes = self.volumes
        return {
            "volumes": charts.bar_chart(
                f"Complaints received by {volumes.every}",
                [str(row.period) for row in volumes.rows],
                [row.count for row in volumes.rows],
                rotate=True,
            ),
            "categories": charts.pareto_chart(
                "Categories",
                [_key(r.key) for r in self.categories.rows],
                [r.count for r in self.categories.rows],
            ),
            "root_causes": charts.pareto_chart(
                "Root causes",
                [_key(r.key) for r in self.root_causes.rows],
                [r.count for r in self.root_causes.rows],
            ),
            "sla": charts.stacked_bar_chart(
                "SLA compliance per milestone",
                [row.milestone for row in kpis.sla.rows],
                [
                    ("met on time", [row.met_on_time for row in kpis.sla.rows]),
                    ("met late", [row.met_late for row in kpis.sla.rows]),
                    ("open overdue", [row.open_overdue for row in kpis.sla.rows]),
                    ("open within", [row.open_within for row in kpis.sla.rows]),
                ],
            ),
            "time_to_close": charts.bar_chart(
                "Time from receipt to closure",
                list(self.time_to_close.labels),
                list(self.time_to_close.counts),
            ),
            "backlog": charts.bar_chart(
                f"Open complaints by age at {kpis.backlog.at.date()}",
                [b.label for b in kpis.backlog.buckets],
                [b.count for b in kpis.backlog.buckets],
            ),
            "satisfaction": charts.bar_chart(
                "Satisfaction scores",
                ["1", "2", "3", "4", "5"],
                list(kpis.satisfaction.distribution),
                ylabel="responses",
            ),
        }

    def to_html(self) -> str:
        """One self-contained HTML page: inline CSS and SVG, no script, no external resource."""
        svg = {name: Markup(text) for name, text in self.charts().items()}  # noqa: S704 - matplotlib's own SVG
        return render_html("review.html.j2", charts=svg, **self._context())

    def to_markdown(self) -> str:
        """The review as Markdown (tables, no charts)."""
        return render_markdown("review.md.j2", **self._context())

    def write(
        self, directory: str | os.PathLike[str], *, stem: str = "management-review"
    ) -> dict[str, Path]:
        """Write ``<stem>.html``, ``<stem>.md`` and ``<stem>.json`` into *directory* (created if
        missing); return their paths by format."""
        if not isinstance(stem, str) or not stem or "/" in stem or "\\" in stem or stem[0] == ".":
            raise ValidationError(
                [("stem", f"expected a plain file name stem, got {describe(stem)}")],
                what="ManagementReview.write",
            )
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "html": folder / f"{stem}.html",
            "markdown": folder / f"{stem}.md",
            "json": folder / f"{stem}.json",
        }
        paths["html"].write_text(self.to_html(), encoding="utf-8")
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        paths["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        return paths


def management_review(
    source: ComplaintRepository | Iterable[Complaint],
    period: Period,
    *,
    as_of: datetime | None = None,
    title: str = "Complaints handling: management review",
    objectives: Objectives | None = None,
    workflow: WorkflowDefinition | None = None,
    sla_policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    baseline_periods: int = 2,
    top: int = 10,
    conformance: Mapping[str, Any] | None = None,
) -> ManagementReview:
    """The management review of the complaints *source* received in *period*.

    *as_of* (aware; default: now) is the instant open clocks and the backlog are judged at.
    *objectives* are evaluated against the KPIs. *workflow* (default: the ISO 10002 workflow)
    and *sla_policy* are the configuration the process runs with, shown as tables; *calendar*
    adds business-time durations. Recurring
    issues compare the period with the *baseline_periods* periods of the same length before it.
    The Paretos keep the *top* values. *conformance* passes options to
    :func:`~iso10002.improvement.assess_conformance`. Bad arguments raise
    :class:`~iso10002.errors.ValidationError` naming the argument.
    """
    if not isinstance(period, Period):
        raise ValidationError(
            [("period", f"expected a Period, got {describe(period)}")], what=_WHAT
        )
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ValidationError([("title", "expected a text of 1 to 200 characters")], what=_WHAT)
    if objectives is not None and not isinstance(objectives, Objectives):
        raise ValidationError(
            [("objectives", f"expected Objectives, got {describe(objectives)}")], what=_WHAT
        )
    if workflow is None:
        workflow = iso10002_workflow()
    elif not isinstance(workflow, WorkflowDefinition):
        raise ValidationError(
            [("workflow", f"expected a WorkflowDefinition, got {describe(workflow)}")], what=_WHAT
        )
    if sla_policy is not None and not isinstance(sla_policy, SlaPolicy):
        raise ValidationError(
            [("sla_policy", f"expected an SlaPolicy, got {describe(sla_policy)}")], what=_WHAT
        )
    if conformance is not None and not isinstance(conformance, Mapping):
        raise ValidationError(
            [("conformance", f"expected a mapping of options, got {describe(conformance)}")],
            what=_WHAT,
        )
    instant = None if as_of is None else check_instant("as_of", as_of, what=_WHAT)
    analysis = Analysis(source, filters=Filters(period=period), as_of=instant, calendar=calendar)
    kpis = analysis.kpis()
    return ManagementReview(
        title=title,
        period=period,
        as_of=analysis.as_of,
        kpis=kpis,
        objectives=None if objectives is None else objectives.evaluate(kpis),
        volumes=analysis.volumes(every=_volumes_every(period)),
        categories=analysis.pareto("category", top=top),
        root_causes=analysis.pareto("root_cause", top=top),
        time_to_close=_time_to_close(analysis, DEFAULT_AGE_LIMITS),
        recurring=analysis.recurring(baseline_periods=baseline_periods),
        conformance=assess_conformance(
            source, period, as_of=analysis.as_of, **dict(conformance or {})
        ),
        workflow=workflow,
        sla_policy=sla_policy,
    )
