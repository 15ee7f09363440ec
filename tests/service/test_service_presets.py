"""Regulatory presets plug into the service by name; whether a clock stops while waiting for
the complainant is the policy's rule, not the workflow's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from iso10002 import events as ev
from iso10002.errors import ConfigurationError
from iso10002.ports import Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, PresetPlanner, SlaPolicy, preset
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

LONDON = ZoneInfo("Europe/London")
ENGLAND = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"],
    }
)
HANDLER = Actor("bob", roles=frozenset({"handler"}))
FORM = {
    "channel": "email",
    "subject": "Mis-sold insurance",
    "description": "The policy was not what I was told.",
    "name": "Ann Lee",
    "email": "ann@example.org",
}
# Friday 1 May 2026, 17:45 in London: after hours, before the early May bank holiday.
RECEIVED = datetime(2026, 5, 1, 17, 45, tzinfo=LONDON)


def _wait_ten_days(svc: ComplaintsHandling, clock: FakeClock, complaint_id: str) -> None:
    svc.acknowledge(complaint_id, actor=HANDLER)
    svc.assess(complaint_id, actor=HANDLER, impact=2, breadth="single")
    svc.start_investigation(complaint_id, actor=HANDLER)
    clock.set(RECEIVED + timedelta(days=5))
    svc.request_information(complaint_id, actor=HANDLER)
    clock.set(RECEIVED + timedelta(days=15))
    svc.information_received(complaint_id, actor=HANDLER)


def test_the_fca_preset_by_name_keeps_its_eight_weeks_through_a_wait(storage: Storage) -> None:
    clock = FakeClock(RECEIVED.astimezone(timezone.utc))
    planner = PolicyPlanner.from_preset("uk_fca", ENGLAND)
    assert isinstance(planner, PresetPlanner)
    svc = ComplaintsHandling(storage, sla=planner, clock=clock)
    c = svc.receive(FORM, actor="web")
    expected = preset("uk_fca").deadlines(ENGLAND, receipt=RECEIVED)["final_response"]
    # The end of Friday 26 June 2026 in London: eight weeks, to the end of the day.
    assert expected == datetime(2026, 6, 27, tzinfo=LONDON)
    final = c.clock("final_response")
    assert final is not None and final.due_at == expected
    _wait_ten_days(svc, clock, c.id)
    after = storage.get(c.id).clock("final_response")
    assert after is not None and after.due_at == expected and after.pauses == ()
    kinds = {type(e) for e in storage.events(c.id)}
    assert ev.SlaClockPaused not in kinds
    assert storage.get(c.id).clock("acknowledgement") is None  # the preset has no such rule


def test_an_own_policy_decides_which_clocks_stop_while_waiting(storage: Storage) -> None:
    policy = SlaPolicy.from_dict(
        {"default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}}}
    )
    clock = FakeClock(RECEIVED.astimezone(timezone.utc))
    pausing = ComplaintsHandling(storage, sla=PolicyPlanner(ENGLAND, policy), clock=clock)
    c = pausing.receive(FORM, actor="web")
    before = c.clock("final_response")
    assert before is not None and before.due_at is not None
    _wait_ten_days(pausing, clock, c.id)
    moved = storage.get(c.id).clock("final_response")
    assert moved is not None and moved.due_at is not None and moved.due_at > before.due_at
    assert len(moved.pauses) == 1  # the wait stood the clock still

    again = FakeClock(RECEIVED.astimezone(timezone.utc))
    steady = ComplaintsHandling(
        storage, sla=PolicyPlanner(ENGLAND, policy, pause_while_waiting=()), clock=again
    )
    d = steady.receive({**FORM, "subject": "second"}, actor="web")
    start = d.clock("final_response")
    assert start is not None
    _wait_ten_days(steady, again, d.id)
    kept = storage.get(d.id).clock("final_response")
    assert kept is not None and kept.due_at == start.due_at and kept.pauses == ()


@pytest.mark.parametrize(
    "bad", [{"pause_while_waiting": "final_response"}, {"pause_while_waiting": 3}]
)
def test_a_bad_pause_rule_is_refused(bad: dict[str, object]) -> None:
    policy = SlaPolicy.from_dict({"default": {"final_response": {"weeks": 8}}})
    with pytest.raises(ConfigurationError, match="pause_while_waiting"):
        PolicyPlanner(ENGLAND, policy, **bad)  # type: ignore[arg-type]


def test_an_unknown_preset_is_refused_with_the_known_names() -> None:
    with pytest.raises(ConfigurationError, match="uk_fca"):
        PolicyPlanner.from_preset("uk_nope", ENGLAND)
