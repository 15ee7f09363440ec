"""One complaint through the whole ISO 10002 process, on every backend, under a fake clock.

Receipt, SLA warnings, acknowledgement, assessment, a pause while awaiting the complainant,
decision, internal review, closing, satisfaction, reopening and external dispute resolution;
events, SLA status and notifications are checked at every step.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from iso10002 import events as ev
from iso10002.errors import (
    ConcurrencyConflict,
    GuardRejected,
    TransitionNotAllowed,
    ValidationError,
)
from iso10002.model import (
    Assessment,
    Breadth,
    Complaint,
    Complexity,
    EscalationKind,
    Outcome,
    Priority,
    Safety,
)
from iso10002.notify import RecordingNotifier
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling, EscalationPolicy, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
FORM = {
    "channel": "email",
    "subject": "Boiler repair not done",
    "description": "The engineer did not come on the agreed day, twice.",
    "desired_remedy": "Repair this week and a refund of the call-out fee",
    "name": "Jane Doe",
    "email": "jane.doe@example.org",
    "category": "delivery",
}
HANDLER = Actor("bob", roles=frozenset({"handler"}))
REVIEWER = Actor("carol", roles=frozenset({"reviewer"}))
MANAGER = Actor("dan", roles=frozenset({"manager"}))
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.INVESTIGATION,
    priority=Priority.P3,
)


def kinds(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)  # GMT: London time == UTC in March


class Run:
    """The service plus helpers to read what each step recorded and sent."""

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
        self.seen = 0

    def new_events(self, complaint: Complaint) -> list[str]:
        stored = self.storage.events(complaint.id)
        assert ev.replay(stored) == complaint  # storage holds exactly the fold
        fresh, self.seen = stored[self.seen :], len(stored)
        return kinds(fresh)

    def notifications(self) -> list[tuple[str, str]]:
        self.sent.clear()
        self.service.dispatch()
        return [(m.template, m.recipient) for m in self.sent.sent]


def test_full_lifecycle(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    run = Run(storage, calendar, policy, clock)
    svc = run.service

    # 7.2 receipt, Monday 2 March 10:00: reference given, both clocks started.
    c = svc.receive(FORM, actor="frontdesk", idempotency_key="web-form-81")
    assert c.reference == "CMP-2026-000001"
    assert c.state == "received"
    assert run.new_events(c) == ["ComplaintReceived", "SlaClockStarted", "SlaClockStarted"]
    ack, final = c.clock("acknowledgement"), c.clock("final_response")
    assert ack is not None and final is not None
    assert ack.due_at == at(3, 17)  # close of the next business day
    assert final.due_at == at(23, 17)  # close of the 15th business day
    assert svc.receive(FORM, actor="frontdesk", idempotency_key="web-form-81") == c
    assert run.notifications() == []
    status = svc.status_by_reference(c.reference)
    assert (status.stage, status.next_step, status.closed) == ("Received", "acknowledgement", False)

    # Tuesday 10:00: the sweeper records the 50 % warning of the acknowledgement, once.
    clock.set(at(3, 10))
    assert svc.tick().warnings == 1
    assert svc.tick().warnings == 0
    c = storage.get(c.id)
    assert run.new_events(c) == ["SlaWarningReached"]
    assert run.notifications() == [("sla_warning", "handler")]

    # 7.4 acknowledgement stops its clock on time; the complainant is told the reply date.
    c = svc.acknowledge(c.id, actor=HANDLER)
    assert run.new_events(c) == ["ComplaintAcknowledged", "StateChanged", "SlaClockStopped"]
    ack = c.clock("acknowledgement")
    assert ack is not None and ack.met is True
    sent = run.notifications()
    assert sent == [("acknowledgement", "complainant")]
    assert run.sent.sent[0].address == "jane.doe@example.org"
    assert "Monday 23 March 2026" in run.sent.sent[0].body

    # 7.5 assessment and 7.6 investigation.
    c = svc.assess(c.id, actor=HANDLER, assessment=ASSESSMENT)
    c = svc.start_investigation(c.id, actor=HANDLER)
    assert c.state == "investigating"
    assert run.new_events(c) == ["ComplaintAssessed", "StateChanged", "StateChanged"]

    # Wednesday 10:00 to Monday 9 March 10:00 awaiting the complainant: the clock pauses for
    # three business days (24 business hours) and its deadline moves by as much.
    clock.set(at(4, 10))
    c = svc.request_information(c.id, actor=HANDLER)
    assert run.new_events(c) == ["StateChanged", "SlaClockPaused"]
    status = svc.status_by_reference(c.reference)
    assert status.stage == "Waiting for information from you"
    assert status.next_date is None
    clock.set(at(9, 10))
    assert svc.tick().examined == 0  # a paused clock is not swept
    c = svc.information_received(c.id, actor=HANDLER)
    assert run.new_events(c) == ["StateChanged", "SlaClockResumed"]
    final = c.clock("final_response")
    assert final is not None
    assert final.due_at == at(26, 17)
    assert final.pauses == ((at(4, 10), at(9, 10)),)
    assert svc.status_by_reference(c.reference).next_date == at(26, 17).date()

    # 7.6-7.8: findings, decision, communication; the final-response clock stops, met.
    clock.set(at(10, 11))
    c = svc.record_findings(
        c.id, actor=HANDLER, summary="Two missed visits.", root_causes=frozenset({"process"})
    )
    c = svc.decide(
        c.id,
        actor=HANDLER,
        outcome=Outcome.PARTLY_UPHELD,
        reasons="Visit missed; refund due.",
        remedies=("apology", "refund"),
    )
    c = svc.communicate_decision(c.id, actor=HANDLER)
    assert c.state == "responded"
    assert run.new_events(c) == [
        "FindingsRecorded",
        "DecisionMade",
        "DecisionCommunicated",
        "StateChanged",
        "SlaClockStopped",
    ]
    final = c.clock("final_response")
    assert final is not None and final.met is True
    assert run.notifications() == [("decision", "complainant")]
    assert "partly upheld" in run.sent.sent[0].body

    # Not accepted: closing needs acceptance or the external options; internal review follows.
    c = svc.record_reply(c.id, actor=HANDLER, accepted=False, comment="Refund too small")
    with pytest.raises(GuardRejected):
        svc.close(c.id, actor=HANDLER)
    c = svc.escalate(c.id, actor=HANDLER, kind=EscalationKind.INTERNAL_REVIEW, reason="rejected")
    assert c.state == "internal_review"
    assert run.new_events(c) == [
        "ComplainantReplied",
        "ComplaintEscalated",
        "StateChanged",
        "SlaClockStarted",
    ]
    review = c.clock("review_response")
    assert review is not None and review.due_at == at(24, 17)  # 10 business days from 10 March
    assert run.notifications() == [("escalation", "manager")]
    # Objectivity (4.7): the first decision-maker cannot review it, nor can a non-reviewer.
    with pytest.raises(TransitionNotAllowed):
        svc.decide(c.id, actor=HANDLER, outcome=Outcome.UPHELD, reasons="x")
    with pytest.raises(GuardRejected):
        svc.decide(
            c.id,
            actor=Actor("bob", roles=frozenset({"reviewer"})),
            outcome=Outcome.UPHELD,
            reasons="x",
        )
    c = svc.decide(
        c.id,
        actor=REVIEWER,
        outcome=Outcome.UPHELD,
        reasons="Full refund.",
        remedies=("refund", "compensation"),
    )
    c = svc.communicate_decision(c.id, actor=REVIEWER, external_options_given=True)
    assert run.new_events(c)[-1] == "SlaClockStopped"
    review = c.clock("review_response")
    assert review is not None and review.met is True
    assert run.notifications() == [("decision", "complainant")]

    # 7.9 closing, 8.3 satisfaction.
    c = svc.close(c.id, actor=HANDLER)
    c = svc.record_satisfaction(c.id, actor=HANDLER, score=4)
    assert c.state == "closed" and c.satisfaction is not None and c.satisfaction.score == 4
    assert run.new_events(c) == ["ComplaintClosed", "StateChanged", "SatisfactionRecorded"]
    assert svc.status_by_reference(c.reference).closed

    # Reopening (managers only) restarts the final-response clock from the reopening.
    clock.set(at(16, 9))
    with pytest.raises(TransitionNotAllowed):
        svc.reopen(c.id, actor=HANDLER)
    c = svc.reopen(c.id, actor=MANAGER, reason="New evidence")
    assert c.state == "reopened" and c.reopened == 1
    assert run.new_events(c) == ["ComplaintReopened", "StateChanged", "SlaClockStarted"]
    final = c.clock("final_response")
    assert final is not None and final.started_at == at(16, 9)
    assert final.due_at == calendar.close_of_business_day(at(16, 9), 15)

    # Investigated again, answered, then taken to external dispute resolution (ISO 10003).
    c = svc.start_investigation(c.id, actor=HANDLER)
    c = svc.decide(c.id, actor=HANDLER, outcome=Outcome.NOT_UPHELD, reasons="No new facts.")
    c = svc.communicate_decision(c.id, actor=HANDLER, external_options_given=True)
    c = svc.escalate(
        c.id, actor=HANDLER, kind=EscalationKind.EXTERNAL_DISPUTE, provider="Energy Ombudsman"
    )
    assert c.state == "external_dispute"
    assert c.escalations[-1].provider == "Energy Ombudsman"
    c = svc.close(c.id, actor=HANDLER, reason="ombudsman decision")
    assert c.state == "closed"
    assert ev.replay(storage.events(c.id)) == storage.get(c.id) == c
    assert run.notifications() == [("decision", "complainant"), ("escalation", "manager")]
    # Every notification went out once: a further dispatch sends nothing.
    assert run.notifications() == []


def test_sweeper_records_breaches_once_and_escalates(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    sent = RecordingNotifier()
    svc = ComplaintsHandling(
        storage,
        sla=PolicyPlanner(calendar, policy),
        notifier=sent,
        clock=clock,
        escalation=EscalationPolicy(raise_priority=True, reassign_team="escalations"),
        dispatcher_options={"addresses": {"manager": "boss@example.com"}},
    )
    c = svc.receive(FORM, actor="frontdesk")
    c = svc.acknowledge(c.id, actor=HANDLER)
    c = svc.assess(c.id, actor=HANDLER, assessment=ASSESSMENT)
    clock.set(at(24, 9))  # past the final-response deadline of 23 March 17:00
    report = svc.tick()
    assert (report.examined, report.warnings, report.breaches) == (1, 3, 1)
    c = storage.get(c.id)
    final = c.clock("final_response")
    # Breached when the deadline passed; noticed by this sweep.
    assert final is not None and final.breached_at == at(23, 17) and final.met is False
    assert final.breach_noticed_at == at(24, 9)
    assert c.breached and c.next_sla_at is None
    assert c.priority is Priority.P2 and c.team == "escalations"
    assert svc.tick() == svc.tick()  # nothing more to record
    assert storage.count(ComplaintQuery(breached=True)) == 1
    svc.dispatch()
    assert ("sla_breach", "manager") in [(m.template, m.recipient) for m in sent.sent]


def test_a_breach_stays_when_a_laxer_target_follows(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    svc = ComplaintsHandling(storage, sla=PolicyPlanner(calendar, policy), clock=clock)
    c = svc.receive(FORM, actor="frontdesk")
    svc.acknowledge(c.id, actor=HANDLER)
    c = svc.assess(c.id, actor=HANDLER, impact=4, breadth="single", safety="actual")  # P1: 5 BD
    urgent = c.clock("final_response")
    assert urgent is not None and urgent.due_at == at(9, 17)
    clock.set(at(10, 9))
    assert svc.tick().breaches == 1
    c = svc.revise_assessment(
        c.id, actor=HANDLER, reason="not urgent after all", impact=1, breadth="single"
    )
    final = c.clock("final_response")
    assert final is not None
    assert (final.due_at, final.breached_at, final.met) == (at(9, 17), at(9, 17), False)
    # Before a breach, a stricter target applies at once and may already have passed.
    c2 = svc.receive({**FORM, "subject": "second"}, actor="frontdesk")
    svc.acknowledge(c2.id, actor=HANDLER)
    clock.set(at(18, 9))
    c2 = svc.assess(c2.id, actor=HANDLER, impact=4, breadth="single", safety="actual")
    moved = c2.clock("final_response")
    assert moved is not None and moved.due_at == at(17, 17)
    assert svc.tick().breaches == 1


class Unbatched:
    """Storage without the optional save_many: the sweeper saves one complaint at a time."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        if name == "save_many":
            raise AttributeError(name)
        return getattr(self.inner, name)


