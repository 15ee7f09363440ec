"""``ComplaintsHandling``: the clause-7 use cases as methods, over :func:`bootstrap`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from iso10002.clock import Clock
from iso10002.errors import ConfigurationError, ValidationError, describe
from iso10002.intake import Intake
from iso10002.model import Assessment, Classification, Complaint, EscalationKind
from iso10002.notify import DispatchReport, Notifier, OutboxDispatcher
from iso10002.ports import ComplaintQuery, Storage, iter_complaints
from iso10002.references import ReferenceGenerator
from iso10002.sla import SlaPlanner
from iso10002.taxonomy import SeverityMatrix, Taxonomy, assess
from iso10002.workflow import Actor, WorkflowDefinition

from . import status
from .bootstrap import Dependencies, DispatcherOptions, bootstrap
from .commands import Command, ErasePersonalData, Fire, Receive, Sweep
from .handlers import HANDLERS
from .status import ComplainantStatus
from .sweeper import EscalationPolicy, TickReport
from .unit_of_work import RetryPolicy

__all__ = ["ComplaintsHandling"]


class ComplaintsHandling:
    """The clause-7 use cases over a storage backend, a workflow and an SLA planner.

    *matrix* turns assessment factors into a priority (default: the bundled severity matrix).
    *categories* is the category taxonomy: intakes and reclassifications must use one of its
    active codes (no check without it). Without *sla* no clocks run; without *notifier*,
    :meth:`dispatch` is unavailable (run an :class:`~iso10002.notify.OutboxDispatcher`
    yourself). *dispatcher_options* configure the dispatcher (:class:`DispatcherOptions` or a
    mapping of its fields). *status_secret* (random bytes, the same in every process) lets
    complainants look up their complaint's status with a token (:meth:`status_token`). Every
    use case is a command run by :meth:`handle`; the named ones
    fire the workflow's transition for that step, whatever the workflow calls it.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        workflow: WorkflowDefinition | None = None,
        sla: SlaPlanner | None = None,
        categories: Taxonomy | None = None,
        matrix: SeverityMatrix | None = None,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
        references: ReferenceGenerator | None = None,
        retry: RetryPolicy | None = None,
        escalation: EscalationPolicy | None = None,
        dispatcher_options: DispatcherOptions | Mapping[str, Any] | None = None,
        status_secret: bytes | None = None,
    ) -> None:
        self.deps: Dependencies = bootstrap(
            storage,
            workflow=workflow,
            sla=sla,
            categories=categories,
            matrix=matrix,
            notifier=notifier,
            clock=clock,
            references=references,
            retry=retry,
            escalation=escalation,
            dispatcher=dispatcher_options,
            status_secret=status_secret,
        )

    storage = property(lambda self: self.deps.storage, doc="The storage backend.")
    workflow = property(lambda self: self.deps.workflow, doc="The workflow definition.")
    sla = property(lambda self: self.deps.sla, doc="The SLA planner, if any.")
    clock = property(lambda self: self.deps.clock, doc="The clock.")

    @property
    def dispatcher(self) -> OutboxDispatcher | None:
        """The outbox dispatcher (with a notifier)."""
        return self.deps.dispatcher

    def handle(self, command: Command) -> Any:
        """Run *command* through its handler; return what the handler returns."""
        handler = HANDLERS.get(type(command))
        if handler is None:
            raise ValidationError([("command", f"no handler for {type(command).__name__}")])
        return handler(command, self.deps)

    def receive(
        self,
        intake: Intake | Mapping[str, Any],
        *,
        actor: Actor | str,
        idempotency_key: str | None = None,
    ) -> Complaint:
        """7.2: record a new complaint, give it a reference and start its SLA clocks.

        With *idempotency_key* (e.g. a web form's submission id) a repeated call with the same
        intake returns the complaint the first call stored instead of recording a twin; with a
        different intake it raises :class:`~iso10002.errors.IdempotencyConflict`.
        """
        command = Receive(actor=actor, intake=intake, idempotency_key=idempotency_key)
        complaint: Complaint = self.handle(command)
        return complaint

    def fire(
        self, complaint_id: str, transition: str, *, actor: Actor | str, **data: Any
    ) -> Complaint:
        """Fire any transition of the workflow by name (custom steps use this directly)."""
        command = Fire(actor=actor, complaint_id=complaint_id, transition=transition, data=data)
        complaint: Complaint = self.handle(command)
        return complaint

    def _step(
        self,
        complaint_id: str,
        use: str,
        event: str,
        actor: Actor | str,
        *,
        where: Mapping[str, Any] | None = None,
        **data: Any,
    ) -> Complaint:
        """Fire the workflow's transition for the use case *use*, which records *event* (with
        the fixed fields *where*) from the complaint's state."""
        command = Fire(
            actor=actor,
            complaint_id=complaint_id,
            transition=use,
            data=data,
            event=event,
            fixed=where or {},
        )
        complaint: Complaint = self.handle(command)
        return complaint

    def acknowledge(self, complaint_id: str, *, actor: Actor | str, **data: Any) -> Complaint:
        """7.4: acknowledge receipt (``method`` optional)."""
        return self._step(complaint_id, "acknowledge", "ComplaintAcknowledged", actor, **data)

    def _assessment(self, assessment: Assessment | None, factors: Mapping[str, Any]) -> Assessment:
        if assessment is not None and factors:
            raise ValidationError([("assessment", "give an Assessment or its factors, not both")])
        return assess(self.deps.matrix, **factors) if assessment is None else assessment

    def assess(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        assessment: Assessment | None = None,
        **factors: Any,
    ) -> Complaint:
        """7.5: record the initial assessment: an :class:`~iso10002.model.Assessment`, or its
        factors (``impact``, ``breadth``, ``safety``, …) for the severity matrix; running SLA
        clocks take the new targets."""
        chosen = self._assessment(assessment, factors)
        return self._step(complaint_id, "assess", "ComplaintAssessed", actor, assessment=chosen)

    def revise_assessment(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        reason: str,
        assessment: Assessment | None = None,
        **factors: Any,
    ) -> Complaint:
        """7.5: revise the assessment in the light of new information (as :meth:`assess`)."""
        chosen = self._assessment(assessment, factors)
        return self._step(
            complaint_id,
            "revise_assessment",
            "AssessmentRevised",
            actor,
            assessment=chosen,
            reason=reason,
        )

    def assign(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        assignee: str | None = None,
        team: str | None = None,
    ) -> Complaint:
        """Assign a handler and/or team (4.12 accountability)."""
        return self._step(
            complaint_id, "assign", "ComplaintAssigned", actor, assignee=assignee, team=team
        )

    def classify(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        category: str | None,
        tags: Sequence[str] = (),
    ) -> Complaint:
        """8.2: set the category (a taxonomy code) and tags."""
        if category is not None and not self.deps.category_known(category):
            raise ValidationError([("category", "unknown or retired category code")])
        classification = Classification(category=category, tags=frozenset(tags))
        return self._step(
            complaint_id, "classify", "ComplaintClassified", actor, classification=classification
        )

    def add_note(
        self, complaint_id: str, *, actor: Actor | str, text: str, internal: bool = True
    ) -> Complaint:
        """Add a note to the case file."""
        return self._step(
            complaint_id, "add_note", "NoteAdded", actor, text=text, internal=internal
        )

    def start_investigation(self, complaint_id: str, *, actor: Actor | str) -> Complaint:
        """7.6: start investigating (needs the assessment)."""
        return self.fire(complaint_id, "start_investigation", actor=actor)

    def request_information(self, complaint_id: str, *, actor: Actor | str) -> Complaint:
        """Wait for the complainant; the clocks the workflow names pause meanwhile."""
        return self.fire(complaint_id, "request_information", actor=actor)

    def information_received(self, complaint_id: str, *, actor: Actor | str) -> Complaint:
        """The complainant answered; paused clocks resume with their deadlines moved."""
        return self.fire(complaint_id, "information_received", actor=actor)

    def record_findings(self, complaint_id: str, *, actor: Actor | str, **data: Any) -> Complaint:
        """7.6: record findings (``summary``, ``root_causes``, ``corrective_actions``)."""
        return self._step(complaint_id, "record_findings", "FindingsRecorded", actor, **data)

    def decide(self, complaint_id: str, *, actor: Actor | str, **data: Any) -> Complaint:
        """7.7: record the decision (``outcome``, ``reasons``, ``remedies``); in internal review,
        the reviewer's (the workflow's transition for it, e.g. ``review_decide``)."""
        return self._step(complaint_id, "decide", "DecisionMade", actor, **data)

    def communicate_decision(
        self, complaint_id: str, *, actor: Actor | str, **data: Any
    ) -> Complaint:
        """7.8: the decision was sent (``method``, ``external_options_given``)."""
        return self._step(
            complaint_id, "communicate_decision", "DecisionCommunicated", actor, **data
        )

    def record_reply(
        self, complaint_id: str, *, actor: Actor | str, accepted: bool, comment: str | None = None
    ) -> Complaint:
        """The complainant accepted or rejected the decision."""
        return self._step(
            complaint_id,
            "record_reply",
            "ComplainantReplied",
            actor,
            accepted=accepted,
            comment=comment,
        )

    def escalate(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        kind: EscalationKind,
        reason: str | None = None,
        provider: str | None = None,
    ) -> Complaint:
        """Send the complaint to internal review or to external dispute resolution (ISO 10003)."""
        if not isinstance(kind, EscalationKind):
            raise ValidationError([("kind", "expected an EscalationKind")])
        use = "escalate_internal" if kind is EscalationKind.INTERNAL_REVIEW else "escalate_external"
        return self._step(
            complaint_id,
            use,
            "ComplaintEscalated",
            actor,
            reason=reason,
            provider=provider,
            where={"kind": kind.value},
        )

    def close(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """7.9: close the complaint (the workflow checks the decision was communicated)."""
        return self._step(complaint_id, "close", "ComplaintClosed", actor, reason=reason)

    def reopen(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """Reopen a closed complaint."""
        return self._step(complaint_id, "reopen", "ComplaintReopened", actor, reason=reason)

    def withdraw(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """The complainant withdrew the complaint."""
        return self._step(complaint_id, "withdraw", "ComplaintWithdrawn", actor, reason=reason)

    def record_satisfaction(
        self, complaint_id: str, *, actor: Actor | str, score: int, comment: str | None = None
    ) -> Complaint:
        """8.3: record the complainant's satisfaction with the handling (1 to 5)."""
        return self._step(
            complaint_id,
            "record_satisfaction",
            "SatisfactionRecorded",
            actor,
            score=score,
            comment=comment,
        )

    def erase_personal_data(self, complainant_id: str, *, actor: Actor | str) -> int:
        """4.10: erase the complainant's personal data; record it on each of their complaints.

        Returns how many complaints were marked. The events hold no personal data and stay.
        """
        marked: int = self.handle(ErasePersonalData(actor=actor, complainant_id=complainant_id))
        return marked

    def _status_key(self) -> bytes:
        if self.deps.status_secret is None:
            raise ConfigurationError([("status_secret", "this service was built without one")])
        return self.deps.status_secret

    def complaints(
        self, query: ComplaintQuery | None = None, *, open: bool | None = None
    ) -> Iterator[Complaint]:
        """The stored complaints *query* selects (all by default), in its order, fetched a page
        at a time; ``open=True`` keeps those in a non-terminal state of this workflow,
        ``open=False`` those in a terminal one."""
        if query is not None and not isinstance(query, ComplaintQuery):
            raise ValidationError([("query", f"expected a ComplaintQuery, got {describe(query)}")])
        if open is not None and not isinstance(open, bool):
            raise ValidationError([("open", f"expected a bool or None, got {describe(open)}")])
        query = query or ComplaintQuery()
        if open is not None:
            workflow = self.deps.workflow
            wanted = {n for n in workflow.state_names if workflow.state(n).terminal is not open}
            if query.states is not None:
                wanted &= set(query.states)
            query = attrs.evolve(query, states=frozenset(wanted))
        return iter_complaints(self.deps.storage, query)

    def status_token(self, complaint: Complaint) -> str:
        """The secret token that shows its holder the status of *complaint* (give it to the
        complainant, e.g. in the acknowledgement): 22 URL-safe characters (128 bits)."""
        key = self._status_key()
        if not isinstance(complaint, Complaint):
            raise ValidationError(
                [("complaint", f"expected a Complaint, got {describe(complaint)}")]
            )
        return status.status_token(key, complaint.id)

    def status_for_complainant(self, reference: str, *, token: str) -> ComplainantStatus:
        """4.4, 7.3: the stage's public label, the next step and the day it is due by (in the
        calendar's zone), or that it is overdue, for the holder of :meth:`status_token`; a
        wrong token and an unknown reference raise the same
        :class:`~iso10002.errors.ComplaintNotFound`."""
        return status.status_for_complainant(self.deps, self._status_key(), reference, token)

    def status_by_reference(self, reference: str) -> ComplainantStatus:
        """What :meth:`status_for_complainant` shows, without the token: for staff only
        (references are sequential, so anyone could walk through them)."""
        return status.status_by_reference(self.deps, reference)

    def tick(self, now: datetime | None = None, *, batch: int = 500) -> TickReport:
        """Record every SLA warning and breach due by *now* (default: the clock), once each.

        Finds candidates through the indexed ``next_sla_before`` query, never a scan. Running
        it twice at the same instant changes nothing the second time. On storage that offers
        :class:`~iso10002.ports.DueSweeping` (PostgreSQL), sweepers running at once share the
        due complaints instead of contending for them.
        """
        report: TickReport = self.handle(Sweep(now=now, batch=batch))
        return report

    def dispatch(self) -> DispatchReport:
        """Derive and deliver pending notifications (needs a notifier)."""
        if self.deps.dispatcher is None:
            raise ConfigurationError([("notifier", "this service was built without a notifier")])
        return self.deps.dispatcher.run_once()
