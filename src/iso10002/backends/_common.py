"""Rules and helpers every backend shares: argument checks, paging, JSON and time encodings."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.errors import DuplicateError, ValidationError, describe
from iso10002.model import Complainant, Complaint
from iso10002.ports import (
    ComplaintQuery,
    NewComplaint,
    Page,
    Update,
    make_cursor,
)

MAX_CHARS = 0x10FFFF


def utc(value: datetime) -> datetime:
    """*value* in UTC (``timezone.utc``)."""
    return value.astimezone(timezone.utc)


def scrub(exc: UnicodeError) -> None:
    """Cut the text a Unicode error holds down to the offending characters: the whole text
    (a complainant's record, say) would otherwise travel with any error chained to it."""
    if isinstance(exc, (UnicodeEncodeError, UnicodeDecodeError, UnicodeTranslateError)):
        bad: Any = exc.object[exc.start : exc.end]
        exc.object, exc.start, exc.end = bad, 0, len(bad)
        exc.args = (
            (exc.encoding, bad, 0, len(bad), exc.reason)
            if not isinstance(exc, UnicodeTranslateError)
            else (bad, 0, len(bad), exc.reason)
        )
    else:
        exc.args = ()


def _refuse(what: str, path: str, message: str) -> ValidationError:
    return ValidationError([(path, message)], what=what)


def validate_new(
    complaint: Complaint, events: Sequence[ev.Event], complainant: Complainant | None
) -> None:
    """Check the arguments of :meth:`~iso10002.ports.ComplaintRepository.add`.

    The events must fold (:func:`iso10002.events.replay`) into exactly *complaint*, and
    *complainant*, when given, must be the complaint's complainant.
    """
    what = "new complaint"
    if not isinstance(complaint, Complaint):
        raise _refuse(what, "complaint", f"expected a Complaint, got {describe(complaint)}")
    if complainant is not None:
        if not isinstance(complainant, Complainant):
            raise _refuse(
                what, "complainant", f"expected a Complainant, got {describe(complainant)}"
            )
        if complainant.id != complaint.complainant_id:
            raise _refuse(what, "complainant.id", "differs from the complaint's complainant_id")
    if not isinstance(events, (list, tuple)) or not events:
        raise _refuse(what, "events", "give the complaint's events, starting with its receipt")
    if len(events) != complaint.version:
        raise _refuse(
            what,
            "events",
            f"{len(events)} event(s) given for a complaint at version {complaint.version}",
        )
    for i, event in enumerate(events):
        if not isinstance(event, ev.Event):
            raise _refuse(what, f"events[{i}]", f"expected an Event, got {describe(event)}")
    receipt = events[0]
    if (
        len(events) == 1
        and type(receipt) is ev.ComplaintReceived
        and receipt.sequence == 1
        and _is_receipt_fold(complaint, receipt)
    ):
        return
    if ev.replay(events) != complaint:
        raise _refuse(what, "complaint", "is not the fold of the given events")


_RECEIPT_FIELDS = ("id", "reference", "state", "version", "details", "classification")


def _default(field: attrs.Attribute[Any]) -> Any:
    default: Any = field.default
    return default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]


_OTHER_FIELDS = tuple(a for a in attrs.fields(Complaint) if a.name not in _RECEIPT_FIELDS)
_OTHERS = operator.attrgetter(*(a.name for a in _OTHER_FIELDS))
_DEFAULTS: tuple[Any, ...] = tuple(_default(a) for a in _OTHER_FIELDS)


def _is_receipt_fold(complaint: Complaint, receipt: ev.ComplaintReceived) -> bool:
    """``complaint == apply(None, receipt)`` without building the fold (the common bulk case).

    ``False`` sends the caller to the full check, so this may only err towards ``False``.
    """
    return (
        complaint.version == 1
        and complaint.id == receipt.complaint_id
        and complaint.reference == receipt.reference
        and complaint.state == receipt.state
        and (complaint.details is receipt.details or complaint.details == receipt.details)
        and complaint.classification == receipt.classification
        and _OTHERS(complaint) == _DEFAULTS
    )


