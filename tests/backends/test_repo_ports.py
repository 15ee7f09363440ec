"""The port values and the helpers every backend shares: queries, cursors, paging, escaping."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002._time import from_micros, micros
from iso10002.backends import (
    MemoryRepository,
    iter_complaints,
    paginate,
    validate_batch,
    validate_new,
    validate_save,
)
from iso10002.backends import _common as c
from iso10002.backends import _sql as q
from iso10002.errors import DuplicateError, ValidationError
from iso10002.model import Channel, Complainant, Complaint
from iso10002.ports import ComplaintQuery, Page, make_cursor
from iso10002.testing.contract import T0, advance, new_complaint
from iso10002.testing.strategies import complainants, event_histories

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "fields",
    [
        {"states": "received"},
        {"states": ["received", 3]},
        {"states": 7},
        {"channel": "web"},
        {"priority": "P1"},
        {"received_from": datetime(2026, 1, 1)},
        {"next_sla_before": "2026-01-01"},
        {"breached": 1},
        {"category_prefix": ""},
        {"category_prefix": "x" * 201},
        {"assignee": "  "},
        {"complainant_id": "bad\nid"},
        {"limit": 0},
        {"limit": 10_001},
        {"limit": True},
        {"cursor": 12},
        {"cursor": "not base64 !!"},
        {"cursor": _cursor(b"not json")},
        {"cursor": _cursor(b'{"a": 1}')},
        {"cursor": _cursor(b'[true, "c-1"]')},
        {"cursor": _cursor(b"[1, 2]")},
        {"cursor": _cursor(b"[1e400, 2]")},
        {"cursor": _cursor(b'[99999999999999999999999, "c"]')},
        {"cursor": _cursor('[1, "\u00e9"]'.encode("latin-1"))},
    ],
)
def test_repo_query_refuses_bad_fields(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ComplaintQuery(**fields)


def test_repo_query_accepts_any_iterable_of_states_and_normalises_times() -> None:
    local = timezone(timedelta(hours=2))
    query = ComplaintQuery(states=["a", "b", "a"], received_from=T0.astimezone(local))
    assert query.states == frozenset({"a", "b"})
    assert query.received_from == T0
    assert query.received_from is not None and query.received_from.tzinfo is timezone.utc
    assert ComplaintQuery(states=frozenset()).states == frozenset()


@given(
    at=st.datetimes(timezones=st.just(timezone.utc)),
    complaint_id=st.text(min_size=1, max_size=40),
)
def test_repo_cursors_round_trip(at: datetime, complaint_id: str) -> None:
    cursor = make_cursor(at, complaint_id)
    assert cursor.isascii() and "=" not in cursor
    assert ComplaintQuery(cursor=cursor).after == (at, complaint_id)
    assert ComplaintQuery().after is None


def _chars() -> st.SearchStrategy[str]:
    return st.characters(codec="utf-8") | st.sampled_from(
        ["\x00", "\ue000", "\U0010ffff", "\ud7ff"]
    )


@given(prefix=st.text(_chars(), min_size=1, max_size=5), text=st.text(_chars(), max_size=8))
def test_repo_prefix_bounds_select_exactly_the_prefixed(prefix: str, text: str) -> None:
    upper = c.prefix_upper_bound(prefix)
    for candidate in (text, prefix + text, prefix[:-1] + text):
        inside = prefix <= candidate and (upper is None or candidate < upper)
        assert inside == candidate.startswith(prefix)


def test_repo_prefix_bounds_edge_cases() -> None:
    assert c.prefix_upper_bound("ab") == "ac"
    assert c.prefix_upper_bound("a\U0010ffff") == "b"
    assert c.prefix_upper_bound("\U0010ffff\U0010ffff") is None
    assert c.prefix_upper_bound("a\ud7ff") == "a\ue000"


@given(text=st.text(_chars()), other=st.text(_chars(), max_size=4))
def test_repo_escaping_is_reversible_prefix_preserving_and_nul_free(text: str, other: str) -> None:
    escaped = q.escape_text(text)
    assert "\x00" not in escaped
    assert q.unescape_text(escaped) == text
    assert escaped.startswith(q.escape_text(other)) == text.startswith(other)
    assert (q.escape_text(other) == escaped) == (other == text)


@given(doc=st.dictionaries(st.text(_chars(), max_size=6), JSON, max_size=5))
def test_repo_escaped_json_round_trips(doc: dict[str, Any]) -> None:
    text = q.escaped_json(doc)
    assert "\\u0000" not in text.replace("\\\\", "")
    assert q.unescaped_doc(text) == doc


@given(
    doc=st.dictionaries(st.text(_chars(), max_size=6), JSON, max_size=5),
    spaced=st.booleans(),
    around=st.sampled_from(["", " ", "\n", "x", "\ufeff", q.ESCAPE]),
    at_end=st.booleans(),
)
def test_repo_unescaped_doc_reads_what_json_loads_reads(
    doc: dict[str, Any], spaced: bool, around: str, at_end: bool
) -> None:
    """Oracle: json.loads, then unescaping. unescaped_doc reads a text without the escape
    character in one step when it can; the result (types and key order included) or the error
    must be the same."""

    def reference(text: str) -> Any:
        loaded = json.loads(text)
        return loaded if q.ESCAPE not in text else q._walk(loaded, q.unescape_text)

    text = q.escaped_json(doc)
    if spaced:  # as PostgreSQL writes JSONB out
        text = json.dumps(json.loads(text), ensure_ascii=False)
    text = text + around if at_end else around + text
    try:
        expected = reference(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            q.unescaped_doc(text)
        return
    assert repr(q.unescaped_doc(text)) == repr(expected)
    if not around:
        assert repr(q.unescaped_doc(text)) == repr(doc)


def test_repo_payload_checks() -> None:
    assert c.payload_json({"a": [1, 2.5, None, True, "x"]}) == '{"a":[1,2.5,null,true,"x"]}'
    for bad in ({"a": float("inf")}, {"a": {2: 1}}, {"a": object()}, {"a": [b"x"]}):
        with pytest.raises(ValidationError):
            c.payload_json(bad)


def test_repo_paginate_matches_the_memory_backend() -> None:
    items = [new_complaint(n, channel=[Channel.WEB, Channel.EMAIL][n % 2]) for n in (5, 1, 3, 2, 4)]
    complaints = [i.complaint for i in items]
    with MemoryRepository() as repo:
        repo.add_many(items)
        for query in (ComplaintQuery(limit=2), ComplaintQuery(channel=Channel.WEB, limit=1)):
            expected = repo.query(query)
            assert paginate(complaints, query) == expected
            assert paginate(complaints, attrs.evolve(query, cursor=expected.next_cursor)) == (
                repo.query(attrs.evolve(query, cursor=expected.next_cursor))
            )
        assert [x.id for x in iter_complaints(repo, page_size=2)] == [
            "c-1",
            "c-2",
            "c-3",
            "c-4",
            "c-5",
        ]
        assert [x.id for x in iter_complaints(repo, ComplaintQuery(channel=Channel.EMAIL))] == [
            "c-1",
            "c-3",
            "c-5",
        ]
    assert paginate([], ComplaintQuery()) == Page(items=(), next_cursor=None)
    with pytest.raises(ValidationError):
        paginate(complaints, "everything")  # type: ignore[arg-type]


@given(history=event_histories(min_events=3, max_events=6))
def test_repo_validate_new_agrees_with_the_fold(history: list[ev.Event]) -> None:
    for size in (1, len(history)):
        head = history[:size]
        complaint = ev.replay(head)
        validate_new(complaint, head, None)
        for wrong in (
            attrs.evolve(complaint, state=complaint.state + "x"),
            attrs.evolve(complaint, assignee="someone-else"),
            attrs.evolve(complaint, reopened=complaint.reopened + 1),
        ):
            with pytest.raises(ValidationError):
                validate_new(wrong, head, None)


def test_repo_validators_refuse_the_wrong_types() -> None:
    item = new_complaint(1)
    with pytest.raises(ValidationError):
        validate_new("complaint", item.events, None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        validate_new(item.complaint, item.events, "person")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        validate_new(item.complaint, ["event"], None)  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        validate_batch(5)  # type: ignore[arg-type]
    with pytest.raises(DuplicateError):
        validate_batch([item, item])
    later, note = advance(item.complaint, ev.NoteAdded, text="n")
    validate_save(later, 1, [note])
    for args in (
        ("complaint", 1, [note]),
        (later, True, [note]),
        (later, 1, "events"),
        (later, 1, ["event"]),
    ):
        with pytest.raises(ValidationError):
            validate_save(*args)


def test_repo_micros_round_trip() -> None:
    for at in (
        T0,
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, tzinfo=timezone.utc),
    ):
        assert from_micros(micros(at)) == at
    assert json.loads(c.to_json({"é": "\x00"})) == {"é": "\x00"}


def test_repo_decoded_cache_keeps_the_most_recent() -> None:
    items = {n: new_complaint(n).complaint for n in range(4)}
    decoded: list[int] = []

    def decode(n: int) -> Any:
        decoded.append(n)
        return items[n]

    cache = q.DecodedCache(2)
    for n in (0, 1, 0, 2, 1, 0):
        assert cache.load((f"c-{n}", 1), partial(decode, n)) is items[n]
    assert decoded == [0, 1, 2, 1, 0]  # 0 stayed (used), 1 was evicted by 2, then 0 by 1
    off = q.DecodedCache(0)
    decoded.clear()
    for _ in range(3):
        off.load(("c-3", 1), lambda: decode(3))
    assert decoded == [3, 3, 3]
    for bad in (-1, True, 1.5):
        with pytest.raises(ValidationError):
            q.DecodedCache(bad)  # type: ignore[arg-type]


@given(doc=JSON)
def test_repo_to_json_writes_what_json_dumps_writes(doc: Any) -> None:
    expected = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert c.to_json(doc) == expected
    assert c.to_json({"text": doc}) == json.dumps(
        {"text": doc}, ensure_ascii=False, separators=(",", ":")
    )


def test_repo_to_json_refuses_what_json_refuses() -> None:
    for bad in (float("nan"), {"a": object()}, [1, {2}]):
        with pytest.raises((TypeError, ValueError)):
            c.to_json(bad)


@pytest.mark.parametrize("url", ["memory://", "sqlite:///:memory:"])
def test_repo_keys_must_be_text(url: str) -> None:
    from iso10002.backends import open_repository
    from iso10002.ports import Update

    with open_repository(url) as repo:
        item = new_complaint(1)
        repo.add(item.complaint, events=item.events)
        for call in (repo.get, repo.get_by_reference, repo.get_complainant, repo.events):
            with pytest.raises(ValidationError):
                call(5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            repo.erase_personal_data(None)  # type: ignore[arg-type]
        later, note = advance(item.complaint, ev.NoteAdded, text="n")
        with pytest.raises(ValidationError):
            repo.save_many([Update(later, 1, [note]), "not an update"])  # type: ignore[attr-defined]
        assert repo.get("c-1") == item.complaint
    assert repr(MemoryRepository()) == "MemoryRepository()"
    q.DecodedCache(0).put(("c-1", 1), item.complaint)


@given(history=event_histories(min_events=3, max_events=12), person=complainants())
def test_repo_documents_are_what_dump_writes(history: list[ev.Event], person: Complainant) -> None:
    from iso10002.serialization import dump

    for event in history:
        assert q.event_doc(event) == dump(event)
        assert c.to_json(q.event_doc(event)) == c.to_json(dump(event))
    complaint = ev.replay(history)
    assert q.complaint_doc(complaint) == dump(complaint)
    assert c.to_json(q.complaint_doc(complaint)) == c.to_json(dump(complaint))
    assert c.to_json(q.complainant_doc(person)) == c.to_json(dump(person))
    assert type(q.complaint_doc(complaint)["details"]["channel"]) is str


@given(
    history=event_histories(min_events=3, max_events=20),
    skip=st.integers(1, 3),
    encode=st.sampled_from([c.to_json, q.escaped_json]),
)
def test_repo_json_built_from_an_earlier_version_is_what_dump_writes(
    history: list[ev.Event], skip: int, encode: Callable[[Any], str]
) -> None:
    # Oracle: encode(dump()), which converts every field. Along a history (whose versions share
    # field values), each text built from an earlier version's field texts must be the same,
    # also when versions were skipped (a command that records several events saves once).
    from iso10002.serialization import dump

    texts: tuple[Complaint, q.Texts] | None = None
    complaint = ev.apply(None, history[0])
    for n, event in enumerate(history[1:], start=1):
        complaint = ev.apply(complaint, event)
        if n % skip == 0 or n == len(history) - 1:
            text, pieces = q.complaint_json(complaint, encode, texts)
            assert text == encode(dump(complaint))
            texts = (complaint, pieces)
    assert q.complaint_json(complaint, encode)[0] == encode(dump(complaint))


@given(
    history=event_histories(min_events=3, max_events=20),
    skip=st.integers(1, 3),
    fail=st.integers(1, 3),
    escaped=st.booleans(),
)
def test_repo_rows_built_from_an_earlier_version_are_the_stored_rows(
    history: list[ev.Event], skip: int, fail: int, escaped: bool
) -> None:
    # Oracle: the row built from the whole document. The cache also hands back the row stored
    # for the version a save replaces (SQLite compares the two to write only the changed
    # columns); a save that failed (prepared, never stored) must leave nothing behind.
    from iso10002.backends.sqlite import DIALECT
    from iso10002.serialization import dump

    dialect = attrs.evolve(DIALECT, json=q.escaped_json) if escaped else DIALECT

    def whole(complaint: Complaint) -> tuple[Any, ...]:
        return q.complaint_row(dialect, complaint, dialect.json(dump(complaint)))

    cache = q.DecodedCache(4)
    complaint = ev.apply(None, history[0])
    first = cache.prepare(dialect, complaint, 0, payload_at_receipt=True)
    assert first.row == whole(complaint)
    cache.stored(complaint, first)
    written, saved, base = first.row, complaint.version, complaint
    for n, event in enumerate(history[1:], start=1):
        complaint = ev.apply(complaint, event)
        if n % skip == 0 or n == len(history) - 1:
            if n % fail == 0:
                lost, _ = advance(base, ev.NoteAdded, text="a save that lost a race")
                assert cache.prepare(dialect, lost, saved).before == written
            prepared = cache.prepare(dialect, complaint, saved)
            assert prepared.row == whole(complaint)
            assert prepared.before == written
            cache.stored(complaint, prepared)
            written, saved, base = prepared.row, complaint.version, complaint
    # A disabled cache remembers nothing; an unknown version has no row to compare with.
    off = q.DecodedCache(0)
    off.stored(complaint, prepared)
    assert off.prepare(dialect, complaint, saved) == (whole(complaint), None, None)
    assert cache.prepare(dialect, complaint, -1).before is None
    assert cache.prepare(DIALECT, ev.apply(None, history[0]), 0) == (
        q.stored_row(DIALECT, ev.apply(None, history[0])),
        None,
        None,
    )


@given(history=event_histories(min_events=3, max_events=20), person=complainants())
def test_repo_reading_a_stored_document_gives_what_load_gives(
    history: list[ev.Event], person: Complainant
) -> None:
    # Oracle: serialization.load, which validates every field. The backends' readers skip the
    # validators for documents they wrote; the result must be the same value, field types and
    # time zones included (equal dumps).
    from iso10002.serialization import dump, load

    complaint = ev.replay(history)
    written = [
        (q.load_complaint, complaint, q.complaint_doc(complaint)),
        (q.load_complainant, person, q.complainant_doc(person)),
        *((q.load_event, e, q.event_doc(e)) for e in history),
    ]
    for read, value, document in written:
        doc = json.loads(c.to_json(document))
        found = read(doc)
        assert found == load(doc) == value
        assert type(found) is type(value)
        assert dump(found) == dump(value)
    read_back = q.load_complaint(json.loads(c.to_json(q.complaint_doc(complaint))))
    assert [type(k) for k in read_back.clocks] == [type(k) for k in complaint.clocks]


def test_repo_a_stored_document_that_does_not_read_cleanly_is_reported() -> None:
    item = new_complaint(1)
    doc = json.loads(c.to_json(q.complaint_doc(item.complaint)))
    naive = {**doc, "details": {**doc["details"], "received_at": "2026-01-05T09:00:00"}}
    wrong = {**doc, "clocks": "not a list"}
    for bad in (naive, wrong, {**doc, "version": "two"}):
        with pytest.raises(ValidationError):
            q.load_complaint(bad)
    receipt = json.loads(c.to_json(q.event_doc(item.events[0])))
    bad_events: list[object] = [
        {**receipt, "sequence": 1.5},
        {**receipt, "type": "NoSuchEvent"},
        [receipt],
    ]
    for bad_event in bad_events:
        with pytest.raises(ValidationError):
            q.load_event(bad_event)
    # Another offset than UTC reads as the same instant, in UTC (what the model keeps).
    shifted = {**doc, "details": {**doc["details"], "received_at": "2026-01-05T10:00:00+01:00"}}
    assert q.load_complaint(shifted).details.received_at == datetime(
        2026, 1, 5, 9, tzinfo=timezone.utc
    )
    assert q.load_complaint(shifted).details.received_at.tzinfo is timezone.utc
