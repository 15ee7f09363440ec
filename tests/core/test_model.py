"""Complaint values: validation on every field, aware datetimes in UTC, redacted personal data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import attrs
import pytest

from iso10002 import errors
from iso10002.model import (
    Assessment,
    Breadth,
    Channel,
    Classification,
    Complainant,
    ComplaintDetails,
    Complexity,
    MilestoneClock,
    MilestoneStatus,
    Note,
    Priority,
    Safety,
    Satisfaction,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def details(**changes: object) -> ComplaintDetails:
    fields: dict[str, object] = {
        "received_at": T0,
        "channel": Channel.EMAIL,
        "complainant_id": "cust-1",
        "subject": "Late delivery",
        "description": "The parcel arrived two weeks late.",
    }
    fields.update(changes)
    return ComplaintDetails(**fields)  # type: ignore[arg-type]


def test_datetimes_are_stored_in_utc_whatever_zone_they_came_in() -> None:
    local = datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    d = details(received_at=local)
    assert d.received_at == local
    assert d.received_at.tzinfo is timezone.utc
    assert d.received_at.hour == 9


@pytest.mark.parametrize(
    "build",
    [
        lambda: details(received_at=datetime(2026, 1, 5, 9, 0)),
        lambda: details(occurred_at=datetime(2026, 1, 1)),
        lambda: Note(text="x", author="alice", at=datetime(2026, 1, 1)),
        lambda: Satisfaction(score=3, at=datetime(2026, 1, 1)),
        lambda: MilestoneClock(milestone="acknowledgement", started_at=datetime(2026, 1, 1)),
    ],
)
def test_naive_datetimes_are_refused(build: object) -> None:
    with pytest.raises(errors.ValidationError, match="naive datetime refused"):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"channel": "fax"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 501}, "subject"),
        ({"description": 42}, "description"),
        ({"complainant_id": " padded "}, "complainant_id"),
        ({"complained_about": {""}}, "complained_about"),
        ({"attachments": ("not an attachment",)}, "attachments"),
        ({"received_at": "2026-01-05"}, "received_at"),
    ],
)
def test_bad_fields_name_the_field(changes: dict[str, object], path: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        details(**changes)
    assert caught.value.paths == (path,)


def test_lists_and_sets_are_frozen() -> None:
    d = details(complained_about=["bob"], attachments=[])
    assert d.complained_about == frozenset({"bob"})
    assert d.attachments == ()
    assert Classification(tags=["a", "b"]).tags == frozenset({"a", "b"})


def test_values_are_immutable() -> None:
    d = details()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.subject = "changed"  # type: ignore[misc]


def test_complainant_repr_redacts_personal_data() -> None:
    person = Complainant(
        id="cust-1", name="Jane Doe", email="jane@example.org", phone="+44 7700 900123"
    )
    text = repr(person)
    assert text == "Complainant(id='cust-1', <personal data redacted>)"
    for secret in ("Jane", "jane@example.org", "7700"):
        assert secret not in text
        assert secret not in str(person)


def test_complainant_needs_a_contact_route_and_errors_do_not_echo_it() -> None:
    with pytest.raises(errors.ValidationError) as caught:
        Complainant(id="cust-1", name="Jane Doe")
    assert caught.value.paths == ("email",)
    with pytest.raises(errors.ValidationError) as caught:
        Complainant(id="cust-1", name="Jane Doe", email="x" * 400)
    assert "x" * 20 not in str(caught.value)


def test_assessment_factors_are_checked() -> None:
    ok = Assessment(
        impact=2,
        breadth=Breadth.SINGLE,
        safety=Safety.NONE,
        complexity=Complexity.SIMPLE,
        priority=Priority.P3,
        overlays=[],
    )
    assert ok.overlays == frozenset()
    with pytest.raises(errors.ValidationError) as caught:
        attrs.evolve(ok, impact=5)
    assert caught.value.paths == ("impact",)
    with pytest.raises(errors.ValidationError):
        attrs.evolve(ok, overlays=frozenset({"vip"}))
    with pytest.raises(errors.ValidationError):
        attrs.evolve(ok, impact=True)


def test_clock_reports_its_next_check_and_outcome() -> None:
    due = T0 + timedelta(days=2)
    warn = T0 + timedelta(days=1)
    clock = MilestoneClock(
        milestone="acknowledgement", started_at=T0, due_at=due, warnings=((0.5, warn),)
    )
    assert clock.running
    assert clock.next_check_at == warn
    assert clock.met is None
    warned = attrs.evolve(clock, warnings_reached=(0.5,))
    assert warned.next_check_at == due
    assert attrs.evolve(warned, breached_at=due).next_check_at is None
    assert attrs.evolve(warned, breached_at=due).met is False
    stopped = attrs.evolve(clock, stopped_at=T0 + timedelta(hours=1))
    assert stopped.next_check_at is None
    assert stopped.met is True
    assert attrs.evolve(clock, stopped_at=due + timedelta(seconds=1)).met is False
    assert attrs.evolve(clock, paused_since=T0).next_check_at is None


@pytest.mark.parametrize(
    "changes",
    [
        {"warnings": ((1.5, T0),)},
        {"warnings": ((0.5, datetime(2026, 1, 1)),)},
        {"warnings": "soon"},
        {"pauses": ((T0, T0 - timedelta(seconds=1)),)},
        {"pauses": ((T0,),)},
        {"pauses": "never"},
    ],
)
def test_clock_rejects_malformed_warnings_and_pauses(changes: dict[str, object]) -> None:
    with pytest.raises(errors.ValidationError):
        MilestoneClock(milestone="m", started_at=T0, **changes)  # type: ignore[arg-type]


def test_clock_status_follows_the_facts() -> None:
    due = T0 + timedelta(days=2)
    hour = timedelta(hours=1)
    clock = MilestoneClock(milestone="acknowledgement", started_at=T0, due_at=due)
    assert clock.status(T0) is MilestoneStatus.RUNNING
    assert clock.status(due) is MilestoneStatus.RUNNING  # due, not yet past
    assert clock.status(due + hour) is MilestoneStatus.OVERDUE
    paused = attrs.evolve(clock, paused_since=T0 + hour)
    assert paused.status(due + 9 * hour) is MilestoneStatus.PAUSED
    assert attrs.evolve(clock, paused_since=due + hour).status(due) is MilestoneStatus.OVERDUE
    assert attrs.evolve(clock, stopped_at=due).status(due + 9 * hour) is MilestoneStatus.MET
    late = attrs.evolve(clock, stopped_at=due + hour)
    assert late.status(due + hour) is MilestoneStatus.MET_LATE and late.met is False
    recorded = attrs.evolve(clock, breached_at=due, breach_noticed_at=due + hour)
    assert recorded.status(T0) is MilestoneStatus.OVERDUE
    withdrawn = attrs.evolve(clock, stopped_at=T0 + hour, cancelled=True)
    assert withdrawn.status(due + hour) is MilestoneStatus.CANCELLED and withdrawn.met is None
    breached_then_withdrawn = attrs.evolve(late, breached_at=due, cancelled=True)
    assert breached_then_withdrawn.status(due + hour) is MilestoneStatus.CANCELLED
    assert breached_then_withdrawn.met is False
    with pytest.raises(errors.ValidationError):
        clock.status(datetime(2026, 1, 9))  # naive


def test_a_clock_stopped_while_paused_before_its_deadline_is_met() -> None:
    # While paused the recorded due instant is stale: the pause began before it, so the
    # deadline moved on, and a stop after the stale instant is no breach.
    due = T0 + timedelta(days=2)
    paused_at, stopped_at = T0 + timedelta(days=1), T0 + timedelta(days=5)
    clock = MilestoneClock(
        milestone="final_response",
        started_at=T0,
        due_at=due,
        pauses=((paused_at, stopped_at),),
        stopped_at=stopped_at,
    )
    assert clock.met is True and clock.status(stopped_at) is MilestoneStatus.MET
    late_pause = attrs.evolve(clock, pauses=((due + timedelta(hours=1), stopped_at),))
    assert late_pause.met is False and late_pause.status(stopped_at) is MilestoneStatus.MET_LATE
