"""The workflow engine: pure functions over a definition and a complaint.

:func:`fire` checks a transition (state, role, guards), builds its domain event from the given
data and, unless the transition is internal, a :class:`~iso10002.events.StateChanged`; it returns
the new complaint and the events, and the new complaint is exactly the fold of those events over
the old one. A refusal raises and changes nothing. One definition drives any number of complaints:
nothing is bound per complaint.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from iso10002.errors import (
    GuardRejected,
    Problem,
    TransitionNotAllowed,
    UnknownStateError,
    ValidationError,
    describe,
)
from iso10002.events import Event, StateChanged, apply
from iso10002.model import Complaint

from ._compiled import COMMON_FIELDS, Compiled, Step, event_fields
from .actor import Actor
from .definition import WorkflowDefinition

__all__ = [
    "SlaEffects",
    "available_transitions",
    "can_fire",
    "fire",
    "sla_effects",
    "transitions_for",
]

_UTC = timezone.utc
_new = object.__new__
_set = object.__setattr__


@attrs.frozen
class SlaEffects:
    """The SLA milestones a move between two states starts, stops, pauses and resumes."""

    start: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    pause: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.start or self.stop or self.pause or self.resume)


def _compiled(definition: WorkflowDefinition) -> Compiled:
    compiled: Compiled = definition._compiled
    return compiled


def _not_allowed(compiled: Compiled, state: str, transition: str) -> TransitionNotAllowed:
    sources = compiled.sources.get(transition)
    if sources is None:
        reason = f"the workflow {compiled.name!r} has no such transition"
    else:
        reason = f"it can fire only from: {', '.join(sources)}"
    return TransitionNotAllowed(transition, state, reason)


def _refusal(
    step: Step, complaint: Complaint, actor: Actor, data: Mapping[str, Any]
) -> TransitionNotAllowed | None:
    if step.roles and step.roles.isdisjoint(actor.roles):
        return TransitionNotAllowed(
            step.name, complaint.state, f"the actor needs one of the roles: {step.role_names}"
        )
    for name, check, params in step.guards:
        reason = check(complaint, actor, params, data)
        if reason is not None:
            return GuardRejected(name, reason, transition=step.name, state=complaint.state)
    return None


def _check_actor(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise ValidationError([("actor", f"expected an Actor, got {describe(actor)}")])
    return actor


def _check_at(at: object) -> datetime:
    if not isinstance(at, datetime):
        raise ValidationError([("at", f"expected an aware datetime, got {describe(at)}")])
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError([("at", "naive datetime refused: give a timezone-aware datetime")])
    return at.astimezone(_UTC)


def _data_problems(step: Step, data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for key in data:
        if key not in step.fields:
            if key in COMMON_FIELDS:
                message = "set by the engine, not given as data"
            elif step.event is None:
                message = "this transition records no event and takes no data"
            else:
                accepted = ", ".join(sorted(step.fields - step.fixed.keys()))
                message = f"unknown field; {step.event_name} accepts: {accepted}"
            problems.append(Problem(key, message))
        elif key in step.fixed:
            problems.append(Problem(key, "fixed by the workflow definition, not given as data"))
    for key in step.mandatory:
        if key not in data:
            problems.append(Problem(key, "missing required field"))
    for key in step.required:
        if data.get(key) is None:
            problems.append(Problem(key, f"required by transition {step.name!r}"))
    return problems


def _field_problems(cls: type[Event], values: Mapping[str, Any]) -> list[Problem]:
    """Check each field on its own, to report every bad one (attrs stops at the first)."""
    problems: list[Problem] = []
    for name, field in event_fields(cls).items():
        if name not in values:
            continue
        try:
            value = values[name]
            if field.converter is not None:
                value = field.converter(value)  # type: ignore[operator]
            if field.validator is not None:
                field.validator(None, field, value)
        except ValidationError as exc:
            problems.extend(Problem(name, p.message) for p in exc.problems)
        except Exception:  # noqa: BLE001 - e.g. instance_of raises TypeError
            problems.append(Problem(name, f"invalid value: {describe(values[name])}"))
    return problems


def _build_event(
    cls: type[Event],
    step: Step,
    complaint: Complaint,
    actor: Actor,
    *,
    at: datetime,
    data: Mapping[str, Any],
) -> Event:
    plan = step.plan
    try:
        if plan is None:  # pragma: no cover - every event class has a plan
            values = {**data, **step.fixed} if step.fixed else data
            return cls(
                complaint_id=complaint.id,
                sequence=complaint.version + 1,
                occurred_at=at,
                actor=actor.id,
                **values,
            )
        # What the attrs __init__ does, minus re-validating the common fields: the complaint id
        # and the actor id were validated when they were built, ``at`` by _check_at.
        event = _new(cls)
        _set(event, "complaint_id", complaint.id)
        _set(event, "sequence", complaint.version + 1)
        _set(event, "occurred_at", at)
        _set(event, "actor", actor.id)
        for name, field, convert, check, default, factory in plan:
            if name in data:
                value = data[name]
                if convert is not None:
                    value = convert(value)
                if check is not None:
                    check(event, field, value)
            else:
                value = default if factory is None else factory()
            _set(event, name, value)
    except Exception:  # noqa: BLE001 - re-checked field by field below
        values = {**data, **step.fixed} if step.fixed else data
        problems = _field_problems(cls, values) or [Problem("", "invalid event data")]
        raise ValidationError(problems, what=f"data for transition {step.name!r}") from None
    return event


def _state_changed(
    complaint: Complaint, sequence: int, at: datetime, actor: str, step: Step
) -> StateChanged:
    # Every field was validated already: ids by the complaint and actor, the instant by the
    # domain event or _check_at, the state names by the definition.
    event = _new(StateChanged)
    _set(event, "complaint_id", complaint.id)
    _set(event, "sequence", sequence)
    _set(event, "occurred_at", at)
    _set(event, "actor", actor)
    _set(event, "transition", step.name)
    _set(event, "from_state", complaint.state)
    _set(event, "to_state", step.target)
    return event


def fire(
    definition: WorkflowDefinition,
    complaint: Complaint,
    transition: str,
    *,
    actor: Actor,
    at: datetime,
    **data: Any,
) -> tuple[Complaint, tuple[Event, ...]]:
    """Fire *transition* on *complaint*; return the new complaint and the events recorded.

    Raises :class:`~iso10002.errors.TransitionNotAllowed` (not from this state, or the actor
    lacks the role), :class:`~iso10002.errors.GuardRejected` (a guard said no) or
    :class:`~iso10002.errors.ValidationError` (bad or missing *data*, listing every problem).
    """
    compiled: Compiled = definition._compiled
    state = complaint.state
    step = compiled.table.get((state, transition))
    if step is None:
        raise _not_allowed(compiled, state, transition)
    if type(actor) is not Actor:
        actor = _check_actor(actor)
    if step.roles or step.guards:
        refusal = _refusal(step, complaint, actor, data)
        if refusal is not None:
            raise refusal
    if type(at) is not datetime or at.tzinfo is not _UTC:
        at = _check_at(at)
    if data:
        keys = data.keys()
        problems = (
            None
            if keys <= step.accepted
            and keys >= step.mandatory_set
            and not (step.required and any(data.get(k) is None for k in step.required))
            else _data_problems(step, data)
        )
    else:
        problems = _data_problems(step, data) if step.mandatory or step.required else None
    if problems:
        if step.event is not None:
            known = {k: x for k, x in data.items() if k in step.fields and k not in step.fixed}
            problems.extend(_field_problems(step.event, known))
        raise ValidationError(problems, what=f"data for transition {transition!r}")
    cls = step.event
    if cls is not None:
        event = _build_event(cls, step, complaint, actor, at=at, data=data)
        after = apply(complaint, event)
        if step.target is None:
            return after, (event,)
        changed = _state_changed(after, after.version + 1, at, actor.id, step)
        # ``after`` is a fresh copy nobody else holds: fold the StateChanged into it in place
        # instead of copying it again. This is exactly ``apply(after, changed)``: the event
        # leaves ``after.state`` and follows ``after.version`` by construction.
        _set(after, "state", step.target)
        _set(after, "version", changed.sequence)
        return after, (event, changed)
    changed = _state_changed(complaint, complaint.version + 1, at, actor.id, step)
    return apply(complaint, changed), (changed,)


def can_fire(
    definition: WorkflowDefinition,
    complaint: Complaint,
    transition: str,
    *,
    actor: Actor,
    **data: Any,
) -> bool:
    """True if *transition* passes the state, role and guard checks (*data* is not validated)."""
    step = _compiled(definition).table.get((complaint.state, transition))
    return step is not None and _refusal(step, complaint, _check_actor(actor), data) is None


def available_transitions(
    definition: WorkflowDefinition, complaint: Complaint, actor: Actor
) -> tuple[str, ...]:
    """The transitions *actor* may fire on *complaint* now, in declaration order."""
    actor = _check_actor(actor)
    steps = _compiled(definition).by_state.get(complaint.state, ())
    return tuple(s.name for s in steps if _refusal(s, complaint, actor, {}) is None)


def transitions_for(
    definition: WorkflowDefinition,
    state: str,
    event: str | None,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[str, ...]:
    """The transitions that can leave *state* recording an *event* (an event class name; with
    ``None``, those that only change the state), whose fixed fields include *fixed*, in
    declaration order. Roles, guards and data are not checked."""
    steps = _compiled(definition).by_state.get(state, ())
    wanted = dict(fixed or {})
    return tuple(
        s.name
        for s in steps
        if (s.event_name or None) == event
        and all(s.fixed.get(k) == value for k, value in wanted.items())
    )


def sla_effects(definition: WorkflowDefinition, from_state: str, to_state: str) -> SlaEffects:
    """What moving from *from_state* to *to_state* does to the SLA milestones.

    ``start`` and ``stop`` are the target state's; ``pause`` lists milestones paused in the target
    but not in the source, ``resume`` those paused in the source but not in the target. Staying in
    one state has no effect. The service turns these into ``SlaClock*`` events with a calendar.
    """
    compiled = _compiled(definition)
    key = (from_state, to_state)
    cached: SlaEffects | None = compiled.effects.get(key)
    if cached is not None:
        return cached
    problems = [
        (arg, f"unknown state {name!r}")
        for arg, name in (("from_state", from_state), ("to_state", to_state))
        if name not in compiled.states
    ]
    if problems:
        raise UnknownStateError(problems, what=f"workflow {compiled.name!r}")
    if from_state == to_state:
        effects = SlaEffects()
    else:
        source = compiled.states[from_state]
        target = compiled.states[to_state]
        effects = SlaEffects(
            start=target.start,
            stop=target.stop,
            pause=tuple(m for m in target.pause if m not in source.pause),
            resume=tuple(m for m in source.pause if m not in target.pause),
        )
    compiled.effects[key] = effects
    return effects
