"""Port checks: ``provides`` and ``require_port`` give the same verdict on every Python.

``isinstance`` against a runtime-checkable protocol looks members up with ``hasattr`` up to
Python 3.11 and with ``inspect.getattr_static`` from 3.12, so a wrapper that delegates through
``__getattr__`` fits on one and not on the other. The port checks look members up as callers do.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import pytest

from iso10002.backends import MemoryRepository
from iso10002.clock import Clock, SystemClock
from iso10002.errors import ConfigurationError
from iso10002.notify import Notifier, RecordingNotifier
from iso10002.ports import (
    BatchSaving,
    ComplaintRepository,
    DeliveryLog,
    Storage,
    _members,
    provides,
    require_port,
)
from iso10002.references import ReferenceGenerator, YearlyReferences
from iso10002.service import PolicyPlanner, SlaPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock


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


def _planner() -> PolicyPlanner:
    calendar = BusinessCalendar.from_dict(
        {"timezone": "UTC", "week": {"mon": [["09:00", "17:00"]]}}
    )
    policy = SlaPolicy.from_dict({"default": {"acknowledgement": {"business_days": 1}}})
    return PolicyPlanner(calendar, policy)


# Every port the package defines, each with an implementation the package bundles.
PORTS: dict[type, Callable[[], object]] = {
    ComplaintRepository: MemoryRepository,
    Storage: MemoryRepository,
    BatchSaving: MemoryRepository,
    DeliveryLog: lambda: MemoryRepository().deliveries,
    Clock: SystemClock,
    Notifier: RecordingNotifier,
    ReferenceGenerator: lambda: YearlyReferences(MemoryRepository()),
    SlaPlanner: _planner,
}
IDS = [port.__name__ for port in PORTS]


def _typing_members(protocol: type) -> set[str]:
    if sys.version_info >= (3, 12):
        return set(protocol.__protocol_attrs__)  # type: ignore[attr-defined]
    return set(typing._get_protocol_attrs(protocol))  # type: ignore[attr-defined]


@pytest.mark.parametrize("protocol", PORTS, ids=IDS)
def test_the_members_checked_are_the_ones_typing_knows(protocol: type) -> None:
    members = dict(_members(protocol))
    assert set(members) == _typing_members(protocol)
    data = {name for name, method in members.items() if not method}
    assert data == ({"deliveries"} if protocol is Storage else set())
    if sys.version_info >= (3, 13):
        assert data == protocol.__non_callable_proto_members__  # type: ignore[attr-defined]


@pytest.mark.parametrize("protocol", PORTS, ids=IDS)
def test_an_implementation_and_a_delegating_wrapper_of_it_fit(protocol: type) -> None:
    implementation = PORTS[protocol]()
    assert isinstance(implementation, protocol)
    wrapper = Delegating(implementation)
    assert provides(implementation, protocol)
    assert provides(wrapper, protocol)
    require_port("port", wrapper, protocol)
    # isinstance sees the wrapper up to Python 3.11 only (static lookup from 3.12 on).
    assert isinstance(wrapper, protocol) is (sys.version_info < (3, 12))


@pytest.mark.parametrize("protocol", PORTS, ids=IDS)
def test_a_value_missing_members_is_refused_by_name(protocol: type) -> None:
    names = [name for name, _ in _members(protocol)]
    hidden = frozenset(names[::2])
    wrapper = Delegating(PORTS[protocol](), hide=hidden)
    assert not provides(wrapper, protocol)
    with pytest.raises(ConfigurationError) as caught:
        require_port("port", wrapper, protocol, what="Thing")
    assert caught.value.paths == ("port",)
    text = str(caught.value)
    assert text.startswith(f"invalid Thing: port: expected {protocol.__name__}")
    assert "got a value of type Delegating" in text
    assert text.endswith(")")
    assert text.rsplit(" (missing ", 1)[1][:-1].split(", ") == sorted(hidden)


def test_a_member_that_cannot_be_called_is_refused() -> None:
    class Muted:
        send = None

    class Stopped:
        now = datetime(2026, 1, 5, tzinfo=timezone.utc)

    assert not provides(Muted(), Notifier)
    with pytest.raises(ConfigurationError, match=r"\(not callable: send\)$"):
        require_port("notifier", Muted(), Notifier)
    with pytest.raises(ConfigurationError, match=r"clock: .*\(not callable: now\)$"):
        require_port("clock", Stopped(), Clock)


def test_a_data_member_need_not_be_callable_but_must_be_there() -> None:
    repository = MemoryRepository()
    assert provides(Delegating(repository), Storage)
    hidden = Delegating(repository, hide=frozenset({"deliveries"}))
    assert provides(hidden, ComplaintRepository)
    assert not provides(hidden, Storage)
    with pytest.raises(ConfigurationError, match=r"\(missing deliveries\)$"):
        require_port("storage", hidden, Storage)


def test_the_lookup_is_the_one_callers_make() -> None:
    wrapper = Delegating(FakeClock(datetime(2026, 1, 5, tzinfo=timezone.utc)))
    assert provides(wrapper, Clock)
    assert wrapper.looked_up == ["now"]


def test_none_and_unrelated_values_are_described_without_their_content() -> None:
    with pytest.raises(ConfigurationError) as caught:
        require_port("clock", None, Clock)
    assert str(caught.value) == "invalid input: clock: expected Clock, got None"
    with pytest.raises(ConfigurationError) as caught:
        require_port("clock", "secret@example.com", Clock)
    assert "secret" not in str(caught.value)
    assert "got a str of length 18 (missing now)" in str(caught.value)


class NotAProtocol:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@pytest.mark.parametrize("kind", [NotAProtocol, Protocol, int])
def test_only_protocol_classes_can_be_checked_against(kind: type) -> None:
    with pytest.raises(TypeError, match=r"expected a typing\.Protocol class"):
        provides(NotAProtocol(), kind)
