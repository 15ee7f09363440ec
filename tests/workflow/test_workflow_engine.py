"""The engine: fire, can_fire, available_transitions, sla_effects and the built-in guards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from _workflow_support import (  # type: ignore[import-not-found, unused-ignore]
    ALICE,
    ASSESSMENT,
    BOB,
    CAROL,
    MALLORY,
    NOBODY,
    T0,
    new_complaint,
)

from iso10002 import events as ev
from iso10002.errors import (
    ConfigurationError,
    GuardRejected,
    TransitionNotAllowed,
    UnknownStateError,
    ValidationError,
)
from iso10002.model import (
    Complaint,
    ContactMethod,
    EscalationKind,
    Outcome,
)
from iso10002.workflow import (
    Actor,
    SlaEffects,
    WorkflowDefinition,
    available_transitions,
    can_fire,
    fire,
    guard,
    iso10002_workflow,
    sla_effects,
    small_business_workflow,
)

ISO = iso10002_workflow()
SMALL = small_business_workflow()
DECIDE: dict[str, Any] = {
    "outcome": Outcome.UPHELD,
    "reasons": "We charged twice.",
    "remedies": ("refund",),
}


class Run:
    """Fires transitions in order, keeping the event history and advancing the clock."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.complaint: Complaint = new_complaint(definition)
        self.history: list[ev.Event] = []
        self.at = T0

    def __call__(self, name: str, actor: Actor = ALICE, **data: Any) -> tuple[ev.Event, ...]:
        self.at += timedelta(minutes=5)
        self.complaint, events = fire(
            self.definition, self.complaint, name, actor=actor, at=self.at, **data
        )
        self.history.extend(events)
        return events

    @property
    def state(self) -> str:
        return self.complaint.state


def investigating() -> Run:
    run = Run(ISO)
    run("acknowledge")
    run("assess", assessment=ASSESSMENT)
    run("start_investigation")
    return run


def responded(*, accepted: bool | None = None, external: bool = False) -> Run:
    run = investigating()
    run("decide", **DECIDE)
    run("communicate_decision", external_options_given=external)
    if accepted is not None:
        run("record_reply", accepted=accepted)
    return run


# --- the default ISO 10002 lifecycle --------------------------------------------------------


def test_the_happy_path_through_the_iso_workflow() -> None:
    run = responded(accepted=True)
    events = run("close", reason="resolved")
    assert run.state == "closed"
    assert [type(e).__name__ for e in events] == ["ComplaintClosed", "StateChanged"]
    assert run.complaint.closure is not None
    assert ev.replay(run.history, new_complaint(ISO)) == run.complaint
    assert run.complaint.version == 1 + len(run.history)
    states = [e.to_state for e in run.history if isinstance(e, ev.StateChanged)]
    assert states == ["acknowledged", "assessed", "investigating", "responded", "closed"]


def test_internal_actions_record_their_event_and_keep_the_state() -> None:
    run = investigating()
    events = run("assign", assignee="alice", team="billing")
    assert [type(e).__name__ for e in events] == ["ComplaintAssigned"]
    assert run.state == "investigating"
    assert run.complaint.assignee == "alice"
    run("add_note", text="Called the bank.")
    run("record_findings", summary="Batch ran twice.", root_causes={"system.defect"})
    run("revise_assessment", assessment=attrs.evolve(ASSESSMENT, impact=3), reason="More harm.")
    assert run.complaint.assessment is not None
    assert run.complaint.assessment.impact == 3
    assert run.state == "investigating"


def test_awaiting_the_complainant_and_back() -> None:
    run = investigating()
    assert [type(e).__name__ for e in run("request_information")] == ["StateChanged"]
    assert run.state == "awaiting_complainant"
    run("information_received")
    assert run.state == "investigating"


def test_closing_needs_acceptance_or_the_external_options() -> None:
    run = responded()
    with pytest.raises(GuardRejected, match=r"7\.9") as info:
        run("close")
    assert info.value.guard == "can_close"
    run("record_reply", accepted=False)
    with pytest.raises(GuardRejected):
        run("close")
    assert can_fire(ISO, responded(external=True).complaint, "close", actor=ALICE)
    run("record_reply", accepted=True)
    run("close")
    assert run.state == "closed"


