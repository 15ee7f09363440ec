"""The SLA sweeper: every warning and breach due by an instant, recorded once each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import attrs

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.errors import ConcurrencyConflict, ValidationError
from iso10002.model import Complaint, MilestoneStatus, Priority
from iso10002.ports import BatchSaving, ComplaintQuery, DueSweeping, Update, provides

if TYPE_CHECKING:
    from .bootstrap import Dependencies

__all__ = ["EscalationPolicy", "TickReport", "sweep", "tick"]

_MICRO = timedelta(microseconds=1)
_UPGRADE = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}


@attrs.frozen
class EscalationPolicy:
    """What the sweeper does when a clock breaches, beside recording :class:`SlaBreached`.

    ``raise_priority`` moves an assessed complaint one priority up (P1 stays P1), recorded as
    an ``AssessmentRevised`` event; ``reassign_team`` assigns it to that team. Notifying a
    manager is a notification rule (``SlaBreached`` → ``manager`` by default).
    """

    raise_priority: bool = attrs.field(default=False, validator=v.bool_)
    reassign_team: str | None = attrs.field(default=None, validator=v.optional_text(200))


@attrs.frozen
class TickReport:
    """What one sweep did."""

    examined: int = 0
    warnings: int = 0
    breaches: int = 0

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(
            self.examined + other.examined,
            self.warnings + other.warnings,
            self.breaches + other.breaches,
        )


def sweep(
    complaint: Complaint, now: datetime, policy: EscalationPolicy
) -> tuple[Complaint, list[ev.Event], TickReport]:
    """The warnings and breaches of *complaint* due by *now*, recorded (noticed at *now*), and
    what *policy* does after a breach; with the complaint after them and their count."""
    recorder = ev.Recorder(complaint, actor="system", at=now)
    warnings = breaches = 0
    for clock in complaint.clocks:
        if not clock.running:
            continue
        for threshold, instant in clock.warnings:
            if instant <= now and threshold not in clock.warnings_reached:
                recorder.record(
                    ev.SlaWarningReached, milestone=clock.milestone, threshold=threshold
                )
                warnings += 1
        if clock.breached_at is None and clock.status(now) is MilestoneStatus.OVERDUE:
            # Breached at the due instant; noticed now.
            recorder.record(ev.SlaBreached, milestone=clock.milestone, due_at=clock.due_at)
            breaches += 1
    if breaches:
        current = recorder.complaint
        assessment = current.assessment
        if policy.raise_priority and assessment is not None:
            higher = _UPGRADE.get(assessment.priority)
            if higher is not None:
                recorder.record(
                    ev.AssessmentRevised,
                    assessment=attrs.evolve(assessment, priority=higher),
                    reason="SLA breached: priority raised by the escalation policy",
                )
        if policy.reassign_team is not None and current.team != policy.reassign_team:
            recorder.record(
                ev.ComplaintAssigned, assignee=current.assignee, team=policy.reassign_team
            )
    return recorder.complaint, recorder.events, TickReport(0, warnings, breaches)


def tick(deps: Dependencies, at: datetime, batch: int) -> TickReport:
    """Record every SLA warning and breach due by *at*, once each; see
    :meth:`~iso10002.service.ComplaintsHandling.tick`."""
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValidationError([("now", "expected an aware datetime")])
    if provides(deps.storage, DueSweeping):
        return _tick_shared(cast(DueSweeping, deps.storage), deps, at, batch)
    query = ComplaintQuery(next_sla_before=at + _MICRO, limit=batch)
    report = TickReport()
    while True:
        page = deps.storage.query(query)
        found = TickReport(examined=len(page.items))
        updates = []
        for complaint in page.items:
            after, events, counts = sweep(complaint, at, deps.escalation)
            if events:
                updates.append(Update(after, complaint.version, events))
                found += counts
        if not _save_batch(deps, updates):
            # Someone else wrote meanwhile (or storage cannot batch): one complaint at a time,
            # each reloaded and retried, recounting what was recorded.
            found = TickReport(examined=len(page.items))
            for update in updates:
                found += _sweep_one(deps, update.complaint.id, at)
        report += found
        if page.next_cursor is None:
            return report
        query = attrs.evolve(query, cursor=page.next_cursor)


def _sweep_one(deps: Dependencies, complaint_id: str, at: datetime) -> TickReport:
    """Sweep one stored complaint through the unit of work; what the saved attempt counted."""
    counted = [TickReport()]

    def step(complaint: Complaint, _: datetime) -> tuple[Complaint, list[ev.Event]]:
        after, events, counts = sweep(complaint, at, deps.escalation)
        counted[0] = counts
        return after, events

    deps.work.change(complaint_id, step)
    return counted[0]


def _tick_shared(storage: DueSweeping, deps: Dependencies, at: datetime, batch: int) -> TickReport:
    """:func:`tick` on storage that shares the due complaints among sweepers: each batch is
    locked, swept and saved in one transaction, skipping what other sweepers hold."""
    counted = [TickReport()]

    def step(complaint: Complaint) -> Update | None:
        after, events, counts = sweep(complaint, at, deps.escalation)
        counted[0] += counts
        return Update(after, complaint.version, events) if events else None

    examined = 0
    last: tuple[datetime, str] | None = None
    while True:
        found, last = storage.sweep_due(at + _MICRO, limit=batch, step=step, after=last)
        examined += found
        if found < batch:
            return attrs.evolve(counted[0], examined=examined)


def _save_batch(deps: Dependencies, updates: Sequence[Update]) -> bool:
    """Save *updates* in one transaction if storage can; ``False`` if it could not."""
    if not updates:
        return True
    if not provides(deps.storage, BatchSaving):
        return False
    try:
        cast(BatchSaving, deps.storage).save_many(updates)
    except ConcurrencyConflict:
        return False
    return True
