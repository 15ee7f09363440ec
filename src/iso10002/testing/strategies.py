"""Hypothesis strategies for complainants, complaints and their event histories.

Every value drawn is valid by construction: histories start with ``ComplaintReceived``, number
their events 1, 2, 3, … without gaps, move forward in time and fold with
:func:`iso10002.events.replay`. A history is made by firing a workflow's transitions with the
engine (:func:`iso10002.workflow.fire`): the default ISO 10002 workflow, or the ``workflow=``
given. The SLA clock events are the service's (:func:`iso10002.sla.clock_events`, with drawn
targets), with SLA warnings, breaches and erasures now and then, as the sweeper records them.
Each history heads for a state drawn from the workflow's states (or from ``states=``), so every
state is reached, closed and reopened complaints included.

The strategies are registered for :func:`hypothesis.strategies.from_type` through the
``hypothesis`` entry point, so ``st.from_type(Complaint)`` works once the package is installed.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import attrs
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.errors import Iso10002Error
from iso10002.model import (
    Assessment,
    Attachment,
    Breadth,
    Channel,
    Classification,
    Complainant,
    Complaint,
    ComplaintDetails,
    Complexity,
    ContactMethod,
    EscalationKind,
    MilestoneClock,
    MilestoneStatus,
    Outcome,
    Overlay,
    Priority,
    Safety,
)
from iso10002.sla import SlaPlan, clock_events
from iso10002.workflow import (
    Actor,
    Transition,
    WorkflowDefinition,
    available_transitions,
    fire,
    iso10002_workflow,
)

__all__ = ["complainants", "complaints", "event_histories"]

_ID = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,23}", fullmatch=True)
_ACTOR = st.sampled_from(["alice", "bob", "carol", "dan", "erin", "system"])
_CODE = st.sampled_from(
    ["billing", "billing.overcharge", "delivery.late", "staff.conduct", "product.quality", "x"]
)
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LAST = datetime(2090, 1, 1, tzinfo=timezone.utc)


def _text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=max_size).filter(lambda s: bool(s.strip()))


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _check_size(name: str, value: object, *, low: int) -> int:
    if not v.is_int(value):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if value < low:
        raise InvalidArgument(f"{name}={value!r} must be at least {low}")
    return value


_NAMES = st.from_regex(r"[A-Z][a-z]{3,11} [A-Z][a-zà-ÿ]{3,11}", fullmatch=True)


def complainants(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Complainant]:
    """Complainants with a name and at least one contact route; *ids* draws their ids."""
    if ids is not None and not isinstance(ids, st.SearchStrategy):
        raise InvalidArgument(f"ids={ids!r} must be a strategy")
    return st.builds(
        Complainant,
        id=ids if ids is not None else _ID,
        name=_NAMES,
        email=st.from_regex(r"[a-z]{3,10}\.[a-z]{3,10}@example\.(org|com)", fullmatch=True),
        phone=_optional(st.from_regex(r"\+44 7[0-9]{3} [0-9]{6}", fullmatch=True)),
        postal_address=_optional(st.just("10 High Street, Exampletown")),
        organization=_optional(_text(40)),
        preferred_contact=_optional(st.sampled_from(ContactMethod)),
        language=_optional(st.sampled_from(["en", "en-GB", "fr", "de", "ar"])),
        accessibility_needs=_optional(_text()),
        representative=_optional(_NAMES),
        vulnerable=st.booleans(),
        consent_to_contact=st.booleans(),
    )


def _assessments() -> st.SearchStrategy[Assessment]:
    return st.builds(
        Assessment,
        impact=st.integers(1, 4),
        breadth=st.sampled_from(Breadth),
        safety=st.sampled_from(Safety),
        complexity=st.sampled_from(Complexity),
        priority=st.sampled_from(Priority),
        immediate_action_needed=st.booleans(),
        immediate_action_possible=st.booleans(),
        overlays=st.frozensets(st.sampled_from(Overlay), max_size=3),
        sla_policy_key=_optional(_CODE),
        rationale=_optional(_text()),
    )


def _details(received_at: datetime, complainant_id: str) -> st.SearchStrategy[ComplaintDetails]:
    return st.builds(
        ComplaintDetails,
        received_at=st.just(received_at),
        channel=st.sampled_from(Channel),
        complainant_id=st.just(complainant_id),
        subject=_text(80),
        description=_text(400),
        desired_remedy=_optional(_text()),
        product=_optional(_CODE),
        occurred_at=_optional(
            st.datetimes(
                min_value=datetime(1990, 1, 1),
                max_value=datetime(2000, 1, 1),
                timezones=st.just(timezone.utc),
            )
        ),
        received_by=_optional(_ACTOR),
        segment=_optional(st.sampled_from(["retail", "business", "vip"])),
        complained_about=st.frozensets(_ACTOR, max_size=2),
        attachments=st.lists(
            st.builds(
                Attachment,
                uri=st.from_regex(r"s3://bucket/[a-z0-9]{4,12}\.pdf", fullmatch=True),
                media_type=_optional(st.just("application/pdf")),
                sha256=_optional(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
            ),
            max_size=2,
        ).map(tuple),
    )


def _classifications() -> st.SearchStrategy[Classification]:
    return st.builds(
        Classification,
        category=_optional(_CODE),
        tags=st.frozensets(_CODE, max_size=3),
    )


_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(-1e6, 1e6, allow_nan=False)
    | _text(40)
)


def _event_fields() -> Mapping[str, Mapping[str, st.SearchStrategy[Any]]]:
    """Values for the fields a caller gives each event a transition may record."""
    return {
        "ComplaintAcknowledged": {"method": st.sampled_from(ContactMethod)},
        "ComplaintClassified": {"classification": _classifications()},
        "ComplaintAssessed": {"assessment": _assessments()},
        "AssessmentRevised": {"assessment": _assessments(), "reason": _text(40)},
        "ComplaintAssigned": {"assignee": _ACTOR, "team": _CODE},
        "NoteAdded": {"text": _text(), "internal": st.booleans()},
        "FindingsRecorded": {
            "summary": _text(),
            "root_causes": st.frozensets(_CODE, max_size=2),
            "corrective_actions": st.lists(_text(30), max_size=2).map(tuple),
        },
        "DecisionMade": {
            "outcome": st.sampled_from(Outcome),
            "reasons": _text(),
            "remedies": st.lists(_CODE, max_size=2).map(tuple),
        },
        "DecisionCommunicated": {
            "method": st.sampled_from(ContactMethod),
            "external_options_given": st.booleans(),
        },
        # Accepted first: the simplest reply lets the complaint close.
        "ComplainantReplied": {"accepted": st.booleans().map(operator.not_), "comment": _text()},
        "ComplaintEscalated": {
            "kind": st.sampled_from(EscalationKind),
            "reason": _text(),
            "provider": st.sampled_from(["Ombudsman", "ADR Ltd"]),
        },
        "ComplaintWithdrawn": {"reason": _text(40)},
        "ComplaintClosed": {"reason": _CODE},
        "ComplaintReopened": {"reason": _text(40)},
        "SatisfactionRecorded": {"score": st.integers(1, 5), "comment": _text()},
        "WorkflowStepRecorded": {"data": st.dictionaries(_KEYS, _SCALARS, min_size=1, max_size=4)},
    }


_FIELDS = _event_fields()
_COMMON = frozenset(f.name for f in attrs.fields(ev.Event))


@attrs.frozen
class _Move:
    """One transition of the workflow, its sources expanded."""

    transition: Transition
    sources: frozenset[str]


class _Plan:
    """What a walk needs to know about a workflow: moves, roles and distances to a state."""

    def __init__(self, workflow: WorkflowDefinition) -> None:
        self.workflow = workflow
        self.moves = tuple(
            _Move(t, frozenset(workflow.expand_sources(t.sources))) for t in workflow.transitions
        )
        roles = {role for t in workflow.transitions for role in t.roles}
        for t in workflow.transitions:
            for ref in t.guards:
                given = ref.params.get("roles")
                if isinstance(given, tuple):
                    roles.update(r for r in given if isinstance(r, str))
        self.roles = frozenset(roles)
        self.terminal = frozenset(workflow.terminal_states)
        self._distances: dict[str, Mapping[str, int]] = {}

    def distances(self, goal: str) -> Mapping[str, int]:
        """The fewest state changes from each state that can reach *goal* to *goal*."""
        found = self._distances.get(goal)
        if found is None:
            into: dict[str, set[str]] = {name: set() for name in self.workflow.state_names}
            for move in self.moves:
                target = move.transition.target
                if target is not None:
                    for source in move.sources:
                        into[target].add(source)
            found = {goal: 0}
            queue = deque([goal])
            while queue:
                state = queue.popleft()
                for source in sorted(into[state]):
                    if source not in found:
                        found[source] = found[state] + 1
                        queue.append(source)
            self._distances[goal] = found
        return found


class _DrawnTargets:
    """An SLA planner with drawn targets: each plan puts the due instant a drawn number of days
    after the clock's start, moved on by its pauses (so a re-assessment may retarget it)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan:
        """A target of 1 to 5 days for the acknowledgement, 5 to 60 for other milestones."""
        days = st.integers(1, 5) if milestone == "acknowledgement" else st.integers(5, 60)
        target = timedelta(days=self.draw(days))
        paused = sum((end - start for start, end in clock.pauses), timedelta())
        due = clock.started_at + target + paused
        return SlaPlan(due_at=due, warnings=((0.5, due - target / 2),))