def validate_batch(items: Iterable[NewComplaint]) -> list[NewComplaint]:
    """Check every item of :meth:`~iso10002.ports.ComplaintRepository.add_many`.

    Also refuses (with :class:`~iso10002.errors.DuplicateError`) a batch that repeats an id or a
    reference or an external reference.
    """
    try:
        batch = list(items)
    except TypeError:
        raise _refuse(
            "batch", "items", f"expected an iterable of NewComplaint, got {describe(items)}"
        ) from None
    ids: set[str] = set()
    references: set[str] = set()
    externals: set[tuple[str, str]] = set()
    for i, item in enumerate(batch):
        if not isinstance(item, NewComplaint):
            raise _refuse("batch", f"items[{i}]", f"expected a NewComplaint, got {describe(item)}")
        validate_new(item.complaint, item.events, item.complainant)
        if item.complaint.id in ids:
            raise DuplicateError("the batch holds two complaints with the same id")
        if item.complaint.reference in references:
            raise DuplicateError("the batch holds two complaints with the same reference")
        ids.add(item.complaint.id)
        references.add(item.complaint.reference)
        ref = item.complaint.details.external_reference
        if ref is not None:
            if (ref.source, ref.id) in externals:
                raise DuplicateError(
                    "the batch holds two complaints with the same external reference"
                )
            externals.add((ref.source, ref.id))
    return batch


def validate_save(complaint: Complaint, expected_version: int, events: Sequence[ev.Event]) -> None:
    """Check the arguments of :meth:`~iso10002.ports.ComplaintRepository.save`.

    The events must be numbered ``expected_version + 1 .. complaint.version`` and belong to
    *complaint*.
    """
    what = "save"
    if not isinstance(complaint, Complaint):
        raise _refuse(what, "complaint", f"expected a Complaint, got {describe(complaint)}")
    if not v.is_int(expected_version) or expected_version < 1:
        raise _refuse(what, "expected_version", "expected an int of at least 1")
    if not isinstance(events, (list, tuple)) or not events:
        raise _refuse(what, "events", "give the new events; a save without events changes nothing")
    if complaint.version != expected_version + len(events):
        raise _refuse(
            what,
            "events",
            f"{len(events)} event(s) cannot take version {expected_version} "
            f"to version {complaint.version}",
        )
    for i, event in enumerate(events):
        if not isinstance(event, ev.Event):
            raise _refuse(what, f"events[{i}]", f"expected an Event, got {describe(event)}")
        if event.complaint_id != complaint.id:
            raise _refuse(what, f"events[{i}]", "belongs to another complaint")
        if event.sequence != expected_version + 1 + i:
            raise _refuse(
                what,
                f"events[{i}]",
                f"has sequence {event.sequence}, expected {expected_version + 1 + i}",
            )


def check_query(query: ComplaintQuery) -> None:
    """Refuse anything but a :class:`~iso10002.ports.ComplaintQuery`."""
    if not isinstance(query, ComplaintQuery):
        raise _refuse("query", "query", f"expected a ComplaintQuery, got {describe(query)}")


def check_text_key(what: str, value: object) -> str:
    """A lookup key: a str (anything else is refused)."""
    if not isinstance(value, str):
        raise _refuse(what, what, f"expected a str, got {describe(value)}")
    return value


def check_events_since(position: object, limit: object) -> None:
    """Refuse a negative position or a limit below 1."""
    if not v.is_int(position) or position < 0:
        raise _refuse("events_since", "position", "expected an int of at least 0")
    if not v.is_int(limit) or limit < 1:
        raise _refuse("events_since", "limit", "expected an int of at least 1")


def sort_key(complaint: Complaint) -> tuple[datetime, str]:
    """The query order: received instant, then id."""
    return (complaint.received_at, complaint.id)


def paginate(complaints: Iterable[Complaint], query: ComplaintQuery) -> Page:
    """Filter, order and page *complaints* in Python exactly as every backend must.

    A backend that keeps its complaints in memory (or can stream them) can answer
    :meth:`~iso10002.ports.ComplaintRepository.query` with this.
    """
    check_query(query)
    after = query.after
    selected = sorted(
        (c for c in complaints if query.matches(c) and (after is None or sort_key(c) > after)),
        key=sort_key,
    )
    return page_from(selected[: query.limit + 1], query.limit)


def page_from(rows: Sequence[Complaint], limit: int) -> Page:
    """A page from up to ``limit + 1`` ordered rows (the extra row says another page follows)."""
    if len(rows) <= limit:
        return Page(items=tuple(rows), next_cursor=None)
    last = rows[limit - 1]
    return Page(items=tuple(rows[:limit]), next_cursor=make_cursor(last.received_at, last.id))


