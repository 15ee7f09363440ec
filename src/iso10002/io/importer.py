"""Historical import: every source row imported, updated, left unchanged or rejected.

``rows == imported + updated + unchanged + rejected`` always. A row is rejected with its line
and every problem found in it; rejects go to a CSV file (``line,column,problem``) that quotes
no source text. Rows are stored in batches, each batch in one transaction.

Re-running an import is idempotent by external reference: a row whose complaint is stored and
whose facts are already recorded is *unchanged*; one whose source has moved on (e.g. the
complaint has since closed) is *updated* with the new events, again covered by an import marker;
one whose stored complaint was handled in this system since, or whose earlier facts differ, is
rejected rather than rewritten.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO

import attrs

from iso10002 import events as ev
from iso10002.clock import Clock, SystemClock
from iso10002.errors import DuplicateError, Problem, ValidationError
from iso10002.ports import ComplaintQuery, NewComplaint, Storage
from iso10002.service import SlaPlanner
from iso10002.taxonomy import Taxonomy
from iso10002.workflow import WorkflowDefinition

from .historical import HistoryBuilder, complaint_id_for
from .mapping import ImportMapping, Record
from .readers import SourceRow
from .records import RecordReader

__all__ = ["ImportReport", "Importer", "Reject"]

_KEPT_REJECTS = 1000


@attrs.frozen
class Reject:
    """A rejected row: its first line and every problem (``path`` is the column)."""

    line: int
    problems: tuple[Problem, ...]


@attrs.frozen
class ImportReport:
    """What an import did. ``rejects`` keeps the first 1,000 rejected rows."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: tuple[Reject, ...] = ()


def _comparable(events: Iterable[ev.Event]) -> list[ev.Event]:
    """The events without import markers and without their sequence numbers."""
    return [attrs.evolve(e, sequence=1) for e in events if not isinstance(e, ev.ComplaintImported)]


