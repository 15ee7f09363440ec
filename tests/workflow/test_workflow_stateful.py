"""Stateful property tests: random attempts against the default and random definitions.

After any sequence of attempts the complaint is in a declared state; every accepted transition
is one the definition allows from that state with its role and guards passing; every refusal
raises the documented error and leaves the complaint unchanged; folding the emitted events
reproduces the engine's result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
from _workflow_support import (  # type: ignore[import-not-found, unused-ignore]
    ACTORS,
    EVENT_DATA,
    T0,
    definition_dicts,
    expected_refusal,
    leaves_from,
    new_complaint,
    received,
)
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from iso10002 import events as ev
from iso10002.errors import GuardRejected, TransitionNotAllowed, ValidationError
from iso10002.workflow import (
    WorkflowDefinition,
    available_transitions,
    can_fire,
    fire,
    iso10002_workflow,
    small_business_workflow,
)


class WorkflowMachine(RuleBasedStateMachine):
    """Fires random transitions with random actors and (sometimes bad) data."""

    definition: WorkflowDefinition

    def start(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.complaint = new_complaint(definition)
        self.history: list[ev.Event] = [received(definition.initial_state)]
        self.minutes = 0
        self.names = sorted({t.name for t in definition.transitions} | {"no_such_transition"})

    @rule(data=st.data(), actor=st.sampled_from(ACTORS), corrupt=st.integers(0, 9))
    def attempt(self, data: st.DataObject, actor: Any, corrupt: int) -> None:
        here = [
            t
            for t in self.definition.transitions
            if self.complaint.state in leaves_from(self.definition, t)
        ]
        ending = set(self.definition.terminal_states)
        onwards = sorted({t.name for t in here if t.target not in ending})
        # Mostly a transition from here that does not end the complaint, so runs get deep.
        bias = data.draw(st.integers(0, 9), label="bias")
        choices = (
            onwards
            if onwards and bias > 1
            else sorted({t.name for t in here})
            if here and bias == 1
            else self.names
        )
        name = data.draw(st.sampled_from(choices), label="transition")
        transition = next(
            (
                t
                for t in self.definition.transitions
                if t.name == name and self.complaint.state in leaves_from(self.definition, t)
            ),
            None,
        )
        payload: dict[str, Any] = {}
        if transition is not None and transition.event is not None:
            payload = dict(data.draw(EVENT_DATA[transition.event], label="data"))
            for key in transition.fixed:
                payload.pop(key, None)
        bad_data = False
        if corrupt == 0:
            payload["bogus_field"] = 1
            bad_data = True
        elif transition is not None and any(payload.get(k) is None for k in transition.required):
            bad_data = True
        self.minutes += data.draw(st.integers(0, 90), label="minutes later")
        at = T0 + timedelta(minutes=self.minutes)
        before = self.complaint
        snapshot = attrs.astuple(before, recurse=False)
        expected = expected_refusal(self.definition, before, name, actor, payload)
        assert can_fire(self.definition, before, name, actor=actor, **payload) == (expected is None)
        refusal: Exception | None = None
        try:
            after, events = fire(self.definition, before, name, actor=actor, at=at, **payload)
        except (TransitionNotAllowed, ValidationError) as exc:
            refusal = exc
        if refusal is None:
            assert expected is None
            assert not bad_data
            assert transition is not None
            self._check_accepted(before, after, events, transition, actor, at)
            self.complaint = after
            self.history.extend(events)
            return
        if isinstance(refusal, GuardRejected):
            assert expected == f"guard:{refusal.guard}", (expected, refusal)
        elif isinstance(refusal, TransitionNotAllowed):
            assert expected in ("not_allowed", "role"), (expected, refusal)
        else:
            assert expected is None
            event_name = transition.event if transition is not None else None
            precondition_fails = (
                event_name == "DecisionCommunicated" and not before.decisions
            ) or (event_name == "AssessmentRevised" and before.assessment is None)
            assert bad_data or precondition_fails
        if isinstance(refusal, TransitionNotAllowed):
            assert refusal.transition == name
            assert refusal.state == before.state
        assert self.complaint is before
        assert attrs.astuple(before, recurse=False) == snapshot

    def _check_accepted(
        self,
        before: Any,
        after: Any,
        events: tuple[ev.Event, ...],
        transition: Any,
        actor: Any,
        at: Any,
    ) -> None:
        assert ev.replay(events, before) == after
        assert [e.sequence for e in events] == list(
            range(before.version + 1, before.version + 1 + len(events))
        )
        assert all(e.actor == actor.id and e.occurred_at == at for e in events)
        if transition.event is not None:
            assert type(events[0]).__name__ == transition.event
        changes = [e for e in events if isinstance(e, ev.StateChanged)]
        if transition.target is None:
            assert not changes
            assert after.state == before.state
        else:
            assert [c.transition for c in changes] == [transition.name]
            assert (changes[0].from_state, changes[0].to_state) == (before.state, transition.target)
            assert after.state == transition.target

    @invariant()
    def in_a_declared_state(self) -> None:
        if hasattr(self, "definition"):
            assert self.complaint.state in self.definition.state_names

    @invariant()
    def the_version_counts_the_events(self) -> None:
        if hasattr(self, "definition"):
            assert self.complaint.version == len(self.history)

    def teardown(self) -> None:
        if hasattr(self, "definition"):
            assert ev.replay(self.history) == self.complaint

    @invariant()
    def available_transitions_agree_with_can_fire(self) -> None:
        if hasattr(self, "definition"):
            for actor in ACTORS[:2]:
                names = available_transitions(self.definition, self.complaint, actor)
                assert all(can_fire(self.definition, self.complaint, n, actor=actor) for n in names)


class IsoWorkflowMachine(WorkflowMachine):
    @initialize()
    def setup(self) -> None:
        self.start(iso10002_workflow())


class SmallBusinessWorkflowMachine(WorkflowMachine):
    @initialize()
    def setup(self) -> None:
        self.start(small_business_workflow())


class RandomWorkflowMachine(WorkflowMachine):
    @initialize(data=definition_dicts())
    def setup(self, data: dict[str, Any]) -> None:
        self.start(WorkflowDefinition.from_dict(data))


TestIsoWorkflow = IsoWorkflowMachine.TestCase
TestSmallBusinessWorkflow = SmallBusinessWorkflowMachine.TestCase
TestRandomWorkflows = RandomWorkflowMachine.TestCase
