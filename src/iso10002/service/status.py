"""What the complainant may see of their complaint (4.4 transparency, 7.3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date
from typing import TYPE_CHECKING

import attrs

from iso10002.errors import ComplaintNotFound
from iso10002.model import Complaint, MilestoneStatus
from iso10002.sla import deadline_day, describe_deadline

if TYPE_CHECKING:
    from .bootstrap import Dependencies

__all__ = [
    "ComplainantStatus",
    "status_by_reference",
    "status_for_complainant",
    "status_of",
    "status_token",
]


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


def status_token(key: bytes, complaint_id: str) -> str:
    """The token that shows its holder the status of complaint *complaint_id*: an HMAC-SHA256
    of the id under *key*, 22 URL-safe characters (128 bits)."""
    digest = hmac.new(key, b"iso10002 status\x00" + complaint_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def status_for_complainant(
    deps: Dependencies, key: bytes, reference: str, token: str
) -> ComplainantStatus:
    """The status of complaint *reference* for the holder of its :func:`status_token`.

    An unknown reference and a wrong token raise the same
    :class:`~iso10002.errors.ComplaintNotFound`, so neither tells which references exist; the
    token is compared in constant time.
    """
    denied = ComplaintNotFound("", by="reference and token")
    if not isinstance(reference, str) or not isinstance(token, str) or len(token) > 100:
        raise denied
    try:
        complaint: Complaint | None = deps.storage.get_by_reference(reference)
    except ComplaintNotFound:
        complaint = None  # still compute and compare a token: the same work either way
    expected = status_token(key, "" if complaint is None else complaint.id)
    matches = hmac.compare_digest(expected.encode("ascii"), token.encode("utf-8", "replace"))
    if complaint is None or not matches:
        raise denied
    return status_of(deps, complaint)


def status_by_reference(deps: Dependencies, reference: str) -> ComplainantStatus:
    """The status of complaint *reference*, without a token: for staff only."""
    return status_of(deps, deps.storage.get_by_reference(reference))


def status_of(deps: Dependencies, complaint: Complaint) -> ComplainantStatus:
    """The stage's public label, the next step and the day it is due by, or that it is
    overdue."""
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
