"""The contract every storage backend must pass: pytest base classes with one fixture hook each.

Subclass :class:`RepositoryContract` and override its ``repository`` fixture (and
:class:`DeliveryLogContract` with its ``delivery_log`` fixture) to run the whole suite against
your backend::

    import pytest
    from iso10002.testing.contract import DeliveryLogContract, RepositoryContract

    class TestMyRepository(RepositoryContract):
        @pytest.fixture
        def repository(self):
            with MyRepository(...) as repository:  # a fresh, empty store for every test
                yield repository

    class TestMyDeliveryLog(DeliveryLogContract):
        @pytest.fixture
        def delivery_log(self):
            with MyRepository(...) as repository:
                yield repository.deliveries

The base classes' names do not start with ``Test``, so pytest collects only your subclasses. The
builders :func:`new_complaint` and :func:`advance` make valid test data for your own tests too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, cast

import attrs
import pytest

from iso10002 import events as ev
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    DuplicateError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from iso10002.model import (
    Assessment,
    Attachment,
    Breadth,
    Channel,
    Classification,
    Complainant,
    Complaint,
    ComplaintDetails,
    Complexity,
    EscalationKind,
    ExternalReference,
    Outcome,
    Priority,
    Safety,
    redacted,
)
from iso10002.ports import (
    BatchSaving,
    ComplaintQuery,
    ComplaintRepository,
    Delivery,
    DeliveryLog,
    DeliveryStatus,
    NewComplaint,
    ReferenceNumbering,
    StoredEvent,
    Update,
    provides,
)
from iso10002.serialization import dump

__all__ = [
    "CANARY",
    "T0",
    "DeliveryLogContract",
    "RepositoryContract",
    "advance",
    "canary_history",
    "new_complaint",
]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
"""The instant the test data starts at (a Monday, 09:00 UTC)."""

# Text that has broken storage layers: quoting, comments, NUL, escapes, emoji, right-to-left.
SQL = "'; DROP TABLE complaints; --"
NUL = "before\x00after"
ESCAPES = "back\\slash \\u0000 %s %(x)s ? $1 \ue000e \ue0000 \t\n\r"
EMOJI = "💥🧾👩🏽‍💻 ok"
RTL = "שלום \u202e مرحبا \u200f"
BIG = ("A 100 KB description with émoji 💥 and NUL \x00. " * 2200)[:100_000]


def new_complaint(
    number: int | str,
    *,
    received_at: datetime | None = None,
    channel: Channel = Channel.WEB,
    category: str | None = "billing.overcharge",
    complainant_id: str | None = None,
    reference: str | None = None,
    subject: str = "Charged twice",
    description: str = "I was charged twice for the same order.",
    with_complainant: bool = True,
    complainant_name: str = "Ann Example",
    external: tuple[str, str] | None = None,
) -> NewComplaint:
    """A freshly received complaint ``c-<number>`` with its receipt event and complainant.

    It is received *number* minutes after :data:`T0` unless *received_at* says otherwise;
    *external* is its ``(source, id)`` external reference.
    """
    complaint_id = f"c-{number}"
    at = received_at or T0 + timedelta(minutes=int(number) if isinstance(number, int) else 0)
    person = complainant_id or f"p-{number}"
    details = ComplaintDetails(
        received_at=at,
        channel=channel,
        complainant_id=person,
        subject=subject,
        description=description,
        external_reference=None if external is None else ExternalReference(*external),
    )
    receipt = ev.ComplaintReceived(
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=at,
        actor="intake",
        reference=reference or f"REF-{number}",
        state="received",
        details=details,
        classification=Classification(category=category),
    )
    complainant = (
        Complainant(id=person, name=complainant_name, email="ann@example.org")
        if with_complainant
        else None
    )
    return NewComplaint(ev.apply(None, receipt), (receipt,), complainant)


def advance(
    complaint: Complaint, event_type: type[ev.Event], **fields: Any
) -> tuple[Complaint, ev.Event]:
    """The next event of *complaint* (``sequence = version + 1``) and the complaint after it.

    ``occurred_at`` defaults to one minute per version after receipt; ``actor`` to ``handler``.
    """
    occurred_at = fields.pop(
        "occurred_at", complaint.received_at + timedelta(minutes=complaint.version)
    )
    event = event_type(
        complaint_id=complaint.id,
        sequence=complaint.version + 1,
        occurred_at=occurred_at,
        actor=fields.pop("actor", "handler"),
        **fields,
    )
    return ev.apply(complaint, event), event


CANARY = ("Zebulon Quaxworth", "zq.canary@example.org", "+44 7700 900123")
"""A name, e-mail address and phone number that erasure must leave nowhere."""

_TYPED = "Call Zebulon Quaxworth on +44 7700 900123 or write to zq.canary@example.org"


def canary_history(
    number: int, *, complainant_id: str = "p-1"
) -> tuple[NewComplaint, list[ev.Event]]:
    """A new complaint ``c-<number>`` whose every free text holds the :data:`CANARY`, and the
    events that follow its receipt: an assessment and its revision, a note, findings, a
    decision and its communication, a reply, an escalation, a satisfaction score, a closure,
    a reopening and a withdrawal, each with the canary in its text."""
    item = new_complaint(number, complainant_id=complainant_id, subject=_TYPED, description=_TYPED)
    receipt = item.events[0]
    assert isinstance(receipt, ev.ComplaintReceived)
    details = attrs.evolve(
        receipt.details,
        desired_remedy=_TYPED,
        attachments=(Attachment(uri="https://files.example/zq.canary@example.org/id.pdf"),),
    )
    receipt = attrs.evolve(receipt, details=details)
    complaint = ev.apply(None, receipt)
    person = Complainant(id=complainant_id, name=CANARY[0], email=CANARY[1], phone=CANARY[2])
    assessment = attrs.evolve(_assessment(Priority.P2), rationale=_TYPED)
    steps: list[tuple[type[ev.Event], dict[str, Any]]] = [
        (ev.ComplaintAssessed, {"assessment": assessment}),
        (ev.AssessmentRevised, {"assessment": assessment, "reason": _TYPED}),
        (ev.NoteAdded, {"text": _TYPED}),
        (ev.FindingsRecorded, {"summary": _TYPED, "root_causes": {"process"}}),
        (ev.DecisionMade, {"outcome": Outcome.PARTLY_UPHELD, "reasons": _TYPED}),
        (ev.DecisionCommunicated, {"external_options_given": True}),
        (ev.ComplainantReplied, {"accepted": False, "comment": _TYPED}),
        (ev.ComplaintEscalated, {"kind": EscalationKind.INTERNAL_REVIEW, "reason": _TYPED}),
        (ev.SatisfactionRecorded, {"score": 2, "comment": _TYPED}),
        (ev.ComplaintClosed, {"reason": _TYPED[:200]}),
        (ev.ComplaintReopened, {"reason": _TYPED}),
        (ev.ComplaintWithdrawn, {"reason": _TYPED[:200]}),
    ]
    events: list[ev.Event] = []
    current = complaint
    for event_type, fields in steps:
        current, event = advance(current, event_type, **fields)
        events.append(event)
    return NewComplaint(complaint, (receipt,), person), events


def _shows_canary(value: object) -> bool:
    text = json.dumps(dump(value) if attrs.has(type(value)) else value, ensure_ascii=False)
    return any(secret in text for secret in CANARY)


def _move(complaint: Complaint, to_state: str) -> tuple[Complaint, ev.Event]:
    return advance(
        complaint,
        ev.StateChanged,
        transition=f"to-{to_state}"[:200],
        from_state=complaint.state,
        to_state=to_state,
    )


def _assessment(priority: Priority) -> Assessment:
    return Assessment(
        impact=2,
        breadth=Breadth.SINGLE,
        safety=Safety.NONE,
        complexity=Complexity.SIMPLE,
        priority=priority,
    )


def _ids(items: Any) -> list[str]:
    return [c.id for c in items]


class RepositoryContract:
    """The behaviour every :class:`~iso10002.ports.ComplaintRepository` must show.

    Override the ``repository`` fixture to yield a new, empty repository for each test.
    """

    #: How many threads and saves per thread the concurrency test uses.
    concurrency: ClassVar[tuple[int, int]] = (4, 15)

    @pytest.fixture
    def repository(self) -> Iterator[ComplaintRepository]:
        """Yield a new, empty repository (override this)."""
        raise NotImplementedError("override the `repository` fixture in your subclass")

    # --- helpers ----------------------------------------------------------------------------

    def _add(self, repo: ComplaintRepository, item: NewComplaint) -> Complaint:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
        return item.complaint

    def _save(self, repo: ComplaintRepository, complaint: Complaint, *steps: Any) -> Complaint:
        """Apply *steps* (``(event_type, fields)`` pairs or ``("state", name)``) and save."""
        events = []
        current = complaint
        for step in steps:
            if step[0] == "state":
                current, event = _move(current, step[1])
            else:
                current, event = advance(current, step[0], **step[1])
            events.append(event)
        repo.save(current, expected_version=complaint.version, events=events)
        return current

    def _log(self, repo: ComplaintRepository) -> list[StoredEvent]:
        out: list[StoredEvent] = []
        while True:
            chunk = repo.events_since(out[-1].position if out else 0, 50)
            if not chunk:
                return out
            out.extend(chunk)

    # --- protocol ---------------------------------------------------------------------------

    def test_implements_the_port(self, repository: ComplaintRepository) -> None:
        assert provides(repository, ComplaintRepository)

    # --- add and get --------------------------------------------------------------------------

    def test_add_then_get_returns_the_same_complaint(self, repository: ComplaintRepository) -> None:
        complaint = self._add(repository, new_complaint(1))
        assert repository.get("c-1") == complaint
        assert repository.get_by_reference("REF-1") == complaint

    def test_get_unknown_id_raises_complaint_not_found(
        self, repository: ComplaintRepository
    ) -> None:
        self._add(repository, new_complaint(1))
        with pytest.raises(ComplaintNotFound) as caught:
            repository.get("c-404")
        assert (caught.value.key, caught.value.by) == ("c-404", "id")
        with pytest.raises(ComplaintNotFound) as caught:
            repository.get_by_reference("REF-404")
        assert (caught.value.key, caught.value.by) == ("REF-404", "reference")

    def test_add_stores_the_events_in_order(self, repository: ComplaintRepository) -> None:
        item = new_complaint(1)
        complaint, note = advance(item.complaint, ev.NoteAdded, text="first note")
        complaint, assigned = advance(complaint, ev.ComplaintAssigned, assignee="alice")
        events = (*item.events, note, assigned)
        repository.add(complaint, events=events, complainant=item.complainant)
        assert repository.get("c-1") == complaint
        assert repository.get("c-1").version == 3
        assert repository.events("c-1") == list(events)
        assert [s.event for s in self._log(repository)] == list(events)

    def test_add_refuses_a_taken_id_and_writes_nothing(
        self, repository: ComplaintRepository
    ) -> None:
        original = self._add(repository, new_complaint(1))
        clash = new_complaint(1, reference="REF-other", subject="Another subject")
        with pytest.raises(DuplicateError):
            self._add(repository, clash)
        assert repository.get("c-1") == original
        with pytest.raises(ComplaintNotFound):
            repository.get_by_reference("REF-other")
        assert len(self._log(repository)) == 1

    def test_add_refuses_a_taken_reference_and_writes_nothing(
        self, repository: ComplaintRepository
    ) -> None:
        original = self._add(repository, new_complaint(1))
        with pytest.raises(DuplicateError):
            self._add(repository, new_complaint(2, reference="REF-1"))
        assert repository.get_by_reference("REF-1") == original
        with pytest.raises(ComplaintNotFound):
            repository.get("c-2")
        assert repository.get_complainant("p-2") is None
        assert len(self._log(repository)) == 1

    def test_add_refuses_events_that_do_not_fold_into_the_complaint(
        self, repository: ComplaintRepository
    ) -> None:
        item = new_complaint(1)
        later, note = advance(item.complaint, ev.NoteAdded, text="a note")
        other = new_complaint(2)
        cases: list[tuple[Complaint, Sequence[ev.Event]]] = [
            (item.complaint, ()),  # no events
            (later, item.events),  # version 2 with one event
            (item.complaint, (*item.events, note)),  # two events for version 1
            (item.complaint, other.events),  # another complaint's receipt
            (later, (note, item.events[0])),  # out of order
            (attrs.evolve(item.complaint, state="closed"), item.events),  # not the fold
        ]
        for complaint, events in cases:
            with pytest.raises(ValidationError):
                repository.add(complaint, events=events, complainant=item.complainant)
        with pytest.raises(ValidationError):  # the complainant of someone else
            repository.add(item.complaint, events=item.events, complainant=other.complainant)
        with pytest.raises(ComplaintNotFound):
            repository.get("c-1")
        assert self._log(repository) == []
        assert repository.get_complainant("p-1") is None

    def test_add_many_stores_every_item_in_order(self, repository: ComplaintRepository) -> None:
        items = [new_complaint(n) for n in (3, 1, 2)]
        assert repository.add_many(iter(items)) == 3
        for item in items:
            assert repository.get(item.complaint.id) == item.complaint
            assert repository.get_complainant(item.complaint.complainant_id) == item.complainant
        log = self._log(repository)
        assert [s.position for s in log] == [1, 2, 3]
        assert [s.event.complaint_id for s in log] == ["c-3", "c-1", "c-2"]
        assert repository.add_many([]) == 0

    def test_add_many_is_all_or_nothing(self, repository: ComplaintRepository) -> None:
        self._add(repository, new_complaint(2))
        batch = [new_complaint(1), new_complaint(2, reference="REF-new"), new_complaint(3)]
        with pytest.raises(DuplicateError):
            repository.add_many(batch)
        for missing in ("c-1", "c-3"):
            with pytest.raises(ComplaintNotFound):
                repository.get(missing)
        assert repository.get_complainant("p-1") is None
        assert len(self._log(repository)) == 1
        assert repository.count(ComplaintQuery()) == 1

    def test_add_many_refuses_repeats_within_the_batch(
        self, repository: ComplaintRepository
    ) -> None:
        with pytest.raises(DuplicateError):
            repository.add_many([new_complaint(1), new_complaint(1, reference="REF-x")])
        with pytest.raises(DuplicateError):
            repository.add_many([new_complaint(1), new_complaint(2, reference="REF-1")])
        with pytest.raises(ValidationError):
            repository.add_many([new_complaint(1), "not a NewComplaint"])  # type: ignore[list-item]
        assert repository.count(ComplaintQuery()) == 0
        assert self._log(repository) == []

    def test_external_references_are_unique_per_source_and_queryable(
        self, repository: ComplaintRepository
    ) -> None:
        repository.add_many(
            [
                new_complaint(1, external=("cfpb", "101")),
                new_complaint(2, external=("nyc311", "101")),  # same id, another source
                new_complaint(3, external=("cfpb", "102")),
                new_complaint(4),
            ]
        )
        assert repository.get("c-1").external_reference == ExternalReference("cfpb", "101")
        assert repository.get("c-4").external_reference is None
        found = repository.query(ComplaintQuery(source="cfpb", external_id="101"))
        assert _ids(found.items) == ["c-1"]
        assert _ids(repository.query(ComplaintQuery(source="cfpb")).items) == ["c-1", "c-3"]
        assert _ids(repository.query(ComplaintQuery(external_id="101")).items) == ["c-1", "c-2"]
        assert repository.count(ComplaintQuery(source="cfpb", external_id="999")) == 0
        assert repository.count(ComplaintQuery(source="cfpb", states=["received"])) == 2
        with pytest.raises(DuplicateError, match="external reference"):
            self._add(repository, new_complaint(5, external=("cfpb", "102")))
        with pytest.raises(DuplicateError, match="external reference"):
            repository.add_many(
                [new_complaint(6, external=("x", "1")), new_complaint(7, external=("x", "1"))]
            )
        with pytest.raises(ComplaintNotFound):
            repository.get("c-5")
        assert repository.count(ComplaintQuery(source="x")) == 0
        assert repository.count(ComplaintQuery()) == 4
        assert len(self._log(repository)) == 4

    def test_complainants_are_stored_apart(self, repository: ComplaintRepository) -> None:
        item = new_complaint(1)
        self._add(repository, item)
        self._add(repository, new_complaint(2, with_complainant=False))
        assert repository.get_complainant("p-1") == item.complainant
        assert repository.get_complainant("p-2") is None
        assert repository.get_complainant("nobody") is None

    def test_a_repeat_complainant_keeps_the_latest_record(
        self, repository: ComplaintRepository
    ) -> None:
        self._add(repository, new_complaint(1, complainant_id="p-same"))
        latest = new_complaint(2, complainant_id="p-same", complainant_name="Ann Newname")
        self._add(repository, latest)
        assert repository.get_complainant("p-same") == latest.complainant
        batch = [
            new_complaint(n, complainant_id="p-batch", complainant_name=f"Name {n}")
            for n in (3, 4, 5)
        ]
        repository.add_many(batch)
        assert repository.get_complainant("p-batch") == batch[-1].complainant
        query = ComplaintQuery(complainant_id="p-same")
        assert _ids(repository.query(query).items) == ["c-1", "c-2"]

    # --- save ---------------------------------------------------------------------------------

    def test_save_stores_the_new_version_with_its_events(
        self, repository: ComplaintRepository
    ) -> None:
        complaint = self._add(repository, new_complaint(1))
        saved = self._save(
            repository, complaint, (ev.ComplaintAssigned, {"assignee": "alice"}), ("state", "ack")
        )
        assert repository.get("c-1") == saved
        assert saved.version == 3
        events = repository.events("c-1")
        assert [e.sequence for e in events] == [1, 2, 3]
        assert ev.replay(events) == saved
        assert [s.position for s in self._log(repository)] == [1, 2, 3]

    def test_save_with_a_stale_version_raises_and_writes_nothing(
        self, repository: ComplaintRepository
    ) -> None:
        complaint = self._add(repository, new_complaint(1))
        winner = self._save(repository, complaint, (ev.NoteAdded, {"text": "winner"}))
        loser, note = advance(complaint, ev.NoteAdded, text="loser")
        with pytest.raises(ConcurrencyConflict) as caught:
            repository.save(loser, expected_version=1, events=[note])
        assert (caught.value.complaint_id, caught.value.expected, caught.value.actual) == (
            "c-1",
            1,
            2,
        )
        assert repository.get("c-1") == winner
        assert len(repository.events("c-1")) == 2
        assert len(self._log(repository)) == 2

    def test_save_of_an_unknown_complaint_raises_a_conflict(
        self, repository: ComplaintRepository
    ) -> None:
        item = new_complaint(1)
        later, note = advance(item.complaint, ev.NoteAdded, text="orphan")
        with pytest.raises(ConcurrencyConflict) as caught:
            repository.save(later, expected_version=1, events=[note])
        assert caught.value.actual is None
        assert self._log(repository) == []

    def _batch(self, repo: ComplaintRepository) -> BatchSaving:
        if not provides(repo, BatchSaving):
            pytest.skip("this backend does not offer the optional save_many")
        return cast(BatchSaving, repo)

    def test_save_many_applies_every_update_in_order(self, repository: ComplaintRepository) -> None:
        batch = self._batch(repository)
        one = self._add(repository, new_complaint(1))
        two = self._add(repository, new_complaint(2))
        one_b, note = advance(one, ev.NoteAdded, text="first")
        two_b, assigned = advance(two, ev.ComplaintAssigned, assignee="bob")
        two_c, moved = _move(two_b, "ack")
        batch.save_many([Update(one_b, 1, [note]), Update(two_c, 1, [assigned, moved])])
        assert (repository.get("c-1"), repository.get("c-2")) == (one_b, two_c)
        log = self._log(repository)
        assert [s.position for s in log] == [1, 2, 3, 4, 5]
        assert [type(s.event) for s in log[2:]] == [
            ev.NoteAdded,
            ev.ComplaintAssigned,
            ev.StateChanged,
        ]
        batch.save_many([])
        assert len(self._log(repository)) == 5

    def test_save_many_with_one_stale_update_writes_nothing(
        self, repository: ComplaintRepository
    ) -> None:
        batch = self._batch(repository)
        one = self._add(repository, new_complaint(1))
        two = self._add(repository, new_complaint(2))
        self._save(repository, two, (ev.NoteAdded, {"text": "meanwhile"}))
        one_b, note = advance(one, ev.NoteAdded, text="fresh")
        stale, late = advance(two, ev.NoteAdded, text="stale")
        with pytest.raises(ConcurrencyConflict) as caught:
            batch.save_many([Update(one_b, 1, [note]), Update(stale, 1, [late])])
        assert (caught.value.complaint_id, caught.value.actual) == ("c-2", 2)
        assert repository.get("c-1") == one
        assert len(self._log(repository)) == 3
        with pytest.raises(ValidationError):
            batch.save_many([Update(one_b, 1, [note]), Update(one_b, 1, [note])])
        with pytest.raises(ValidationError):
            batch.save_many("not a list")  # type: ignore[arg-type]
        assert repository.get("c-1") == one

    def test_save_refuses_bad_event_sequences_and_writes_nothing(
        self, repository: ComplaintRepository
    ) -> None:
        complaint = self._add(repository, new_complaint(1))
        other = self._add(repository, new_complaint(2))
        two, first = advance(complaint, ev.NoteAdded, text="one")
        three, second = advance(two, ev.NoteAdded, text="two")
        _, foreign = advance(other, ev.NoteAdded, text="foreign")
        cases: list[tuple[Complaint, int, list[ev.Event]]] = [
            (two, 1, []),  # nothing to save
            (three, 1, [first]),  # too few events
            (two, 1, [first, second]),  # too many events
            (three, 1, [second, first]),  # out of order
            (two, 1, [foreign]),  # another complaint's event
            (two, 0, [first]),  # impossible expected version
        ]
        for target, expected, events in cases:
            with pytest.raises(ValidationError):
                repository.save(target, expected_version=expected, events=events)
        assert repository.get("c-1") == complaint
        assert len(self._log(repository)) == 2

    def test_concurrent_savers_lose_no_update(self, repository: ComplaintRepository) -> None:
        threads, rounds = self.concurrency
        self._add(repository, new_complaint(1))
        self._add(repository, new_complaint(2))
        done: list[int] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def work(worker: int) -> None:
            try:
                for n in range(rounds):
                    target = f"c-{1 + (worker + n) % 2}"
                    while True:
                        current = repository.get(target)
                        saved, event = advance(current, ev.NoteAdded, text=f"w{worker} n{n}")
                        try:
                            repository.save(saved, expected_version=current.version, events=[event])
                        except ConcurrencyConflict:
                            continue
                        break
                    with lock:
                        done.append(worker)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert not failures, failures
        assert len(done) == threads * rounds
        versions = repository.get("c-1").version + repository.get("c-2").version
        assert versions == 2 + threads * rounds
        log = self._log(repository)
        assert [s.position for s in log] == list(range(1, len(log) + 1))
        assert len(log) == 2 + threads * rounds
        for complaint_id in ("c-1", "c-2"):
            assert ev.replay(repository.events(complaint_id)) == repository.get(complaint_id)

    # --- query --------------------------------------------------------------------------------

    def _dataset(self, repo: ComplaintRepository) -> list[Complaint]:
        """Twelve complaints that differ in every filtered attribute; returns their final state."""
        out: list[Complaint] = []
        channels = [Channel.WEB, Channel.EMAIL, Channel.PHONE]
        categories = ["billing.overcharge", "billing", "delivery.late", None, "billingx"]
        for n in range(12):
            # two pairs share a receipt instant, so the id breaks the tie
            minute = {5: 4, 9: 8}.get(n, n)
            item = new_complaint(
                n,
                received_at=T0 + timedelta(minutes=10 * minute),
                channel=channels[n % 3],
                category=categories[n % 5],
                complainant_id=f"p-{n % 4}",
            )
            complaint = self._add(repo, item)
            steps: list[Any] = []
            if n % 3 != 2:
                steps.append((ev.ComplaintAssigned, {"assignee": ["alice", "bob"][n % 2]}))
            if n % 4 != 3:
                steps.append(
                    (ev.ComplaintAssessed, {"assessment": _assessment(list(Priority)[n % 4])})
                )
            if n % 2 == 0:
                due = complaint.received_at + timedelta(hours=n)
                warn = ((0.5, complaint.received_at + timedelta(minutes=30 * n)),)
                steps.append(
                    (ev.SlaClockStarted, {"milestone": "resolve", "due_at": due, "warnings": warn})
                )
                if n % 4 == 0:
                    steps.append((ev.SlaBreached, {"milestone": "resolve"}))
                if n == 6:
                    steps.append((ev.SlaClockStopped, {"milestone": "resolve"}))
            if n % 5 == 1:
                steps.append(("state", "acknowledged"))
            if n == 11:
                steps.append(("state", "closed"))
            if steps:
                complaint = self._save(repo, complaint, *steps)
            out.append(complaint)
        return sorted(out, key=lambda c: (c.received_at, c.id))

    QUERIES: ClassVar[dict[str, dict[str, Any]]] = {
        "everything": {},
        "states": {"states": {"acknowledged", "closed"}},
        "no-states": {"states": set()},
        "category-prefix": {"category_prefix": "billing"},
        "category-children": {"category_prefix": "billing."},
        "category-exact-leaf": {"category_prefix": "delivery.late"},
        "channel": {"channel": Channel.EMAIL},
        "assignee": {"assignee": "bob"},
        "priority": {"priority": Priority.P2},
        "received-from": {"received_from": T0 + timedelta(minutes=40)},
        "received-until": {"received_until": T0 + timedelta(minutes=40)},
        "received-between": {
            "received_from": T0 + timedelta(minutes=20),
            "received_until": T0 + timedelta(minutes=80),
        },
        "next-sla-before": {"next_sla_before": T0 + timedelta(hours=2)},
        "breached": {"breached": True},
        "not-breached": {"breached": False},
        "complainant": {"complainant_id": "p-1"},
        "combined": {
            "category_prefix": "billing",
            "breached": False,
            "received_until": T0 + timedelta(hours=3),
        },
        "nothing-matches": {"assignee": "nobody"},
    }

    @pytest.mark.parametrize("name", sorted(QUERIES))
    def test_query_filters_and_orders_like_the_reference(
        self, repository: ComplaintRepository, name: str
    ) -> None:
        dataset = self._dataset(repository)
        query = ComplaintQuery(**self.QUERIES[name], limit=100)
        expected = [c for c in dataset if query.matches(c)]
        page = repository.query(query)
        assert list(page.items) == expected
        assert page.next_cursor is None
        assert repository.count(query) == len(expected)

    def test_the_dataset_exercises_every_filter(self, repository: ComplaintRepository) -> None:
        dataset = self._dataset(repository)
        for name, filters in self.QUERIES.items():
            matched = sum(ComplaintQuery(**filters).matches(c) for c in dataset)
            if name in ("nothing-matches", "no-states"):
                assert matched == 0
            else:
                assert matched > 0, name
                if name != "everything":
                    assert matched < len(dataset), name

    @pytest.mark.parametrize("limit", [1, 2, 5, 11, 12, 13])
    def test_paging_returns_every_match_once(
        self, repository: ComplaintRepository, limit: int
    ) -> None:
        dataset = self._dataset(repository)
        query = ComplaintQuery(limit=limit)
        seen: list[Complaint] = []
        pages = 0
        while True:
            page = repository.query(query)
            pages += 1
            assert len(page.items) <= limit
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            assert len(page.items) == limit
            query = attrs.evolve(query, cursor=page.next_cursor)
        assert seen == dataset
        assert pages == max(1, -(-len(dataset) // limit))

    def test_paging_with_a_filter(self, repository: ComplaintRepository) -> None:
        dataset = self._dataset(repository)
        query = ComplaintQuery(category_prefix="billing", limit=2)
        seen: list[Complaint] = []
        while True:
            page = repository.query(query)
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            query = attrs.evolve(query, cursor=page.next_cursor)
        assert seen == [c for c in dataset if query.matches(c)]

    def test_a_cursor_survives_writes_between_pages(self, repository: ComplaintRepository) -> None:
        for n in range(1, 6):
            self._add(repository, new_complaint(n * 10))
        first = repository.query(ComplaintQuery(limit=2))
        assert _ids(first.items) == ["c-10", "c-20"]
        self._add(repository, new_complaint(5))  # before the cursor: not seen on later pages
        self._add(repository, new_complaint(35))  # after the cursor: seen
        rest = repository.query(ComplaintQuery(limit=100, cursor=first.next_cursor))
        assert _ids(rest.items) == ["c-30", "c-35", "c-40", "c-50"]

    def test_query_sees_what_a_save_changed(self, repository: ComplaintRepository) -> None:
        complaint = self._add(repository, new_complaint(1))
        assert repository.count(ComplaintQuery(assignee="carol")) == 0
        due = complaint.received_at + timedelta(hours=1)
        saved = self._save(
            repository,
            complaint,
            (ev.ComplaintAssigned, {"assignee": "carol"}),
            (ev.ComplaintClassified, {"classification": Classification(category="staff.conduct")}),
            (ev.ComplaintAssessed, {"assessment": _assessment(Priority.P1)}),
            (ev.SlaClockStarted, {"milestone": "respond", "due_at": due}),
            ("state", "investigating"),
        )
        after = complaint.received_at + timedelta(hours=2)
        for filters in (
            {"assignee": "carol"},
            {"category_prefix": "staff"},
            {"priority": Priority.P1},
            {"states": {"investigating"}},
            {"next_sla_before": after},
        ):
            assert list(repository.query(ComplaintQuery(**filters)).items) == [saved], filters
        assert repository.count(ComplaintQuery(category_prefix="billing")) == 0
        breached = self._save(repository, saved, (ev.SlaBreached, {"milestone": "respond"}))
        assert list(repository.query(ComplaintQuery(breached=True)).items) == [breached]
        stopped = self._save(repository, breached, (ev.SlaClockStopped, {"milestone": "respond"}))
        assert repository.count(ComplaintQuery(next_sla_before=after)) == 0
        assert repository.get("c-1") == stopped

    def test_count_ignores_cursor_and_limit(self, repository: ComplaintRepository) -> None:
        dataset = self._dataset(repository)
        page = repository.query(ComplaintQuery(limit=3))
        assert repository.count(ComplaintQuery(limit=3, cursor=page.next_cursor)) == len(dataset)

    def test_query_refuses_what_is_not_a_query(self, repository: ComplaintRepository) -> None:
        with pytest.raises(ValidationError):
            repository.query({"states": ["received"]})  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            repository.count("everything")  # type: ignore[arg-type]

    # --- reference numbers (optional) ---------------------------------------------------------

    def _numbering(self, repo: ComplaintRepository) -> ReferenceNumbering:
        if not isinstance(repo, ReferenceNumbering):
            pytest.skip("this backend does not offer the optional last_reference_number")
        return repo

    def test_last_reference_number_is_the_highest_number_after_the_prefix(
        self, repository: ComplaintRepository
    ) -> None:
        numbering = self._numbering(repository)
        assert numbering.last_reference_number("CMP-2026-") is None
        references = [
            "CMP-2026-000007",
            "CMP-2026-000012",
            "CMP-2026-0000011",  # wider, not greater
            "CMP-2026-99x",  # not only digits
            "CMP-2026-",  # no digits
            "CMP-2026-\u0663\u0663",  # digits, but not ASCII ones
            "CMP-20260-000050",  # another prefix that starts alike
            "CMP-2025-000090",
            "cmp-2026-000091",
        ]
        for number, reference in enumerate(references, start=1):
            self._add(repository, new_complaint(number, reference=reference))
        assert numbering.last_reference_number("CMP-2026-") == 12
        assert numbering.last_reference_number("CMP-2025-") == 90
        assert numbering.last_reference_number("CMP-2026") is None
        self._add(repository, new_complaint(20, reference="CMP-2026-999999"))
        assert numbering.last_reference_number("CMP-2026-") == 999_999
        self._add(repository, new_complaint(21, reference="CMP-2026-1000001"))
        self._add(repository, new_complaint(22, reference="CMP-2026-" + "0" * 40 + "99"))
        assert numbering.last_reference_number("CMP-2026-") == 1_000_001
        self._add(repository, new_complaint(23, reference="CMP-2027-" + "9" * 30))
        assert numbering.last_reference_number("CMP-2027-") == 10**30 - 1

    def test_last_reference_number_refuses_a_bad_prefix_and_matches_literally(
        self, repository: ComplaintRepository
    ) -> None:
        numbering = self._numbering(repository)
        for bad in ("", "x" * 201, None, 7):
            with pytest.raises(ValidationError):
                numbering.last_reference_number(bad)  # type: ignore[arg-type]
        self._add(repository, new_complaint(1, reference="REF-5"))
        for prefix in ("REF-%", "REF_", "REF-5\x00", "\ue000", "' OR '1'='1", "R"):
            assert numbering.last_reference_number(prefix) is None, prefix
        assert numbering.last_reference_number("REF-") == 5

    # --- the event log ------------------------------------------------------------------------

    def test_events_of_an_unknown_complaint_raise(self, repository: ComplaintRepository) -> None:
        with pytest.raises(ComplaintNotFound):
            repository.events("c-404")

    def test_the_log_is_ordered_and_gap_free(self, repository: ComplaintRepository) -> None:
        one = self._add(repository, new_complaint(1))
        two = self._add(repository, new_complaint(2))
        one = self._save(repository, one, (ev.NoteAdded, {"text": "a"}), ("state", "ack"))
        two = self._save(repository, two, (ev.NoteAdded, {"text": "b"}))
        self._save(repository, one, (ev.NoteAdded, {"text": "c"}))
        log = self._log(repository)
        assert [s.position for s in log] == [1, 2, 3, 4, 5, 6]
        assert [(s.event.complaint_id, s.event.sequence) for s in log] == [
            ("c-1", 1),
            ("c-2", 1),
            ("c-1", 2),
            ("c-1", 3),
            ("c-2", 2),
            ("c-1", 4),
        ]
        assert repository.events_since(2, 2) == log[2:4]
        assert repository.events_since(5) == log[5:]
        assert repository.events_since(6) == []
        assert repository.events_since(600) == []
        for complaint_id in ("c-1", "c-2"):
            events = repository.events(complaint_id)
            assert events == [s.event for s in log if s.event.complaint_id == complaint_id]
            assert ev.replay(events) == repository.get(complaint_id)

    def test_events_since_refuses_bad_arguments(self, repository: ComplaintRepository) -> None:
        for position, limit in ((-1, 10), (0, 0), (0, -5), (True, 10), (0, 1.5)):
            with pytest.raises(ValidationError):
                repository.events_since(position, limit)  # type: ignore[arg-type]

    # --- personal data ------------------------------------------------------------------------

    def test_erasure_removes_the_complainant_and_only_their_texts(
        self, repository: ComplaintRepository
    ) -> None:
        dataset = self._dataset(repository)
        log = self._log(repository)
        counts = {name: repository.count(ComplaintQuery(**f)) for name, f in self.QUERIES.items()}
        assert repository.get_complainant("p-1") is not None
        assert repository.erase_personal_data("p-1") is True
        assert repository.get_complainant("p-1") is None
        assert repository.get_complainant("p-2") is not None
        assert repository.erase_personal_data("p-1") is False
        assert repository.erase_personal_data("p-unknown") is False
        theirs = {c.id for c in dataset if c.complainant_id == "p-1"}
        assert theirs
        assert self._log(repository) == [
            StoredEvent(s.position, ev.redacted_event(s.event))
            if s.event.complaint_id in theirs
            else s
            for s in log
        ]
        dataset = [redacted(c) if c.id in theirs else c for c in dataset]
        assert list(repository.query(ComplaintQuery(limit=100)).items) == dataset
        assert {
            name: repository.count(ComplaintQuery(**f)) for name, f in self.QUERIES.items()
        } == counts
        query = ComplaintQuery(complainant_id="p-1")
        assert list(repository.query(query).items) == [c for c in dataset if query.matches(c)]

    def test_erasure_erases_free_text_and_keeps_the_facts(
        self, repository: ComplaintRepository
    ) -> None:
        item, later = canary_history(1)
        self._add(repository, item)
        repository.save(
            ev.replay(later, item.complaint), expected_version=1, events=later
        )  # c-1: every text holds the canary
        fresh, _ = canary_history(2)
        self._add(repository, fresh)  # c-2: just received (version 1)
        other, other_later = canary_history(3, complainant_id="p-3")
        self._add(repository, other)  # c-3: another person's, untouched
        repository.save(
            ev.replay(other_later, other.complaint), expected_version=1, events=other_later
        )
        before = {cid: repository.get(cid) for cid in ("c-1", "c-2", "c-3")}
        history = {cid: repository.events(cid) for cid in before}
        log = self._log(repository)
        counts = {name: repository.count(ComplaintQuery(**f)) for name, f in self.QUERIES.items()}
        assert _shows_canary(before["c-1"])
        assert _shows_canary(history["c-1"][-1])

        assert repository.erase_personal_data("p-1") is True

        for cid in ("c-1", "c-2"):
            after = repository.get(cid)
            assert after == redacted(before[cid])  # every fact kept, only the texts erased
            assert not _shows_canary(after)
            erased = repository.events(cid)
            assert erased == [ev.redacted_event(e) for e in history[cid]]
            assert not any(_shows_canary(e) for e in erased)
            assert ev.replay(erased) == after
            assert repository.get_by_reference(after.reference) == after
            assert list(repository.query(ComplaintQuery(complainant_id="p-1")).items)
        assert repository.get_complainant("p-1") is None
        assert repository.get("c-3") == before["c-3"]
        assert repository.events("c-3") == history["c-3"]
        assert repository.get_complainant("p-3") is not None
        new_log = self._log(repository)
        assert [(s.position, type(s.event), s.event.sequence) for s in new_log] == [
            (s.position, type(s.event), s.event.sequence) for s in log
        ]
        assert not any(_shows_canary(s.event) for s in new_log if s.event.complaint_id != "c-3")
        assert {
            name: repository.count(ComplaintQuery(**f)) for name, f in self.QUERIES.items()
        } == counts
        # Erasing again changes nothing; a complaint saved after erasure saves as usual.
        assert repository.erase_personal_data("p-1") is False
        assert repository.get("c-1") == redacted(before["c-1"])
        saved = self._save(repository, repository.get("c-2"), ("state", "acknowledged"))
        assert repository.get("c-2") == saved

    # --- hostile text -------------------------------------------------------------------------

    def test_hostile_text_round_trips_exactly(self, repository: ComplaintRepository) -> None:
        hostile_id = "c-" + SQL
        item = new_complaint(
            1,
            category=NUL + SQL,
            complainant_id="p-" + SQL,
            reference="REF-" + SQL + ' "quoted" `tick`',
            subject=RTL + EMOJI + NUL,
            description=BIG,
            complainant_name=RTL + " " + EMOJI,
        )
        receipt = item.events[0]
        assert isinstance(receipt, ev.ComplaintReceived)
        receipt = attrs.evolve(receipt, complaint_id=hostile_id)
        complaint = ev.apply(None, receipt)
        person = Complainant(
            id="p-" + SQL,
            name=RTL + " " + EMOJI,
            email="a@example.org",
            postal_address=NUL + ESCAPES,
            accessibility_needs=BIG[:2000],
        )
        repository.add(complaint, events=[receipt], complainant=person)
        saved = self._save(
            repository,
            complaint,
            (ev.ComplaintAssigned, {"assignee": SQL + NUL, "team": ESCAPES}),
            (ev.NoteAdded, {"text": ESCAPES + NUL + EMOJI + RTL}),
            ("state", "state " + SQL + NUL + "\ue000"),
        )
        assert repository.get(hostile_id) == saved
        assert repository.get_by_reference(saved.reference) == saved
        assert repository.get_complainant("p-" + SQL) == person
        assert repository.get(hostile_id).details.description == BIG
        assert ev.replay(repository.events(hostile_id)) == saved
        assert [s.event for s in self._log(repository)] == repository.events(hostile_id)
        for filters in (
            {"category_prefix": NUL},
            {"category_prefix": NUL + SQL},
            {"assignee": SQL + NUL},
            {"states": {saved.state}},
            {"complainant_id": "p-" + SQL},
        ):
            assert list(repository.query(ComplaintQuery(**filters)).items) == [saved], filters
        for filters in (
            {"assignee": SQL},
            {"category_prefix": NUL + "x"},
            {"category_prefix": "\ue000"},
            {"states": {"state " + SQL}},
        ):
            assert repository.count(ComplaintQuery(**filters)) == 0, filters

    def test_hostile_keys_find_nothing(self, repository: ComplaintRepository) -> None:
        self._add(repository, new_complaint(1))
        for key in ("' OR '1'='1", "c-1' --", "%", "_", "c-1\x00", "*", "c-%"):
            with pytest.raises(ComplaintNotFound):
                repository.get(key)
            with pytest.raises(ComplaintNotFound):
                repository.get_by_reference(key)
            assert repository.get_complainant(key) is None
            assert repository.erase_personal_data(key) is False
        assert repository.get_complainant("p-1") is not None

    # --- lifecycle ----------------------------------------------------------------------------

    def test_close_is_idempotent_and_final(self, repository: ComplaintRepository) -> None:
        self._add(repository, new_complaint(1))
        with repository as same:
            assert same is repository
        repository.close()
        with pytest.raises(StorageError):
            repository.get("c-1")
        with pytest.raises(StorageError):
            self._add(repository, new_complaint(2))


class DeliveryLogContract:
    """The behaviour every :class:`~iso10002.ports.DeliveryLog` must show.

    Override the ``delivery_log`` fixture to yield a new, empty delivery log for each test.
    """

    #: How many threads race to claim in the concurrency test.
    claimers: ClassVar[int] = 4

    @pytest.fixture
    def delivery_log(self) -> Iterator[DeliveryLog]:
        """Yield a new, empty delivery log (override this)."""
        raise NotImplementedError("override the `delivery_log` fixture in your subclass")

    LEASE = timedelta(minutes=5)

    def _claim(self, log: DeliveryLog, worker: str, now: datetime, limit: int = 10) -> list[str]:
        return [d.key for d in log.claim(worker=worker, now=now, limit=limit, lease=self.LEASE)]

    def test_implements_the_port(self, delivery_log: DeliveryLog) -> None:
        assert provides(delivery_log, DeliveryLog)

    def test_enqueue_once_per_key(self, delivery_log: DeliveryLog) -> None:
        assert delivery_log.enqueue("k1", {"to": "ann", "n": 1}, available_at=T0) is True
        assert (
            delivery_log.enqueue("k1", {"to": "bob"}, available_at=T0 - timedelta(days=1)) is False
        )
        assert delivery_log.get("k1") == Delivery(
            key="k1",
            payload={"to": "ann", "n": 1},
            attempts=0,
            status=DeliveryStatus.PENDING,
            last_error=None,
            available_at=T0,
            claimed_by=None,
            lease_until=None,
            delivered_at=None,
        )
        assert delivery_log.get("unknown") is None

    def test_claim_takes_due_deliveries_oldest_first(self, delivery_log: DeliveryLog) -> None:
        delivery_log.enqueue("b", {}, available_at=T0)
        delivery_log.enqueue("a", {}, available_at=T0)
        delivery_log.enqueue("early", {}, available_at=T0 - timedelta(hours=1))
        delivery_log.enqueue("future", {}, available_at=T0 + timedelta(minutes=1))
        assert self._claim(delivery_log, "w1", T0, limit=2) == ["early", "a"]
        assert self._claim(delivery_log, "w2", T0) == ["b"]
        assert self._claim(delivery_log, "w2", T0) == []
        claimed = delivery_log.get("a")
        assert claimed is not None
        assert claimed.status is DeliveryStatus.CLAIMED
        assert (claimed.claimed_by, claimed.lease_until, claimed.attempts) == (
            "w1",
            T0 + self.LEASE,
            1,
        )
        assert self._claim(delivery_log, "w3", T0 + timedelta(minutes=1)) == ["future"]

    def test_an_expired_lease_can_be_claimed_again(self, delivery_log: DeliveryLog) -> None:
        delivery_log.enqueue("k", {"x": 1}, available_at=T0)
        assert self._claim(delivery_log, "w1", T0) == ["k"]
        assert self._claim(delivery_log, "w2", T0 + self.LEASE - timedelta(seconds=1)) == []
        assert self._claim(delivery_log, "w2", T0 + self.LEASE) == ["k"]
        again = delivery_log.get("k")
        assert again is not None
        assert (again.claimed_by, again.attempts) == ("w2", 2)
        # the first worker no longer holds the claim: its failure report is ignored
        assert delivery_log.mark_failed("k", worker="w1", error="late", retry_at=T0) is False
        assert delivery_log.get("k") == again

    def test_delivered_is_final(self, delivery_log: DeliveryLog) -> None:
        delivery_log.enqueue("k", {}, available_at=T0)
        self._claim(delivery_log, "w1", T0)
        done_at = T0 + timedelta(seconds=3)
        assert delivery_log.mark_delivered("k", worker="w1", at=done_at) is True
        done = delivery_log.get("k")
        assert done is not None
        assert (done.status, done.delivered_at, done.claimed_by, done.lease_until) == (
            DeliveryStatus.DELIVERED,
            done_at,
            "w1",
            None,
        )
        assert delivery_log.mark_delivered("k", worker="w2", at=T0) is False
        assert delivery_log.mark_failed("k", worker="w1", error="x", retry_at=T0) is False
        assert self._claim(delivery_log, "w1", T0 + timedelta(days=1)) == []
        assert delivery_log.get("k") == done

    def test_a_failure_retries_later(self, delivery_log: DeliveryLog) -> None:
        delivery_log.enqueue("k", {}, available_at=T0)
        self._claim(delivery_log, "w1", T0)
        retry = T0 + timedelta(minutes=1)
        assert delivery_log.mark_failed("k", worker="w1", error="timeout", retry_at=retry)
        failed = delivery_log.get("k")
        assert failed is not None
        assert (failed.status, failed.last_error, failed.available_at, failed.claimed_by) == (
            DeliveryStatus.PENDING,
            "timeout",
            retry,
            None,
        )
        assert self._claim(delivery_log, "w1", retry - timedelta(seconds=1)) == []
        assert self._claim(delivery_log, "w2", retry) == ["k"]
        assert delivery_log.mark_delivered("k", worker="w2", at=retry)

    def test_a_dead_delivery_is_a_dead_letter(self, delivery_log: DeliveryLog) -> None:
        for key in ("z", "m", "a"):
            delivery_log.enqueue(key, {"key": key}, available_at=T0)
        self._claim(delivery_log, "w1", T0)
        for key in ("z", "a"):
            assert delivery_log.mark_failed(
                key, worker="w1", error=f"gave up on {key}", retry_at=T0, dead=True
            )
        dead = delivery_log.dead_letters()
        assert [d.key for d in dead] == ["a", "z"]
        assert all(d.status is DeliveryStatus.DEAD for d in dead)
        assert [d.last_error for d in dead] == ["gave up on a", "gave up on z"]
        assert self._claim(delivery_log, "w2", T0 + timedelta(days=1)) == ["m"]

    def test_marking_an_unknown_key_raises(self, delivery_log: DeliveryLog) -> None:
        with pytest.raises(NotFoundError):
            delivery_log.mark_delivered("nope", worker="w", at=T0)
        with pytest.raises(NotFoundError):
            delivery_log.mark_failed("nope", worker="w", error="e", retry_at=T0)

    def test_an_unclaimed_delivery_cannot_fail(self, delivery_log: DeliveryLog) -> None:
        delivery_log.enqueue("k", {}, available_at=T0)
        assert delivery_log.mark_failed("k", worker="w", error="e", retry_at=T0) is False
        pending = delivery_log.get("k")
        assert pending is not None
        assert pending.status is DeliveryStatus.PENDING

    def test_consumer_positions(self, delivery_log: DeliveryLog) -> None:
        assert delivery_log.position("dispatcher") == 0
        delivery_log.set_position("dispatcher", 42)
        delivery_log.set_position("sweeper", 7)
        assert delivery_log.position("dispatcher") == 42
        delivery_log.set_position("dispatcher", 40)
        assert delivery_log.position("dispatcher") == 40
        assert delivery_log.position("sweeper") == 7
        with pytest.raises(ValidationError):
            delivery_log.set_position("dispatcher", -1)
        with pytest.raises(ValidationError):
            delivery_log.set_position("", 1)
        assert delivery_log.position("dispatcher") == 40

    def test_payloads_round_trip_exactly(self, delivery_log: DeliveryLog) -> None:
        payload: dict[str, Any] = {
            "text": SQL + NUL + ESCAPES + EMOJI + RTL,
            NUL + "key": [1, -0.0, 1.5e300, 2**70, None, True, {"nested": [[]]}],
            "big": BIG,
            "": {},
        }
        delivery_log.enqueue("k", payload, available_at=T0)
        stored = delivery_log.get("k")
        assert stored is not None
        assert stored.payload == payload
        assert repr(stored.payload) == repr(payload)
        stored.payload["text"] = "changed by the caller"
        again = delivery_log.get("k")
        assert again is not None
        assert again.payload == payload
        delivery_log.enqueue("fail", {}, available_at=T0)
        self._claim(delivery_log, "w", T0)
        delivery_log.mark_failed("fail", worker="w", error=NUL + SQL + EMOJI, retry_at=T0)
        failed = delivery_log.get("fail")
        assert failed is not None
        assert failed.last_error == NUL + SQL + EMOJI

    def test_bad_arguments_are_refused(self, delivery_log: DeliveryLog) -> None:
        naive = datetime(2026, 1, 5, 9, 0)
        bad_enqueues: list[tuple[Any, Any, Any]] = [
            ("k", {"s": {1, 2}}, T0),
            ("k", {1: "int key"}, T0),
            ("k", {"nan": float("nan")}, T0),
            ("k", ["not", "a", "dict"], T0),
            ("k", {"t": (1, 2)}, T0),
            ("k", {}, naive),
            ("", {}, T0),
            (" padded ", {}, T0),
            ("k\x00", {}, T0),
            (7, {}, T0),
        ]
        for key, payload, at in bad_enqueues:
            with pytest.raises(ValidationError):
                delivery_log.enqueue(key, payload, available_at=at)
        assert delivery_log.get("k") is None
        delivery_log.enqueue("k", {}, available_at=T0)
        bad_claims: list[dict[str, Any]] = [
            {"worker": "w", "now": naive, "limit": 1, "lease": self.LEASE},
            {"worker": "w", "now": T0, "limit": 0, "lease": self.LEASE},
            {"worker": "w", "now": T0, "limit": 1, "lease": timedelta(0)},
            {"worker": "w", "now": T0, "limit": 1, "lease": 30},
            {"worker": "", "now": T0, "limit": 1, "lease": self.LEASE},
        ]
        for kwargs in bad_claims:
            with pytest.raises(ValidationError):
                delivery_log.claim(**kwargs)
        self._claim(delivery_log, "w", T0)
        with pytest.raises(ValidationError):
            delivery_log.mark_delivered("k", worker="w", at=naive)
        with pytest.raises(ValidationError):
            delivery_log.mark_failed("k", worker="w", error=None, retry_at=T0)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            delivery_log.mark_failed("k", worker="w", error="e", retry_at=T0, dead="yes")  # type: ignore[arg-type]
        claimed = delivery_log.get("k")
        assert claimed is not None
        assert claimed.status is DeliveryStatus.CLAIMED

    def test_times_come_back_in_utc(self, delivery_log: DeliveryLog) -> None:
        local = timezone(timedelta(hours=-5))
        delivery_log.enqueue("k", {}, available_at=T0.astimezone(local))
        stored = delivery_log.get("k")
        assert stored is not None
        assert stored.available_at == T0
        assert stored.available_at.utcoffset() == timedelta(0)

    def test_concurrent_claimers_never_share_a_delivery(self, delivery_log: DeliveryLog) -> None:
        keys = [f"k{n:03d}" for n in range(60)]
        for key in keys:
            delivery_log.enqueue(key, {"n": key}, available_at=T0)
        claimed: list[list[str]] = [[] for _ in range(self.claimers)]
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                while True:
                    got = self._claim(delivery_log, f"w{worker}", T0, limit=3)
                    if not got:
                        return
                    claimed[worker].extend(got)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        pool = [threading.Thread(target=work, args=(w,)) for w in range(self.claimers)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert not failures, failures
        everything = [key for keys_of_one in claimed for key in keys_of_one]
        assert sorted(everything) == keys
        for worker, keys_of_one in enumerate(claimed):
            for key in keys_of_one:
                delivery = delivery_log.get(key)
                assert delivery is not None
                assert delivery.claimed_by == f"w{worker}"