def test_communicating_needs_a_fresh_decision() -> None:
    run = investigating()
    with pytest.raises(GuardRejected, match="no decision") as info:
        run("communicate_decision")
    assert info.value.guard == "has_decision"
    run("decide", **DECIDE)
    run("communicate_decision", method=ContactMethod.EMAIL)
    decision = run.complaint.decision
    assert decision is not None
    assert decision.communicated_at is not None
    assert decision.communication_method is ContactMethod.EMAIL


def test_investigation_needs_an_assessment_after_reopening() -> None:
    run = responded(accepted=True)
    run("close")
    with pytest.raises(TransitionNotAllowed, match="manager"):
        run("reopen")
    run("reopen", actor=CAROL, reason="New evidence.")
    assert run.state == "reopened"
    assert run.complaint.reopened == 1
    run("start_investigation")
    with pytest.raises(GuardRejected, match="already been communicated"):
        run("communicate_decision")


def test_assessment_guard_refuses_without_an_assessment() -> None:
    definition = WorkflowDefinition.from_dict(
        {
            "name": "skip",
            "version": "1",
            "states": [{"name": "a", "initial": True}, {"name": "b", "terminal": True}],
            "transitions": [
                {
                    "name": "go",
                    "sources": ["a"],
                    "target": "b",
                    "guards": [{"name": "has_assessment"}],
                }
            ],
        }
    )
    with pytest.raises(GuardRejected, match="not been assessed") as info:
        fire(definition, new_complaint(definition), "go", actor=ALICE, at=T0)
    assert (info.value.guard, info.value.transition, info.value.state) == (
        "has_assessment",
        "go",
        "a",
    )


def test_internal_review_then_external_dispute() -> None:
    run = responded()
    run("record_reply", accepted=False)
    events = run("escalate_internal", reason="Disagrees.")
    assert run.state == "internal_review"
    assert isinstance(events[0], ev.ComplaintEscalated)
    assert events[0].kind is EscalationKind.INTERNAL_REVIEW
    run("review_decide", actor=BOB, outcome=Outcome.NOT_UPHELD, reasons="Reviewed.")
    run("communicate_decision", actor=BOB, external_options_given=True)
    run("escalate_external", provider="Ombudsman")
    assert run.state == "external_dispute"
    assert [e.kind for e in run.complaint.escalations] == [
        EscalationKind.INTERNAL_REVIEW,
        EscalationKind.EXTERNAL_DISPUTE,
    ]
    run("close")
    assert run.state == "closed"


def test_the_definition_fixes_the_escalation_kind() -> None:
    run = responded()
    with pytest.raises(ValidationError, match="fixed by the workflow") as info:
        run("escalate_internal", kind=EscalationKind.EXTERNAL_DISPUTE)
    assert info.value.paths == ("kind",)


@pytest.mark.parametrize("state_path", ["received", "acknowledged"])
def test_withdrawal_and_out_of_scope(state_path: str) -> None:
    run = Run(ISO)
    if state_path == "acknowledged":
        run("acknowledge")
    first = Run(ISO) if state_path == "received" else run
    first_events = first("reject_out_of_scope")
    assert first.state == "out_of_scope"
    assert isinstance(first_events[0], ev.ComplaintClosed)
    assert first_events[0].reason == "out_of_scope"
    other = Run(ISO)
    other("withdraw", reason="Sorted it myself.")
    assert other.state == "withdrawn"
    assert other.complaint.closure is not None
    assert other.complaint.closure.withdrawn
    assert available_transitions(ISO, other.complaint, ALICE) == ()


def test_satisfaction_is_recorded_after_closing() -> None:
    run = responded(accepted=True)
    run("close")
    run("record_satisfaction", score=4)
    assert run.complaint.satisfaction is not None
    assert run.state == "closed"


# --- objectivity through the default workflow (4.7, annex D) --------------------------------


