"""``ComplaintsHandling``: the clause-7 process of ISO 10002 over the ports.

Every command loads the complaint, asks the workflow engine for the events, adds the SLA clock
events the move implies (start, stop, pause, resume, retarget), and saves the complaint with the
version it was loaded at. When another writer got there first (a
:class:`~iso10002.errors.ConcurrencyConflict`) the command is run again on the fresh complaint,
up to :attr:`RetryPolicy.attempts` times; the workflow checks are repeated each time, so a retry
never does something the new state forbids. A command that raises has written nothing.

Notifications are not sent by commands: the :class:`~iso10002.notify.OutboxDispatcher` derives
them from the stored events (:meth:`ComplaintsHandling.dispatch`), so a crash between saving and
sending loses nothing. :meth:`ComplaintsHandling.tick` is the SLA sweeper.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol, cast, runtime_checkable

import attrs

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.clock import Clock, SystemClock
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    ConfigurationError,
    DuplicateError,
    IdempotencyConflict,
    ValidationError,
    describe,
)
from iso10002.intake import Intake, parse_intake
from iso10002.model import (
    Assessment,
    Classification,
    Complainant,
    Complaint,
    ComplaintDetails,
    EscalationKind,
    MilestoneClock,
    MilestoneStatus,
    Priority,
)
from iso10002.notify import DispatchReport, Notifier, OutboxDispatcher
from iso10002.ports import (
    BatchSaving,
    ComplaintQuery,
    ComplaintRepository,
    DueSweeping,
    Storage,
    Update,
    port_problem,
    provides,
)
from iso10002.references import ReferenceGenerator, YearlyReferences
from iso10002.sla import (
    BusinessCalendar,
    SlaClock,
    SlaPolicy,
    SuspensionWindow,
    deadline_day,
    describe_deadline,
)
from iso10002.sla.policy import MILESTONES
from iso10002.taxonomy import SeverityMatrix, Taxonomy, assess
from iso10002.workflow import Actor, WorkflowDefinition, fire, iso10002_workflow, sla_effects

__all__ = [
    "ComplainantStatus",
    "ComplaintsHandling",
    "EscalationPolicy",
    "PolicyPlanner",
    "RetryPolicy",
    "SlaPlan",
    "SlaPlanner",
    "TickReport",
]

_ID_NAMESPACE = uuid.UUID("6f0b7e52-4f38-4c52-9a9c-2f1d6c0e1002")
_MICRO = timedelta(microseconds=1)
Warnings = tuple[tuple[float, datetime], ...]


@attrs.frozen
class SlaPlan:
    """When a clock falls due and when each warning threshold is crossed."""

    due_at: datetime | None
    warnings: Warnings = ()


@runtime_checkable
class SlaPlanner(Protocol):
    """Computes SLA deadlines: what the service asks whenever a clock starts, resumes or may
    need a new target."""

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        """The plan for *milestone* on *complaint*, given the clock's recorded facts (start and
        pauses); ``None`` when no target applies to this complaint."""
        ...


class PolicyPlanner:
    """An :class:`SlaPlanner` from an :class:`~iso10002.sla.SlaPolicy` on a business calendar.

    The rule is chosen by the complaint's priority, channel, category and segment. Milestones
    the policy does not know (or sets no target for) get no clock. *suspensions* are
    regulator-wide windows during which every clock stands still (e.g. a preset's).
    """

    def __init__(
        self,
        calendar: BusinessCalendar,
        policy: SlaPolicy,
        *,
        suspensions: Sequence[SuspensionWindow] = (),
    ) -> None:
        if not isinstance(calendar, BusinessCalendar):
            raise ConfigurationError([("calendar", "expected a BusinessCalendar")])
        if not isinstance(policy, SlaPolicy):
            raise ConfigurationError([("policy", "expected an SlaPolicy")])
        self.calendar = calendar
        self.policy = policy
        self.suspensions = tuple(suspensions)

    @property
    def zone(self) -> tzinfo:
        """The calendar's time zone (used for dates shown to complainants)."""
        return self.calendar.tz

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        """Due and warning instants for *milestone*, or ``None`` without a target."""
        if milestone not in MILESTONES:
            return None
        priority = complaint.priority
        target = self.policy.target_for(
            milestone,
            priority=None if priority is None else priority.value,
            channel=complaint.details.channel.value,
            category=complaint.classification.category,
            segment=complaint.details.segment,
        )
        if target is None:
            return None
        sla_clock = SlaClock(
            self.calendar,
            clock.started_at,
            target.duration,
            pauses=clock.pauses,
            paused_since=clock.paused_since,
            thresholds=target.thresholds,
            suspensions=self.suspensions,
        )
        due_at, warnings = sla_clock.schedule()
        return SlaPlan(due_at=due_at, warnings=warnings)


@attrs.frozen
class RetryPolicy:
    """How often a command is run again after a :class:`ConcurrencyConflict`, and how long it
    waits first.

    Before attempt *n* + 1 the command sleeps a random time between 0 and
    ``min(max_delay, first_delay * 2 ** (n - 1))`` seconds ("full jitter"), so that writers who
    collided do not collide again in step. ``first_delay=0`` retries at once.
    """

    attempts: int = attrs.field(default=8, validator=v.int_range(1, 100))
    first_delay: float = attrs.field(default=0.002, validator=v.number_range(0, 60))
    max_delay: float = attrs.field(default=0.25, validator=v.number_range(0, 600))
    sleep: Callable[[float], object] = attrs.field(
        default=time.sleep, eq=False, repr=False, validator=v.callable_
    )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt *attempt* (1 for the first)."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** min(attempt - 1, 30))
        return random.uniform(0.0, ceiling)


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
    """What one :meth:`ComplaintsHandling.tick` did."""

    examined: int = 0
    warnings: int = 0
    breaches: int = 0


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


_UPGRADE = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}


