"""SLA breaches are facts of the clock, on every backend, however they are found.

A milestone met after its due instant, or still open past it, is breached at the due instant;
the instant the breach was noticed (by the sweeper, or by the command that stopped or paused the
clock) is kept apart. ``Complaint.breached``, the indexed ``breached`` query and the staff
notifications agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from iso10002 import events as ev
from iso10002.model import Complaint
from iso10002.notify import RecordingNotifier
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
FORM = {
    "channel": "email",
    "subject": "Boiler repair not done",
    "description": "The engineer did not come on the agreed day, twice.",
    "name": "Jane Doe",
    "email": "jane.doe@example.org",
}
HANDLER = Actor("bob", roles=frozenset({"handler"}))
STAFF = {"handler", "manager"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)  # London == UTC in March


class Run:
    def __init__(
        self, storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
    ) -> None:
        self.storage, self.clock = storage, clock
        self.sent = RecordingNotifier()
        self.service = ComplaintsHandling(
            storage,
            sla=PolicyPlanner(calendar, policy),
            notifier=self.sent,
            clock=clock,
            dispatcher_options={
                "addresses": {"handler": "team@example.com", "manager": "boss@example.com"}
            },
        )

    def kinds(self, complaint: Complaint) -> list[str]:
        stored = self.storage.events(complaint.id)
        assert ev.replay(stored) == complaint
        return [type(e).__name__ for e in stored]

    def breaches(self, complaint: Complaint) -> list[ev.Event]:
        return [e for e in self.storage.events(complaint.id) if isinstance(e, ev.SlaBreached)]

    def staff_messages(self) -> list[tuple[str, str]]:
        self.service.dispatch()
        return [(m.template, m.recipient) for m in self.sent.sent if m.recipient in STAFF]


def test_a_late_acknowledgement_is_breached_at_its_due_instant(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")  # Monday 2 March 10:00
    ack = c.clock("acknowledgement")
    assert ack is not None and ack.due_at == at(3, 17)
    clock.set(at(3, 17, 45))  # 45 minutes late; no sweep ran
    c = run.service.acknowledge(c.id, actor=HANDLER)
    assert run.kinds(c)[-4:] == [
        "ComplaintAcknowledged",
        "StateChanged",
        "SlaBreached",
        "SlaClockStopped",
    ]
    ack = c.clock("acknowledgement")
    assert ack is not None
    assert ack.breached_at == at(3, 17)
    assert ack.stopped_at == at(3, 17, 45)
    assert ack.met is False
    assert c.breached and storage.get(c.id).breached
    assert storage.count(ComplaintQuery(breached=True)) == 1
    assert [i.id for i in storage.query(ComplaintQuery(breached=True)).items] == [c.id]
    assert storage.count(ComplaintQuery(breached=False)) == 0
    (breach,) = run.breaches(c)
    assert breach.occurred_at == at(3, 17, 45)  # when it was noticed
    assert run.staff_messages() == [("sla_breach", "manager")]
    # Later sweeps find nothing more to record or send about it.
    clock.set(at(20, 9))  # before the final-response deadline
    assert run.service.tick().breaches == 0
    assert len(run.breaches(storage.get(c.id))) == 1
    assert run.staff_messages().count(("sla_breach", "manager")) == 1


def test_an_acknowledgement_on_the_due_instant_is_met(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    clock.set(at(3, 17))
    assert run.service.tick().breaches == 0  # due, not yet past
    c = run.service.acknowledge(c.id, actor=HANDLER)
    ack = c.clock("acknowledgement")
    assert ack is not None and ack.met is True and ack.breached_at is None
    assert not c.breached and storage.count(ComplaintQuery(breached=True)) == 0


def test_a_breach_the_sweeper_found_is_not_recorded_again_by_the_late_completion(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    clock.set(at(4, 9))
    assert run.service.tick().breaches == 1
    clock.set(at(4, 11))
    c = run.service.acknowledge(c.id, actor=HANDLER)
    ack = c.clock("acknowledgement")
    assert ack is not None and ack.breached_at == at(3, 17) and ack.met is False
    (breach,) = run.breaches(c)
    assert breach.occurred_at == at(4, 9)
    staff = run.staff_messages()
    assert staff.count(("sla_breach", "manager")) == 1


def test_a_sweep_nineteen_days_late_records_the_breach_at_the_due_instant(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    c = run.service.acknowledge(c.id, actor=HANDLER)
    final = c.clock("final_response")
    assert final is not None and final.due_at == at(23, 17)
    noticed = at(23, 17) + timedelta(days=19)  # Sunday 11 April: the sweeper was down
    clock.set(noticed)
    assert run.service.tick().breaches == 1
    c = storage.get(c.id)
    final = c.clock("final_response")
    assert final is not None
    assert final.breached_at == at(23, 17)  # when the deadline passed, not when it was seen
    (breach,) = run.breaches(c)
    assert breach.occurred_at == noticed
    assert storage.count(ComplaintQuery(breached=True)) == 1
    run.service.dispatch()
    (message,) = [m for m in run.sent.sent if m.template == "sla_breach"]
    assert "2026-03-23 17:00" in message.body


def test_a_clock_paused_after_its_due_instant_is_breached(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    run.service.acknowledge(c.id, actor=HANDLER)
    run.service.assess(c.id, actor=HANDLER, impact=1, breadth="single")
    run.service.start_investigation(c.id, actor=HANDLER)
    clock.set(at(24, 10))  # past 23 March 17:00, no sweep ran
    c = run.service.request_information(c.id, actor=HANDLER)
    assert run.kinds(c)[-3:] == ["StateChanged", "SlaBreached", "SlaClockPaused"]
    final = c.clock("final_response")
    assert final is not None and final.breached_at == at(23, 17)
    assert storage.count(ComplaintQuery(breached=True)) == 1
    # Resuming keeps the recorded breach and its deadline.
    clock.set(at(26, 10))
    c = run.service.information_received(c.id, actor=HANDLER)
    final = c.clock("final_response")
    assert final is not None and (final.due_at, final.breached_at) == (at(23, 17), at(23, 17))
    assert run.service.tick().breaches == 0
    assert run.staff_messages().count(("sla_breach", "manager")) == 1


def test_a_laxer_target_does_not_hide_a_breach_no_sweep_has_seen(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    run.service.acknowledge(c.id, actor=HANDLER)
    c = run.service.assess(c.id, actor=HANDLER, impact=4, breadth="single", safety="actual")
    urgent = c.clock("final_response")
    assert urgent is not None and urgent.due_at == at(9, 17)  # P1: 5 business days
    clock.set(at(10, 9))  # overdue, but no sweep has run
    c = run.service.revise_assessment(
        c.id, actor=HANDLER, reason="not urgent after all", impact=1, breadth="single"
    )
    final = c.clock("final_response")
    assert final is not None and final.due_at == at(9, 17)  # the deadline it ran past stands
    assert run.service.tick().breaches == 1
    final = storage.get(c.id).clock("final_response")
    assert final is not None and final.breached_at == at(9, 17)


def test_withdrawing_before_a_deadline_breaches_nothing(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    clock.set(at(3, 9))
    c = run.service.withdraw(c.id, actor=HANDLER)
    assert all(k.stopped_at == at(3, 9) and k.breached_at is None for k in c.clocks)
    assert not c.breached
    assert run.staff_messages() == []


def test_withdrawing_after_a_missed_deadline_keeps_the_breach(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    c = run.service.receive(FORM, actor="frontdesk")
    clock.set(at(5, 9))  # never acknowledged
    c = run.service.withdraw(c.id, actor=HANDLER)
    ack, final = c.clock("acknowledgement"), c.clock("final_response")
    assert ack is not None and ack.breached_at == at(3, 17)
    assert final is not None and final.breached_at is None
    assert storage.count(ComplaintQuery(breached=True)) == 1
    assert run.staff_messages() == [("sla_breach", "manager")]
