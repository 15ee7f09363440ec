"""A complaint that already happened, as the events that record it at their own instants.

:class:`HistoryBuilder` turns a :class:`~iso10002.io.mapping.Record` into the complaint's events:
the receipt; the team it was assigned to; acknowledgement, decision (made and communicated) and
closing or withdrawal, as far as the record tells, each moving the workflow to its state; the SLA
clocks the workflow starts and stops at those moves, planned from the instant each starts (a
record's ``due_at`` replaces the plan of *due_milestone*); every warning and breach the clocks
reached, at the instant it was reached; and last a :class:`~iso10002.events.ComplaintImported`
marker, so the outbox notifies none of them. An open complaint continues in the live process from
there: its warnings and breaches up to *as of* are recorded, later ones are the sweeper's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from iso10002 import events as ev
from iso10002.errors import ConfigurationError, Problem, ValidationError
from iso10002.model import Classification, Complaint, ComplaintDetails, MilestoneClock
from iso10002.service import SlaPlanner
from iso10002.workflow import WorkflowDefinition, iso10002_workflow, sla_effects

from .mapping import Record

__all__ = ["DEFAULT_STATES", "HistoryBuilder", "complaint_id_for"]

_NAMESPACE = uuid.UUID("0b6f5b0e-8f0c-4f3e-9d6a-10002a1b0001")

#: The workflow state each historical step moves to (the ISO 10002 workflow's names).
DEFAULT_STATES = {
    "acknowledged": "acknowledged",
    "decided": "responded",
    "closed": "closed",
    "withdrawn": "withdrawn",
}


def complaint_id_for(source: str, external_id: str) -> str:
    """The complaint id an import gives the external reference ``(source, external_id)``."""
    return str(uuid.uuid5(_NAMESPACE, f"{source}\x00{external_id}"))


class HistoryBuilder:
    """Builds the event history of imported complaints (see the module docstring)."""

    def __init__(
        self,
        *,
        workflow: WorkflowDefinition | None = None,
        sla: SlaPlanner | None = None,
        actor: str = "import",
        due_milestone: str = "final_response",
        states: dict[str, str] | None = None,
    ) -> None:
        self.workflow = workflow or iso10002_workflow()
        self.sla = sla
        self.actor = actor
        self.due_milestone = due_milestone
        self.states = {**DEFAULT_STATES, **(states or {})}
        known = set(self.workflow.state_names)
        problems = [
            (f"states.{step}", f"state {name!r} is not in workflow {self.workflow.name!r}")
            for step, name in self.states.items()
            if name not in known
        ]
        if problems:
            raise ConfigurationError(problems, what="historical import")

    def _check(self, record: Record, as_of: datetime) -> list[Problem]:
        problems = []
        received = record.received_at
        closing = self._closing(record)
        for name in ("acknowledged_at", "decided_at", "closed_at", "due_at"):
            at = getattr(record, name)
            if name == "closed_at" and closing is None:
                continue  # an open complaint's closing date is not used
            if at is not None and at < received:
                problems.append(Problem(name, "is before received_at"))
        for name in ("received_at", "acknowledged_at", "decided_at", "closed_at"):
            at = getattr(record, name)
            if name == "closed_at" and closing is None:
                continue
            if at is not None and at > as_of:
                problems.append(Problem(name, "is after the import's as-of instant"))
        if closing is not None and record.closed_at is None:
            problems.append(Problem("closed_at", f"the status is {closing} but no date is given"))
        if (
            record.acknowledged_at is not None
            and record.decided_at is not None
            and record.decided_at < record.acknowledged_at
        ):
            problems.append(Problem("decided_at", "is before acknowledged_at"))
        decided = self._decided_at(record)
        if record.outcome is not None and decided is None:
            problems.append(Problem("outcome", "needs decided_at or a closing date"))
        if (
            closing is not None
            and record.closed_at is not None
            and decided is not None
            and record.closed_at < decided
        ):
            problems.append(Problem("closed_at", "is before decided_at"))
        return problems

    @staticmethod
    def _closing(record: Record) -> str | None:
        if record.status is not None:
            return None if record.status == "open" else record.status
        return "closed" if record.closed_at is not None else None

    def _decided_at(self, record: Record) -> datetime | None:
        if record.outcome is None:
            return None
        if record.decided_at is not None:
            return record.decided_at
        return record.closed_at if self._closing(record) is not None else None

    def build(
        self, record: Record, *, reference: str, as_of: datetime
    ) -> tuple[Complaint, list[ev.Event]]:
        """The complaint and its events; :class:`ValidationError` lists what is wrong."""
        problems = self._check(record, as_of)
        if problems:
            raise ValidationError(problems, what="imported record")
        ref = record.external_reference
        complaint_id = complaint_id_for(ref.source, ref.id)
        details = ComplaintDetails(
            received_at=record.received_at,
            channel=record.channel,
            complainant_id=f"{ref.source}:{ref.id}"[:200],
            subject=record.subject,
            description=record.description,
            desired_remedy=record.desired_remedy,
            product=record.product,
            segment=record.segment,
            received_by=self.actor,
            external_reference=ref,
        )
        receipt = ev.ComplaintReceived(
            complaint_id=complaint_id,
            sequence=1,
            occurred_at=record.received_at,
            actor=self.actor,
            reference=reference,
            state=self.workflow.initial_state,
            details=details,
            classification=Classification(category=record.category, tags=record.tags),
        )
        history = _History(self, record, ev.apply(None, receipt), [receipt])
        at = record.received_at
        if record.team is not None:
            history.emit(ev.ComplaintAssigned, at, team=record.team)
        history.start(self.workflow.state(self.workflow.initial_state).start, at)
        if record.acknowledged_at is not None:
            history.move(
                self.states["acknowledged"], record.acknowledged_at, ev.ComplaintAcknowledged
            )
        decided = self._decided_at(record)
        if decided is not None and record.outcome is not None:
            reasons = record.decision_reasons or f"Outcome recorded in {ref.source}"
            history.catch_up(decided, inclusive=False)
            history.emit(ev.DecisionMade, decided, outcome=record.outcome, reasons=reasons)
            history.move(self.states["decided"], decided, ev.DecisionCommunicated)
        closing = self._closing(record)
        if closing is not None and record.closed_at is not None:
            history.catch_up(record.closed_at, inclusive=False)
            kind = ev.ComplaintWithdrawn if closing == "withdrawn" else ev.ComplaintClosed
            history.move(self.states[closing], record.closed_at, kind, reason=record.closure_reason)
        if record.note is not None:
            note_at = record.closed_at if closing is not None and record.closed_at else at
            history.emit(ev.NoteAdded, max(note_at, history.last_at), text=record.note)
        history.catch_up(as_of, inclusive=True)
        history.emit(ev.ComplaintImported, as_of, source=ref.source, first_sequence=1)
        return history.complaint, history.events


class _History:
    """The events being built for one record."""

    def __init__(
        self, builder: HistoryBuilder, record: Record, complaint: Complaint, events: list[ev.Event]
    ) -> None:
        self.builder = builder
        self.record = record
        self.complaint = complaint
        self.events = events
        self.last_at = complaint.received_at

    def emit(self, cls: type[ev.Event], at: datetime, **fields: Any) -> None:
        event = cls(
            complaint_id=self.complaint.id,
            sequence=self.complaint.version + 1,
            occurred_at=at,
            actor=self.builder.actor,
            **fields,
        )
        self.complaint = ev.apply(self.complaint, event)
        self.events.append(event)
        self.last_at = max(self.last_at, at)

    def start(self, milestones: tuple[str, ...] | list[str], at: datetime) -> None:
        for milestone in milestones:
            fresh = MilestoneClock(milestone=milestone, started_at=at)
            due = self.record.due_at if milestone == self.builder.due_milestone else None
            if due is not None:
                self.emit(ev.SlaClockStarted, at, milestone=milestone, due_at=due, warnings=())
                continue
            sla = self.builder.sla
            plan = None if sla is None else sla.plan(self.complaint, milestone, fresh)
            if plan is not None:
                self.emit(
                    ev.SlaClockStarted,
                    at,
                    milestone=milestone,
                    due_at=plan.due_at,
                    warnings=plan.warnings,
                )

    def catch_up(self, until: datetime, *, inclusive: bool) -> None:
        """Record the warnings and breaches the running clocks reached before *until*."""
        due: list[tuple[datetime, int, str, float | None]] = []
        for clock in self.complaint.clocks:
            if not clock.running:
                continue
            for threshold, instant in clock.warnings:
                if threshold not in clock.warnings_reached and (
                    instant <= until if inclusive else instant < until
                ):
                    due.append((instant, 0, clock.milestone, threshold))
            if (
                clock.due_at is not None
                and clock.breached_at is None
                and (clock.due_at <= until if inclusive else clock.due_at < until)
            ):
                due.append((clock.due_at, 1, clock.milestone, None))
        for instant, _, milestone, level in sorted(due, key=lambda d: d[:3]):
            at = max(instant, self.last_at)
            if level is not None:
                self.emit(ev.SlaWarningReached, at, milestone=milestone, threshold=level)
            else:
                self.emit(ev.SlaBreached, at, milestone=milestone)

    def move(self, to_state: str, at: datetime, cls: type[ev.Event], **fields: Any) -> None:
        """Record *cls* at *at* and move the workflow to *to_state* with its clock effects."""
        self.catch_up(at, inclusive=False)
        self.emit(cls, at, **fields)
        before = self.complaint.state
        if before == to_state:
            return
        self.emit(ev.StateChanged, at, transition="import", from_state=before, to_state=to_state)
        effects = sla_effects(self.builder.workflow, before, to_state)
        for milestone in effects.stop:
            clock = self.complaint.clock(milestone)
            if clock is not None and clock.stopped_at is None:
                self.emit(ev.SlaClockStopped, at, milestone=milestone)
        for milestone in effects.pause:
            clock = self.complaint.clock(milestone)
            if clock is not None and clock.running:
                self.emit(ev.SlaClockPaused, at, milestone=milestone)
        self.start(effects.start, at)
