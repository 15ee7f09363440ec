"""A complaint repository of your own: complaints kept in one JSON-lines file.

Every write appends one line (a journal entry) and flushes it to disk before returning; opening the
file replays the journal, ignoring a torn last line left by a crash. Erasing personal data
rewrites the file without it, so the complainant's details are really gone from disk.

This backend passes :class:`iso10002.testing.contract.RepositoryContract` (see
``tests/backends/test_repo_contract_example.py``). It keeps everything in memory as well, so it
suits small installations and tests; see ``docs/custom-backend.md`` for the walk-through.

Run it: ``python examples/custom_backend.py [path.jsonl]``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from iso10002 import events as ev
from iso10002.backends import paginate, validate_batch, validate_save
from iso10002.errors import (
    ComplaintNotFound,
    ConcurrencyConflict,
    DuplicateError,
    StorageError,
    ValidationError,
)
from iso10002.model import Complainant, Complaint, redacted
from iso10002.ports import ComplaintQuery, NewComplaint, Page, StoredEvent, Update
from iso10002.serialization import dump, load


class JsonLinesRepository:
    """A :class:`~iso10002.ports.ComplaintRepository` in a JSON-lines journal at *path*."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._lock = threading.RLock()
        self._closed = False
        self._complaints: dict[str, Complaint] = {}
        self._by_reference: dict[str, str] = {}
        self._by_external: set[tuple[str, str]] = set()
        self._events: dict[str, list[ev.Event]] = {}
        self._log: list[ev.Event] = []
        self._complainants: dict[str, Complainant] = {}
        if self._path.exists():
            self._replay()

    # --- the journal ----------------------------------------------------------------------------

    def _replay(self) -> None:
        good = 0
        with self._path.open("rb") as journal:
            for line in journal:
                try:
                    entry = json.loads(line)
                except ValueError:  # a torn last line: that write never completed
                    break
                self._apply(entry)
                good += len(line)
        if good != self._path.stat().st_size:
            with self._path.open("r+b") as journal:
                journal.truncate(good)  # drop the torn tail before appending after it

    def _apply(self, entry: dict[str, Any]) -> None:
        for doc in entry.get("complainants", ()):
            person = load(doc)
            self._complainants[person.id] = person
        for doc in entry.get("events", ()):
            event = load(doc)
            self._events.setdefault(event.complaint_id, []).append(event)
            self._log.append(event)
        for doc in entry.get("complaints", ()):
            complaint = load(doc)
            self._complaints[complaint.id] = complaint
            self._by_reference[complaint.reference] = complaint.id
            ref = complaint.external_reference
            if ref is not None:
                self._by_external.add((ref.source, ref.id))
        for person_id in entry.get("erased", ()):
            self._complainants.pop(person_id, None)

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n"
        try:
            with self._path.open("a", encoding="utf-8") as journal:
                journal.write(line)
                journal.flush()
                os.fsync(journal.fileno())
        except OSError as exc:
            raise StorageError(f"could not write the journal: {exc.strerror}") from exc
        self._apply(entry)

    def _rewrite(
        self,
        complainants: list[Complainant],
        log: list[ev.Event],
        complaints: list[Complaint],
    ) -> None:
        """Replace the journal by one entry holding exactly this state."""
        entry = {
            "complainants": [dump(p) for p in complainants],
            "events": [dump(e) for e in log],
            "complaints": [dump(c) for c in complaints],
        }
        line = json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n"
        handle, temporary = tempfile.mkstemp(dir=self._path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as journal:
                journal.write(line)
                journal.flush()
                os.fsync(journal.fileno())
            os.replace(temporary, self._path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise StorageError(f"could not rewrite the journal: {exc.strerror}") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the repository is closed")

    # --- writes ---------------------------------------------------------------------------------

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
        """Store many new complaints in one journal entry: all or none."""
        batch = validate_batch(items)
        with self._lock:
            self._check_open()
            for item in batch:
                if item.complaint.id in self._complaints:
                    raise DuplicateError("a complaint with this id is already stored")
                if item.complaint.reference in self._by_reference:
                    raise DuplicateError("a complaint with this reference is already stored")
                ref = item.complaint.external_reference
                if ref is not None and (ref.source, ref.id) in self._by_external:
                    raise DuplicateError(
                        "a complaint with this external reference is already stored"
                    )
            if batch:
                self._append(
                    {
                        "complainants": [
                            dump(i.complainant) for i in batch if i.complainant is not None
                        ],
                        "events": [dump(e) for i in batch for e in i.events],
                        "complaints": [dump(i.complaint) for i in batch],
                    }
                )
        return len(batch)

    def save(
        self, complaint: Complaint, *, expected_version: int, events: Sequence[ev.Event]
    ) -> None:
        """Store the new version and its events in one journal entry."""
        validate_save(complaint, expected_version, events)
        with self._lock:
            self._check_open()
            stored = self._complaints.get(complaint.id)
            if stored is None or stored.version != expected_version:
                actual = None if stored is None else stored.version
                raise ConcurrencyConflict(complaint.id, expected_version, actual)
            self._append({"events": [dump(e) for e in events], "complaints": [dump(complaint)]})

    def save_many(self, updates: Sequence[Update]) -> None:
        """Many saves in one journal entry, all or none (the optional ``BatchSaving``)."""
        if not isinstance(updates, (list, tuple)):
            raise ValidationError([("updates", "expected a list of Update")])
        for update in updates:
            validate_save(update.complaint, update.expected_version, update.events)
        if len({update.complaint.id for update in updates}) != len(updates):
            raise ValidationError([("updates", "a complaint is updated twice")])
        with self._lock:
            self._check_open()
            for update in updates:
                stored = self._complaints.get(update.complaint.id)
                if stored is None or stored.version != update.expected_version:
                    actual = None if stored is None else stored.version
                    raise ConcurrencyConflict(update.complaint.id, update.expected_version, actual)
            if updates:
                self._append(
                    {
                        "events": [dump(e) for u in updates for e in u.events],
                        "complaints": [dump(u.complaint) for u in updates],
                    }
                )

    def erase_personal_data(self, complainant_id: str) -> bool:
        """Delete the complainant record and erase the free text of their complaints and
        events, in memory and in the file (rewritten without them)."""
        with self._lock:
            self._check_open()
            theirs = {c.id for c in self._complaints.values() if c.complainant_id == complainant_id}
            if complainant_id not in self._complainants and not theirs:
                return False
            complaints = {
                cid: redacted(c) if cid in theirs else c for cid, c in self._complaints.items()
            }
            log = [ev.redacted_event(e) if e.complaint_id in theirs else e for e in self._log]
            people = [p for p in self._complainants.values() if p.id != complainant_id]
            self._rewrite(people, log, list(complaints.values()))
            self._complaints, self._log = complaints, log
            self._events = {}
            for event in log:
                self._events.setdefault(event.complaint_id, []).append(event)
            return self._complainants.pop(complainant_id, None) is not None

    # --- reads ----------------------------------------------------------------------------------

    def get(self, complaint_id: str) -> Complaint:
        """The complaint with this id."""
        with self._lock:
            self._check_open()
            found = self._complaints.get(complaint_id)
        if found is None:
            raise ComplaintNotFound(complaint_id)
        return found

    def get_by_reference(self, reference: str) -> Complaint:
        """The complaint with this reference."""
        with self._lock:
            self._check_open()
            complaint_id = self._by_reference.get(reference)
            if complaint_id is None:
                raise ComplaintNotFound(reference, by="reference")
            return self._complaints[complaint_id]

    def get_complainant(self, complainant_id: str) -> Complainant | None:
        """The complainant record, or ``None``."""
        with self._lock:
            self._check_open()
            return self._complainants.get(complainant_id)

    def query(self, query: ComplaintQuery) -> Page:
        """One page of matching complaints, in ``(received_at, id)`` order."""
        with self._lock:
            self._check_open()
            complaints = list(self._complaints.values())
        return paginate(complaints, query)

    def count(self, query: ComplaintQuery) -> int:
        """How many complaints match."""
        if not isinstance(query, ComplaintQuery):
            raise ValidationError([("query", "expected a ComplaintQuery")])
        with self._lock:
            self._check_open()
            return sum(1 for c in self._complaints.values() if query.matches(c))

    def events(self, complaint_id: str) -> list[ev.Event]:
        """The complaint's events in order."""
        with self._lock:
            self._check_open()
            found = self._events.get(complaint_id)
        if found is None:
            raise ComplaintNotFound(complaint_id)
        return list(found)

    def events_since(self, position: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of the global log after *position*, in order."""
        for name, value, low in (("position", position, 0), ("limit", limit, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValidationError([(name, f"expected an int of at least {low}")])
        with self._lock:
            self._check_open()
            chunk = self._log[position : position + limit]
        return [StoredEvent(position + 1 + i, e) for i, e in enumerate(chunk)]

    # --- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop serving; the file stays."""
        with self._lock:
            self._closed = True

    def __enter__(self) -> JsonLinesRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def main(path: str) -> None:
    """Store a complaint, add a note, reopen the file and read everything back."""
    from iso10002.testing.contract import advance, new_complaint

    item = new_complaint(1)
    with JsonLinesRepository(path) as repo:
        if repo.count(ComplaintQuery()) == 0:
            repo.add(item.complaint, events=item.events, complainant=item.complainant)
        current = repo.get("c-1")
        noted, note = advance(current, ev.NoteAdded, text="Called the complainant back.")
        repo.save(noted, expected_version=current.version, events=[note])
    with JsonLinesRepository(path) as repo:
        complaint = repo.get_by_reference("REF-1")
        print(f"{complaint.reference}: version {complaint.version}, state {complaint.state}")
        print(f"{len(repo.events_since(0))} event(s) in the log")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "complaints.jsonl")