class _History:
    """Builds one history event by event, applying each so the result is always consistent."""

    def __init__(self, draw: st.DrawFn, plan: _Plan, first: ev.ComplaintReceived) -> None:
        self.draw = draw
        self.plan = plan
        self.targets = _DrawnTargets(draw)
        self.complaint = ev.apply(None, first)
        self.now = first.occurred_at
        self.events: list[ev.Event] = [first]
        self.used: set[str] = set()  # internal actions taken in the current state
        self.follow_clocks(self.complaint, start_state=True)

    def emit(self, cls: type[ev.Event], **fields: Any) -> None:
        event = cls(
            complaint_id=self.complaint.id,
            sequence=self.complaint.version + 1,
            occurred_at=self.now,
            actor=fields.pop("actor", None) or self.draw(_ACTOR),
            **fields,
        )
        self.complaint = ev.apply(self.complaint, event)
        self.events.append(event)

    def advance(self) -> None:
        seconds = self.draw(st.integers(0, 10 * 86_400))
        self.now = min(self.now + timedelta(seconds=seconds), _LAST)

    def follow_clocks(self, before: Complaint, *, start_state: bool = False) -> None:
        """Record the SLA clock events the service records for a move from *before* to the
        current complaint."""
        self.complaint, events = clock_events(
            self.plan.workflow,
            self.targets,
            before,
            self.complaint,
            actor="system",
            at=self.now,
            start_state=start_state,
        )
        self.events.extend(events)

    def service_events(self) -> list[Callable[[], None]]:
        """What the service may record now without a transition: the SLA warnings and breaches
        the sweeper would record, and the erasure of the complainant's personal data."""
        c = self.complaint
        found: list[Callable[[], None]] = []
        for clock in c.clocks:
            if not clock.running:
                continue
            for threshold, at in clock.warnings:
                if threshold not in clock.warnings_reached and at <= self.now:
                    found.append(
                        partial(
                            self.emit,
                            ev.SlaWarningReached,
                            milestone=clock.milestone,
                            threshold=threshold,
                            actor="system",
                        )
                    )
            if clock.breached_at is None and clock.status(self.now) is MilestoneStatus.OVERDUE:
                found.append(
                    partial(
                        self.emit,
                        ev.SlaBreached,
                        milestone=clock.milestone,
                        due_at=clock.due_at,
                        actor="system",
                    )
                )
        if not c.personal_data_erased:
            found.append(partial(self.emit, ev.PersonalDataErased, actor="system"))
        return found

    def attempt(self, move: _Move, actor: Actor) -> tuple[Complaint, tuple[ev.Event, ...]] | None:
        """*move* fired with drawn data (nothing recorded yet); ``None`` if the engine refuses."""
        t = move.transition
        data: dict[str, Any] = {}
        if t.event is not None:
            values = _FIELDS.get(t.event, {})
            for field in attrs.fields(ev.EVENT_TYPES[t.event]):
                name = field.name
                if name in _COMMON or name in t.fixed or name in _SET_BY_ENGINE.get(t.event, ()):
                    continue
                needed = field.default is attrs.NOTHING or name in t.required
                if name not in values:
                    if needed:
                        return None  # no values known for this field
                    continue
                if needed or self.draw(st.booleans()):
                    data[name] = self.draw(values[name])
        try:
            return fire(
                self.plan.workflow, self.complaint, t.name, actor=actor, at=self.now, **data
            )
        except Iso10002Error:
            return None  # e.g. a host's guard that looks at the data

    def record(self, move: _Move, fired: tuple[Complaint, tuple[ev.Event, ...]]) -> None:
        """Record what :meth:`attempt` returned, with the SLA clock events it implies."""
        before = self.complaint
        self.complaint, events = fired
        self.events.extend(events)
        if self.complaint.state != before.state:
            self.used.clear()
        else:
            self.used.add(move.transition.name)
        self.follow_clocks(before)


