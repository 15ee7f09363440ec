"""A host application's own workflow: the ISO 10002 one with a legal review stage added.

Complaints under investigation, internal review or external dispute can be referred to the legal
team; counsel approves the handling and the complaint goes back to investigation. Both steps
are recorded as ``WorkflowStepRecorded`` events carrying the transition's name and a few
values of the workflow's own. A guard of the application's own requires senior counsel for
urgent complaints (P1 or P2).

The definition is plain data (it could live in a JSON or TOML file). The new state gets the
default workflow's withdrawal, assignment and note transitions for free: they start from
``"*"``, every open state. Loading refuses mistakes and names them by path, as shown at the end.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from iso10002 import Assessment, Breadth, Complaint, Complexity, Outcome, Priority, Safety
from iso10002.backends import open_repository
from iso10002.errors import DefinitionError, GuardRejected
from iso10002.events import WorkflowStepRecorded
from iso10002.service import ComplaintsHandling
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import (
    ISO10002,
    Actor,
    WorkflowDefinition,
    available_transitions,
    guard,
    registered_guards,
    to_mermaid,
)


@attrs.frozen
class SeniorParams:
    """Parameters of the ``senior_for_urgent`` guard."""

    urgent: tuple[str, ...] = ("P1", "P2")
    role: str = "senior"


def senior_for_urgent(
    complaint: Complaint, actor: Actor, params: SeniorParams, data: Mapping[str, Any]
) -> str | None:
    """Urgent complaints need an approver holding the senior role."""
    priority = complaint.priority
    if priority is not None and priority.value in params.urgent and params.role not in actor.roles:
        return f"a {priority.value} complaint needs an approver with the {params.role!r} role"
    return None


if "senior_for_urgent" not in registered_guards():
    guard("senior_for_urgent", params=SeniorParams)(senior_for_urgent)


def legal_review_definition() -> dict[str, Any]:
    """The default ISO 10002 workflow as data, with the legal review stage added."""
    data = copy.deepcopy(dict(ISO10002))
    data.update(name="iso10002_legal", version="2026.1")
    data["groups"] = {"handling": ["investigating", "internal_review", "external_dispute"]}
    data["states"].append({"name": "legal_review", "label": "Being checked by our legal team"})
    data["transitions"] += [
        {
            "name": "refer_to_legal",
            "sources": ["handling"],
            "target": "legal_review",
            "event": "WorkflowStepRecorded",
            "required": ["data"],
        },
        {
            "name": "legal_approve",
            "sources": ["legal_review"],
            "target": "investigating",
            "event": "WorkflowStepRecorded",
            "roles": ["counsel"],
            "guards": [
                {"name": "not_complained_about"},
                {"name": "senior_for_urgent", "params": {"urgent": ["P1", "P2"]}},
            ],
        },
    ]
    return data


LEGAL_REVIEW = WorkflowDefinition.from_dict(legal_review_definition())


def mistakes() -> list[str]:
    """What loading says about three mistakes a definition author might make."""
    said: list[str] = []
    for path, value in [
        (("transitions", -1, "guards", 1, "params"), {"urgnet": ["P1"]}),
        (("states", -1, "pause"), ["final_reponse"]),
        (("transitions", -2, "sources"), ["handling", "legal"]),
    ]:
        data = legal_review_definition()
        place: Any = data
        for key in path[:-1]:
            place = place[key]
        place[path[-1]] = value
        try:
            WorkflowDefinition.from_dict(data)
        except DefinitionError as error:
            said += [f"{type(error).__name__}: {problem}" for problem in error.problems]
    return said


def main() -> Complaint:
    """Refer one urgent complaint to the legal team, approve it and close it."""
    clock = FakeClock(datetime(2026, 5, 11, 9, 0, tzinfo=timezone.utc))
    handler = Actor("r.ito", roles=frozenset({"handler"}))
    counsel = Actor("m.diaz", roles=frozenset({"counsel"}))
    senior = Actor("k.berg", roles=frozenset({"counsel", "senior"}))
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage, workflow=LEGAL_REVIEW, clock=clock)
        c = service.receive(
            {
                "channel": "phone",
                "subject": "Gas smell after service visit",
                "description": "A smell of gas since the engineer left.",
                "name": "Tom Reed",
                "phone": "+44 7700 900456",
            },
            actor="call-centre",
        )
        urgent = Assessment(
            impact=4,
            breadth=Breadth.SINGLE,
            safety=Safety.POTENTIAL,
            complexity=Complexity.INVESTIGATION,
            priority=Priority.P1,
        )
        c = service.fire(c.id, "acknowledge", actor=handler)
        c = service.fire(c.id, "assess", actor=handler, assessment=urgent)
        c = service.fire(c.id, "start_investigation", actor=handler)
        c = service.fire(
            c.id,
            "refer_to_legal",
            actor=handler,
            data={"question": "Are we liable for the second visit?", "contract": "SV-2291"},
        )
        print(f"{c.reference}: {LEGAL_REVIEW.label(c.state)}")
        print("  may now:", ", ".join(available_transitions(LEGAL_REVIEW, c, senior)))
        try:
            service.fire(c.id, "legal_approve", actor=counsel)
        except GuardRejected as refused:
            print(f"{counsel.id} cannot approve: {refused.reason}")
        clock.advance(timedelta(hours=2))
        c = service.fire(
            c.id,
            "legal_approve",
            actor=senior,
            data={"liable": True, "opinion": "Refund the visit and inspect again.", "hours": 1.5},
        )
        c = service.fire(
            c.id,
            "decide",
            actor=handler,
            outcome=Outcome.UPHELD,
            reasons="The seal was not replaced.",
            remedies=("correction",),
        )
        c = service.fire(c.id, "communicate_decision", actor=handler, external_options_given=True)
        c = service.fire(c.id, "close", actor=handler)
        for event in storage.events(c.id):
            if isinstance(event, WorkflowStepRecorded):
                print(f"  step {event.transition} by {event.actor}: {dict(event.data)}")
        print(f"{c.reference} is {c.state}; {len(storage.events(c.id))} events recorded")
        return c


if __name__ == "__main__":
    print(to_mermaid(LEGAL_REVIEW))
    main()
    for line in mistakes():
        print(line)
