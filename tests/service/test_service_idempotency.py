"""Idempotency keys: the same intake under a key returns the stored complaint; a different one is
refused, and the refusal shows nothing of the first submission."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from iso10002.errors import ComplaintNotFound, DuplicateError, IdempotencyConflict
from iso10002.intake import Intake
from iso10002.model import Channel
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling
from iso10002.testing.fakes import FakeClock

FORM = {
    "channel": "web",
    "subject": "Wrong bill",
    "description": "Charged twice for order 4411.",
    "category": "billing",
    "tags": ["web-form"],
    "name": "Ann Lee",
    "email": "ann@example.org",
}
SECRETS = ("Charged twice", "4411", "Ann Lee", "ann@example.org", "Wrong bill")


def service(storage: Storage, clock: FakeClock) -> ComplaintsHandling:
    return ComplaintsHandling(storage, clock=clock)


def test_the_same_intake_under_a_key_returns_the_stored_complaint(
    storage: Storage, clock: FakeClock
) -> None:
    svc = service(storage, clock)
    first = svc.receive(FORM, actor="web", idempotency_key="form-1")
    clock.advance(timedelta(minutes=5))  # a retry later: received_at was not given either time
    again = svc.receive(
        Intake(
            channel=Channel.WEB,
            subject="Wrong bill",
            description="Charged twice for order 4411.",
            category="billing",
            tags=frozenset({"web-form"}),
            name="Ann Lee",
            email="ann@example.org",
        ),
        actor="web-retry",  # who records it is not part of the intake
        idempotency_key="form-1",
    )
    assert again == first
    assert storage.count(ComplaintQuery()) == 1
    assert svc.receive(FORM, actor="web").reference == "CMP-2026-000002"


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "Something else entirely."},
        {"subject": "Wrong bill!"},
        {"channel": "email"},
        {"category": "delivery"},
        {"tags": []},
        {"desired_remedy": "A refund"},
        {"received_at": "2026-03-01T09:00:00+00:00"},
        {"name": "Ann Leigh"},
        {"email": "someone@example.org"},
        {"phone": "+44 20 7946 0000"},
        {"complainant_id": "someone-else", "name": None, "email": None},
    ],
    ids="-".join,
)
def test_a_different_intake_under_a_used_key_is_refused_and_told_nothing(
    storage: Storage, clock: FakeClock, changes: dict[str, Any]
) -> None:
    svc = service(storage, clock)
    first = svc.receive(FORM, actor="web", idempotency_key="form-1")
    log = storage.events_since(0)
    form = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    with pytest.raises(IdempotencyConflict) as caught:
        svc.receive(form, actor="web", idempotency_key="form-1")
    assert isinstance(caught.value, DuplicateError)
    message = str(caught.value)
    for secret in (*SECRETS, first.id, first.reference, first.complainant_id):
        assert secret not in message
    assert storage.count(ComplaintQuery()) == 1
    assert storage.events_since(0) == log
    assert svc.receive(FORM, actor="web").reference == "CMP-2026-000002"


def test_an_explicit_received_at_must_match(storage: Storage, clock: FakeClock) -> None:
    svc = service(storage, clock)
    form = {**FORM, "received_at": "2026-03-01T09:00:00+00:00"}
    first = svc.receive(form, actor="web", idempotency_key="form-1")
    assert svc.receive(form, actor="web", idempotency_key="form-1") == first
    assert svc.receive(FORM, actor="web", idempotency_key="form-1") == first  # not given: any
    with pytest.raises(IdempotencyConflict):
        svc.receive(
            {**FORM, "received_at": "2026-03-01T09:00:01+00:00"},
            actor="web",
            idempotency_key="form-1",
        )


def test_a_key_for_an_existing_complainant(storage: Storage, clock: FakeClock) -> None:
    svc = service(storage, clock)
    person = svc.receive(FORM, actor="web").complainant_id
    form = {k: v for k, v in FORM.items() if k not in ("name", "email")}
    first = svc.receive({**form, "complainant_id": person}, actor="desk", idempotency_key="k")
    assert (
        svc.receive({**form, "complainant_id": person}, actor="desk", idempotency_key="k") == first
    )
    with pytest.raises(IdempotencyConflict):
        svc.receive({**form, "complainant_id": "p-other"}, actor="desk", idempotency_key="k")
    # contact details equal to the record on file are the same complainant
    assert svc.receive(FORM, actor="desk", idempotency_key="k") == first


def test_after_erasure_a_key_matches_nothing(storage: Storage, clock: FakeClock) -> None:
    # The personal data and the free text the first intake gave are gone, so no intake can be
    # shown to be the same one: a resubmission is refused rather than matched, and stores nothing.
    svc = service(storage, clock)
    first = svc.receive(FORM, actor="web", idempotency_key="form-1")
    svc.erase_personal_data(first.complainant_id, actor="dpo")
    with pytest.raises(IdempotencyConflict):
        svc.receive(FORM, actor="web", idempotency_key="form-1")
    form = {k: v for k, v in FORM.items() if k not in ("name", "email")}
    with pytest.raises(IdempotencyConflict):
        svc.receive(
            {**form, "complainant_id": first.complainant_id}, actor="web", idempotency_key="form-1"
        )
    assert storage.count(ComplaintQuery()) == 1


@pytest.mark.parametrize("same", [True, False], ids=["same-intake", "different-intake"])
def test_a_key_stored_between_the_lookup_and_the_write(
    storage: Storage, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, same: bool
) -> None:
    # A concurrent call with the same key stores first: the lookup misses, the write clashes.
    svc = service(storage, clock)
    first = svc.receive(FORM, actor="web", idempotency_key="form-1")
    get = storage.get
    misses = [first.id]

    def late_get(complaint_id: str) -> Any:
        if complaint_id in misses:
            misses.remove(complaint_id)
            raise ComplaintNotFound(complaint_id)
        return get(complaint_id)

    monkeypatch.setattr(storage, "get", late_get)
    form = FORM if same else {**FORM, "description": "Another story."}
    if same:
        assert svc.receive(form, actor="web", idempotency_key="form-1") == first
    else:
        with pytest.raises(IdempotencyConflict):
            svc.receive(form, actor="web", idempotency_key="form-1")
    assert misses == []
    assert svc.receive(FORM, actor="web").reference == "CMP-2026-000002"  # the number came back


def test_concurrent_submissions_under_one_key(storage: Storage, clock: FakeClock) -> None:
    svc = service(storage, clock)
    results: list[str] = []
    refused: list[BaseException] = []
    start = threading.Barrier(6)

    def submit(n: int) -> None:
        start.wait()
        form = FORM if n % 2 == 0 else {**FORM, "description": f"Guess {n}."}
        try:
            results.append(svc.receive(form, actor="web", idempotency_key="form-1").id)
        except IdempotencyConflict as exc:
            refused.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.count(ComplaintQuery()) == 1
    stored = storage.query(ComplaintQuery()).items[0]
    winner_is_form = stored.details.description == FORM["description"]
    assert len(results) == (3 if winner_is_form else 1)
    assert len(refused) == 6 - len(results)
    assert set(results) == {stored.id}
    # Whichever submission won, the numbers the others drew came back: the next is the lowest
    # number not stored.
    expected = "CMP-2026-000002" if stored.reference == "CMP-2026-000001" else "CMP-2026-000001"
    assert svc.receive(FORM, actor="web").reference == expected
