"""Clause 8 analysis: volumes, Pareto, durations, SLA compliance, rates, satisfaction, backlog,
repeat complainants, recurring issues, remedy consistency and objectives.

* :class:`Filters` and :class:`Period` select the complaints (by receipt, state, category,
  channel, product, team, segment);
* :class:`Analysis` computes the figures over a repository (paging through the ports) or any
  collection of complaints, streaming;
* the figures (:mod:`iso10002.analysis.figures`) are frozen values with ``to_dict()`` and text
  tables; every rate is a :class:`Rate` with its numerator and denominator;
* :class:`Objectives` (6.2) are data evaluated against the figures.

See ``docs/analysis.md``.
"""

from __future__ import annotations

from .engine import DEFAULT_AGE_LIMITS, MILESTONES, Analysis, poisson_upper_tail
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
from .objectives import Objective, ObjectiveResult, Objectives, ObjectivesReport, Verdict
from .query import (
    DIMENSIONS,
    GRANULARITIES,
    MULTI_VALUED,
    Filters,
    Period,
    bucket_start,
    dimension_values,
)

__all__ = [
    "DEFAULT_AGE_LIMITS",
    "DIMENSIONS",
    "GRANULARITIES",
    "MILESTONES",
    "MULTI_VALUED",
    "AgeBucket",
    "Analysis",
    "Backlog",
    "DurationStats",
    "Durations",
    "Filters",
    "KpiReport",
    "MilestoneDurations",
    "Objective",
    "ObjectiveResult",
    "Objectives",
    "ObjectivesReport",
    "OutcomeRates",
    "Pareto",
    "ParetoRow",
    "Period",
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
    "Verdict",
    "VolumeRow",
    "Volumes",
    "bucket_start",
    "dimension_values",
    "poisson_upper_tail",
]