class ConflictOnce(Unbatched):
    """A batch that meets a concurrent writer once, then storage as usual."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.conflicts = 0

    def save_many(self, updates: list[object]) -> None:
        if not self.conflicts:
            self.conflicts += 1
            raise ConcurrencyConflict("c", 1, 2)
        self.inner.save_many(updates)  # type: ignore[attr-defined]


@pytest.mark.parametrize("wrapper", [Unbatched, ConflictOnce])
def test_the_sweeper_falls_back_to_single_saves(
    wrapper: type[Unbatched], calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    from iso10002.backends import MemoryRepository

    storage = wrapper(MemoryRepository())
    svc = ComplaintsHandling(
        storage,  # type: ignore[arg-type]
        sla=PolicyPlanner(calendar, policy),
        clock=clock,
    )
    ids = [svc.receive({**FORM, "subject": f"s{i}"}, actor="web").id for i in range(3)]
    clock.set(at(4, 10))
    report = svc.tick()
    assert (report.examined, report.breaches) == (3, 3)
    assert all(storage.inner.get(i).breached for i in ids)
    assert svc.tick().examined == 0


def test_a_breach_stays_across_a_pause(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    svc = ComplaintsHandling(storage, sla=PolicyPlanner(calendar, policy), clock=clock)
    c = svc.receive(FORM, actor="frontdesk")
    svc.acknowledge(c.id, actor=HANDLER)
    svc.assess(c.id, actor=HANDLER, impact=4, breadth="single", safety="actual")  # P1: 5 BD
    svc.start_investigation(c.id, actor=HANDLER)
    clock.set(at(10, 9))
    assert svc.tick().breaches == 1
    svc.request_information(c.id, actor=HANDLER)
    svc.revise_assessment(c.id, actor=HANDLER, reason="minor", impact=1, breadth="single")
    clock.set(at(12, 9))
    c = svc.information_received(c.id, actor=HANDLER)
    final = c.clock("final_response")
    assert final is not None
    assert (final.due_at, final.breached_at) == (at(9, 17), at(9, 17))
    assert final.pauses == ((at(10, 9), at(12, 9)),)


def test_the_service_lists_open_and_finished_complaints(storage: Storage, clock: FakeClock) -> None:
    svc = ComplaintsHandling(storage, clock=clock)
    ids = [svc.receive({**FORM, "subject": f"s{i}"}, actor="web").id for i in range(5)]
    svc.withdraw(ids[1], actor=HANDLER, reason="sorted out")
    svc.acknowledge(ids[2], actor=HANDLER)
    assert sorted(c.id for c in svc.complaints()) == sorted(ids)
    assert {c.id for c in svc.complaints(open=True)} == {ids[0], ids[2], ids[3], ids[4]}
    assert [c.id for c in svc.complaints(open=False)] == [ids[1]]
    received = ComplaintQuery(states=frozenset({"received"}))
    assert {c.id for c in svc.complaints(received, open=True)} == {ids[0], ids[3], ids[4]}
    assert list(svc.complaints(received, open=False)) == []
    with pytest.raises(ValidationError):
        list(svc.complaints(open="yes"))  # type: ignore[arg-type]
