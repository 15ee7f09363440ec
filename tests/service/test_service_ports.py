"""The service takes any value that provides a port, wrappers that delegate included, on every
Python; it refuses one missing methods and names them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from iso10002.backends import MemoryRepository
from iso10002.errors import ConfigurationError
from iso10002.notify import RecordingNotifier
from iso10002.references import YearlyReferences
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock

FORM = {
    "channel": "web",
    "subject": "Refund not paid",
    "description": "The refund promised on the phone has not arrived.",
    "name": "Jane Doe",
    "email": "jane.doe@example.org",
}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


class Delegating:
    """A wrapper (metrics, tracing, retries) that forwards every attribute to what it wraps."""

    def __init__(self, inner: object, hide: frozenset[str] = frozenset()) -> None:
        self.inner = inner
        self.hide = hide
        self.looked_up: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in self.hide:
            raise AttributeError(name)
        self.looked_up.append(name)
        return getattr(self.inner, name)


def test_every_port_may_be_a_delegating_wrapper(
    calendar: BusinessCalendar, policy: SlaPolicy
) -> None:
    inner = MemoryRepository()
    storage = Delegating(inner)
    sent = RecordingNotifier()
    notifier = Delegating(sent)
    clock = FakeClock(at(2, 9))
    svc = ComplaintsHandling(
        storage,
        sla=Delegating(PolicyPlanner(calendar, policy)),
        notifier=notifier,
        clock=Delegating(clock),
        references=Delegating(YearlyReferences(inner, prefix="WRAP")),
        dispatcher_options={"addresses": {"manager": "boss@example.com"}},
    )
    ids = [svc.receive({**FORM, "subject": f"s{i}"}, actor="web").id for i in range(2)]
    assert [inner.get(i).reference for i in ids] == ["WRAP-2026-000001", "WRAP-2026-000002"]
    clock.set(at(4, 10))  # past the one-business-day acknowledgement target
    storage.looked_up.clear()
    assert svc.tick().breaches == 2
    # The batch capability is found through the wrapper too: save_many, no single saves.
    assert "save_many" in storage.looked_up
    assert "save" not in storage.looked_up
    assert all(inner.get(i).breached for i in ids)
    notifier.looked_up.clear()
    report = svc.dispatch()
    assert report.delivered == len(sent.sent) > 0
    assert sent.templates().count("sla_breach") == 2
    assert notifier.looked_up == ["send"] * report.delivered


def test_a_wrapper_missing_methods_is_refused_with_their_names(
    calendar: BusinessCalendar, policy: SlaPolicy
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ComplaintsHandling(
            Delegating(MemoryRepository(), hide=frozenset({"query", "count"})),
            sla=Delegating(PolicyPlanner(calendar, policy), hide=frozenset({"plan"})),
            notifier=Delegating(RecordingNotifier(), hide=frozenset({"send"})),
            clock=Delegating(FakeClock(at(2, 9)), hide=frozenset({"now"})),
            references=Delegating(
                YearlyReferences(MemoryRepository()), hide=frozenset({"conflict"})
            ),
        )
    assert caught.value.paths == ("storage", "sla", "notifier", "clock", "references")
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid ComplaintsHandling (5 problems):"
    assert lines[1:] == [
        f"  - {name}: expected {port}, got a value of type Delegating (missing {missing})"
        for name, port, missing in [
            ("storage", "ComplaintRepository", "count, query"),
            ("sla", "SlaPlanner", "plan"),
            ("notifier", "Notifier", "send"),
            ("clock", "Clock", "now"),
            ("references", "ReferenceGenerator", "conflict"),
        ]
    ]


def test_storage_without_the_batch_capability_saves_one_at_a_time(
    calendar: BusinessCalendar, policy: SlaPolicy
) -> None:
    inner = MemoryRepository()
    storage = Delegating(inner, hide=frozenset({"save_many"}))
    clock = FakeClock(at(2, 9))
    svc = ComplaintsHandling(
        storage,
        sla=PolicyPlanner(calendar, policy),
        clock=clock,
    )
    for i in range(2):
        svc.receive({**FORM, "subject": f"s{i}"}, actor="web")
    clock.set(at(4, 10))
    storage.looked_up.clear()
    assert svc.tick().breaches == 2
    assert storage.looked_up.count("save") == 2