def test_the_person_complained_about_cannot_decide() -> None:
    run = investigating()
    with pytest.raises(GuardRejected, match="objectivity") as info:
        run("decide", actor=MALLORY, **DECIDE)
    assert info.value.guard == "not_complained_about"
    assert "decide" not in available_transitions(ISO, run.complaint, MALLORY)
    assert "decide" in available_transitions(ISO, run.complaint, ALICE)


def test_a_reviewer_cannot_review_their_own_decision() -> None:
    run = investigating()
    run("decide", actor=CAROL, **DECIDE)
    run("communicate_decision", actor=CAROL)
    run("escalate_internal")
    with pytest.raises(GuardRejected, match="decision under review") as info:
        run("review_decide", actor=CAROL, outcome=Outcome.UPHELD, reasons="Fine.")
    assert info.value.guard == "independent_reviewer"
    with pytest.raises(GuardRejected, match="objectivity"):
        run("review_decide", actor=MALLORY, outcome=Outcome.UPHELD, reasons="Fine.")
    with pytest.raises(TransitionNotAllowed, match="roles: reviewer"):
        run("review_decide", actor=ALICE, outcome=Outcome.UPHELD, reasons="Fine.")
    run("review_decide", actor=BOB, outcome=Outcome.PARTLY_UPHELD, reasons="Partly.")
    # the reviewer may revise their own review decision
    run("review_decide", actor=BOB, outcome=Outcome.UPHELD, reasons="On reflection.")
    assert run.complaint.decision is not None
    assert run.complaint.decision.decided_by == "bob"


def test_a_second_review_excludes_the_first_reviewer() -> None:
    run = responded()
    run("escalate_internal")
    run("review_decide", actor=BOB, outcome=Outcome.UPHELD, reasons="Review one.")
    run("communicate_decision", actor=BOB)
    run("escalate_internal")
    with pytest.raises(GuardRejected, match="decision under review"):
        run("review_decide", actor=BOB, outcome=Outcome.UPHELD, reasons="Again.")
    run("review_decide", actor=CAROL, outcome=Outcome.UPHELD, reasons="Review two.")


# --- refusals and data ----------------------------------------------------------------------


def test_unknown_and_misplaced_transitions_are_not_allowed() -> None:
    complaint = new_complaint(ISO)
    with pytest.raises(TransitionNotAllowed, match="no such transition") as info:
        fire(ISO, complaint, "teleport", actor=ALICE, at=T0)
    assert (info.value.transition, info.value.state) == ("teleport", "received")
    with pytest.raises(TransitionNotAllowed, match="only from: investigating"):
        fire(ISO, complaint, "decide", actor=ALICE, at=T0, **DECIDE)
    assert not can_fire(ISO, complaint, "decide", actor=ALICE)


def test_bad_data_lists_every_problem_and_never_raises_type_error() -> None:
    run = investigating()
    with pytest.raises(ValidationError) as info:
        run("decide", outcome="great", reasons="", remedies=5, colour="red", sequence=9)
    assert set(info.value.paths) == {"outcome", "reasons", "remedies", "colour", "sequence"}
    with pytest.raises(ValidationError) as info:
        run("decide")
    assert set(info.value.paths) == {"outcome", "reasons"}
    assessed = Run(ISO)
    assessed("acknowledge")
    assessed("assess", assessment=ASSESSMENT)
    with pytest.raises(ValidationError, match="takes no data"):
        assessed("start_investigation", urgent=True)
    with pytest.raises(ValidationError) as info:
        run("assign", assignee=3)
    assert info.value.paths == ("assignee",)
    with pytest.raises(ValidationError) as info:
        run("revise_assessment", assessment="high", reason="x")
    assert info.value.paths == ("assessment",)
    assert "high" not in str(info.value)


