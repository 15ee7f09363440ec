"""Source rows read through an :class:`~iso10002.io.mapping.ImportMapping` into records.

Problems name the source column and what is accepted; they quote a value only for the coded
fields (channel, outcome, status), never free text, which may hold personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone, tzinfo
from typing import Any

from iso10002.errors import Problem
from iso10002.model import Channel, ExternalReference, Outcome

from .mapping import FIELDS, FieldMapping, ImportMapping, Record, normalise_header
from .readers import SourceRow

__all__ = ["RecordReader"]

_CODES: dict[str, tuple[str, ...]] = {
    "channel": tuple(c.value for c in Channel),
    "outcome": tuple(o.value for o in Outcome),
    "status": ("open", "closed", "withdrawn"),
}


class RecordReader:
    """Reads :class:`SourceRow` values into :class:`Record` values, or lists what is wrong."""

    def __init__(self, mapping: ImportMapping) -> None:
        self.mapping = mapping
        self._keys: dict[str, tuple[str, ...]] = {
            n: f.normalised_columns() for n, f in mapping.fields.items()
        }
        self._zones: dict[str, tzinfo | None] = {n: f.zone() for n, f in mapping.fields.items()}
        self._index: dict[tuple[str, ...], dict[str, str]] = {}
        # Parsed date-times by (field, text): source dates repeat a great deal.
        self._parsed: dict[tuple[str, str], datetime | str] = {}

    def _normalised(self, values: Mapping[str, Any]) -> dict[str, str]:
        header = tuple(values)
        index = self._index.get(header)
        if index is None:
            index = {normalise_header(str(k)): k for k in header}
            self._index[header] = index
        return index

    def _raw(
        self,
        spec: FieldMapping,
        keys: tuple[str, ...],
        values: Mapping[str, Any],
        index: dict[str, str],
        *,
        problems: list[Problem],
        column: str,
    ) -> str | None:
        found: list[str] = []
        for key in keys:
            name = index.get(key)
            if name is None:
                continue
            value = values[name]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                problems.append(Problem(column, "expected text or a whole number"))
                return None
            text = str(value).strip()
            if text in self.mapping.blanks:
                continue
            found.append(text)
            if spec.join is None:
                break
        if not found:
            return spec.default
        text = found[0] if spec.join is None else spec.join.join(found)
        mapped = spec.values.get(text, text)
        return mapped or None

    def _datetime(
        self, name: str, spec: FieldMapping, text: str, problems: list[Problem], column: str
    ) -> datetime | None:
        key = (name, text)
        found = self._parsed.get(key)
        if found is None:
            found = self._parse_datetime(name, spec, text)
            if len(self._parsed) >= 65_536:
                self._parsed.clear()
            self._parsed[key] = found
        if isinstance(found, str):
            problems.append(Problem(column, found))
            return None
        return found

    def _parse_datetime(self, name: str, spec: FieldMapping, text: str) -> datetime | str:
        """The instant *text* stands for, or the problem with it."""
        fmt = spec.format or "iso"
        try:
            if fmt == "iso":
                value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
            else:
                value = datetime.strptime(text, fmt)
        except ValueError:
            return f"not a date-time in the format {fmt!r}"
        if value.tzinfo is None:
            zone = self._zones[name]
            if zone is None:
                return "no UTC offset and no time zone in the mapping"
            early = value.replace(tzinfo=zone, fold=0)
            if early.utcoffset() != value.replace(tzinfo=zone, fold=1).utcoffset():
                return f"local time skipped or repeated by a clock change in {zone}"
            value = early
        return value.astimezone(timezone.utc)

    def _tags(self, values: Mapping[str, Any], index: dict[str, str]) -> frozenset[str]:
        """The tags of a row: every mapped tag column's values, split and mapped."""
        tags: set[str] = set()
        for spec in self.mapping.tags:
            for key in spec.normalised_columns():
                source = index.get(key)
                value = None if source is None else values[source]
                if value is None:
                    continue
                text = str(value).strip()
                if text in self.mapping.blanks:
                    continue
                for piece in text.split(spec.split) if spec.split else [text]:
                    part = piece.strip()
                    tag = spec.values.get(part, part)
                    if tag:
                        tags.add(tag)
        return frozenset(tags)

    def _coded(self, kind: str, text: str, column: str, problems: list[Problem]) -> Any:
        """The code *text* stands for, or ``None`` with a problem."""
        if text not in _CODES[kind]:
            shown = text if len(text) <= 40 else text[:40] + "…"
            accepted = ", ".join(_CODES[kind])
            problems.append(
                Problem(column, f"{shown!r} is not a {kind}; map it to one of: {accepted}")
            )
            return None
        if kind == "channel":
            return Channel(text)
        return Outcome(text) if kind == "outcome" else text

    def read(self, row: SourceRow) -> Record | list[Problem]:
        """The record of *row*, or every problem found in it."""
        if row.problems:
            return list(row.problems)
        problems: list[Problem] = []
        index = self._normalised(row.values)
        out: dict[str, Any] = {}
        for name, spec in self.mapping.fields.items():
            keys = self._keys[name]
            column = spec.columns[0]
            if not any(k in index for k in keys):
                if FIELDS[name][1] and spec.default is None:
                    problems.append(Problem(column, "column missing from the file"))
                continue
            text = self._raw(spec, keys, row.values, index, problems=problems, column=column)
            if text is None:
                if FIELDS[name][1]:
                    problems.append(Problem(column, "required, but blank"))
                continue
            kind = FIELDS[name][0]
            if kind == "datetime":
                value = self._datetime(name, spec, text, problems, column)
                if value is not None:
                    out[name] = value
            elif kind in _CODES:
                code = self._coded(kind, text, column, problems)
                if code is not None:
                    out[name] = code
            else:
                out[name] = text
        tags = self._tags(row.values, index)
        if problems:
            return problems
        external_id = out.pop("external_id")
        if len(external_id) > 200 or not external_id.isprintable():
            return [Problem(self.mapping.fields["external_id"].columns[0], "not a valid id")]
        return Record(
            line=row.line,
            external_reference=ExternalReference(self.mapping.source, external_id),
            tags=tags,
            **out,
        )
