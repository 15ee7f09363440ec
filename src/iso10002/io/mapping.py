"""Column mappings as data: which source column fills which field, and how its text is read.

A :class:`ImportMapping` loads from a dict (or TOML / JSON text) and names every bad key on load.
Each field of an imported :class:`Record` is filled from one or more source columns; a column's
text is stripped, compared with the mapping's blanks (``""`` and ``N/A`` unless told otherwise),
translated through the field's value map, then parsed. Date-time fields need one explicit format
and IANA time zone each: nothing is guessed, a naive value never passes, and a local time that a
daylight-saving change makes ambiguous or skips is refused.

Header names are matched after normalising both sides (lower case, every run of characters other
than letters and digits read as ``_``), so ``Consumer consent provided?`` and
``consumer_consent_provided`` are the same column.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from iso10002.errors import ConfigurationError, Problem, describe
from iso10002.model import Channel, ExternalReference, Outcome

__all__ = [
    "FIELDS",
    "FieldMapping",
    "ImportMapping",
    "Record",
    "Status",
    "normalise_header",
]

_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalise_header(name: str) -> str:
    """*name* in lower case with every run of other characters than letters and digits as ``_``."""
    return _SEPARATORS.sub("_", name.lower()).strip("_")


#: Every field a mapping can fill, with its kind (``text``, ``datetime``, ``channel``,
#: ``outcome``, ``status``), and whether a row must give it.
FIELDS: Final[Mapping[str, tuple[str, bool]]] = {
    "external_id": ("text", True),
    "received_at": ("datetime", True),
    "subject": ("text", True),
    "description": ("text", True),
    "channel": ("channel", False),
    "desired_remedy": ("text", False),
    "product": ("text", False),
    "category": ("text", False),
    "segment": ("text", False),
    "team": ("text", False),
    "acknowledged_at": ("datetime", False),
    "decided_at": ("datetime", False),
    "outcome": ("outcome", False),
    "decision_reasons": ("text", False),
    "status": ("status", False),
    "closed_at": ("datetime", False),
    "closure_reason": ("text", False),
    "due_at": ("datetime", False),
    "note": ("text", False),
}

Status = str
"""``open``, ``closed`` or ``withdrawn``."""
_STATUSES = ("open", "closed", "withdrawn")


@attrs.frozen(kw_only=True)
class Record:
    """One source row read through a mapping: the facts a historical import records."""

    line: int
    external_reference: ExternalReference
    received_at: datetime
    subject: str
    description: str
    channel: Channel = Channel.OTHER
    desired_remedy: str | None = None
    product: str | None = None
    category: str | None = None
    segment: str | None = None
    team: str | None = None
    acknowledged_at: datetime | None = None
    decided_at: datetime | None = None
    outcome: Outcome | None = None
    decision_reasons: str | None = None
    status: Status | None = None
    closed_at: datetime | None = None
    closure_reason: str | None = None
    due_at: datetime | None = None
    note: str | None = None
    tags: frozenset[str] = frozenset()


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return timezone.utc
    return ZoneInfo(name)


@attrs.frozen(kw_only=True)
class FieldMapping:
    """How one field is read: from *columns* (first non-blank, or all non-blank joined by
    *join*), through *values*, with *format* and *timezone* for date-times and *split* for tags.

    *format* is a :func:`~datetime.datetime.strptime` format, or ``iso`` for ISO 8601; a format
    with ``%z`` (or an ISO value with an offset) carries its own offset, otherwise *timezone*
    (an IANA name) says where the wall-clock time was read. *default* fills a blank field.
    """

    columns: tuple[str, ...]
    join: str | None = None
    values: Mapping[str, str] = attrs.field(factory=dict)
    format: str | None = None
    timezone: str | None = None
    split: str | None = None
    default: str | None = None

    def normalised_columns(self) -> tuple[str, ...]:
        """The normalised names of the columns."""
        return tuple(normalise_header(c) for c in self.columns)

    def zone(self) -> tzinfo | None:
        """The time zone, or ``None``."""
        return None if self.timezone is None else _zone(self.timezone)


_FIELD_KEYS = ("columns", "join", "values", "format", "timezone", "split", "default")
_MAPPING_KEYS = ("source", "reference_prefix", "blanks", "fields", "tags", "description")


def _str_or_none(problems: list[Problem], path: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.append(Problem(path, f"expected a string, got {describe(value)}"))
    return None


def _field(problems: list[Problem], path: str, data: object, kind: str) -> FieldMapping | None:
    if isinstance(data, str):
        data = {"columns": [data]}
    if not isinstance(data, Mapping):
        problems.append(Problem(path, f"expected a column name or a table, got {describe(data)}"))
        return None
    for key in data:
        if key not in _FIELD_KEYS:
            problems.append(
                Problem(f"{path}.{key}", f"unknown key; accepted keys: {', '.join(_FIELD_KEYS)}")
            )
    columns = data.get("columns")
    if isinstance(columns, str):
        columns = [columns]
    if (
        not isinstance(columns, Sequence)
        or not columns
        or not all(isinstance(c, str) and normalise_header(c) for c in columns)
    ):
        problems.append(Problem(f"{path}.columns", "expected one or more column names"))
        return None
    values = data.get("values", {})
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        problems.append(Problem(f"{path}.values", "expected a table of strings to strings"))
        values = {}
    fmt = _str_or_none(problems, f"{path}.format", data.get("format"))
    zone = _str_or_none(problems, f"{path}.timezone", data.get("timezone"))
    if kind == "datetime":
        if fmt is None:
            problems.append(
                Problem(f"{path}.format", "a date-time field needs a format (strptime or 'iso')")
            )
        elif fmt != "iso" and "%z" not in fmt and zone is None:
            problems.append(
                Problem(f"{path}.timezone", "give the IANA time zone the times were written in")
            )
        if zone is not None:
            try:
                _zone(zone)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(Problem(f"{path}.timezone", "unknown IANA time zone"))
    elif fmt is not None or zone is not None:
        problems.append(Problem(path, "format and timezone apply to date-time fields only"))
    return FieldMapping(
        columns=tuple(columns),
        join=_str_or_none(problems, f"{path}.join", data.get("join")),
        values=dict(values),
        format=fmt,
        timezone=zone,
        split=_str_or_none(problems, f"{path}.split", data.get("split")),
        default=_str_or_none(problems, f"{path}.default", data.get("default")),
    )


def _fields(problems: list[Problem], raw: object) -> dict[str, FieldMapping]:
    fields: dict[str, FieldMapping] = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("fields", "expected a table of field mappings"))
        raw = {}
    for name, spec in raw.items():
        if name not in FIELDS:
            problems.append(
                Problem(f"fields.{name}", f"unknown field; accepted: {', '.join(FIELDS)}")
            )
            continue
        found = _field(problems, f"fields.{name}", spec, FIELDS[name][0])
        if found is not None:
            fields[name] = found
    for name, (_, required) in FIELDS.items():
        if required and name not in raw:
            problems.append(Problem(f"fields.{name}", "missing required field mapping"))
    return fields


def _tags(problems: list[Problem], raw: object) -> list[FieldMapping]:
    tags: list[FieldMapping] = []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        problems.append(Problem("tags", "expected a list of field mappings"))
        return tags
    for i, spec in enumerate(raw):
        found = _field(problems, f"tags[{i}]", spec, "text")
        if found is not None:
            tags.append(found)
    return tags


@attrs.frozen(kw_only=True)
class ImportMapping:
    """How rows of one source become :class:`Record` values.

    *source* names the source system (external references are unique within it); references
    are *reference_prefix* followed by the external id. *tags* are read like fields, each value
    (after *split* and the value map) one tag; a value mapped to ``""`` adds no tag.
    """

    source: str
    fields: Mapping[str, FieldMapping]
    tags: tuple[FieldMapping, ...] = ()
    blanks: frozenset[str] = frozenset({"", "N/A"})
    reference_prefix: str | None = None
    description: str | None = None

    @property
    def prefix(self) -> str:
        """The reference prefix (default: the source in upper case and ``-``)."""
        return (
            self.reference_prefix
            if self.reference_prefix is not None
            else (f"{self.source.upper()}-")
        )

    @classmethod
    def from_dict(cls, data: object) -> ImportMapping:
        """Load a mapping; :class:`~iso10002.errors.ConfigurationError` names every bad key."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                [("", f"expected a table, got {describe(data)}")], what="import mapping"
            )
        for key in data:
            if key not in _MAPPING_KEYS:
                problems.append(
                    Problem(str(key), f"unknown key; accepted keys: {', '.join(_MAPPING_KEYS)}")
                )
        source = data.get("source")
        if (
            not isinstance(source, str)
            or not source
            or len(source) > 200
            or source != source.strip()
            or not source.isprintable()
        ):
            problems.append(Problem("source", "expected the source system's name (an id)"))
            source = "x"
        fields = _fields(problems, data.get("fields"))
        tags = _tags(problems, data.get("tags", []))
        blanks = data.get("blanks", ["", "N/A"])
        if not isinstance(blanks, Sequence) or not all(isinstance(b, str) for b in blanks):
            problems.append(Problem("blanks", "expected a list of strings"))
            blanks = ["", "N/A"]
        prefix = _str_or_none(problems, "reference_prefix", data.get("reference_prefix"))
        text = _str_or_none(problems, "description", data.get("description"))
        if problems:
            raise ConfigurationError(problems, what="import mapping")
        return cls(
            source=source,
            fields=fields,
            tags=tuple(tags),
            blanks=frozenset(b.strip() for b in blanks),
            reference_prefix=prefix,
            description=text,
        )

    @classmethod
    def from_toml(cls, text: str) -> ImportMapping:
        """Load a mapping from TOML text (Python 3.11+, :mod:`tomllib`)."""
        try:
            tomllib: Any = importlib.import_module("tomllib")
        except ModuleNotFoundError:  # pragma: no cover - Python 3.10
            raise ConfigurationError(
                [("", "reading TOML needs Python 3.11 or later; use JSON or a dict")],
                what="import mapping",
            ) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(
                [("", f"not valid TOML: {exc}")], what="import mapping"
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> ImportMapping:
        """Load a mapping from JSON text."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                [("", f"not valid JSON: {exc}")], what="import mapping"
            ) from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data (what :meth:`from_dict` reads)."""

        def one(f: FieldMapping) -> dict[str, Any]:
            out: dict[str, Any] = {"columns": list(f.columns)}
            for key in ("join", "format", "timezone", "split", "default"):
                if getattr(f, key) is not None:
                    out[key] = getattr(f, key)
            if f.values:
                out["values"] = dict(f.values)
            return out

        data: dict[str, Any] = {
            "source": self.source,
            "blanks": sorted(self.blanks),
            "fields": {name: one(f) for name, f in self.fields.items()},
            "tags": [one(f) for f in self.tags],
        }
        if self.reference_prefix is not None:
            data["reference_prefix"] = self.reference_prefix
        if self.description is not None:
            data["description"] = self.description
        return data

    def with_dates(
        self, *, format: str | None = None, timezone: str | None = None
    ) -> ImportMapping:
        """A copy whose date-time fields use *format* and/or *timezone* instead."""
        data = self.to_dict()
        for name, spec in data["fields"].items():
            if FIELDS[name][0] == "datetime":
                if format is not None:
                    spec["format"] = format
                if timezone is not None:
                    spec["timezone"] = timezone
        return ImportMapping.from_dict(data)
