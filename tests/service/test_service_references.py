"""References: unique always, continued from the highest stored number after a restart, and
without gaps when an intake is refused after its number was drawn."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from iso10002.backends import open_repository
from iso10002.errors import StorageError, ValidationError
from iso10002.model import Complaint, MilestoneClock
from iso10002.ports import ComplaintQuery, ReferenceNumbering, Storage
from iso10002.references import YearlyReferences
from iso10002.service import ComplaintsHandling, SlaPlan
from iso10002.testing.fakes import FakeClock

POSTGRES_URL = os.environ.get("ISO10002_TEST_POSTGRES_URL")
GOOD = {
    "channel": "web",
    "subject": "Wrong bill",
    "description": "Charged twice.",
    "name": "Ann Lee",
    "email": "ann@example.org",
}
REFUSE = "refuse this one"


def numbers(storage: Storage, year: int = 2026) -> list[int]:
    """The numbers of every stored reference of *year*, sorted."""
    query = ComplaintQuery(
        received_from=datetime(year, 1, 1, tzinfo=timezone.utc),
        received_until=datetime(year + 1, 1, 1, tzinfo=timezone.utc),
        limit=10_000,
    )
    return sorted(int(c.reference.rsplit("-", 1)[1]) for c in storage.query(query).items)


def refusing(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make *storage* refuse (after the reference is drawn) every complaint about REFUSE."""
    add = storage.add

    def refuse(complaint: Complaint, **kwargs: Any) -> None:
        if complaint.details.description == REFUSE:
            raise StorageError("the store refused the write")
        add(complaint, **kwargs)

    monkeypatch.setattr(storage, "add", refuse)


class Forgetful(YearlyReferences):
    """Never gives a number back: the gaps a crash between drawing and storing leaves."""

    def release(self, reference: str) -> None:
        pass


class WithoutNumbering:
    """*inner* without the optional ``last_reference_number``."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "last_reference_number":
            raise AttributeError(name)
        return getattr(self._inner, name)


class RefusingPlanner:
    """An SLA planner that fails for complaints about REFUSE (after the number is drawn)."""

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        if complaint.details.description == REFUSE:
            raise ValidationError([("sla", "no plan for this complaint")])
        return None


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def handles(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Storage]]:
    """Open another handle on one store (for memory, the same object): one per process."""
    opened: list[Storage] = []
    kind = request.param
    if kind == "memory":
        shared = open_repository("memory://")
        opened.append(shared)
        url = ""
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'complaints.db'}"
    else:
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL tests need ISO10002_TEST_POSTGRES_URL")
        schema = f"ref_{uuid.uuid4().hex[:12]}"
        joiner = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{joiner}schema={schema}"

    def handle() -> Storage:
        if kind == "memory":
            return shared
        store = open_repository(url)
        opened.append(store)
        return store

    try:
        yield handle
    finally:
        for store in opened:
            store.close()
        if kind == "postgres":
            import psycopg

            with psycopg.connect(str(POSTGRES_URL), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_refused_intakes_leave_no_gap(
    handles: Callable[[], Storage], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = handles()
    refusing(storage, monkeypatch)
    svc = ComplaintsHandling(storage, clock=clock)
    for n in range(50):
        if n < 20 or n % 3 == 0:
            with pytest.raises(StorageError):
                svc.receive({**GOOD, "description": REFUSE}, actor="web")
        else:
            svc.receive(GOOD, actor="web")
    assert numbers(storage) == list(range(1, 21))


def test_a_failing_sla_planner_leaves_no_gap(
    handles: Callable[[], Storage], clock: FakeClock
) -> None:
    storage = handles()
    svc = ComplaintsHandling(storage, clock=clock, sla=RefusingPlanner())
    first = svc.receive(GOOD, actor="web")
    with pytest.raises(ValidationError):
        svc.receive({**GOOD, "description": REFUSE}, actor="web")
    second = svc.receive(GOOD, actor="web")
    assert (first.reference, second.reference) == ("CMP-2026-000001", "CMP-2026-000002")
    assert storage.count(ComplaintQuery()) == 2


def test_a_restart_continues_after_the_highest_stored_number(
    handles: Callable[[], Storage], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 refused forms, then 30 good ones, numbered by a process that left the gaps behind;
    # then a restart: the count (30) is below the highest number (50).
    before = handles()
    refusing(before, monkeypatch)
    svc = ComplaintsHandling(before, clock=clock, references=Forgetful(before))
    for _ in range(20):
        with pytest.raises(StorageError):
            svc.receive({**GOOD, "description": REFUSE}, actor="web")
    for _ in range(30):
        svc.receive(GOOD, actor="web")
    assert numbers(before) == list(range(21, 51))
    after = handles()
    restarted = ComplaintsHandling(after, clock=clock)
    for _ in range(30):
        restarted.receive(GOOD, actor="web")
    assert numbers(after) == list(range(21, 81))


def test_a_restart_over_a_repository_without_the_capability(
    handles: Callable[[], Storage], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without last_reference_number the highest number is read through the year's complaints.
    before = handles()
    refusing(before, monkeypatch)
    svc = ComplaintsHandling(before, clock=clock, references=Forgetful(before))
    for _ in range(10):
        with pytest.raises(StorageError):
            svc.receive({**GOOD, "description": REFUSE}, actor="web")
    for _ in range(10):
        svc.receive(GOOD, actor="web")
    plain = WithoutNumbering(handles())
    assert not isinstance(plain, ReferenceNumbering)
    restarted = ComplaintsHandling(plain, clock=clock)
    for _ in range(5):
        restarted.receive(GOOD, actor="web")
    assert numbers(before) == list(range(11, 26))


def test_threads_receiving_at_once_get_unique_gap_free_references(
    handles: Callable[[], Storage], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refusals overlap other intakes: the numbers given back are drawn again, so no gap.
    storage = handles()
    refusing(storage, monkeypatch)
    svc = ComplaintsHandling(storage, clock=clock)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        for n in range(10):
            try:
                svc.receive({**GOOD, "description": REFUSE} if n % 4 == 0 else GOOD, actor="web")
            except StorageError:
                pass
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert numbers(storage) == list(range(1, 43))


def test_several_services_over_one_store_never_fail(
    handles: Callable[[], Storage], clock: FakeClock
) -> None:
    # One service per store handle, as several processes would have; each clash resynchronises.
    services = [ComplaintsHandling(handles(), clock=clock) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(services) * 2)

    def work(svc: ComplaintsHandling) -> None:
        try:
            start.wait()
            for _ in range(8):
                svc.receive(GOOD, actor="web")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(svc,)) for svc in services for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert numbers(services[0].storage) == list(range(1, 65))


def test_several_services_with_refusals_keep_references_unique_and_gap_free(
    handles: Callable[[], Storage], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A number refused in one process while another drew later ones is drawn again by the
    # process that gave it back.
    stores = [handles() for _ in range(3)]
    for store in {id(s): s for s in stores}.values():
        refusing(store, monkeypatch)
    services = [ComplaintsHandling(store, clock=clock) for store in stores]
    errors: list[BaseException] = []

    def work(svc: ComplaintsHandling) -> None:
        for n in range(12):
            try:
                svc.receive({**GOOD, "description": REFUSE} if n % 4 == 0 else GOOD, actor="web")
            except StorageError:
                pass
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(svc,)) for svc in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert numbers(stores[0]) == list(range(1, 28))
    restarted = ComplaintsHandling(handles(), clock=clock)
    assert restarted.receive(GOOD, actor="web").reference == "CMP-2026-000028"
