"""Domain events: one frozen class per thing that can happen to a complaint.

Every event carries the complaint id, its per-complaint ``sequence`` number (1 for the receipt,
then 2, 3, … with no gaps), when it happened and who did it. A complaint is the fold of its
events: ``replay(events) == complaint``. :func:`apply` is pure and checks that each event follows
the complaint it is applied to.

Workflow transitions emit a domain event carrying their data (e.g. :class:`DecisionMade`) and a
:class:`StateChanged`; SLA clocks move only through the ``SlaClock*`` events, which carry the due
and warning instants the SLA engine computed, so replay needs no calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, TypeAlias, TypeVar

import attrs

from . import _validate as v
from ._replace import unchecked_replace
from .errors import ValidationError
from .model import (
    ERASED,
    Assessment,
    Classification,
    Closure,
    Complaint,
    ComplaintDetails,
    ContactMethod,
    Decision,
    Escalation,
    EscalationKind,
    Finding,
    MilestoneClock,
    Note,
    Outcome,
    Reply,
    Satisfaction,
    redacted,
)

__all__ = [
    "EVENT_TYPES",
    "AssessmentRevised",
    "ComplainantReplied",
    "ComplaintAcknowledged",
    "ComplaintAssessed",
    "ComplaintAssigned",
    "ComplaintClassified",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintImported",
    "ComplaintReceived",
    "ComplaintReopened",
    "ComplaintWithdrawn",
    "DecisionCommunicated",
    "DecisionMade",
    "Event",
    "FindingsRecorded",
    "NoteAdded",
    "PersonalDataErased",
    "Recorder",
    "SatisfactionRecorded",
    "SlaBreached",
    "SlaClockPaused",
    "SlaClockResumed",
    "SlaClockRetargeted",
    "SlaClockStarted",
    "SlaClockStopped",
    "SlaWarningReached",
    "StateChanged",
    "StepValue",
    "WorkflowStepRecorded",
    "apply",
    "redacted_event",
    "replay",
]

_optional = attrs.validators.optional


@attrs.frozen(kw_only=True)
class Event:
    """Fields common to every event."""

    complaint_id: str = attrs.field(validator=v.identifier)
    sequence: int = attrs.field(validator=v.int_range(1))
    occurred_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    actor: str = attrs.field(validator=v.identifier)


@attrs.frozen(kw_only=True)
class ComplaintReceived(Event):
    """7.2: a complaint was received and given its reference; ``state`` is the initial state."""

    reference: str = attrs.field(validator=v.identifier)
    state: str = attrs.field(validator=v.text(v.SHORT))
    details: ComplaintDetails = attrs.field(
        validator=attrs.validators.instance_of(ComplaintDetails)
    )
    classification: Classification = attrs.field(
        factory=Classification, validator=attrs.validators.instance_of(Classification)
    )


@attrs.frozen(kw_only=True)
class StateChanged(Event):
    """A workflow transition moved the complaint from one state to another (7.3 tracking)."""

    transition: str = attrs.field(validator=v.text(v.SHORT))
    from_state: str = attrs.field(validator=v.text(v.SHORT))
    to_state: str = attrs.field(validator=v.text(v.SHORT))


@attrs.frozen(kw_only=True)
class ComplaintAcknowledged(Event):
    """7.4: receipt was acknowledged to the complainant."""

    method: ContactMethod | None = attrs.field(
        default=None, validator=_optional(v.enum_(ContactMethod))
    )


@attrs.frozen(kw_only=True)
class ComplaintClassified(Event):
    """8.2: the complaint's category or tags were set."""

    classification: Classification = attrs.field(
        validator=attrs.validators.instance_of(Classification)
    )


@attrs.frozen(kw_only=True)
class ComplaintAssessed(Event):
    """7.5: the initial assessment was recorded."""

    assessment: Assessment = attrs.field(validator=attrs.validators.instance_of(Assessment))


