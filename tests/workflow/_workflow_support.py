"""Shared helpers for the workflow tests: complaints, actors, event data and random definitions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.model import (
    Assessment,
    Breadth,
    Channel,
    Classification,
    Complaint,
    ComplaintDetails,
    Complexity,
    ContactMethod,
    EscalationKind,
    Outcome,
    Priority,
    Safety,
)
from iso10002.workflow import Actor, RoleParams, WorkflowDefinition, registered_guards

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
COMPLAINED_ABOUT = "mallory"

ALICE = Actor("alice", frozenset({"handler"}))
BOB = Actor("bob", frozenset({"reviewer"}))
CAROL = Actor("carol", frozenset({"manager", "reviewer"}))
MALLORY = Actor(COMPLAINED_ABOUT, frozenset({"handler", "reviewer", "manager"}))
NOBODY = Actor("nobody")
ACTORS = (ALICE, BOB, CAROL, MALLORY, NOBODY)

ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.SIMPLE,
    priority=Priority.P3,
)


def received(state: str, *, complaint_id: str = "c-1") -> ev.ComplaintReceived:
    """The receipt of a complaint about MALLORY, starting in *state*."""
    return ev.ComplaintReceived(
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=T0,
        actor="intake",
        reference="REF-1",
        state=state,
        details=ComplaintDetails(
            received_at=T0,
            channel=Channel.EMAIL,
            complainant_id="person-1",
            subject="Double charge",
            description="I was charged twice.",
            complained_about=frozenset({COMPLAINED_ABOUT}),
        ),
    )


def new_complaint(definition: WorkflowDefinition) -> Complaint:
    """A complaint just received into *definition*'s initial state."""
    return ev.apply(None, received(definition.initial_state))


_text = st.sampled_from(["Noted.", "Charged twice for one order.", "x" * 30])

EVENT_DATA: Mapping[str, st.SearchStrategy[dict[str, Any]]] = {
    "ComplaintAcknowledged": st.fixed_dictionaries(
        {}, optional={"method": st.sampled_from(ContactMethod)}
    ),
    "ComplaintClassified": st.builds(
        lambda c: {"classification": Classification(category=c)},
        st.sampled_from([None, "billing", "billing.refund"]),
    ),
    "ComplaintAssessed": st.just({"assessment": ASSESSMENT}),
    "AssessmentRevised": st.just({"assessment": ASSESSMENT, "reason": "New evidence."}),
    "ComplaintAssigned": st.fixed_dictionaries(
        {}, optional={"assignee": st.just("alice"), "team": st.just("billing")}
    ),
    "NoteAdded": st.fixed_dictionaries({"text": _text}, optional={"internal": st.booleans()}),
    "FindingsRecorded": st.fixed_dictionaries(
        {"summary": _text}, optional={"root_causes": st.just(frozenset({"process"}))}
    ),
    "DecisionMade": st.fixed_dictionaries(
        {"outcome": st.sampled_from(Outcome), "reasons": _text},
        optional={"remedies": st.just(("refund",))},
    ),
    "DecisionCommunicated": st.fixed_dictionaries(
        {},
        optional={
            "method": st.sampled_from(ContactMethod),
            "external_options_given": st.booleans(),
        },
    ),
    "ComplainantReplied": st.fixed_dictionaries({"accepted": st.booleans()}),
    "ComplaintEscalated": st.fixed_dictionaries({"kind": st.sampled_from(EscalationKind)}),
    "ComplaintWithdrawn": st.fixed_dictionaries({}, optional={"reason": st.just("resolved")}),
    "ComplaintClosed": st.fixed_dictionaries({}, optional={"reason": st.just("resolved")}),
    "ComplaintReopened": st.fixed_dictionaries({}, optional={"reason": st.just("new facts")}),
    "SatisfactionRecorded": st.fixed_dictionaries({"score": st.integers(1, 5)}),
}
"""Valid data for each event a transition may record (before the definition's fixed fields)."""


def guard_params(name: str, params: Mapping[str, Any]) -> Any:
    """The structured parameters of a built-in guard (the oracle's own, not the engine's)."""
    if name == "has_role":
        return RoleParams(roles=tuple(params["roles"]))
    return None