def check_reference_prefix(prefix: object) -> str:
    """The *prefix* of :meth:`~iso10002.ports.ReferenceNumbering.last_reference_number`."""
    if not isinstance(prefix, str) or not 1 <= len(prefix) <= 200:
        raise _refuse(
            "reference prefix",
            "prefix",
            f"expected a str of 1 to 200 characters, got {describe(prefix)}",
        )
    return prefix


_DIGITS = frozenset("0123456789")


def reference_number(reference: str, prefix: str) -> int | None:
    """The number that follows *prefix* in *reference*, if only ASCII digits follow it."""
    if not reference.startswith(prefix):
        return None
    digits = reference[len(prefix) :]
    return int(digits) if digits and _DIGITS.issuperset(digits) else None


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string greater than every string starting with *prefix* (code-point order).

    ``None`` when there is none (the prefix is all U+10FFFF).
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < MAX_CHARS:
            code += 1
            if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored; skip them
                code = 0xE000
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


# --- JSON payloads ------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _not_json(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _make_to_json() -> Callable[[Any], str]:
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - only interpreters without the C accelerator
        return _ENCODER.encode
    # One C encoder, built once: JSONEncoder.encode builds a new one on every call. No
    # circular-reference markers: documents are trees.
    encode = make(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )

    def to_json(document: Any) -> str:
        return "".join(encode(document, 0))

    return to_json


to_json: Callable[[Any], str] = _make_to_json()
"""Compact JSON text of a JSON-safe document (what ``json.dumps`` with ``ensure_ascii=False``,
``separators=(",", ":")`` and ``allow_nan=False`` writes)."""


def _check_json(value: object, path: str) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse("payload", path or "payload", "numbers must be finite")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refuse("payload", path or "payload", "object keys must be str")
            _check_json(item, f"{path}.{key}" if path else key)
        return
    raise _refuse(
        "payload",
        path or "payload",
        f"expected JSON data (dict, list, str, int, float, bool, None), got {describe(value)}",
    )


def payload_json(payload: object) -> str:
    """JSON text of a delivery payload, refusing anything that would not round-trip exactly."""
    if not isinstance(payload, dict):
        raise _refuse("payload", "payload", f"expected a dict, got {describe(payload)}")
    _check_json(payload, "")
    return to_json(payload)


def load_payload(text: str) -> dict[str, Any]:
    """The delivery payload stored as *text*."""
    value: dict[str, Any] = json.loads(text)
    return value


# --- delivery argument checks ---------------------------------------------------------------------


def check_name(what: str, value: object) -> str:
    """A key, worker or consumer name: 1 to 200 printable characters."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > 200
        or not value.isprintable()
        or value != value.strip()
    ):
        raise _refuse(
            "delivery log",
            what,
            f"expected 1 to 200 printable characters without surrounding spaces, "
            f"got {describe(value)}",
        )
    return value


def check_aware(what: str, value: object) -> datetime:
    """An aware datetime, returned in UTC."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _refuse("delivery log", what, f"expected an aware datetime, got {describe(value)}")
    return utc(value)


def check_positive_int(what: str, value: object, *, low: int = 1) -> int:
    """An int (not a bool) of at least *low*."""
    if not v.is_int(value) or value < low:
        raise _refuse("delivery log", what, f"expected an int of at least {low}")
    return value


def check_lease(value: object) -> timedelta:
    """A positive timedelta."""
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise _refuse(
            "delivery log", "lease", f"expected a positive timedelta, got {describe(value)}"
        )
    return value


def check_error(value: object) -> str:
    """An error description (any str)."""
    if not isinstance(value, str):
        raise _refuse("delivery log", "error", f"expected a str, got {describe(value)}")
    return value


def check_bool(what: str, value: object) -> bool:
    """A bool."""
    if not isinstance(value, bool):
        raise _refuse("delivery log", what, f"expected a bool, got {describe(value)}")
    return value


def validate_updates(updates: object) -> list[Update]:
    """Check the argument of :meth:`~iso10002.ports.BatchSaving.save_many`."""
    if not isinstance(updates, (list, tuple)):
        raise _refuse("save_many", "updates", f"expected a list of Update, got {describe(updates)}")
    seen: set[str] = set()
    for i, update in enumerate(updates):
        if not isinstance(update, Update):
            raise _refuse(
                "save_many", f"updates[{i}]", f"expected an Update, got {describe(update)}"
            )
        validate_save(update.complaint, update.expected_version, update.events)
        if update.complaint.id in seen:
            raise _refuse("save_many", f"updates[{i}]", "updates the same complaint twice")
        seen.add(update.complaint.id)
    return list(updates)