_SET_BY_ENGINE = {"WorkflowStepRecorded": ("transition",)}


@attrs.frozen
class _Choice:
    """The moves a walk may take next; *closer* names the blocked moves towards the goal."""

    moves: tuple[_Move, ...]
    closer: frozenset[str] = frozenset()


def _choose(h: _History, goal: str, length: int, high: int, low: int) -> _Choice | None:
    """What the walk may do next, or ``None`` when the history is complete.

    It wanders until it has *length* events or must head for *goal* to get there by about
    *high* events; it never leaves the states from which *goal* can be reached, ends the
    complaint only on the way there, and stays in *goal* once there when it can. On the way, it
    takes a move towards *goal* when one can fire, and otherwise an internal action (which may
    clear a guard's way).
    """
    plan = h.plan
    state = h.complaint.state
    size = len(h.events)
    if state == goal and size >= length:
        return None
    distances = plan.distances(goal)
    onward = [
        m for m in plan.moves if state in m.sources and (m.transition.target or state) in distances
    ]
    if size < length and not (size >= low and size + _EVENTS_PER_MOVE * distances[state] >= high):
        staying = [m for m in onward if m.transition.target is None]
        if state == goal and staying:
            return _Choice(tuple(staying))
        return _Choice(
            tuple(
                m
                for m in onward
                if m.transition.target not in plan.terminal or m.transition.target == state
            )
        )
    if state == goal:
        return None
    closer = [
        m
        for m in onward
        if m.transition.target is not None and distances[m.transition.target] < distances[state]
    ]
    internal = [m for m in onward if m.transition.target is None]
    fresh = [m for m in internal if m.transition.name not in h.used]
    return _Choice(
        tuple(closer + (fresh or internal or onward)),
        frozenset(m.transition.name for m in closer),
    )


