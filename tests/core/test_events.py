"""Events fold into complaints: apply is pure, checks order, and replay reproduces a complaint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import errors
from iso10002 import events as ev
from iso10002.model import (
    Assessment,
    Breadth,
    Channel,
    ComplaintDetails,
    Complexity,
    Outcome,
    Priority,
    Safety,
)
from iso10002.serialization import dump, load
from iso10002.testing.strategies import event_histories

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def received() -> ev.ComplaintReceived:
    return ev.ComplaintReceived(
        complaint_id="c-1",
        sequence=1,
        occurred_at=T0,
        actor="alice",
        reference="CMP-2026-000001",
        state="received",
        details=ComplaintDetails(
            received_at=T0,
            channel=Channel.WEB,
            complainant_id="cust-1",
            subject="Late delivery",
            description="Two weeks late.",
        ),
    )


def nxt(cls: type[ev.Event], seq: int, **fields: object) -> ev.Event:
    return cls(
        complaint_id="c-1",
        sequence=seq,
        occurred_at=T0 + timedelta(hours=seq),
        actor=str(fields.pop("actor", "alice")),
        **fields,
    )


@given(event_histories())
def test_replay_reproduces_the_complaint_event_by_event(history: list[ev.Event]) -> None:
    complaint = None
    for event in history:
        complaint = ev.apply(complaint, event)
        assert complaint.version == event.sequence
    assert ev.replay(history) == complaint
    # Folding a prefix and then the rest gives the same complaint.
    middle = len(history) // 2
    assert ev.replay(history[middle:], ev.replay(history[:middle])) == complaint


def _revalidated(value: object) -> object:
    """*value* rebuilt through its validators and converters, nested values first."""
    kind: Any = type(value)
    if attrs.has(kind):
        fields = attrs.fields(kind)
        return kind(**{f.name: _revalidated(getattr(value, f.name)) for f in fields})
    if type(value) is tuple:
        return tuple(_revalidated(item) for item in value)
    return value


@given(event_histories())
def test_apply_builds_values_their_validators_accept(history: list[ev.Event]) -> None:
    # Oracle: the validating constructors. apply builds values from a validated event without
    # validating them again; every one must be what the validated constructor gives.
    complaint = None
    for event in history:
        complaint = ev.apply(complaint, event)
        twin = _revalidated(complaint)
        assert twin == complaint
        assert dump(twin) == dump(complaint)  # also the same offsets and types


@given(event_histories(), st.data())
def test_apply_never_mutates_its_input(history: list[ev.Event], data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(history) - 1))
    before = ev.replay(history[:cut])
    snapshot = attrs.asdict(before, recurse=True)
    ev.apply(before, history[cut])
    assert attrs.asdict(before, recurse=True) == snapshot


def test_every_event_type_is_registered_by_name() -> None:
    assert set(ev.EVENT_TYPES) == {
        name
        for name in ev.__all__
        if isinstance(getattr(ev, name), type) and issubclass(getattr(ev, name), ev.Event)
        if getattr(ev, name) is not ev.Event
    }


def test_lifecycle_fold_records_each_fact() -> None:
    c = ev.apply(None, received())
    c = ev.apply(c, nxt(ev.ComplaintAcknowledged, 2))
    c = ev.apply(
        c,
        nxt(ev.StateChanged, 3, transition="acknowledge", from_state="received", to_state="ack"),
    )
    c = ev.apply(c, nxt(ev.DecisionMade, 4, outcome=Outcome.UPHELD, reasons="ok", actor="bob"))
    c = ev.apply(c, nxt(ev.DecisionCommunicated, 5, external_options_given=True))
    c = ev.apply(c, nxt(ev.ComplaintClosed, 6))
    c = ev.apply(c, nxt(ev.ComplaintReopened, 7))
    assert c.state == "ack"
    assert c.acknowledged_at == T0 + timedelta(hours=2)
    assert c.decision is not None
    assert c.decision.decided_by == "bob"
    assert c.decision.communicated_at == T0 + timedelta(hours=5)
    assert c.closure is None
    assert c.reopened == 1
    assert c.version == 7


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (nxt(ev.NoteAdded, 3, text="x"), "expected 2"),
        (nxt(ev.NoteAdded, 1, text="x"), "expected 2"),
        (received(), "only once"),
        (
            attrs.evolve(nxt(ev.NoteAdded, 2, text="x"), complaint_id="c-2"),
            "belongs to complaint",
        ),
        (
            nxt(ev.StateChanged, 2, transition="t", from_state="elsewhere", to_state="x"),
            "complaint is in 'received'",
        ),
        (nxt(ev.DecisionCommunicated, 2), "never made"),
        (nxt(ev.SlaClockPaused, 2, milestone="final_response"), "no SLA clock"),
    ],
)
def test_apply_refuses_events_that_do_not_follow(event: ev.Event, message: str) -> None:
    complaint = ev.apply(None, received())
    with pytest.raises(errors.ValidationError, match=message):
        ev.apply(complaint, event)


def test_the_first_event_must_be_the_receipt() -> None:
    with pytest.raises(errors.ValidationError, match="must be ComplaintReceived"):
        ev.apply(None, nxt(ev.NoteAdded, 1, text="x"))
    with pytest.raises(errors.ValidationError, match="must be event 1"):
        ev.apply(None, attrs.evolve(received(), sequence=2))
    with pytest.raises(errors.ValidationError, match="no events"):
        ev.replay([])


def test_clock_events_follow_the_clock_state() -> None:
    c = ev.apply(None, received())
    due = T0 + timedelta(days=1)
    c = ev.apply(c, nxt(ev.SlaClockStarted, 2, milestone="m", due_at=due))
    c = ev.apply(c, nxt(ev.SlaClockPaused, 3, milestone="m"))
    with pytest.raises(errors.ValidationError, match="not running"):
        ev.apply(c, nxt(ev.SlaClockPaused, 4, milestone="m"))
    c = ev.apply(c, nxt(ev.SlaClockResumed, 4, milestone="m", due_at=due + timedelta(hours=1)))
    clock = c.clock("m")
    assert clock is not None
    assert clock.pauses == ((T0 + timedelta(hours=3), T0 + timedelta(hours=4)),)
    assert clock.due_at == due + timedelta(hours=1)
    with pytest.raises(errors.ValidationError, match="not paused"):
        ev.apply(c, nxt(ev.SlaClockResumed, 5, milestone="m"))
    c = ev.apply(c, nxt(ev.SlaWarningReached, 5, milestone="m", threshold=0.5))
    with pytest.raises(errors.ValidationError, match="already reached"):
        ev.apply(c, nxt(ev.SlaWarningReached, 6, milestone="m", threshold=0.5))
    c = ev.apply(c, nxt(ev.SlaBreached, 6, milestone="m"))
    with pytest.raises(errors.ValidationError, match="already breached"):
        ev.apply(c, nxt(ev.SlaBreached, 7, milestone="m"))
    c = ev.apply(c, nxt(ev.SlaClockPaused, 7, milestone="m"))
    c = ev.apply(c, nxt(ev.SlaClockStopped, 8, milestone="m"))
    stopped = c.clock("m")
    assert stopped is not None
    assert stopped.paused_since is None
    assert len(stopped.pauses) == 2
    with pytest.raises(errors.ValidationError, match="already stopped"):
        ev.apply(c, nxt(ev.SlaClockStopped, 9, milestone="m"))
    assert c.breached
    assert c.clock("other") is None


def test_revising_needs_an_assessment() -> None:
    c = ev.apply(None, received())
    assessment = Assessment(
        impact=1,
        breadth=Breadth.SINGLE,
        safety=Safety.NONE,
        complexity=Complexity.SIMPLE,
        priority=Priority.P4,
    )
    with pytest.raises(errors.ValidationError, match="never recorded"):
        ev.apply(c, nxt(ev.AssessmentRevised, 2, assessment=assessment, reason="r"))


def test_retargeting_moves_the_due_instant_but_not_the_start() -> None:
    c = ev.apply(None, received())
    due = T0 + timedelta(days=5)
    c = ev.apply(c, nxt(ev.SlaClockStarted, 2, milestone="m", due_at=due))
    sooner = T0 + timedelta(days=1)
    c = ev.apply(c, nxt(ev.SlaClockRetargeted, 3, milestone="m", due_at=sooner))
    clock = c.clock("m")
    assert clock is not None
    assert (clock.started_at, clock.due_at) == (T0 + timedelta(hours=2), sooner)
    c = ev.apply(c, nxt(ev.SlaClockStopped, 4, milestone="m"))
    with pytest.raises(errors.ValidationError, match="already stopped"):
        ev.apply(c, nxt(ev.SlaClockRetargeted, 5, milestone="m", due_at=due))


def test_a_breach_is_at_the_due_instant_and_noticed_when_recorded() -> None:
    c = ev.apply(None, received())
    due = T0 + timedelta(hours=3)
    c = ev.apply(c, nxt(ev.SlaClockStarted, 2, milestone="m", due_at=due))
    c = ev.apply(c, nxt(ev.NoteAdded, 3, text="x"))
    with pytest.raises(errors.ValidationError, match="other than its due_at"):
        ev.apply(c, nxt(ev.SlaBreached, 4, milestone="m", due_at=due + timedelta(hours=1)))
    with pytest.raises(errors.ValidationError, match="no later than its due instant"):
        ev.apply(
            c, attrs.evolve(nxt(ev.SlaBreached, 4, milestone="m", due_at=due), occurred_at=due)
        )
    c = ev.apply(c, nxt(ev.SlaBreached, 4, milestone="m", due_at=due))
    clock = c.clock("m")
    assert clock is not None
    assert (clock.breached_at, clock.breach_noticed_at) == (due, T0 + timedelta(hours=4))
    c = ev.apply(c, nxt(ev.SlaClockStopped, 5, milestone="m", cancelled=True))
    clock = c.clock("m")
    assert clock is not None and clock.cancelled and clock.met is False and c.breached


def test_a_breach_stored_without_its_due_instant_keeps_the_instant_it_recorded() -> None:
    # Events stored before SlaBreached carried due_at: the breach stays where it was recorded.
    c = ev.apply(None, received())
    c = ev.apply(c, nxt(ev.SlaClockStarted, 2, milestone="m", due_at=T0))
    stored = dump(nxt(ev.SlaBreached, 3, milestone="m"))
    del stored["due_at"]
    event = load(stored)
    assert isinstance(event, ev.SlaBreached) and event.due_at is None
    clock = ev.apply(c, event).clock("m")
    assert clock is not None
    assert (clock.breached_at, clock.breach_noticed_at) == (T0 + timedelta(hours=3), None)