def _as_actor(actor: Actor | str) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, str):
        return Actor(actor)
    raise ValidationError([("actor", f"expected an Actor or an id, got {describe(actor)}")])


class ComplaintsHandling:
    """The clause-7 use cases over a storage backend, a workflow and an SLA planner.

    *matrix* turns assessment factors into a priority (default: the bundled severity matrix).
    *categories* is the category taxonomy: intakes and reclassifications must use one of its
    active codes (no check without it). Without *sla* no clocks run; without *notifier*,
    :meth:`dispatch` is unavailable (run an :class:`~iso10002.notify.OutboxDispatcher`
    yourself). *dispatcher_options* go to the dispatcher (addresses, templates, rules, …).
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
        retry: RetryPolicy = RetryPolicy(),
        escalation: EscalationPolicy = EscalationPolicy(),
        dispatcher_options: Mapping[str, Any] | None = None,
    ) -> None:
        checks: list[tuple[str, object, type, bool]] = [
            ("storage", storage, ComplaintRepository, False),
            ("workflow", workflow, WorkflowDefinition, True),
            ("sla", sla, SlaPlanner, True),
            ("categories", categories, Taxonomy, True),
            ("matrix", matrix, SeverityMatrix, True),
            ("notifier", notifier, Notifier, True),
            ("clock", clock, Clock, True),
            ("references", references, ReferenceGenerator, True),
            ("retry", retry, RetryPolicy, False),
            ("escalation", escalation, EscalationPolicy, False),
        ]
        ports = {ComplaintRepository, SlaPlanner, Notifier, Clock, ReferenceGenerator}
        problems: list[tuple[str, str]] = []
        for name, value, kind, optional in checks:
            if value is None and optional:
                continue
            if kind in ports:
                # By their members, not isinstance: a delegating wrapper fits on every Python.
                problem = port_problem(value, kind)
            elif not isinstance(value, kind):
                problem = f"expected {kind.__name__}, got {describe(value)}"
            else:
                problem = None
            if problem is not None:
                problems.append((name, problem))
        if problems:
            raise ConfigurationError(problems, what="ComplaintsHandling")
        self.storage = storage
        self.workflow = workflow or iso10002_workflow()
        self.sla = sla
        self.categories = categories
        self.matrix = matrix or SeverityMatrix.default()
        self.clock = clock or SystemClock()
        self.references = references or YearlyReferences(storage)
        self.retry = retry
        self.escalation = escalation
        self.dispatcher = (
            OutboxDispatcher(
                storage,
                notifier,
                clock=self.clock,
                **{"zone": self._zone(), **(dispatcher_options or {})},
            )
            if notifier is not None
            else None
        )

    def _zone(self) -> tzinfo:
        """The zone dates are shown in to people: the SLA calendar's, else UTC."""
        zone = getattr(self.sla, "zone", None)
        return zone if isinstance(zone, tzinfo) else timezone.utc

    def _category_known(self, code: str) -> bool:
        if self.categories is None:
            return True
        found = self.categories.get(code)
        return found is not None and found.active

    # -- receipt ---------------------------------------------------------------------------

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
        who = _as_actor(actor)
        checked = parse_intake(intake, category_known=self._category_known)
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 500:
                raise ValidationError(
                    [("idempotency_key", "expected a str of 1 to 500 characters")]
                )
            complaint_id = str(uuid.uuid5(_ID_NAMESPACE, idempotency_key))
        else:
            complaint_id = str(uuid.uuid4())
        now = self.clock.now()
        received_at = checked.received_at or now
        complainant = None
        complainant_id = checked.complainant_id
        if complainant_id is None:
            complainant_id = str(uuid.uuid4())
            complainant = Complainant(
                id=complainant_id,
                name=checked.name or "",
                email=checked.email,
                phone=checked.phone,
                postal_address=checked.postal_address,
                organization=checked.organization,
                preferred_contact=checked.preferred_contact,
                language=checked.language,
                accessibility_needs=checked.accessibility_needs,
                representative=checked.representative,
                vulnerable=checked.vulnerable,
                consent_to_contact=checked.consent_to_contact,
            )
        details = ComplaintDetails(
            received_at=received_at,
            channel=checked.channel,
            complainant_id=complainant_id,
            subject=checked.subject,
            description=checked.description,
            desired_remedy=checked.desired_remedy,
            product=checked.product,
            occurred_at=checked.occurred_at,
            received_by=who.id,
            segment=checked.segment,
            complained_about=checked.complained_about,
            attachments=checked.attachments,
        )
        classification = Classification(category=checked.category, tags=checked.tags)
        if idempotency_key is not None:
            first = self._stored_or_none(complaint_id)
            if first is not None:
                return self._resubmitted(first, checked, details, classification, complainant)
        tried: set[str] = set()
        while True:
            reference = self.references.next(received_at)
            if reference in tried:
                raise DuplicateError("the reference generator offered a taken reference again")
            tried.add(reference)
            outcome = "refused"
            try:
                receipt = ev.ComplaintReceived(
                    complaint_id=complaint_id,
                    sequence=1,
                    occurred_at=received_at,
                    actor=who.id,
                    reference=reference,
                    state=self.workflow.initial_state,
                    details=details,
                    classification=classification,
                )
                complaint = ev.apply(None, receipt)
                final, extra = self._clock_events(
                    complaint, complaint, who.id, received_at, start_state=True
                )
                try:
                    self.storage.add(final, events=[receipt, *extra], complainant=complainant)
                except DuplicateError:
                    first = self._stored_or_none(complaint_id)
                    if first is None:  # the reference was taken (e.g. by another process)
                        outcome = "taken"
                        self.references.conflict(reference)
                        continue
                    # the same key, stored first by a concurrent call
                    return self._resubmitted(first, checked, details, classification, complainant)
                outcome = "stored"
                return final
            finally:
                if outcome == "refused":  # give the number back: a refusal leaves no gap
                    self.references.release(reference)

    def _stored_or_none(self, complaint_id: str) -> Complaint | None:
        try:
            return self.storage.get(complaint_id)
        except ComplaintNotFound:
            return None

    def _resubmitted(
        self,
        first: Complaint,
        checked: Intake,
        details: ComplaintDetails,
        classification: Classification,
        complainant: Complainant | None,
    ) -> Complaint:
        """*first* if it was received from the same intake as *checked*; otherwise
        :class:`~iso10002.errors.IdempotencyConflict`, which tells nothing of *first*."""
        receipt = self.storage.events(first.id)[0]
        if not (
            isinstance(receipt, ev.ComplaintReceived)
            and self._same_intake(receipt, checked, details, classification, complainant)
        ):
            raise IdempotencyConflict(
                "this idempotency key was already used for a different submission; "
                "submit with a new key"
            )
        return first

    def _same_intake(
        self,
        receipt: ev.ComplaintReceived,
        checked: Intake,
        details: ComplaintDetails,
        classification: Classification,
        complainant: Complainant | None,
    ) -> bool:
        """Whether *receipt* records the intake *checked* (built into *details*, *classification*
        and *complainant*).

        Every field counts except who recorded it, and ``received_at`` only when the intake gives
        one. The complainant must be the same ``complainant_id`` or contact details equal to the
        stored record; once that record is erased, contact details can no longer match.
        """
        stored = receipt.details
        received_at = stored.received_at if checked.received_at is None else details.received_at
        if receipt.classification != classification or stored != attrs.evolve(
            details,
            received_at=received_at,
            received_by=stored.received_by,
            complainant_id=stored.complainant_id,
        ):
            return False
        if complainant is None:
            return checked.complainant_id == stored.complainant_id
        on_record = self.storage.get_complainant(stored.complainant_id)
        return on_record == attrs.evolve(complainant, id=stored.complainant_id)

    # -- the generic command ----------------------------------------------------------------

    def fire(
        self, complaint_id: str, transition: str, *, actor: Actor | str, **data: Any
    ) -> Complaint:
        """Fire any transition of the workflow (custom workflows use this directly)."""
        who = _as_actor(actor)
        return self._command(
            complaint_id, who, lambda c, at: self._transition(c, transition, who, at, data)
        )

    def _transition(
        self,
        complaint: Complaint,
        transition: str,
        who: Actor,
        at: datetime,
        data: Mapping[str, Any],
    ) -> tuple[Complaint, list[ev.Event]]:
        after, events = fire(self.workflow, complaint, transition, actor=who, at=at, **data)
        after, extra = self._clock_events(complaint, after, who.id, at)
        return after, [*events, *extra]

    def _command(
        self,
        complaint_id: str,
        who: Actor,
        step: Callable[[Complaint, datetime], tuple[Complaint, Sequence[ev.Event]]],
    ) -> Complaint:
        for attempt in range(1, self.retry.attempts + 1):
            complaint = self.storage.get(complaint_id)
            at = self.clock.now()
            after, events = step(complaint, at)
            if not events:
                return complaint
            try:
                self.storage.save(after, expected_version=complaint.version, events=events)
            except ConcurrencyConflict:
                if attempt == self.retry.attempts:
                    raise
                self.retry.sleep(self.retry.delay(attempt))
                continue
            return after
        raise AssertionError("unreachable")  # pragma: no cover

    # -- SLA clocks -------------------------------------------------------------------------

    def _plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        return None if self.sla is None else self.sla.plan(complaint, milestone, clock)

    def _clock_events(
        self,
        before: Complaint,
        after: Complaint,
        actor: str,
        at: datetime,
        *,
        start_state: bool = False,
    ) -> tuple[Complaint, list[ev.Event]]:
        """The SlaClock* events a move from *before* to *after* implies, and *after* with them
        applied.

        A clock this move stops or pauses after its due instant is breached: the breach is
        recorded first (``SlaBreached`` at the due instant, noticed *at*), unless already
        recorded. A clock already past its due instant keeps it when the targets change; the
        sweeper records its breach.
        """
        out: list[ev.Event] = []
        current = after

        def emit(cls: type[ev.Event], **fields: Any) -> None:
            nonlocal current
            event = cls(
                complaint_id=after.id,
                sequence=current.version + 1,
                occurred_at=at,
                actor=actor,
                **fields,
            )
            current = ev.apply(current, event)
            out.append(event)

        def notice_breach(clock: MilestoneClock) -> None:
            if clock.breached_at is None and clock.status(at) is MilestoneStatus.OVERDUE:
                emit(ev.SlaBreached, milestone=clock.milestone, due_at=clock.due_at)

        closure = after.closure
        cancelled = (
            closure is not None
            and closure is not before.closure
            and (closure.withdrawn or closure.reason == "out_of_scope")
        )
        if start_state:
            state = self.workflow.state(after.state)
            starts: Sequence[str] = state.start
            effects = None
        elif before.state != after.state:
            effects = sla_effects(self.workflow, before.state, after.state)
            starts = effects.start
        else:
            effects, starts = None, ()
        if effects is not None:
            for milestone in effects.stop:
                clock = current.clock(milestone)
                if clock is not None and clock.stopped_at is None:
                    notice_breach(clock)
                    emit(ev.SlaClockStopped, milestone=milestone, cancelled=cancelled)
        for milestone in starts:
            fresh = MilestoneClock(milestone=milestone, started_at=at)
            plan = self._plan(current, milestone, fresh)
            if plan is not None:
                emit(
                    ev.SlaClockStarted,
                    milestone=milestone,
                    due_at=plan.due_at,
                    warnings=plan.warnings,
                )
        if effects is not None:
            for milestone in effects.pause:
                clock = current.clock(milestone)
                if clock is not None and clock.running:
                    notice_breach(clock)
                    emit(ev.SlaClockPaused, milestone=milestone)
            for milestone in effects.resume:
                clock = current.clock(milestone)
                if (
                    clock is not None
                    and clock.paused_since is not None
                    and clock.stopped_at is None
                ):
                    resumed = attrs.evolve(
                        clock, pauses=(*clock.pauses, (clock.paused_since, at)), paused_since=None
                    )
                    if clock.breached_at is not None:  # the recorded breach stands
                        plan = SlaPlan(due_at=clock.due_at, warnings=clock.warnings)
                    else:
                        plan = self._plan(current, milestone, resumed)
                    emit(
                        ev.SlaClockResumed,
                        milestone=milestone,
                        due_at=None if plan is None else plan.due_at,
                        warnings=() if plan is None else plan.warnings,
                    )
        # A new priority, category or segment may change the targets of running clocks that
        # are not past their due instant; the new deadline counts from the original start and
        # may already have passed (the next sweep then records the breach).
        if (before.assessment, before.classification) != (after.assessment, after.classification):
            for clock in current.clocks:
                # A breach is a fact, recorded or not yet: a later, laxer target does not move it.
                if (
                    not clock.running
                    or clock.status(at) is not MilestoneStatus.RUNNING
                    or clock.milestone in starts
                ):
                    continue
                plan = self._plan(current, clock.milestone, clock)
                if plan is not None and (plan.due_at, plan.warnings) != (
                    clock.due_at,
                    clock.warnings,
                ):
                    emit(
                        ev.SlaClockRetargeted,
                        milestone=clock.milestone,
                        due_at=plan.due_at,
                        warnings=plan.warnings,
                    )
        return current, out

    # -- clause 7 use cases -------------------------------------------------------------------

    def acknowledge(self, complaint_id: str, *, actor: Actor | str, **data: Any) -> Complaint:
        """7.4: acknowledge receipt (``method`` optional)."""
        return self.fire(complaint_id, "acknowledge", actor=actor, **data)

    def _assessment(self, assessment: Assessment | None, factors: Mapping[str, Any]) -> Assessment:
        if assessment is not None and factors:
            raise ValidationError([("assessment", "give an Assessment or its factors, not both")])
        if assessment is None:
            return assess(self.matrix, **factors)
        return assessment

    def assess(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        assessment: Assessment | None = None,
        **factors: Any,
    ) -> Complaint:
        """7.5: record the initial assessment; running SLA clocks take the new targets.

        Give a ready :class:`~iso10002.model.Assessment`, or its factors (``impact``,
        ``breadth``, ``safety``, ``complexity``, ``overlays``, …) for the severity matrix.
        """
        chosen = self._assessment(assessment, factors)
        return self.fire(complaint_id, "assess", actor=actor, assessment=chosen)

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
        return self.fire(
            complaint_id, "revise_assessment", actor=actor, assessment=chosen, reason=reason
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
        return self.fire(complaint_id, "assign", actor=actor, assignee=assignee, team=team)

    def classify(
        self,
        complaint_id: str,
        *,
        actor: Actor | str,
        category: str | None,
        tags: Sequence[str] = (),
    ) -> Complaint:
        """8.2: set the category (a taxonomy code) and tags."""
        if category is not None and not self._category_known(category):
            raise ValidationError([("category", "unknown or retired category code")])
        classification = Classification(category=category, tags=frozenset(tags))
        return self.fire(complaint_id, "classify", actor=actor, classification=classification)

    def add_note(
        self, complaint_id: str, *, actor: Actor | str, text: str, internal: bool = True
    ) -> Complaint:
        """Add a note to the case file."""
        return self.fire(complaint_id, "add_note", actor=actor, text=text, internal=internal)

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
        return self.fire(complaint_id, "record_findings", actor=actor, **data)

    def decide(self, complaint_id: str, *, actor: Actor | str, **data: Any) -> Complaint:
        """7.7: record the decision (``outcome``, ``reasons``, ``remedies``).

        In internal review this records the reviewer's decision (transition ``review_decide``).
        """
        complaint = self.storage.get(complaint_id)
        transition = "review_decide" if complaint.state == "internal_review" else "decide"
        return self.fire(complaint_id, transition, actor=actor, **data)

    def communicate_decision(
        self, complaint_id: str, *, actor: Actor | str, **data: Any
    ) -> Complaint:
        """7.8: the decision was sent (``method``, ``external_options_given``)."""
        return self.fire(complaint_id, "communicate_decision", actor=actor, **data)

    def record_reply(
        self, complaint_id: str, *, actor: Actor | str, accepted: bool, comment: str | None = None
    ) -> Complaint:
        """The complainant accepted or rejected the decision."""
        return self.fire(
            complaint_id, "record_reply", actor=actor, accepted=accepted, comment=comment
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
        transition = (
            "escalate_internal" if kind is EscalationKind.INTERNAL_REVIEW else "escalate_external"
        )
        return self.fire(complaint_id, transition, actor=actor, reason=reason, provider=provider)

    def close(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """7.9: close the complaint (the workflow checks the decision was communicated)."""
        return self.fire(complaint_id, "close", actor=actor, reason=reason)

    def reopen(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """Reopen a closed complaint."""
        return self.fire(complaint_id, "reopen", actor=actor, reason=reason)

    def withdraw(
        self, complaint_id: str, *, actor: Actor | str, reason: str | None = None
    ) -> Complaint:
        """The complainant withdrew the complaint."""
        return self.fire(complaint_id, "withdraw", actor=actor, reason=reason)

    def record_satisfaction(
        self, complaint_id: str, *, actor: Actor | str, score: int, comment: str | None = None
    ) -> Complaint:
        """8.3: record the complainant's satisfaction with the handling (1 to 5)."""
        return self.fire(
            complaint_id, "record_satisfaction", actor=actor, score=score, comment=comment
        )

    def erase_personal_data(self, complainant_id: str, *, actor: Actor | str) -> int:
        """4.10: erase the complainant's personal data; record it on each of their complaints.

        Returns how many complaints were marked. The events hold no personal data and stay.
        """
        who = _as_actor(actor)
        marked = 0
        query = ComplaintQuery(complainant_id=complainant_id, limit=500)
        while True:
            page = self.storage.query(query)
            for complaint in page.items:
                if not complaint.personal_data_erased:
                    self._command(complaint.id, who, self._erasure(who.id))
                    marked += 1
            if page.next_cursor is None:
                break
            query = attrs.evolve(query, cursor=page.next_cursor)
        self.storage.erase_personal_data(complainant_id)
        return marked

    @staticmethod
    def _erasure(
        actor: str,
    ) -> Callable[[Complaint, datetime], tuple[Complaint, list[ev.Event]]]:
        def step(complaint: Complaint, at: datetime) -> tuple[Complaint, list[ev.Event]]:
            if complaint.personal_data_erased:
                return complaint, []
            event = ev.PersonalDataErased(
                complaint_id=complaint.id,
                sequence=complaint.version + 1,
                occurred_at=at,
                actor=actor,
            )
            return ev.apply(complaint, event), [event]

        return step

    def status_for_complainant(self, reference: str) -> ComplainantStatus:
        """4.4, 7.3: the stage's public label, the next step and the day it is due by (in the
        calendar's zone), or that it is overdue."""
        complaint = self.storage.get_by_reference(reference)
        state = self.workflow.state(complaint.state)
        pending = [
            (c.due_at, c.milestone, c)
            for c in complaint.clocks
            if c.running and c.due_at is not None
        ]
        status = ComplainantStatus(
            reference=complaint.reference,
            stage=self.workflow.label(complaint.state),
            closed=state.terminal,
            next_step=None,
            next_date=None,
        )
        if not pending:
            return status
        due, milestone, clock = min(pending, key=lambda p: (p[0], p[1]))
        step = milestone.replace("_", " ")
        if clock.status(self.clock.now()) is MilestoneStatus.OVERDUE:
            return attrs.evolve(status, next_step=step, overdue=True)
        zone = self._zone()
        return attrs.evolve(
            status,
            next_step=step,
            next_date=deadline_day(due, zone),
            next_deadline=describe_deadline(due, zone),
        )

    # -- the sweeper and the outbox -------------------------------------------------------------

    def tick(self, now: datetime | None = None, *, batch: int = 500) -> TickReport:
        """Record every SLA warning and breach due by *now* (default: the clock), once each.

        Finds candidates through the indexed ``next_sla_before`` query, never a scan. Running
        it twice at the same instant changes nothing the second time. On storage that offers
        :class:`~iso10002.ports.DueSweeping` (PostgreSQL), sweepers running at once share the
        due complaints instead of contending for them.
        """
        at = self.clock.now() if now is None else now
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise ValidationError([("now", "expected an aware datetime")])
        if provides(self.storage, DueSweeping):
            return self._tick_shared(cast(DueSweeping, self.storage), at, batch)
        query = ComplaintQuery(next_sla_before=at + _MICRO, limit=batch)
        examined = warnings = breaches = 0
        system = Actor("system")
        while True:
            page = self.storage.query(query)
            counts = [0, 0]
            sweep = self._sweep(at, counts)
            updates = []
            for complaint in page.items:
                after, events = sweep(complaint, at)
                if events:
                    updates.append(Update(after, complaint.version, events))
            examined += len(page.items)
            if not self._save_batch(updates):
                # Someone else wrote meanwhile (or storage cannot batch): one complaint at a
                # time, each reloaded and retried, recounting what was recorded.
                counts = [0, 0]
                for update in updates:
                    one = [0, 0]
                    self._command(update.complaint.id, system, self._sweep(at, one))
                    counts = [counts[0] + one[0], counts[1] + one[1]]
            warnings += counts[0]
            breaches += counts[1]
            if page.next_cursor is None:
                return TickReport(examined=examined, warnings=warnings, breaches=breaches)
            query = attrs.evolve(query, cursor=page.next_cursor)

    def _tick_shared(self, storage: DueSweeping, at: datetime, batch: int) -> TickReport:
        """:meth:`tick` on storage that shares the due complaints among sweepers: each batch
        is locked, swept and saved in one transaction, skipping what other sweepers hold."""
        counts = [0, 0]
        sweep = self._sweep(at, counts)

        def step(complaint: Complaint) -> Update | None:
            after, events = sweep(complaint, at)
            return Update(after, complaint.version, events) if events else None

        examined = 0
        last: tuple[datetime, str] | None = None
        while True:
            found, last = storage.sweep_due(at + _MICRO, limit=batch, step=step, after=last)
            examined += found
            if found < batch:
                return TickReport(examined=examined, warnings=counts[0], breaches=counts[1])

    def _save_batch(self, updates: Sequence[Update]) -> bool:
        """Save *updates* in one transaction if storage can; ``False`` if it could not."""
        if not updates:
            return True
        if not provides(self.storage, BatchSaving):
            return False
        try:
            cast(BatchSaving, self.storage).save_many(updates)
        except ConcurrencyConflict:
            return False
        return True

    def _sweep(
        self, now: datetime, counts: list[int]
    ) -> Callable[[Complaint, datetime], tuple[Complaint, list[ev.Event]]]:
        def step(complaint: Complaint, at: datetime) -> tuple[Complaint, list[ev.Event]]:
            found = [0, 0]
            out: list[ev.Event] = []
            current = complaint

            def emit(event_cls: type[ev.Event], occurred: datetime, **fields: Any) -> None:
                nonlocal current
                event = event_cls(
                    complaint_id=complaint.id,
                    sequence=current.version + 1,
                    occurred_at=occurred,
                    actor="system",
                    **fields,
                )
                current = ev.apply(current, event)
                out.append(event)

            for clock in complaint.clocks:
                if not clock.running:
                    continue
                for threshold, instant in clock.warnings:
                    if instant <= now and threshold not in clock.warnings_reached:
                        emit(
                            ev.SlaWarningReached,
                            now,
                            milestone=clock.milestone,
                            threshold=threshold,
                        )
                        found[0] += 1
                if clock.breached_at is None and clock.status(now) is MilestoneStatus.OVERDUE:
                    # Breached at the due instant; noticed now.
                    emit(ev.SlaBreached, now, milestone=clock.milestone, due_at=clock.due_at)
                    found[1] += 1
            if found[1]:
                policy = self.escalation
                assessment = current.assessment
                if policy.raise_priority and assessment is not None:
                    higher = _UPGRADE.get(assessment.priority)
                    if higher is not None:
                        emit(
                            ev.AssessmentRevised,
                            now,
                            assessment=attrs.evolve(assessment, priority=higher),
                            reason="SLA breached: priority raised by the escalation policy",
                        )
                if policy.reassign_team is not None and current.team != policy.reassign_team:
                    emit(
                        ev.ComplaintAssigned,
                        now,
                        assignee=current.assignee,
                        team=policy.reassign_team,
                    )
            counts[0] += found[0]
            counts[1] += found[1]
            return current, out

        return step

    def dispatch(self) -> DispatchReport:
        """Derive and deliver pending notifications (needs a notifier)."""
        if self.dispatcher is None:
            raise ConfigurationError([("notifier", "this service was built without a notifier")])
        return self.dispatcher.run_once()
