"""The shipped hypothesis strategies: arguments, reach, workflows and readable examples."""

from __future__ import annotations

import collections
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.vendor.pretty import pretty

from iso10002 import events as ev
from iso10002.backends import _sql as q
from iso10002.model import Complainant, Complaint
from iso10002.serialization import dump, load
from iso10002.testing.strategies import complainants, complaints, event_histories
from iso10002.workflow import ISO10002, WorkflowDefinition, iso10002_workflow

ISO = iso10002_workflow()
LEGAL = {**ISO10002, "name": "legal", "groups": {"deciding": ["investigating", "legal_review"]}}
LEGAL["states"] = [
    *ISO10002["states"],
    {"name": "legal_review", "label": "With our lawyers"},
    {"name": "legal_approved", "label": "Cleared by our lawyers"},
]
LEGAL["transitions"] = [
    *ISO10002["transitions"],
    {"name": "refer_to_legal", "sources": ["investigating"], "target": "legal_review"},
    {
        "name": "legal_approve",
        "sources": ["legal_review"],
        "target": "legal_approved",
        "event": "WorkflowStepRecorded",
        "required": ["data"],
    },
    {"name": "resume", "sources": ["legal_approved"], "target": "investigating"},
    {"name": "legal_note", "sources": ["deciding"], "event": "WorkflowStepRecorded"},
]
LEGAL_REVIEW = WorkflowDefinition.from_dict(LEGAL)
SAMPLE = settings(
    max_examples=400,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(
    "make",
    [
        lambda: event_histories(min_events=2),
        lambda: event_histories(min_events=5, max_events=4),
        lambda: event_histories(max_events="many"),  # type: ignore[arg-type]
        lambda: event_histories(min_events=True),
        lambda: event_histories(complainant_ids=["a"]),  # type: ignore[arg-type]
        lambda: complaints(max_events=0),
        lambda: complainants(ids="abc"),  # type: ignore[arg-type]
        lambda: complaints(workflow="iso10002"),  # type: ignore[arg-type]
        lambda: complaints(states="closed"),
        lambda: complaints(states=5),  # type: ignore[arg-type]
        lambda: complaints(states=[]),
        lambda: event_histories(states=["closed", "nowhere"]),
        lambda: event_histories(workflow=LEGAL_REVIEW, states=[1]),  # type: ignore[list-item]
    ],
)
def test_bad_arguments_raise_invalid_argument(make: Any) -> None:
    with pytest.raises(InvalidArgument):
        make()


@given(st.from_type(Complaint), st.from_type(Complainant))
def test_from_type_is_registered_through_the_entry_point(
    complaint: Complaint, person: Complainant
) -> None:
    assert isinstance(complaint, Complaint)
    assert isinstance(person, Complainant)


@given(event_histories(min_events=5, max_events=9, complainant_ids=st.just("cust-9")))
def test_histories_respect_their_arguments(history: list[ev.Event]) -> None:
    assert 5 <= len(history) <= 9 + 4  # the last step's events: at most four past the bound
    assert [e.sequence for e in history] == list(range(1, len(history) + 1))
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(history))
    assert ev.replay(history).complainant_id == "cust-9"


def test_unknown_states_are_named_with_the_states_there_are() -> None:
    with pytest.raises(InvalidArgument, match="no state 'nowhere'; its states: received"):
        complaints(states=["nowhere"])


def _reached(strategy: st.SearchStrategy[Complaint], draws: int) -> collections.Counter[str]:
    seen: collections.Counter[str] = collections.Counter()

    @settings(SAMPLE, max_examples=draws)
    @given(strategy)
    def draw(complaint: Complaint) -> None:
        seen[complaint.state] += 1

    draw()
    return seen


def test_complaints_reach_every_state_of_the_default_workflow() -> None:
    seen = _reached(complaints(), 500)
    assert set(seen) == set(ISO.state_names), seen


def test_complaints_reach_every_state_of_a_custom_workflow() -> None:
    seen = _reached(complaints(workflow=LEGAL_REVIEW), 400)
    assert set(seen) == set(LEGAL_REVIEW.state_names), seen


@settings(max_examples=30)
@given(st.data())
def test_states_pick_where_the_complaints_end(data: st.DataObject) -> None:
    wanted = data.draw(st.sets(st.sampled_from(ISO.state_names), min_size=1, max_size=2))
    complaint = data.draw(complaints(states=wanted, max_events=12))
    assert complaint.state in wanted


@given(event_histories(workflow=LEGAL_REVIEW, states=["legal_approved"], max_events=30))
def test_custom_histories_follow_their_workflow_and_store_their_steps(
    history: list[ev.Event],
) -> None:
    assert ev.replay(history).state == "legal_approved"
    moves = [(e.from_state, e.to_state) for e in history if isinstance(e, ev.StateChanged)]
    assert moves[-2:] == [("investigating", "legal_review"), ("legal_review", "legal_approved")]
    steps = [e for e in history if isinstance(e, ev.WorkflowStepRecorded)]
    assert {e.transition for e in steps} <= {"legal_approve", "legal_note"}
    assert steps[-1].transition == "legal_approve"
    assert steps[-1].data  # required by the definition, so always drawn
    for event in history:
        assert load(dump(event)) == event
        assert q.load_event(q.event_doc(event)) == event


@given(complaints(states=["closed"]), complainants())
def test_examples_print_the_complaint_and_redact_the_complainant(
    complaint: Complaint, person: Complainant
) -> None:
    shown = pretty(complaint)
    assert shown.startswith("Complaint(id=")
    for field in ("state='closed'", "details=ComplaintDetails(", "decisions=(", "closure=Closure("):
        assert field in shown
    assert "reopened=" not in shown  # fields holding their default are left out
    assert (
        pretty(person) == repr(person) == f"Complainant(id={person.id!r}, <personal data redacted>)"
    )
    assert person.name not in pretty([person])