@attrs.frozen(kw_only=True)
class AssessmentRevised(Event):
    """7.5: the assessment was revised in the light of new information."""

    assessment: Assessment = attrs.field(validator=attrs.validators.instance_of(Assessment))
    reason: str = attrs.field(validator=v.text(v.SHORT * 10))


@attrs.frozen(kw_only=True)
class ComplaintAssigned(Event):
    """The complaint was assigned to a handler and/or team (4.12 accountability)."""

    assignee: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
    team: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))


@attrs.frozen(kw_only=True)
class NoteAdded(Event):
    """A note was added to the case file."""

    text: str = attrs.field(validator=v.text(200_000), repr=False)
    internal: bool = attrs.field(default=True, validator=v.bool_)


@attrs.frozen(kw_only=True)
class FindingsRecorded(Event):
    """7.6: investigation findings, root causes and corrective actions were recorded."""

    summary: str = attrs.field(validator=v.text(200_000), repr=False)
    root_causes: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )
    corrective_actions: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(str, max_items=100)
    )


@attrs.frozen(kw_only=True)
class DecisionMade(Event):
    """7.7: a decision on the complaint was made by ``actor``."""

    outcome: Outcome = attrs.field(validator=v.enum_(Outcome))
    reasons: str = attrs.field(validator=v.text(200_000), repr=False)
    remedies: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(str, max_items=100)
    )


@attrs.frozen(kw_only=True)
class DecisionCommunicated(Event):
    """7.8: the latest decision was communicated to the complainant."""

    method: ContactMethod | None = attrs.field(
        default=None, validator=_optional(v.enum_(ContactMethod))
    )
    external_options_given: bool = attrs.field(default=False, validator=v.bool_)


@attrs.frozen(kw_only=True)
class ComplainantReplied(Event):
    """The complainant accepted or rejected the decision."""

    accepted: bool = attrs.field(validator=v.bool_)
    comment: str | None = attrs.field(default=None, validator=v.optional_text(200_000), repr=False)


@attrs.frozen(kw_only=True)
class ComplaintEscalated(Event):
    """The complaint went to internal review or external dispute resolution (ISO 10003)."""

    kind: EscalationKind = attrs.field(validator=v.enum_(EscalationKind))
    reason: str | None = attrs.field(default=None, validator=v.optional_text(200_000), repr=False)
    provider: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))


@attrs.frozen(kw_only=True)
class ComplaintWithdrawn(Event):
    """The complainant withdrew the complaint."""

    reason: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))


@attrs.frozen(kw_only=True)
class ComplaintClosed(Event):
    """7.9: the complaint was closed."""

    reason: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))


@attrs.frozen(kw_only=True)
class ComplaintReopened(Event):
    """A closed complaint was reopened."""

    reason: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT * 10))


@attrs.frozen(kw_only=True)
class SatisfactionRecorded(Event):
    """8.3: the complainant's satisfaction with the handling was recorded."""

    score: int = attrs.field(validator=v.int_range(1, 5))
    comment: str | None = attrs.field(default=None, validator=v.optional_text(200_000), repr=False)


StepValue: TypeAlias = str | int | float | bool | None
"""A value in :attr:`WorkflowStepRecorded.data`: a JSON scalar."""


@attrs.frozen(kw_only=True)
class WorkflowStepRecorded(Event):
    """A step of a workflow's own, recorded by the transition ``transition`` with its ``data``.

    ``data`` holds at most 20 JSON scalars (``None``, bool, int of at most 53 bits, finite float,
    str of at most 2,000 characters) by name (1 to 100 letters, digits and ``_ . : -``). The
    complaint keeps no copy: the step lives in the history, and the workflow's states carry
    what it decided. Erasing the complainant's personal data erases the strings.
    """

    transition: str = attrs.field(validator=v.text(v.SHORT))
    data: Mapping[str, StepValue] = attrs.field(
        factory=v.FrozenMapping,
        converter=v.frozen_scalars,
        validator=v.scalar_mapping(max_items=20, max_text=2000),
    )


