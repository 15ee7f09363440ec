"""The in-memory backend: the reference implementation of the storage ports, thread-safe.

Everything lives in Python objects guarded by one lock and is lost on :meth:`close`. Use it in
tests and as the model the other backends are compared with.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import attrs

from iso10002 import events as ev
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    DuplicateError,
    NotFoundError,
    StorageError,
)
from iso10002.model import Complainant, Complaint, redacted
from iso10002.ports import (
    ComplaintQuery,
    Delivery,
    DeliveryStatus,
    NewComplaint,
    Page,
    StoredEvent,
    Update,
)

from . import _common as c

__all__ = ["MemoryDeliveryLog", "MemoryRepository"]


class MemoryRepository:
    """Complaints, events, complainants and deliveries held in memory (``memory://``)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._complaints: dict[str, Complaint] = {}
        self._by_reference: dict[str, str] = {}
        self._by_external: dict[tuple[str, str], str] = {}
        self._order: list[tuple[datetime, str]] = []
        self._events: dict[str, list[ev.Event]] = {}
        self._log: list[ev.Event] = []
        self._complainants: dict[str, Complainant] = {}
        self._deliveries = MemoryDeliveryLog(self._lock, self._check_open)

    @property
    def deliveries(self) -> MemoryDeliveryLog:
        """The delivery log kept beside the complaints."""
        return self._deliveries

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the repository is closed")

    def add(
        self,
        complaint: Complaint,
        *,
        events: Sequence[ev.Event],
        complainant: Complainant | None = None,
    ) -> None:
        """Store a new complaint with its events and, apart, its complainant."""
        self.add_many([NewComplaint(complaint, events, complainant)])

    def add_many(self, items: Iterable[NewComplaint]) -> int:
        """Store many new complaints, all or none; return how many."""
        batch = c.validate_batch(items)
        with self._lock:
            self._check_open()
            for item in batch:
                if item.complaint.id in self._complaints:
                    raise DuplicateError("a complaint with this id is already stored")
                if item.complaint.reference in self._by_reference:
                    raise DuplicateError("a complaint with this reference is already stored")
            externals: set[tuple[str, str]] = set()
            for item in batch:
                ref = item.complaint.details.external_reference
                if ref is not None:
                    key = (ref.source, ref.id)
                    if key in self._by_external or key in externals:
                        raise DuplicateError(
                            "a complaint with this external reference is already stored"
                        )
                    externals.add(key)
            for item in batch:
                complaint = item.complaint
                self._complaints[complaint.id] = complaint
                self._by_reference[complaint.reference] = complaint.id
                ref = complaint.details.external_reference
                if ref is not None:
                    self._by_external[(ref.source, ref.id)] = complaint.id
                bisect.insort(self._order, c.sort_key(complaint))
                self._events[complaint.id] = list(item.events)
                self._log.extend(item.events)
                if item.complainant is not None:
                    self._complainants[item.complainant.id] = item.complainant
        return len(batch)

    def get(self, complaint_id: str) -> Complaint:
        """The complaint with this id."""
        c.check_text_key("complaint_id", complaint_id)
        with self._lock:
            self._check_open()
            found = self._complaints.get(complaint_id)
        if found is None:
            raise ComplaintNotFound(complaint_id)
        return found

    def get_by_reference(self, reference: str) -> Complaint:
        """The complaint with this reference."""
        c.check_text_key("reference", reference)
        with self._lock:
            self._check_open()
            complaint_id = self._by_reference.get(reference)
            if complaint_id is None:
                raise ComplaintNotFound(reference, by="reference")
            return self._complaints[complaint_id]

    def get_complainant(self, complainant_id: str) -> Complainant | None:
        """The complainant record, or ``None``."""
        c.check_text_key("complainant_id", complainant_id)
        with self._lock:
            self._check_open()
            return self._complainants.get(complainant_id)

    def save(
        self, complaint: Complaint, *, expected_version: int, events: Sequence[ev.Event]
    ) -> None:
        """Store the new version with its events, atomically."""
        self.save_many([Update(complaint, expected_version, events)])

    def save_many(self, updates: Sequence[Update]) -> None:
        """Apply every update, all or none; see :class:`~iso10002.ports.BatchSaving`."""
        checked = c.validate_updates(updates)
        with self._lock:
            self._check_open()
            for update in checked:
                stored = self._complaints.get(update.complaint.id)
                if stored is None or stored.version != update.expected_version:
                    raise ConcurrencyConflict(
                        update.complaint.id,
                        update.expected_version,
                        None if stored is None else stored.version,
                    )
            for update in checked:
                self._complaints[update.complaint.id] = update.complaint
                self._events[update.complaint.id].extend(update.events)
                self._log.extend(update.events)

    def query(self, query: ComplaintQuery) -> Page:
        """One page of matching complaints in ``(received_at, id)`` order."""
        c.check_query(query)
        after = query.after
        rows: list[Complaint] = []
        with self._lock:
            self._check_open()
            start = 0 if after is None else bisect.bisect_right(self._order, after)
            for key in self._order[start:]:
                complaint = self._complaints[key[1]]
                if query.matches(complaint):
                    rows.append(complaint)
                    if len(rows) > query.limit:
                        break
        return c.page_from(rows, query.limit)

    def count(self, query: ComplaintQuery) -> int:
        """How many complaints match (cursor and limit ignored)."""
        c.check_query(query)
        with self._lock:
            self._check_open()
            return sum(1 for complaint in self._complaints.values() if query.matches(complaint))

    def last_reference_number(self, prefix: str) -> int | None:
        """The greatest number after *prefix* in a stored reference; see the port."""
        c.check_reference_prefix(prefix)
        with self._lock:
            self._check_open()
            numbers = [c.reference_number(r, prefix) for r in self._by_reference]
        return max((n for n in numbers if n is not None), default=None)

    def events(self, complaint_id: str) -> list[ev.Event]:
        """The complaint's events in order."""
        c.check_text_key("complaint_id", complaint_id)
        with self._lock:
            self._check_open()
            found = self._events.get(complaint_id)
            if found is None:
                raise ComplaintNotFound(complaint_id)
            return list(found)

    def events_since(self, position: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of the global log after *position*, in order."""
        c.check_events_since(position, limit)
        with self._lock:
            self._check_open()
            chunk = self._log[position : position + limit]
        return [StoredEvent(position + 1 + i, event) for i, event in enumerate(chunk)]

    def erase_personal_data(self, complainant_id: str) -> bool:
        """Delete the complainant record and erase the free text of their complaints and
        events; return whether a record existed."""
        c.check_text_key("complainant_id", complainant_id)
        with self._lock:
            self._check_open()
            replaced: dict[int, ev.Event] = {}
            for complaint_id, complaint in self._complaints.items():
                if complaint.complainant_id != complainant_id:
                    continue
                self._complaints[complaint_id] = redacted(complaint)
                events = self._events[complaint_id]
                for i, event in enumerate(events):
                    erased = ev.redacted_event(event)
                    if erased is not event:
                        replaced[id(event)] = events[i] = erased
            if replaced:
                self._log = [replaced.get(id(event), event) for event in self._log]
            return self._complainants.pop(complainant_id, None) is not None

    def close(self) -> None:
        """Drop everything; later calls raise :class:`~iso10002.errors.StorageError`."""
        with self._lock:
            self._closed = True

    def __enter__(self) -> MemoryRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return "MemoryRepository()"


class MemoryDeliveryLog:
    """The in-memory delivery log (reached as :attr:`MemoryRepository.deliveries`)."""

    def __init__(self, lock: threading.RLock, check_open: Any) -> None:
        self._lock = lock
        self._check_open = check_open
        self._rows: dict[str, Delivery] = {}
        self._positions: dict[str, int] = {}

    def _copy(self, delivery: Delivery) -> Delivery:
        return attrs.evolve(delivery, payload=c.load_payload(c.to_json(delivery.payload)))

    def enqueue(self, key: str, payload: dict[str, Any], *, available_at: datetime) -> bool:
        """Record a delivery; ``False`` if *key* is already recorded."""
        c.check_name("key", key)
        text = c.payload_json(payload)
        at = c.check_aware("available_at", available_at)
        with self._lock:
            self._check_open()
            if key in self._rows:
                return False
            self._rows[key] = Delivery(
                key=key,
                payload=c.load_payload(text),
                attempts=0,
                status=DeliveryStatus.PENDING,
                last_error=None,
                available_at=at,
                claimed_by=None,
                lease_until=None,
                delivered_at=None,
            )
            return True

    def claim(self, *, worker: str, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Lease up to *limit* due deliveries to *worker*."""
        c.check_name("worker", worker)
        at = c.check_aware("now", now)
        c.check_positive_int("limit", limit)
        c.check_lease(lease)
        with self._lock:
            self._check_open()
            due = sorted(
                (
                    d
                    for d in self._rows.values()
                    if (d.status is DeliveryStatus.PENDING and d.available_at <= at)
                    or (
                        d.status is DeliveryStatus.CLAIMED
                        and d.lease_until is not None
                        and d.lease_until <= at
                    )
                ),
                key=lambda d: (d.available_at, d.key),
            )[:limit]
            claimed = []
            for d in due:
                new = attrs.evolve(
                    d,
                    status=DeliveryStatus.CLAIMED,
                    claimed_by=worker,
                    lease_until=at + lease,
                    attempts=d.attempts + 1,
                )
                self._rows[d.key] = new
                claimed.append(self._copy(new))
            return claimed

    def _row(self, key: str) -> Delivery:
        found = self._rows.get(key)
        if found is None:
            raise NotFoundError("no delivery with that key")
        return found

    def mark_delivered(self, key: str, *, worker: str, at: datetime) -> bool:
        """Record the delivery; ``False`` if it was already delivered."""
        c.check_name("key", key)
        c.check_name("worker", worker)
        when = c.check_aware("at", at)
        with self._lock:
            self._check_open()
            row = self._row(key)
            if row.status is DeliveryStatus.DELIVERED:
                return False
            self._rows[key] = attrs.evolve(
                row,
                status=DeliveryStatus.DELIVERED,
                delivered_at=when,
                claimed_by=worker,
                lease_until=None,
            )
            return True

    def mark_failed(
        self, key: str, *, worker: str, error: str, retry_at: datetime, dead: bool = False
    ) -> bool:
        """Record a failed attempt by the claim holder; ``False`` if *worker* holds no claim."""
        c.check_name("key", key)
        c.check_name("worker", worker)
        c.check_error(error)
        when = c.check_aware("retry_at", retry_at)
        c.check_bool("dead", dead)
        with self._lock:
            self._check_open()
            row = self._row(key)
            if row.status is not DeliveryStatus.CLAIMED or row.claimed_by != worker:
                return False
            self._rows[key] = attrs.evolve(
                row,
                status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
                last_error=error,
                available_at=when,
                claimed_by=None,
                lease_until=None,
            )
            return True

    def get(self, key: str) -> Delivery | None:
        """The delivery with this key, or ``None``."""
        with self._lock:
            self._check_open()
            found = self._rows.get(key)
            return None if found is None else self._copy(found)

    def dead_letters(self) -> list[Delivery]:
        """Every dead delivery, ordered by key."""
        with self._lock:
            self._check_open()
            return [
                self._copy(d)
                for d in sorted(self._rows.values(), key=lambda d: d.key)
                if d.status is DeliveryStatus.DEAD
            ]

    def position(self, name: str) -> int:
        """The stored position of consumer *name* (0 if never set)."""
        c.check_name("name", name)
        with self._lock:
            self._check_open()
            return self._positions.get(name, 0)

    def set_position(self, name: str, position: int) -> None:
        """Store the position of consumer *name*."""
        c.check_name("name", name)
        c.check_positive_int("position", position, low=0)
        with self._lock:
            self._check_open()
            self._positions[name] = position
