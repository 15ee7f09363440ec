"""One complaint through the ISO 10002 process on SQLite, stage by stage.

Prints each stage, its SLA due dates and the notifications sent. Run it with ``make demo`` or
``python examples/quickstart.py [path/to/file.db]`` (default: a temporary file).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from iso10002 import (
    Actor,
    Assessment,
    Breadth,
    BusinessCalendar,
    Complaint,
    ComplaintsHandling,
    Complexity,
    Outcome,
    PolicyPlanner,
    Priority,
    Safety,
    SlaPolicy,
    open_repository,
)
from iso10002.notify import RecordingNotifier
from iso10002.taxonomy import default_taxonomy
from iso10002.testing.fakes import FakeClock

CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25"],
    }
)
POLICY = SlaPolicy.from_dict(
    {
        "default": {
            "acknowledgement": {"business_days": 1},
            "final_response": {"weeks": 8, "to_end_of_day": True},
        },
        "rules": [
            {
                "name": "urgent",
                "when": {"priority": ["P1", "P2"]},
                "targets": {"final_response": {"business_days": 10}},
            }
        ],
    }
)
HANDLER = Actor("h.okafor", roles=frozenset({"handler"}))


def show(service: ComplaintsHandling, sent: RecordingNotifier, complaint: Complaint) -> None:
    """Print the stage, the running clocks and what the outbox sent since the last call."""
    zone = CALENDAR.tz
    print(f"\n{complaint.reference}: {service.workflow.label(complaint.state)} ({complaint.state})")
    for clock in complaint.clocks:
        due = (
            "-"
            if clock.due_at is None
            else clock.due_at.astimezone(zone).strftime("%a %d %b %H:%M")
        )
        status = "met" if clock.met else "breached" if clock.met is False else "running"
        if clock.paused_since is not None:
            status = "paused"
        print(f"  SLA {clock.milestone:<16} due {due}  [{status}]")
    sent.clear()
    service.dispatch()
    for message in sent.sent:
        print(f"  sent {message.template!r} to {message.recipient}: {message.subject}")


def main(path: Path) -> Complaint:
    """Run the whole process on the SQLite file at *path*; return the closed complaint."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
    sent = RecordingNotifier()
    with open_repository(f"sqlite:///{path}") as storage:
        service = ComplaintsHandling(
            storage,
            sla=PolicyPlanner(CALENDAR, POLICY),
            categories=default_taxonomy("categories"),
            notifier=sent,
            clock=clock,
            dispatcher_options={"addresses": {"handler": "complaints-team@example.com"}},
        )
        complaint = service.receive(
            {
                "channel": "web",
                "subject": "Refund not received",
                "description": "I returned the kettle on 12 February and have had no refund.",
                "desired_remedy": "My £49.99 back",
                "category": "billing",
                "name": "Priya Shah",
                "email": "priya.shah@example.org",
            },
            actor="web-form",
            idempotency_key="form-2026-03-02-0001",
        )
        show(service, sent, complaint)

        clock.advance(timedelta(hours=3))
        complaint = service.acknowledge(complaint.id, actor=HANDLER)
        show(service, sent, complaint)

        assessment = Assessment(
            impact=3,
            breadth=Breadth.REPEAT,
            safety=Safety.NONE,
            complexity=Complexity.INVESTIGATION,
            priority=Priority.P2,
        )
        complaint = service.assess(complaint.id, actor=HANDLER, assessment=assessment)
        complaint = service.start_investigation(complaint.id, actor=HANDLER)
        show(service, sent, complaint)

        clock.advance(timedelta(days=1))
        complaint = service.request_information(complaint.id, actor=HANDLER)
        show(service, sent, complaint)
        clock.advance(timedelta(days=2))
        complaint = service.information_received(complaint.id, actor=HANDLER)
        show(service, sent, complaint)

        clock.advance(timedelta(days=1))
        complaint = service.record_findings(
            complaint.id,
            actor=HANDLER,
            summary="The return was logged but the refund batch failed.",
            root_causes=frozenset({"system"}),
        )
        complaint = service.decide(
            complaint.id,
            actor=HANDLER,
            outcome=Outcome.UPHELD,
            reasons="The refund was due and was not paid.",
            remedies=("refund", "apology", "goodwill"),
        )
        complaint = service.communicate_decision(
            complaint.id, actor=HANDLER, external_options_given=True
        )
        show(service, sent, complaint)

        complaint = service.record_reply(complaint.id, actor=HANDLER, accepted=True)
        complaint = service.close(complaint.id, actor=HANDLER)
        complaint = service.record_satisfaction(complaint.id, actor=HANDLER, score=5)
        show(service, sent, complaint)
        status = service.status_by_reference(complaint.reference)
        print(f"\nThe complainant sees: {status.stage} (closed: {status.closed})")
        print(f"Events recorded: {len(storage.events(complaint.id))}")
        return complaint


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(Path(folder) / "complaints.db")