@attrs.frozen(kw_only=True)
class PersonalDataErased(Event):
    """4.10: the complainant's personal data was erased.

    Applying it replaces the complaint's free text by :data:`~iso10002.model.ERASED`
    (:func:`~iso10002.model.redacted`); storage erases the same text from the earlier events
    (:func:`redacted_event`).
    """


@attrs.frozen(kw_only=True)
class ComplaintImported(Event):
    """Events ``first_sequence`` up to this one's predecessor were imported from *source*.

    They record what happened before the complaint came into this system, at their own
    instants; the outbox derives no notification from them.
    """

    source: str = attrs.field(validator=v.identifier)
    first_sequence: int = attrs.field(validator=v.int_range(1))

    def covers(self, event: Event) -> bool:
        """Whether *event* (of the same complaint) is one of the imported events."""
        return (
            event.complaint_id == self.complaint_id
            and self.first_sequence <= event.sequence < self.sequence
        )


@attrs.frozen(kw_only=True)
class _ClockEvent(Event):
    """Fields of every event about one SLA clock."""

    milestone: str = attrs.field(validator=v.text(v.SHORT))


@attrs.frozen(kw_only=True)
class _PlannedClockEvent(_ClockEvent):
    """Fields of the clock events that carry a deadline and its warning instants."""

    due_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    warnings: tuple[tuple[float, datetime], ...] = attrs.field(
        default=(),
        converter=v.utc_warnings,
        validator=v.warnings,
    )


@attrs.frozen(kw_only=True)
class SlaClockStarted(_PlannedClockEvent):
    """An SLA clock started, due at ``due_at`` with warnings at the given instants."""


@attrs.frozen(kw_only=True)
class SlaClockPaused(_ClockEvent):
    """An SLA clock was paused (e.g. while awaiting the complainant)."""


@attrs.frozen(kw_only=True)
class SlaClockResumed(_PlannedClockEvent):
    """A paused SLA clock resumed, with its due and warning instants moved by the pause."""


@attrs.frozen(kw_only=True)
class SlaClockRetargeted(_PlannedClockEvent):
    """A running clock's target changed (e.g. a new priority): new due and warning instants.

    The clock keeps its start and its pauses; warnings already reached stay reached.
    """


@attrs.frozen(kw_only=True)
class SlaClockStopped(_ClockEvent):
    """An SLA clock stopped: its milestone was met, or, with ``cancelled``, no longer applies
    (the complaint was withdrawn or closed as out of scope)."""

    cancelled: bool = attrs.field(default=False, validator=v.bool_)


@attrs.frozen(kw_only=True)
class SlaWarningReached(_ClockEvent):
    """An SLA clock used up ``threshold`` of its target (e.g. 0.75)."""

    threshold: float = attrs.field(validator=v.number_range(0.0, 1.0))


@attrs.frozen(kw_only=True)
class SlaBreached(_ClockEvent):
    """An SLA clock ran past its due instant ``due_at``, the instant of the breach;
    ``occurred_at`` is when the breach was noticed.

    Events stored before ``due_at`` was recorded have none: their breach instant is the one
    they recorded, ``occurred_at``.
    """

    due_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )


EVENT_TYPES: Final[Mapping[str, type[Event]]] = {
    cls.__name__: cls
    for cls in (
        ComplaintReceived,
        StateChanged,
        ComplaintAcknowledged,
        ComplaintClassified,
        ComplaintAssessed,
        AssessmentRevised,
        ComplaintAssigned,
        NoteAdded,
        FindingsRecorded,
        DecisionMade,
        DecisionCommunicated,
        ComplainantReplied,
        ComplaintEscalated,
        ComplaintWithdrawn,
        ComplaintClosed,
        ComplaintReopened,
        SatisfactionRecorded,
        WorkflowStepRecorded,
        PersonalDataErased,
        ComplaintImported,
        SlaClockStarted,
        SlaClockPaused,
        SlaClockResumed,
        SlaClockRetargeted,
        SlaClockStopped,
        SlaWarningReached,
        SlaBreached,
    )
}
"""Every concrete event class by its type name (the serialised discriminator)."""