_EVENTS_PER_MOVE = 5
"""About how many events a walk records per state on its way to the goal."""


@st.composite
def _histories(
    draw: st.DrawFn,
    plan: _Plan,
    *,
    low: int,
    high: int,
    complainant_ids: st.SearchStrategy[str],
    goals: tuple[str, ...],
    strict: bool,
) -> list[ev.Event]:
    # Hypothesis draws some values far more often than others; a sum of three spreads the
    # goals evenly, and still shrinks to the first state.
    turn = st.integers(0, len(goals) - 1)
    goal = goals[sum(draw(turn) for _ in range(3)) % len(goals)]
    received_at = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2080, 1, 1),
            timezones=st.just(timezone.utc),
        )
    )
    complaint_id = draw(_ID)
    workflow = plan.workflow
    first = ev.ComplaintReceived(
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=received_at,
        actor=draw(_ACTOR),
        reference=f"CMP-{received_at.year}-{draw(st.integers(1, 999_999)):06d}",
        state=workflow.initial_state,
        details=draw(_details(received_at, draw(complainant_ids))),
        classification=draw(_classifications()),
    )
    h = _History(draw, plan, first)
    length = draw(st.integers(low, high))
    for _ in range(3 * high + 30):
        if len(h.events) >= high and not strict and h.complaint.state != goal:
            break
        choice = _choose(h, goal, length, high, low)
        if choice is None:
            break
        h.advance()
        extra = [] if choice.closer else h.service_events()
        if extra and draw(st.integers(0, 9)) == 9:
            draw(st.sampled_from(extra))()
            continue
        actor = Actor(draw(_ACTOR), roles=plan.roles)
        allowed = set(available_transitions(workflow, h.complaint, actor))
        ready = [m for m in choice.moves if m.transition.name in allowed]
        if not ready:
            continue
        if choice.closer & allowed:
            ready = [m for m in ready if m.transition.name in choice.closer]
        move = draw(st.sampled_from(ready))
        fired = h.attempt(move, actor)
        if fired is None:
            continue
        if choice.closer and move.transition.name not in choice.closer:
            # On the way but blocked: keep an internal action mostly when it clears the way.
            after = available_transitions(workflow, fired[0], actor)
            if choice.closer.isdisjoint(after) and draw(st.integers(0, 3)) < 3:
                continue
        h.record(move, fired)
    if len(h.events) < low or (strict and h.complaint.state not in goals):
        reject()  # pragma: no cover - rare: the walk ran out of steps on the way
    return h.events