class Importer:
    """Imports source rows through *mapping* into *storage* (see the module docstring).

    *categories*, when given, must hold every imported category as an active code. *as_of* is
    the instant the import records facts up to (default: *clock*'s now).
    """

    def __init__(
        self,
        storage: Storage,
        mapping: ImportMapping,
        *,
        workflow: WorkflowDefinition | None = None,
        sla: SlaPlanner | None = None,
        categories: Taxonomy | None = None,
        actor: str = "import",
        as_of: datetime | None = None,
        clock: Clock | None = None,
        batch: int = 1000,
    ) -> None:
        if as_of is not None and (not isinstance(as_of, datetime) or as_of.utcoffset() is None):
            raise ValidationError([("as_of", "expected an aware datetime")], what="Importer")
        if not isinstance(batch, int) or batch < 1:
            raise ValidationError([("batch", "expected a positive int")], what="Importer")
        self.storage = storage
        self.mapping = mapping
        self.reader = RecordReader(mapping)
        self.builder = HistoryBuilder(workflow=workflow, sla=sla, actor=actor)
        self.categories = categories
        self.as_of = as_of if as_of is not None else (clock or SystemClock()).now()
        self.batch = batch

    def _problems(self, record: Record) -> list[Problem]:
        if self.categories is None or record.category is None:
            return []
        code = self.categories.get(record.category)
        if code is None or not code.active:
            column = self.mapping.fields["category"].columns[0]
            return [Problem(column, f"not an active code of taxonomy {self.categories.name!r}")]
        return []

    def prepare(self, row: SourceRow) -> tuple[Record, NewComplaint] | list[Problem]:
        """The record and complaint a row imports (not stored), or its problems."""
        record = self.reader.read(row)
        if isinstance(record, list):
            return record
        problems = self._problems(record)
        if problems:
            return problems
        ref = record.external_reference
        try:
            complaint, events = self.builder.build(
                record, reference=f"{self.mapping.prefix}{ref.id}"[:200], as_of=self.as_of
            )
        except ValidationError as exc:
            return self._columns(exc.problems)
        return record, NewComplaint(complaint, events)

    def _columns(self, problems: Iterable[Problem]) -> list[Problem]:
        """*problems* with field names replaced by the mapped source column."""
        out = []
        for p in problems:
            field = p.path.split(".", 1)[0].split("[", 1)[0]
            spec = self.mapping.fields.get(field)
            out.append(Problem(spec.columns[0], p.message) if spec is not None else p)
        return out

    def run(
        self,
        rows: Iterable[SourceRow],
        *,
        rejects: IO[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import every row; write rejects to *rejects*; call *progress* with rows done."""
        counts = {"rows": 0, "imported": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        kept: list[Reject] = []
        writer = None
        if rejects is not None:
            writer = csv.writer(rejects, lineterminator="\n")
            writer.writerow(["line", "column", "problem"])

        def reject(line: int, problems: Iterable[Problem]) -> None:
            found = tuple(problems)
            counts["rejected"] += 1
            if len(kept) < _KEPT_REJECTS:
                kept.append(Reject(line, found))
            if writer is not None:
                for p in found:
                    writer.writerow([line, p.path, p.message])

        pending: list[tuple[int, Record, NewComplaint]] = []
        for row in rows:
            counts["rows"] += 1
            prepared = self.prepare(row)
            if isinstance(prepared, list):
                reject(row.line, prepared)
            else:
                pending.append((row.line, *prepared))
            if len(pending) >= self.batch:
                self._flush(pending, counts, reject)
                pending = []
                if progress is not None:
                    progress(counts["rows"])
        self._flush(pending, counts, reject)
        if progress is not None:
            progress(counts["rows"])
        return ImportReport(**counts, rejects=tuple(kept))

    def _flush(
        self,
        pending: list[tuple[int, Record, NewComplaint]],
        counts: dict[str, int],
        reject: Callable[[int, Iterable[Problem]], None],
    ) -> None:
        if not pending:
            return
        try:
            counts["imported"] += self.storage.add_many([item for _, _, item in pending])
            return
        except DuplicateError:
            pass  # some are stored already (or repeated in the batch): one at a time
        for line, record, item in pending:
            try:
                self.storage.add(item.complaint, events=item.events)
            except DuplicateError:
                outcome = self._again(record, item)
                if isinstance(outcome, str):
                    counts[outcome] += 1
                else:
                    reject(line, outcome)
            else:
                counts["imported"] += 1

    def _again(self, record: Record, item: NewComplaint) -> str | list[Problem]:
        """Update or leave a complaint imported before; the problems if neither is right."""
        ref = item.complaint.external_reference
        assert ref is not None
        column = self.mapping.fields["external_id"].columns[0]
        page = self.storage.query(ComplaintQuery(source=ref.source, external_id=ref.id, limit=1))
        if not page.items or page.items[0].id != complaint_id_for(ref.source, ref.id):
            return [Problem(column, f"reference {item.complaint.reference} is already taken")]
        stored = page.items[0]
        history = self.storage.events(stored.id)
        old = _comparable(history)
        new = _comparable(item.events)
        if old == new:
            return "unchanged"
        markers = [e for e in history if isinstance(e, ev.ComplaintImported)]
        live_since = not isinstance(history[-1], ev.ComplaintImported)
        if live_since and markers:
            # Handled here since it was imported: unchanged if the source tells nothing new.
            rebuilt = self._rebuilt(record, item, markers[-1].occurred_at)
            if rebuilt is not None and _comparable(rebuilt) == _comparable(
                history[: markers[-1].sequence]
            ):
                return "unchanged"
            return [Problem(column, "handled in this system since it was imported; not updated")]
        if new[: len(old)] != old:
            return [Problem(column, "differs from the facts imported before; not updated")]
        extra = item.events[len(old) : -1]  # the new facts, without the new marker
        complaint = stored
        events: list[ev.Event] = []
        first = stored.version + 1
        for event in extra:
            renumbered = attrs.evolve(event, sequence=complaint.version + 1)
            complaint = ev.apply(complaint, renumbered)
            events.append(renumbered)
        marker = ev.ComplaintImported(
            complaint_id=stored.id,
            sequence=complaint.version + 1,
            occurred_at=self.as_of,
            actor=self.builder.actor,
            source=ref.source,
            first_sequence=first,
        )
        complaint = ev.apply(complaint, marker)
        self.storage.save(complaint, expected_version=stored.version, events=[*events, marker])
        return "updated"

    def _rebuilt(
        self, record: Record, item: NewComplaint, as_of: datetime
    ) -> list[ev.Event] | None:
        """The events *record* would have been imported with at *as_of*."""
        try:
            _, events = self.builder.build(record, reference=item.complaint.reference, as_of=as_of)
        except ValidationError:
            return None
        return events