E = TypeVar("E", bound=Event)
_Applier = Callable[[Complaint, Any], Mapping[str, Any]]
_APPLIERS: dict[type[Event], _Applier] = {}


def _applies(cls: type[E]) -> Callable[[Callable[[Complaint, E], Mapping[str, Any]]], None]:
    def register(fn: Callable[[Complaint, E], Mapping[str, Any]]) -> None:
        _APPLIERS[cls] = fn

    return register


_V = TypeVar("_V")
_NEW = object.__new__
_SET = object.__setattr__
_FIELD_PLANS: dict[type[Any], tuple[tuple[str, Any, Any], ...]] = {}


def _field_plan(cls: type[Any]) -> tuple[tuple[str, Any, Any], ...]:
    plan = _FIELD_PLANS.get(cls)
    if plan is None:
        plan = tuple(
            (f.name, attrs.NOTHING, f.default.factory)
            if isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
            else (f.name, f.default, None)
            for f in attrs.fields(cls)
        )
        _FIELD_PLANS[cls] = plan
    return plan


def _trusted(cls: type[_V], **values: Any) -> _V:
    """Build *cls* from values taken from a validated event, without validating them again.

    Only for values whose validators match the event's own (e.g. ``Decision`` from
    ``DecisionMade``); the fields left out take their defaults, as in ``cls(**values)``.
    """
    obj = _NEW(cls)
    for name, default, factory in _field_plan(cls):
        if name in values:
            _SET(obj, name, values[name])
        else:
            _SET(obj, name, default if factory is None else factory())
    return obj


