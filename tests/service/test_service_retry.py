"""Commands that meet concurrent writers: retried after a jittered, growing wait."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from iso10002 import events as ev
from iso10002.backends import MemoryRepository, open_repository
from iso10002.errors import ConcurrencyConflict, ValidationError
from iso10002.model import Complaint
from iso10002.service import ComplaintsHandling, RetryPolicy
from iso10002.workflow import Actor

FORM = {
    "channel": "web",
    "subject": "Parcel arrived damaged",
    "description": "The lamp inside is broken.",
    "name": "Jane Doe",
    "email": "jane@example.org",
}
HANDLER = Actor("bob", roles=frozenset({"handler"}))


class Contended(MemoryRepository):
    """Storage where the next *conflicts* saves meet a writer who got there first."""

    def __init__(self, conflicts: int) -> None:
        super().__init__()
        self.conflicts = conflicts

    def save(
        self, complaint: Complaint, *, expected_version: int, events: Sequence[ev.Event]
    ) -> None:
        if self.conflicts:
            self.conflicts -= 1
            raise ConcurrencyConflict(complaint.id, expected_version, expected_version + 1)
        super().save(complaint, expected_version=expected_version, events=events)


def test_the_default_policy_outlasts_a_burst_of_conflicts() -> None:
    storage = Contended(0)
    waits: list[float] = []
    retry = RetryPolicy(sleep=waits.append)
    svc = ComplaintsHandling(storage, retry=retry)
    c = svc.receive(FORM, actor="frontdesk")
    storage.conflicts = 5
    done = svc.add_note(c.id, actor=HANDLER, text="called back")
    assert len(done.notes) == 1
    assert len(waits) == 5
    ceilings = [min(retry.max_delay, retry.first_delay * 2**n) for n in range(5)]
    assert all(0 <= w <= top for w, top in zip(waits, ceilings, strict=True))


def test_conflicts_past_the_last_attempt_raise_and_write_nothing() -> None:
    storage = Contended(0)
    waits: list[float] = []
    svc = ComplaintsHandling(storage, retry=RetryPolicy(attempts=3, sleep=waits.append))
    c = svc.receive(FORM, actor="frontdesk")
    storage.conflicts = 3
    with pytest.raises(ConcurrencyConflict):
        svc.add_note(c.id, actor=HANDLER, text="called back")
    assert len(waits) == 2  # no wait after the last attempt
    assert storage.get(c.id) == c


def test_the_waits_grow_and_stay_under_the_cap() -> None:
    retry = RetryPolicy(first_delay=0.01, max_delay=0.05)
    for attempt, ceiling in [(1, 0.01), (2, 0.02), (3, 0.04), (4, 0.05), (60, 0.05)]:
        assert all(0 <= retry.delay(attempt) <= ceiling for _ in range(200))
    assert RetryPolicy(first_delay=0).delay(7) == 0


@pytest.mark.parametrize(
    "bad",
    [{"attempts": 0}, {"first_delay": -1}, {"max_delay": float("nan")}, {"sleep": "no"}],
)
def test_a_bad_policy_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_three_writers_on_one_file_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'complaints.db'}"
    with open_repository(url) as storage:
        complaint = ComplaintsHandling(storage).receive(FORM, actor="frontdesk")
    failures: list[BaseException] = []

    def write(n: int) -> None:
        with open_repository(url) as own:
            svc = ComplaintsHandling(own)
            for i in range(40):
                try:
                    svc.add_note(complaint.id, actor=HANDLER, text=f"writer {n}, note {i}")
                except ConcurrencyConflict as exc:  # pragma: no cover - what this test refutes
                    failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with open_repository(url) as storage:
        assert len(storage.get(complaint.id).notes) == 120
