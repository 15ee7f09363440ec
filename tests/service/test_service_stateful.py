"""A stateful property test of the service: random commands, actors and clock advances.

Invariants after every step: each complaint is in a declared state and equals the fold of its
stored events; none was assessed before it was acknowledged; none was closed before its decision
was communicated; running clocks carry the deadlines the calendar gives for their current target
and none is overdue after a sweep without a breach recorded, which is at its due instant; each
notification key was delivered at most once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from iso10002 import events as ev
from iso10002.backends import MemoryRepository
from iso10002.errors import TransitionNotAllowed, ValidationError
from iso10002.model import (
    Assessment,
    Breadth,
    Classification,
    Complexity,
    EscalationKind,
    MilestoneStatus,
    Outcome,
    Priority,
    Safety,
)
from iso10002.notify import RecordingNotifier
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor, available_transitions

CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {
            d: [["09:00", "12:30"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")
        },
        "holidays": ["2026-04-03", "2026-04-06", "2026-05-04"],
    }
)
POLICY = SlaPolicy.from_dict(
    {
        "default": {
            "acknowledgement": {"business_time": "PT4H"},
            "final_response": {"business_days": 10},
        },
        "rules": [
            {
                "name": "urgent",
                "when": {"priority": ["P1", "P2"]},
                "targets": {"final_response": {"business_days": 3}},
            },
        ],
    }
)
ACTORS = st.sampled_from(
    [
        Actor("bob", roles=frozenset({"handler"})),
        Actor("carol", roles=frozenset({"reviewer"})),
        Actor("dan", roles=frozenset({"manager", "reviewer"})),
        Actor("eve"),  # the person complained about in some complaints
    ]
)
REFUSED = (TransitionNotAllowed, ValidationError)
ASSESSMENTS = st.builds(
    Assessment,
    impact=st.integers(1, 4),
    breadth=st.sampled_from(Breadth),
    safety=st.just(Safety.NONE),
    complexity=st.sampled_from(Complexity),
    priority=st.sampled_from(Priority),
)


ENDINGS = {"withdraw", "reject_out_of_scope"}


def fields(transition: str, data: st.DataObject) -> dict[str, Any]:
    """Plausible data for each transition of the default workflow."""
    if transition in {"assess", "revise_assessment"}:
        extra = {"reason": "new facts"} if transition == "revise_assessment" else {}
        return {"assessment": data.draw(ASSESSMENTS), **extra}
    if transition in {"decide", "review_decide"}:
        return {"outcome": data.draw(st.sampled_from(Outcome)), "reasons": "r"}
    simple: dict[str, dict[str, Any]] = {
        "communicate_decision": {"external_options_given": data.draw(st.booleans())},
        "record_reply": {"accepted": data.draw(st.booleans())},
        "assign": {"assignee": "bob"},
        "add_note": {"text": "called the complainant"},
        "classify": {"classification": Classification(category="billing")},
        "record_findings": {"summary": "found it"},
        "record_satisfaction": {"score": data.draw(st.integers(1, 5))},
    }
    return simple.get(transition, {})


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc))
        self.storage = MemoryRepository()
        self.sent = RecordingNotifier()
        self.svc = ComplaintsHandling(
            self.storage,
            sla=PolicyPlanner(CALENDAR, POLICY),
            notifier=self.sent,
            clock=self.clock,
            dispatcher_options={
                "addresses": {"handler": "h@example.com", "manager": "m@example.com"}
            },
        )
        self.ids: list[str] = []
        self.internal = {t.name for t in self.svc.workflow.transitions if t.target is None}
        self.swept_at: datetime | None = None

    def teardown(self) -> None:
        self.storage.close()

    def attempt(self, complaint_id: str, command: Any, **kwargs: Any) -> None:
        before = self.storage.get(complaint_id)
        try:
            command(complaint_id, **kwargs)
        except REFUSED:
            assert self.storage.get(complaint_id) == before  # a refusal changes nothing
        self.swept_at = None

    @precondition(lambda self: len(self.ids) < 4)
    @rule(about_eve=st.booleans(), hours=st.integers(0, 30))
    def receive(self, about_eve: bool, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        c = self.svc.receive(
            {
                "channel": "web",
                "subject": "s",
                "description": "d",
                "name": "Ann Lee",
                "email": "ann@example.org",
                "complained_about": ["eve"] if about_eve else [],
            },
            actor="web",
        )
        self.ids.append(c.id)
        self.swept_at = None

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=ACTORS)
    def simple_step(self, data: st.DataObject, actor: Actor) -> None:
        cid = data.draw(st.sampled_from(self.ids))
        name = data.draw(
            st.sampled_from(
                [
                    "acknowledge",
                    "start_investigation",
                    "request_information",
                    "information_received",
                    "close",
                    "reopen",
                    "withdraw",
                ]
            )
        )
        self.attempt(cid, getattr(self.svc, name), actor=actor)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=ACTORS, priority=st.sampled_from(Priority), revise=st.booleans())
    def assess(self, data: st.DataObject, actor: Actor, priority: Priority, revise: bool) -> None:
        cid = data.draw(st.sampled_from(self.ids))
        assessment = Assessment(
            impact=2,
            breadth=Breadth.SINGLE,
            safety=Safety.NONE,
            complexity=Complexity.SIMPLE,
            priority=priority,
        )
        if revise:
            self.attempt(
                cid,
                self.svc.revise_assessment,
                actor=actor,
                assessment=assessment,
                reason="new information",
            )
        else:
            self.attempt(cid, self.svc.assess, actor=actor, assessment=assessment)

    @precondition(lambda self: self.ids)
    @rule(
        data=st.data(),
        actor=ACTORS,
        outcome=st.sampled_from(Outcome),
        external=st.booleans(),
        accepted=st.booleans(),
    )
    def respond(
        self, data: st.DataObject, actor: Actor, outcome: Outcome, external: bool, accepted: bool
    ) -> None:
        cid = data.draw(st.sampled_from(self.ids))
        step = data.draw(
            st.sampled_from(["decide", "communicate", "reply", "internal", "external"])
        )
        if step == "decide":
            self.attempt(cid, self.svc.decide, actor=actor, outcome=outcome, reasons="r")
        elif step == "communicate":
            self.attempt(
                cid, self.svc.communicate_decision, actor=actor, external_options_given=external
            )
        elif step == "reply":
            self.attempt(cid, self.svc.record_reply, actor=actor, accepted=accepted)
        else:
            kind = (
                EscalationKind.INTERNAL_REVIEW
                if step == "internal"
                else EscalationKind.EXTERNAL_DISPUTE
            )
            self.attempt(cid, self.svc.escalate, actor=actor, kind=kind)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=ACTORS)
    def progress(self, data: st.DataObject, actor: Actor) -> None:
        """Fire one of the transitions the actor may fire now, with plausible data."""
        cid = data.draw(st.sampled_from(self.ids))
        for _ in range(data.draw(st.integers(1, 12))):
            complaint = self.storage.get(cid)
            available = [
                t
                for t in available_transitions(self.svc.workflow, complaint, actor)
                if t not in ENDINGS or data.draw(st.integers(0, 59)) == 0
            ]
            if not available:
                return
            moving = [t for t in available if t not in self.internal]
            pool = moving if moving and data.draw(st.integers(0, 3)) > 0 else available
            name = data.draw(st.sampled_from(pool))
            self.attempt(cid, self.svc.fire, transition=name, actor=actor, **fields(name, data))

    @rule(hours=st.integers(1, 200))
    def advance(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        self.swept_at = None

    @rule()
    def tick(self) -> None:
        self.svc.tick()
        self.swept_at = self.clock.now()

    @rule()
    def dispatch(self) -> None:
        self.svc.dispatch()

    @invariant()
    def complaints_are_consistent(self) -> None:
        declared = set(self.svc.workflow.state_names)
        for cid in self.ids:
            complaint = self.storage.get(cid)
            history = self.storage.events(cid)
            assert complaint.state in declared
            assert ev.replay(history) == complaint
            kinds = [type(e).__name__ for e in history]
            if "ComplaintAssessed" in kinds:
                assert "ComplaintAcknowledged" in kinds
                assert kinds.index("ComplaintAcknowledged") < kinds.index("ComplaintAssessed")
            for i, event in enumerate(history):
                if isinstance(event, ev.StateChanged) and event.to_state == "closed":
                    assert any(isinstance(e, ev.DecisionCommunicated) for e in history[:i])

    @invariant()
    def clocks_agree_with_the_calendar(self) -> None:
        planner = self.svc.sla
        assert isinstance(planner, PolicyPlanner)
        for cid in self.ids:
            complaint = self.storage.get(cid)
            for clock in complaint.clocks:
                # A clock past its due instant keeps that deadline when the target changes.
                if clock.status(self.clock.now()) is MilestoneStatus.RUNNING:
                    plan = planner.plan(complaint, clock.milestone, clock)
                    assert plan is not None
                    assert (clock.due_at, clock.warnings) == (plan.due_at, plan.warnings)
                if clock.running and clock.breached_at is None and self.swept_at is not None:
                    assert clock.due_at is None or clock.due_at >= self.swept_at
                if clock.breached_at is not None:
                    assert clock.due_at is not None and clock.due_at == clock.breached_at
                    assert clock.met is False

    @invariant()
    def notifications_go_out_at_most_once(self) -> None:
        sent = Counter(m.key for m in self.sent.sent)
        assert all(n == 1 for n in sent.values())


_profile = settings.default
ServiceMachine.TestCase.settings = settings(
    max_examples=max(10, (_profile.max_examples if _profile else 50) // 5),
    stateful_step_count=50,
    deadline=None,
)
TestService = ServiceMachine.TestCase
