"""What the complainant sees: one rendering of a deadline, in letters and in the status, and
never a past date as the next step."""

from __future__ import annotations

from datetime import date, datetime, timezone

from iso10002.notify import RecordingNotifier
from iso10002.ports import Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy, describe_deadline
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

FORM = {
    "channel": "email",
    "subject": "Card payment taken twice",
    "description": "I was charged twice for one order.",
    "name": "Jane Doe",
    "email": "jane.doe@example.org",
}
HANDLER = Actor("bob", roles=frozenset({"handler"}))
# FCA DISP 1.6: a final response within eight weeks, to the end of the day.
EIGHT_WEEKS = SlaPolicy.from_dict(
    {
        "default": {
            "acknowledgement": {"business_days": 1},
            "final_response": {"weeks": 8, "to_end_of_day": True},
        }
    }
)
RECEIVED = datetime(2026, 5, 22, 9, 0, tzinfo=timezone.utc)  # Friday 22 May, 10:00 in London


def service(
    storage: Storage, calendar: BusinessCalendar, clock: FakeClock, **dispatcher: object
) -> tuple[ComplaintsHandling, RecordingNotifier]:
    sent = RecordingNotifier()
    svc = ComplaintsHandling(
        storage,
        sla=PolicyPlanner(calendar, EIGHT_WEEKS),
        notifier=sent,
        clock=clock,
        dispatcher_options=dispatcher,
    )
    return svc, sent


def test_the_status_shows_an_end_of_day_deadline_on_the_day_it_ends(
    storage: Storage, calendar: BusinessCalendar
) -> None:
    clock = FakeClock(RECEIVED)
    svc, _ = service(storage, calendar, clock)
    c = svc.receive(FORM, actor="web")
    c = svc.acknowledge(c.id, actor=HANDLER)
    final = c.clock("final_response")
    # The end of Friday 17 July is stored as the next local midnight.
    assert final is not None and final.due_at == datetime(2026, 7, 17, 23, tzinfo=timezone.utc)
    status = svc.status_by_reference(c.reference)
    assert status.next_step == "final response"
    assert status.next_date == date(2026, 7, 17)
    assert status.next_deadline == "the end of Friday 17 July 2026"
    assert not status.overdue


def test_the_letter_and_the_status_show_the_same_deadline(
    storage: Storage, calendar: BusinessCalendar
) -> None:
    clock = FakeClock(RECEIVED)
    svc, sent = service(storage, calendar, clock, zone=calendar.tz)
    c = svc.receive(FORM, actor="web")
    c = svc.acknowledge(c.id, actor=HANDLER)
    svc.dispatch()
    (letter,) = [m for m in sent.sent if m.template == "acknowledgement"]
    status = svc.status_by_reference(c.reference)
    assert status.next_deadline is not None
    assert f"by {status.next_deadline}." in letter.body
    final = c.clock("final_response")
    assert final is not None and final.due_at is not None
    assert status.next_deadline == describe_deadline(final.due_at, calendar.tz)


def test_an_overdue_step_is_shown_as_overdue_without_a_date(
    storage: Storage, calendar: BusinessCalendar
) -> None:
    clock = FakeClock(RECEIVED)
    svc, _ = service(storage, calendar, clock)
    c = svc.receive(FORM, actor="web")
    ack = c.clock("acknowledgement")
    assert ack is not None and ack.due_at == datetime(2026, 5, 25, 16, tzinfo=timezone.utc)
    status = svc.status_by_reference(c.reference)
    assert (status.next_step, status.next_date, status.overdue) == (
        "acknowledgement",
        date(2026, 5, 25),
        False,
    )
    assert status.next_deadline == "Monday 25 May 2026"
    clock.set(datetime(2026, 5, 26, 9, tzinfo=timezone.utc))  # no sweep has run
    status = svc.status_by_reference(c.reference)
    assert status.next_step == "acknowledgement"
    assert status.overdue
    assert status.next_date is None and status.next_deadline is None
    # Acknowledged late: the next step is the final response, with its own, future date.
    c = svc.acknowledge(c.id, actor=HANDLER)
    status = svc.status_by_reference(c.reference)
    assert (status.next_step, status.next_date, status.overdue) == (
        "final response",
        date(2026, 7, 17),
        False,
    )