def test_transition_required_fields() -> None:
    definition = WorkflowDefinition.from_dict(
        {
            "name": "strict",
            "version": "1",
            "states": [{"name": "a", "initial": True}, {"name": "b", "terminal": True}],
            "transitions": [
                {
                    "name": "end",
                    "sources": ["a"],
                    "target": "b",
                    "event": "ComplaintClosed",
                    "required": ["reason"],
                }
            ],
        }
    )
    complaint = new_complaint(definition)
    for data in ({}, {"reason": None}):
        with pytest.raises(ValidationError, match="required by transition") as info:
            fire(definition, complaint, "end", actor=ALICE, at=T0, **data)
        assert info.value.paths == ("reason",)
    after, _ = fire(definition, complaint, "end", actor=ALICE, at=T0, reason="done")
    assert after.state == "b"


def test_the_instant_and_the_actor_are_checked() -> None:
    complaint = new_complaint(ISO)
    with pytest.raises(ValidationError, match="naive"):
        fire(ISO, complaint, "acknowledge", actor=ALICE, at=datetime(2026, 1, 5))
    with pytest.raises(ValidationError, match="aware datetime"):
        fire(ISO, complaint, "acknowledge", actor=ALICE, at="2026-01-05")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected an Actor"):
        fire(ISO, complaint, "acknowledge", actor="alice", at=T0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected an Actor"):
        can_fire(ISO, complaint, "acknowledge", actor="alice")  # type: ignore[arg-type]
    plus_two = timezone(timedelta(hours=2))
    after, events = fire(ISO, complaint, "acknowledge", actor=ALICE, at=T0.astimezone(plus_two))
    assert all(e.occurred_at.tzinfo is timezone.utc for e in events)
    assert after.acknowledged_at == T0
    run = investigating()
    _, (changed,) = fire(
        ISO, run.complaint, "request_information", actor=ALICE, at=T0.astimezone(plus_two)
    )
    assert changed.occurred_at.tzinfo is timezone.utc


def test_actor_subclasses_are_accepted() -> None:
    class Staff(Actor):
        pass

    after, events = fire(ISO, new_complaint(ISO), "acknowledge", actor=Staff("s-1"), at=T0)
    assert events[0].actor == "s-1"
    assert after.state == "acknowledged"


def test_a_refused_fold_is_a_validation_error() -> None:
    definition = WorkflowDefinition.from_dict(
        {
            "name": "loose",
            "version": "1",
            "states": [{"name": "a", "initial": True}, {"name": "b", "terminal": True}],
            "transitions": [
                {"name": "send", "sources": ["a"], "target": "b", "event": "DecisionCommunicated"}
            ],
        }
    )
    complaint = new_complaint(definition)
    with pytest.raises(ValidationError, match="never made"):
        fire(definition, complaint, "send", actor=ALICE, at=T0)


def test_nothing_changes_on_refusal() -> None:
    run = investigating()
    before = run.complaint
    attempts: list[Callable[[], object]] = [
        lambda: run("close"),
        lambda: run("decide", actor=MALLORY, **DECIDE),
        lambda: run("decide", outcome="x"),
    ]
    for attempt in attempts:
        with pytest.raises((TransitionNotAllowed, ValidationError)):
            attempt()
        assert run.complaint is before


def test_available_transitions_respect_roles_and_guards() -> None:
    run = investigating()
    names = available_transitions(ISO, run.complaint, ALICE)
    assert "decide" in names
    assert "communicate_decision" not in names
    assert "start_investigation" not in names
    assert available_transitions(ISO, run.complaint, NOBODY) == names


# --- host guards ----------------------------------------------------------------------------


@attrs.frozen
class _MinScore:
    minimum: int = attrs.field(validator=attrs.validators.instance_of(int))


@guard("test_workflow.score_at_least", params=_MinScore, replace=True)
def _score_at_least(
    complaint: Complaint, actor: Actor, params: _MinScore, data: Mapping[str, Any]
) -> str | None:
    """The recorded score is at least ``minimum``."""
    score = data.get("score")
    if not isinstance(score, int) or score < params.minimum:
        return f"the score must be at least {params.minimum}"
    return None


def test_host_guards_get_their_params_and_the_data() -> None:
    definition = WorkflowDefinition.from_dict(
        {
            "name": "survey",
            "version": "1",
            "states": [{"name": "a", "initial": True, "terminal": True}],
            "transitions": [
                {
                    "name": "rate",
                    "sources": ["a"],
                    "event": "SatisfactionRecorded",
                    "guards": [{"name": "test_workflow.score_at_least", "params": {"minimum": 3}}],
                }
            ],
        }
    )
    complaint = new_complaint(definition)
    with pytest.raises(GuardRejected, match="at least 3"):
        fire(definition, complaint, "rate", actor=ALICE, at=T0, score=2)
    assert not can_fire(definition, complaint, "rate", actor=ALICE, score=2)
    assert can_fire(definition, complaint, "rate", actor=ALICE, score=3)
    after, _ = fire(definition, complaint, "rate", actor=ALICE, at=T0, score=5)
    assert after.satisfaction is not None
    with pytest.raises(ConfigurationError):
        WorkflowDefinition.from_dict(
            {
                **definition.to_dict(),
                "transitions": [
                    {
                        "name": "rate",
                        "sources": ["a"],
                        "event": "SatisfactionRecorded",
                        "guards": [
                            {"name": "test_workflow.score_at_least", "params": {"minimum": "3"}}
                        ],
                    }
                ],
            }
        )


def test_a_host_params_class_may_raise_anything() -> None:
    @attrs.frozen
    class Picky:
        value: int

        def __attrs_post_init__(self) -> None:
            raise RuntimeError("no")

    guard("test_workflow.picky", params=Picky, replace=True)(_score_at_least)
    data = {
        "name": "p",
        "version": "1",
        "states": [{"name": "a", "initial": True, "terminal": True}],
        "transitions": [
            {
                "name": "x",
                "sources": ["a"],
                "event": "NoteAdded",
                "guards": [{"name": "test_workflow.picky", "params": {"value": 1}}],
            }
        ],
    }
    with pytest.raises(ConfigurationError, match="RuntimeError"):
        WorkflowDefinition.from_dict(data)


# --- SLA effects ----------------------------------------------------------------------------


def test_sla_effects_of_the_iso_workflow() -> None:
    assert sla_effects(ISO, "received", "acknowledged") == SlaEffects(stop=("acknowledgement",))
    assert sla_effects(ISO, "investigating", "awaiting_complainant") == SlaEffects(
        pause=("final_response",)
    )
    assert sla_effects(ISO, "awaiting_complainant", "investigating") == SlaEffects(
        resume=("final_response",)
    )
    assert sla_effects(ISO, "investigating", "responded") == SlaEffects(
        stop=("final_response", "review_response")
    )
    assert sla_effects(ISO, "responded", "internal_review") == SlaEffects(
        start=("review_response",)
    )
    assert sla_effects(ISO, "closed", "reopened") == SlaEffects(start=("final_response",))
    assert not sla_effects(ISO, "investigating", "investigating")
    assert sla_effects(ISO, "awaiting_complainant", "withdrawn").resume == ("final_response",)
    assert sla_effects(ISO, "received", "acknowledged") is sla_effects(
        ISO, "received", "acknowledged"
    )


def test_sla_effects_name_unknown_states() -> None:
    with pytest.raises(UnknownStateError) as info:
        sla_effects(ISO, "limbo", "nowhere")
    assert info.value.paths == ("from_state", "to_state")


# --- the small-business workflow ------------------------------------------------------------


def test_the_small_business_lifecycle_needs_no_roles() -> None:
    run = Run(SMALL)
    run("acknowledge", actor=NOBODY)
    run("assess", actor=NOBODY, assessment=ASSESSMENT)
    run("record_findings", actor=NOBODY, summary="Found it.")
    run("decide", actor=NOBODY, **DECIDE)
    run("communicate_decision", actor=NOBODY)
    run("record_reply", actor=NOBODY, accepted=True)
    run("close", actor=NOBODY)
    assert run.state == "closed"
    run("reopen", actor=NOBODY)
    assert run.state == "received"
    assert sla_effects(SMALL, "closed", "received").start == ("acknowledgement", "final_response")