def _trusted_evolve(obj: _V, **changes: Any) -> _V:
    """Copy *obj* with *changes* taken from a validated event (see :func:`_trusted`)."""
    new = _NEW(type(obj))
    for name, _, _ in _field_plan(type(obj)):
        _SET(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def _refuse(event: Event, message: str) -> ValidationError:
    return ValidationError(
        [(type(event).__name__, message)], what=f"event sequence {event.sequence}"
    )


def _clock_index(complaint: Complaint, event: Event, milestone: str) -> int:
    for i, clock in enumerate(complaint.clocks):
        if clock.milestone == milestone:
            return i
    raise _refuse(event, f"no SLA clock {milestone!r} has started")


def _with_clock(complaint: Complaint, index: int, clock: MilestoneClock) -> dict[str, Any]:
    clocks = list(complaint.clocks)
    clocks[index] = clock
    return {"clocks": tuple(clocks)}


@_applies(StateChanged)
def _state_changed(c: Complaint, e: StateChanged) -> Mapping[str, Any]:
    if e.from_state != c.state:
        raise _refuse(e, f"leaves state {e.from_state!r} but the complaint is in {c.state!r}")
    return {"state": e.to_state}


@_applies(ComplaintAcknowledged)
def _acknowledged(c: Complaint, e: ComplaintAcknowledged) -> Mapping[str, Any]:
    return {"acknowledged_at": e.occurred_at}


@_applies(ComplaintClassified)
def _classified(c: Complaint, e: ComplaintClassified) -> Mapping[str, Any]:
    return {"classification": e.classification}


@_applies(ComplaintAssessed)
def _assessed(c: Complaint, e: ComplaintAssessed) -> Mapping[str, Any]:
    return {"assessment": e.assessment}


@_applies(AssessmentRevised)
def _revised(c: Complaint, e: AssessmentRevised) -> Mapping[str, Any]:
    if c.assessment is None:
        raise _refuse(e, "revises an assessment that was never recorded")
    return {"assessment": e.assessment}


@_applies(ComplaintAssigned)
def _assigned(c: Complaint, e: ComplaintAssigned) -> Mapping[str, Any]:
    return {"assignee": e.assignee, "team": e.team}


@_applies(NoteAdded)
def _note(c: Complaint, e: NoteAdded) -> Mapping[str, Any]:
    note = _trusted(Note, text=e.text, author=e.actor, at=e.occurred_at, internal=e.internal)
    return {"notes": (*c.notes, note)}


@_applies(FindingsRecorded)
def _findings(c: Complaint, e: FindingsRecorded) -> Mapping[str, Any]:
    finding = _trusted(
        Finding,
        summary=e.summary,
        recorded_by=e.actor,
        recorded_at=e.occurred_at,
        root_causes=e.root_causes,
        corrective_actions=e.corrective_actions,
    )
    return {"findings": (*c.findings, finding)}


@_applies(DecisionMade)
def _decided(c: Complaint, e: DecisionMade) -> Mapping[str, Any]:
    decision = _trusted(
        Decision,
        outcome=e.outcome,
        reasons=e.reasons,
        decided_by=e.actor,
        decided_at=e.occurred_at,
        remedies=e.remedies,
    )
    return {"decisions": (*c.decisions, decision), "reply": None}


@_applies(DecisionCommunicated)
def _communicated(c: Complaint, e: DecisionCommunicated) -> Mapping[str, Any]:
    if not c.decisions:
        raise _refuse(e, "communicates a decision that was never made")
    last = _trusted_evolve(
        c.decisions[-1],
        communicated_at=e.occurred_at,
        communicated_by=e.actor,
        communication_method=e.method,
        external_options_given=e.external_options_given,
    )
    return {"decisions": (*c.decisions[:-1], last)}


@_applies(ComplainantReplied)
def _replied(c: Complaint, e: ComplainantReplied) -> Mapping[str, Any]:
    return {"reply": _trusted(Reply, accepted=e.accepted, at=e.occurred_at, comment=e.comment)}


@_applies(ComplaintEscalated)
def _escalated(c: Complaint, e: ComplaintEscalated) -> Mapping[str, Any]:
    escalation = _trusted(
        Escalation, kind=e.kind, at=e.occurred_at, by=e.actor, reason=e.reason, provider=e.provider
    )
    return {"escalations": (*c.escalations, escalation)}


@_applies(ComplaintWithdrawn)
def _withdrawn(c: Complaint, e: ComplaintWithdrawn) -> Mapping[str, Any]:
    closure = _trusted(Closure, at=e.occurred_at, by=e.actor, reason=e.reason, withdrawn=True)
    return {"closure": closure}


@_applies(ComplaintClosed)
def _closed(c: Complaint, e: ComplaintClosed) -> Mapping[str, Any]:
    return {"closure": _trusted(Closure, at=e.occurred_at, by=e.actor, reason=e.reason)}


@_applies(ComplaintReopened)
def _reopened(c: Complaint, e: ComplaintReopened) -> Mapping[str, Any]:
    return {"closure": None, "reopened": c.reopened + 1}


@_applies(SatisfactionRecorded)
def _satisfaction(c: Complaint, e: SatisfactionRecorded) -> Mapping[str, Any]:
    satisfaction = _trusted(Satisfaction, score=e.score, at=e.occurred_at, comment=e.comment)
    return {"satisfaction": satisfaction}


@_applies(WorkflowStepRecorded)
def _step(c: Complaint, e: WorkflowStepRecorded) -> Mapping[str, Any]:
    return {}


_REDACTED_FIELDS = (
    "details",
    "assessment",
    "notes",
    "findings",
    "decisions",
    "reply",
    "escalations",
    "satisfaction",
    "closure",
)


@_applies(PersonalDataErased)
def _personal_data_erased(c: Complaint, e: PersonalDataErased) -> Mapping[str, Any]:
    erased = redacted(c)
    changes = {name: getattr(erased, name) for name in _REDACTED_FIELDS}
    changes["personal_data_erased"] = True
    return changes


# The free-text fields of each event type, erased by `redacted_event`.
_TEXT_FIELDS: dict[type[Event], tuple[str, ...]] = {
    AssessmentRevised: ("reason",),
    NoteAdded: ("text",),
    FindingsRecorded: ("summary",),
    DecisionMade: ("reasons",),
    ComplainantReplied: ("comment",),
    ComplaintEscalated: ("reason",),
    ComplaintWithdrawn: ("reason",),
    ComplaintClosed: ("reason",),
    ComplaintReopened: ("reason",),
    SatisfactionRecorded: ("comment",),
}


def redacted_event(event: Event) -> Event:
    """*event* with its free text replaced by :data:`~iso10002.model.ERASED`; *event* itself
    when it holds none.

    The fact stays: type, complaint, sequence, instant, actor, codes, outcome, scores, clock
    instants; a workflow step keeps its names, numbers and flags, its strings are erased.
    Folding redacted events gives the redacted complaint (:func:`~iso10002.model.redacted`),
    apart from ``personal_data_erased``.
    """
    changes: dict[str, Any] = {}
    if isinstance(event, ComplaintReceived):
        changes["details"] = event.details.redacted()
    elif isinstance(event, (ComplaintAssessed, AssessmentRevised)):
        changes["assessment"] = event.assessment.redacted()
    elif isinstance(event, WorkflowStepRecorded):
        changes["data"] = {k: ERASED if isinstance(x, str) else x for k, x in event.data.items()}
    for name in _TEXT_FIELDS.get(type(event), ()):
        text = getattr(event, name)
        changes[name] = None if text is None else ERASED
    if all(getattr(event, name) == value for name, value in changes.items()):
        return event
    return attrs.evolve(event, **changes)


@_applies(ComplaintImported)
def _imported(c: Complaint, e: ComplaintImported) -> Mapping[str, Any]:
    if e.first_sequence >= e.sequence:
        raise _refuse(e, "covers no event: first_sequence must be below its own sequence")
    return {}


@_applies(SlaClockStarted)
def _clock_started(c: Complaint, e: SlaClockStarted) -> Mapping[str, Any]:
    clock = _trusted(
        MilestoneClock,
        milestone=e.milestone,
        started_at=e.occurred_at,
        due_at=e.due_at,
        warnings=e.warnings,
    )
    others = tuple(k for k in c.clocks if k.milestone != e.milestone)
    return {"clocks": (*others, clock)}


@_applies(SlaClockPaused)
def _clock_paused(c: Complaint, e: SlaClockPaused) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if not clock.running:
        raise _refuse(e, f"pauses SLA clock {e.milestone!r}, which is not running")
    return _with_clock(c, i, _trusted_evolve(clock, paused_since=e.occurred_at))


@_applies(SlaClockResumed)
def _clock_resumed(c: Complaint, e: SlaClockResumed) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if clock.paused_since is None or clock.stopped_at is not None:
        raise _refuse(e, f"resumes SLA clock {e.milestone!r}, which is not paused")
    resumed = attrs.evolve(
        clock,
        pauses=(*clock.pauses, (clock.paused_since, e.occurred_at)),
        paused_since=None,
        due_at=e.due_at,
        warnings=e.warnings,
    )
    return _with_clock(c, i, resumed)


@_applies(SlaClockRetargeted)
def _clock_retargeted(c: Complaint, e: SlaClockRetargeted) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if clock.stopped_at is not None:
        raise _refuse(e, f"retargets SLA clock {e.milestone!r}, which already stopped")
    return _with_clock(c, i, _trusted_evolve(clock, due_at=e.due_at, warnings=e.warnings))


@_applies(SlaClockStopped)
def _clock_stopped(c: Complaint, e: SlaClockStopped) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if clock.stopped_at is not None:
        raise _refuse(e, f"stops SLA clock {e.milestone!r}, which already stopped")
    if clock.paused_since is None:
        stopped = _trusted_evolve(clock, stopped_at=e.occurred_at, cancelled=e.cancelled)
        return _with_clock(c, i, stopped)
    # The pause span is checked: the stop may not precede the pause.
    stopped = attrs.evolve(
        clock,
        stopped_at=e.occurred_at,
        pauses=(*clock.pauses, (clock.paused_since, e.occurred_at)),
        paused_since=None,
        cancelled=e.cancelled,
    )
    return _with_clock(c, i, stopped)


@_applies(SlaWarningReached)
def _warning(c: Complaint, e: SlaWarningReached) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if e.threshold in clock.warnings_reached:
        raise _refuse(e, f"warning {e.threshold} of {e.milestone!r} was already reached")
    reached = (*clock.warnings_reached, float(e.threshold))
    return _with_clock(c, i, attrs.evolve(clock, warnings_reached=reached))


@_applies(SlaBreached)
def _breached(c: Complaint, e: SlaBreached) -> Mapping[str, Any]:
    i = _clock_index(c, e, e.milestone)
    clock = c.clocks[i]
    if clock.breached_at is not None:
        raise _refuse(e, f"SLA clock {e.milestone!r} was already breached")
    if e.due_at is None:  # stored before the breach instant was recorded apart
        return _with_clock(c, i, _trusted_evolve(clock, breached_at=e.occurred_at))
    if e.due_at != clock.due_at:
        raise _refuse(e, f"breaches SLA clock {e.milestone!r} at an instant other than its due_at")
    if not e.due_at < e.occurred_at:
        raise _refuse(e, "notices a breach no later than its due instant")
    breached = _trusted_evolve(clock, breached_at=e.due_at, breach_noticed_at=e.occurred_at)
    return _with_clock(c, i, breached)


def apply(complaint: Complaint | None, event: Event) -> Complaint:
    """Return the complaint after *event*; *complaint* is ``None`` only for the receipt.

    Raises :class:`ValidationError` when the event does not follow the complaint: wrong id,
    a sequence number that is not ``version + 1``, or a fact that contradicts the state.
    """
    if isinstance(event, ComplaintReceived):
        if complaint is not None:
            raise _refuse(event, "a complaint can be received only once")
        if event.sequence != 1:
            raise _refuse(event, "the receipt must be event 1")
        return _trusted(
            Complaint,
            id=event.complaint_id,
            reference=event.reference,
            state=event.state,
            version=1,
            details=event.details,
            classification=event.classification,
        )
    if complaint is None:
        raise _refuse(event, "the first event of a complaint must be ComplaintReceived")
    if event.complaint_id != complaint.id:
        raise _refuse(event, f"belongs to complaint {event.complaint_id!r}, not {complaint.id!r}")
    if event.sequence != complaint.version + 1:
        raise _refuse(
            event, f"has sequence {event.sequence}, expected {complaint.version + 1} (no gaps)"
        )
    applier = _APPLIERS.get(type(event))
    if applier is None:
        raise _refuse(event, "is not a known event type")
    changes = dict(applier(complaint, event))
    changes["version"] = event.sequence
    return unchecked_replace(complaint, changes)


def replay(events: Iterable[Event], complaint: Complaint | None = None) -> Complaint:
    """Fold *events* into a complaint (starting from *complaint*, or from nothing)."""
    current = complaint
    for event in events:
        current = apply(current, event)
    if current is None:
        raise ValidationError([("events", "no events to replay")], what="event history")
    return current


class Recorder:
    """Records the next events of one complaint, each applied as it is recorded.

    Every event gets the next sequence number, *actor* and, unless told otherwise, the instant
    *at*; :attr:`complaint` is the complaint after the events recorded so far.
    """

    __slots__ = ("actor", "at", "complaint", "events")

    def __init__(self, complaint: Complaint, *, actor: str, at: datetime) -> None:
        self.complaint = complaint
        self.actor = actor
        self.at = at
        self.events: list[Event] = []

    def record(self, event_type: type[Event], *, at: datetime | None = None, **fields: Any) -> None:
        """Record an *event_type* event with *fields* (at *at*, default the recorder's)."""
        event = event_type(
            complaint_id=self.complaint.id,
            sequence=self.complaint.version + 1,
            occurred_at=self.at if at is None else at,
            actor=self.actor,
            **fields,
        )
        self.complaint = apply(self.complaint, event)
        self.events.append(event)
