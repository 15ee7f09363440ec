"""What the complainant may see of their complaint (4.4 transparency, 7.3)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import attrs

from iso10002.model import MilestoneStatus
from iso10002.sla import deadline_day, describe_deadline

if TYPE_CHECKING:
    from .bootstrap import Dependencies

__all__ = ["ComplainantStatus", "status_for_complainant"]


@attrs.frozen
class ComplainantStatus:
    """What the complainant may see (4.4 transparency, 7.3): no internal detail.

    ``next_step`` is the milestone of the running clock due first, ``None`` when nothing is
    pending. ``next_date`` is the local day by which they can expect it and ``next_deadline``
    the same deadline in words (:func:`~iso10002.sla.deadline_day`,
    :func:`~iso10002.sla.describe_deadline`), in the calendar's zone. When that step is past its
    due instant, ``overdue`` is true and no date is given: a status never promises a past date.
    """

    reference: str
    stage: str
    closed: bool
    next_step: str | None
    next_date: date | None
    next_deadline: str | None = None
    overdue: bool = False


def status_for_complainant(deps: Dependencies, reference: str) -> ComplainantStatus:
    """The stage's public label, the next step and the day it is due by, or that it is
    overdue, for the complaint *reference*."""
    complaint = deps.storage.get_by_reference(reference)
    state = deps.workflow.state(complaint.state)
    pending = [
        (c.due_at, c.milestone, c) for c in complaint.clocks if c.running and c.due_at is not None
    ]
    status = ComplainantStatus(
        reference=complaint.reference,
        stage=deps.workflow.label(complaint.state),
        closed=state.terminal,
        next_step=None,
        next_date=None,
    )
    if not pending:
        return status
    due, milestone, clock = min(pending, key=lambda p: (p[0], p[1]))
    step = milestone.replace("_", " ")
    if clock.status(deps.clock.now()) is MilestoneStatus.OVERDUE:
        return attrs.evolve(status, next_step=step, overdue=True)
    return attrs.evolve(
        status,
        next_step=step,
        next_date=deadline_day(due, deps.zone),
        next_deadline=describe_deadline(due, deps.zone),
    )
