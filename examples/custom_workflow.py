"""A host application's own workflow: a two-stage review with a guard of its own.

Every proposed decision is reviewed twice before it goes to the complainant: a reviewer proposes
it, a second, independent person approves it, and a custom guard requires a senior approver when
the complaint is urgent (P1 or P2). The definition is plain data, so it could live in a JSON or
TOML file; the guard is registered by name with a decorator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from iso10002 import Assessment, Breadth, Complaint, Complexity, Outcome, Priority, Safety
from iso10002.backends import open_repository
from iso10002.errors import GuardRejected
from iso10002.service import ComplaintsHandling
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor, WorkflowDefinition, guard, registered_guards, to_mermaid


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

TWO_STAGE_REVIEW = WorkflowDefinition.from_dict(
    {
        "name": "two_stage_review",
        "version": "2026.1",
        "states": [
            {
                "name": "received",
                "initial": True,
                "label": "Received",
                "start": ["acknowledgement", "final_response"],
            },
            {"name": "triaged", "label": "Being looked into", "stop": ["acknowledgement"]},
            {"name": "proposed", "label": "Being looked into"},
            {"name": "approved", "label": "Decision being finalised"},
            {"name": "answered", "label": "Decision sent", "stop": ["final_response"]},
            {
                "name": "closed",
                "terminal": True,
                "label": "Closed",
                "stop": ["acknowledgement", "final_response"],
            },
        ],
        "transitions": [
            {
                "name": "triage",
                "sources": ["received"],
                "target": "triaged",
                "event": "ComplaintAssessed",
            },
            {
                "name": "propose",
                "sources": ["triaged"],
                "target": "proposed",
                "event": "DecisionMade",
                "roles": ["reviewer"],
                "guards": [{"name": "not_complained_about"}],
            },
            {
                "name": "approve",
                "sources": ["proposed"],
                "target": "approved",
                "roles": ["reviewer"],
                "guards": [
                    {"name": "independent_reviewer"},
                    {"name": "senior_for_urgent", "params": {"urgent": ["P1", "P2"]}},
                ],
            },
            {
                "name": "send_back",
                "sources": ["proposed"],
                "target": "triaged",
                "roles": ["reviewer"],
            },
            {
                "name": "answer",
                "sources": ["approved"],
                "target": "answered",
                "event": "DecisionCommunicated",
                "guards": [{"name": "has_decision"}],
            },
            {
                "name": "close",
                "sources": ["answered"],
                "target": "closed",
                "event": "ComplaintClosed",
            },
            {
                "name": "add_note",
                "sources": ["received", "triaged", "proposed", "approved", "answered"],
                "event": "NoteAdded",
            },
        ],
    }
)


def main() -> Complaint:
    """Run one urgent complaint through the two-stage review; return it closed."""
    clock = FakeClock(datetime(2026, 5, 11, 9, 0, tzinfo=timezone.utc))
    first = Actor("r.ito", roles=frozenset({"reviewer"}))
    second = Actor("m.diaz", roles=frozenset({"reviewer"}))
    senior = Actor("k.berg", roles=frozenset({"reviewer", "senior"}))
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage, workflow=TWO_STAGE_REVIEW, clock=clock)
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
        c = service.fire(c.id, "triage", actor=first, assessment=urgent)
        c = service.fire(
            c.id,
            "propose",
            actor=first,
            outcome=Outcome.UPHELD,
            reasons="The seal was not replaced.",
            remedies=("correction",),
        )
        for approver in (first, second):  # the proposer, then a reviewer without seniority
            try:
                service.fire(c.id, "approve", actor=approver)
            except GuardRejected as refused:
                print(f"{approver.id} cannot approve: {refused.reason}")
        clock.advance(timedelta(hours=2))
        c = service.fire(c.id, "approve", actor=senior)
        c = service.fire(c.id, "answer", actor=senior, external_options_given=True)
        c = service.fire(c.id, "close", actor=senior)
        print(f"{c.reference} is {c.state}; {len(storage.events(c.id))} events recorded")
        return c


if __name__ == "__main__":
    print(to_mermaid(TWO_STAGE_REVIEW))
    main()