def _workflow_argument(workflow: object) -> WorkflowDefinition:
    if workflow is None:
        return iso10002_workflow()
    if not isinstance(workflow, WorkflowDefinition):
        raise InvalidArgument(f"workflow={workflow!r} must be a WorkflowDefinition")
    return workflow


def _states_argument(states: object, workflow: WorkflowDefinition) -> tuple[str, ...] | None:
    if states is None:
        return None
    if (
        isinstance(states, (str, bytes))
        or not isinstance(states, Collection)
        or not all(isinstance(s, str) for s in states)
    ):
        raise InvalidArgument(f"states={states!r} must be a collection of state names")
    names = tuple(dict.fromkeys(states))
    if not names:
        raise InvalidArgument("states=() must name at least one state")
    unknown = [s for s in names if s not in workflow.state_names]
    if unknown:
        raise InvalidArgument(
            f"states={states!r}: the workflow {workflow.name!r} has no state "
            f"{', '.join(map(repr, unknown))}; its states: {', '.join(workflow.state_names)}"
        )
    return names


def event_histories(
    *,
    min_events: int = 3,
    max_events: int = 25,
    complainant_ids: st.SearchStrategy[str] | None = None,
    workflow: WorkflowDefinition | None = None,
    states: Collection[str] | None = None,
) -> st.SearchStrategy[list[ev.Event]]:
    """Lists of events that form one complaint's valid history under *workflow*.

    *workflow* defaults to :func:`~iso10002.workflow.iso10002_workflow`. Each history heads for a
    state drawn from *states* (default: every state of the workflow); with *states* given, the
    history always ends in one of them. *min_events* is at least 3. A step records several events
    (its domain event, a ``StateChanged`` and the SLA clock events), so a history can exceed
    *max_events* by one step's events (at most four with the bundled workflows); with *states*
    given it goes on past *max_events* until it gets there.
    """
    low = _check_size("min_events", min_events, low=3)
    high = _check_size("max_events", max_events, low=low)
    if complainant_ids is not None and not isinstance(complainant_ids, st.SearchStrategy):
        raise InvalidArgument(f"complainant_ids={complainant_ids!r} must be a strategy")
    chosen = _workflow_argument(workflow)
    goals = _states_argument(states, chosen)
    return _histories(
        _Plan(chosen),
        low=low,
        high=high,
        complainant_ids=complainant_ids if complainant_ids is not None else _ID,
        goals=goals if goals is not None else chosen.state_names,
        strict=goals is not None,
    )


def complaints(
    *,
    max_events: int = 25,
    complainant_ids: st.SearchStrategy[str] | None = None,
    workflow: WorkflowDefinition | None = None,
    states: Collection[str] | None = None,
) -> st.SearchStrategy[Complaint]:
    """Complaints in any state of *workflow*, or in one of *states*: the fold of a drawn
    :func:`event_histories`."""
    high = _check_size("max_events", max_events, low=3)
    return event_histories(
        min_events=3,
        max_events=high,
        complainant_ids=complainant_ids,
        workflow=workflow,
        states=states,
    ).map(ev.replay)
