"""Export complaints, streaming: JSON Lines without loss, CSV with chosen columns.

A JSON Lines export holds one complaint a line: ``{"complaint": …, "events": […]}`` in the
documents of :func:`iso10002.serialization.dump`, and the complainant's record under
``"complainant"`` only when asked (it is personal data). :func:`restore` reads such a file back:
the complaints it stores equal the exported ones, on any backend, and exporting them again gives
the same file. Restoring is idempotent: a complaint stored with the same events is left alone, one
stored with fewer is given the rest.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Final

import attrs

from iso10002 import events as ev
from iso10002.errors import ComplaintNotFound, DuplicateError, Problem, ValidationError
from iso10002.model import Complaint
from iso10002.ports import ComplaintQuery, ComplaintRepository
from iso10002.serialization import dump, load

from .importer import ImportReport, Reject
from .readers import read_jsonl

__all__ = ["CSV_COLUMNS", "complaints", "export_csv", "export_jsonl", "restore"]


def complaints(
    storage: ComplaintRepository, query: ComplaintQuery | None = None, *, page: int = 1000
) -> Iterator[Complaint]:
    """Every complaint matching *query*, in ``(received_at, id)`` order, a page at a time."""
    current = query if query is not None else ComplaintQuery(limit=page)
    while True:
        found = storage.query(current)
        yield from found.items
        if found.next_cursor is None:
            return
        current = attrs.evolve(current, cursor=found.next_cursor)


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n"


def export_jsonl(
    storage: ComplaintRepository,
    out: IO[str],
    *,
    query: ComplaintQuery | None = None,
    personal_data: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every complaint matching *query* with its events to *out*; return how many."""
    count = 0
    for complaint in complaints(storage, query):
        document: dict[str, Any] = {
            "complaint": dump(complaint),
            "events": [dump(e) for e in storage.events(complaint.id)],
        }
        if personal_data:
            person = storage.get_complainant(complaint.complainant_id)
            if person is not None:
                document["complainant"] = dump(person)
        out.write(_line(document))
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return count


def _when(value: Any) -> str:
    return "" if value is None else value.isoformat()


#: The CSV columns :func:`export_csv` can write, each with how it is read off a complaint.
CSV_COLUMNS: Final[dict[str, Callable[[Complaint], str]]] = {
    "id": lambda c: c.id,
    "reference": lambda c: c.reference,
    "source": lambda c: "" if c.external_reference is None else c.external_reference.source,
    "external_id": lambda c: "" if c.external_reference is None else c.external_reference.id,
    "state": lambda c: c.state,
    "received_at": lambda c: _when(c.received_at),
    "channel": lambda c: c.details.channel.value,
    "product": lambda c: c.details.product or "",
    "segment": lambda c: c.details.segment or "",
    "category": lambda c: c.classification.category or "",
    "tags": lambda c: ";".join(sorted(c.classification.tags)),
    "priority": lambda c: "" if c.priority is None else c.priority.value,
    "team": lambda c: c.team or "",
    "assignee": lambda c: c.assignee or "",
    "acknowledged_at": lambda c: _when(c.acknowledged_at),
    "outcome": lambda c: "" if c.decision is None else c.decision.outcome.value,
    "decided_at": lambda c: "" if c.decision is None else _when(c.decision.decided_at),
    "closed_at": lambda c: "" if c.closure is None else _when(c.closure.at),
    "withdrawn": lambda c: "" if c.closure is None else str(c.closure.withdrawn).lower(),
    "breached": lambda c: str(c.breached).lower(),
    "version": lambda c: str(c.version),
    "subject": lambda c: c.details.subject,
}
_DEFAULT_CSV = tuple(name for name in CSV_COLUMNS if name != "subject")


def export_csv(
    storage: ComplaintRepository,
    out: IO[str],
    *,
    columns: Sequence[str] = _DEFAULT_CSV,
    query: ComplaintQuery | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one CSV row per complaint matching *query* with *columns*; return how many.

    The default columns leave out free text (``subject`` may be asked for).
    """
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or not columns:
        raise ValidationError(
            [("columns", f"unknown or no columns; accepted: {', '.join(CSV_COLUMNS)}")],
            what="CSV export",
        )
    readers = [CSV_COLUMNS[c] for c in columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for complaint in complaints(storage, query):
        writer.writerow([read(complaint) for read in readers])
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return count


def _document(values: Any) -> tuple[Complaint, list[ev.Event], Any] | list[Problem]:
    try:
        complaint = load(values.get("complaint"))
        events = [load(e) for e in values.get("events", ())]
        person = values.get("complainant")
        complainant = None if person is None else load(person)
    except ValidationError as exc:
        return list(exc.problems)
    except DuplicateError as exc:
        return [Problem("complaint", str(exc))]
    except (TypeError, AttributeError):
        return [Problem("", "expected an object with complaint and events")]
    if not isinstance(complaint, Complaint) or not all(isinstance(e, ev.Event) for e in events):
        return [Problem("", "expected a Complaint and its events")]
    return complaint, events, complainant


def restore(
    storage: ComplaintRepository,
    stream: IO[bytes],
    *,
    rejects: IO[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store the complaints of a :func:`export_jsonl` file (see the module docstring)."""
    counts = {"rows": 0, "imported": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    kept: list[Reject] = []
    writer = None if rejects is None else csv.writer(rejects, lineterminator="\n")
    if writer is not None:
        writer.writerow(["line", "column", "problem"])
    for row in read_jsonl(stream):
        counts["rows"] += 1
        read = list(row.problems) if row.problems else _document(row.values)
        found = read if isinstance(read, list) else _restore_one(storage, *read, counts=counts)
        if found is not None:
            counts["rejected"] += 1
            if len(kept) < 1000:
                kept.append(Reject(row.line, tuple(found)))
            if writer is not None:
                for p in found:
                    writer.writerow([row.line, p.path, p.message])
        if progress is not None and counts["rows"] % 1000 == 0:
            progress(counts["rows"])
    if progress is not None:
        progress(counts["rows"])
    return ImportReport(**counts, rejects=tuple(kept))


def _restore_one(
    storage: ComplaintRepository,
    complaint: Complaint,
    events: list[ev.Event],
    complainant: Any,
    *,
    counts: dict[str, int],
) -> list[Problem] | None:
    try:
        stored = storage.get(complaint.id)
    except ComplaintNotFound:
        stored = None
    try:
        if stored is None:
            storage.add(complaint, events=events, complainant=complainant)
            counts["imported"] += 1
            return None
        have = storage.events(complaint.id)
        if have == events:
            counts["unchanged"] += 1
            return None
        if events[: len(have)] != have:
            return [Problem("events", "differ from the stored complaint's; not restored")]
        if ev.replay(events) != complaint:
            return [Problem("complaint", "is not the fold of its events")]
        storage.save(complaint, expected_version=stored.version, events=events[len(have) :])
        counts["updated"] += 1
        return None
    except ValidationError as exc:
        return list(exc.problems)
    except DuplicateError as exc:
        return [Problem("complaint", str(exc))]