def leaves_from(definition: WorkflowDefinition, transition: Any) -> list[str]:
    """The states *transition* leaves from, worked out from the data: ``*`` and groups expanded."""
    found: list[str] = []
    for source in transition.sources:
        if source == "*":
            found += [s.name for s in definition.states if not s.terminal]
        else:
            found += definition.groups.get(source, (source,))
    return list(dict.fromkeys(found))


def expected_refusal(
    definition: WorkflowDefinition,
    complaint: Complaint,
    name: str,
    actor: Actor,
    data: Mapping[str, Any],
) -> str | None:
    """What fire must do, worked out from the definition's data: None (fire) or a refusal."""
    matching = [
        t
        for t in definition.transitions
        if t.name == name and complaint.state in leaves_from(definition, t)
    ]
    if not matching:
        return "not_allowed"
    (transition,) = matching
    if transition.roles and actor.roles.isdisjoint(transition.roles):
        return "role"
    for ref in transition.guards:
        check = registered_guards()[ref.name].check
        if check(complaint, actor, guard_params(ref.name, ref.params), data) is not None:
            return f"guard:{ref.name}"
    return None


MILESTONES = ("acknowledgement", "final_response")
GUARD_CHOICES: tuple[dict[str, Any], ...] = (
    {"name": "has_assessment"},
    {"name": "has_decision"},
    {"name": "can_close"},
    {"name": "not_complained_about"},
    {"name": "independent_reviewer"},
    {"name": "has_role", "params": {"roles": ["reviewer"]}},
)


@st.composite
def definition_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Canonical dicts of random valid definitions (every state reachable and able to end)."""
    n = draw(st.integers(2, 6))
    names = [f"s{i}" for i in range(n)]
    terminal = set(names[n - draw(st.integers(1, n - 1)) :])
    states: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        state: dict[str, Any] = {"name": name}
        if i == 0:
            state["initial"] = True
        if name in terminal:
            state["terminal"] = True
        if draw(st.booleans()):
            state["label"] = f"Label {i}"
        spare = list(MILESTONES)
        for key in ("start", "stop", "pause"):
            if not spare:
                break
            chosen = draw(st.lists(st.sampled_from(spare), unique=True, max_size=1))
            if chosen:
                state[key] = chosen
                spare = [m for m in spare if m not in chosen]
        states.append(state)
    edges: list[tuple[str, str]] = [
        (names[draw(st.integers(0, i - 1))], names[i]) for i in range(1, n)
    ]
    edges += [(s, draw(st.sampled_from(sorted(terminal)))) for s in names if s not in terminal]
    edges += draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=4))
    transitions: list[dict[str, Any]] = []
    state_events = st.sampled_from([None, *sorted(EVENT_DATA)])
    for k, (source, target) in enumerate(edges):
        extra = draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
        t: dict[str, Any] = {
            "name": f"t{k}",
            "sources": [source, *(s for s in extra if s != source)],
            "target": target,
        }
        event = draw(state_events)
        if event is not None:
            t["event"] = event
        transitions.append(_decorate(draw, t))
    for k in range(draw(st.integers(0, 3))):
        t = {
            "name": f"a{k}",
            "sources": draw(st.lists(st.sampled_from(names), unique=True, min_size=1)),
            "event": draw(st.sampled_from(sorted(EVENT_DATA))),
        }
        transitions.append(_decorate(draw, t))
    return {"name": "random", "version": "1", "states": states, "transitions": transitions}


def _decorate(draw: st.DrawFn, t: dict[str, Any]) -> dict[str, Any]:
    guards = draw(
        st.lists(st.sampled_from(GUARD_CHOICES), unique_by=lambda g: g["name"], max_size=2)
    )
    if guards:
        t["guards"] = [dict(g) for g in guards]
    roles = draw(
        st.lists(st.sampled_from(["handler", "reviewer", "manager"]), unique=True, max_size=2)
    )
    if roles:
        t["roles"] = roles
    if t.get("event") == "ComplaintEscalated" and draw(st.booleans()):
        t["fixed"] = {"kind": draw(st.sampled_from(["internal_review", "external_dispute"]))}
    if t.get("event") == "ComplaintClosed" and draw(st.booleans()):
        t["required"] = ["reason"]
    return t
