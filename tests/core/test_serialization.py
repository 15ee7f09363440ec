"""Serialization: exact JSON round-trips, strict structuring, every problem named by path."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import errors, model, serialization
from iso10002 import events as ev
from iso10002.testing.strategies import complainants, complaints, event_histories

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
PUBLIC_CLASSES = [
    getattr(model, name)
    for name in model.__all__
    if isinstance(getattr(model, name), type) and attrs.has(getattr(model, name))
] + [ev.Event, *ev.EVENT_TYPES.values()]


def through_json(data: object) -> Any:
    return json.loads(json.dumps(data, allow_nan=False))


@given(complaints())
def test_complaints_round_trip_exactly_through_json(complaint: model.Complaint) -> None:
    document = through_json(serialization.dump(complaint))
    assert document["schema_version"] == serialization.SCHEMA_VERSION
    assert document["type"] == "Complaint"
    loaded = serialization.load(document)
    assert loaded == complaint
    assert serialization.dump(loaded) == document


@given(event_histories())
def test_events_round_trip_exactly_through_json(history: list[ev.Event]) -> None:
    for event in history:
        data = through_json(serialization.unstructure(event))
        assert data["type"] == type(event).__name__
        assert serialization.structure(data, ev.Event) == event
        assert serialization.load(through_json(serialization.dump(event))) == event


@given(complainants())
def test_complainants_round_trip(person: model.Complainant) -> None:
    assert serialization.load(through_json(serialization.dump(person))) == person


def test_wire_format_is_readable() -> None:
    at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    details = model.ComplaintDetails(
        received_at=at,
        channel=model.Channel.IN_PERSON,
        complainant_id="cust-1",
        subject="s",
        description="d",
        complained_about={"zed", "amy"},
    )
    data = serialization.unstructure(details)
    assert data["received_at"] == "2026-01-05T08:30:00+00:00"
    assert data["channel"] == "in_person"
    assert data["complained_about"] == ["amy", "zed"]
    assert data["attachments"] == []
    zulu = dict(data, received_at="2026-01-05T08:30:00Z")
    assert serialization.structure(zulu, model.ComplaintDetails) == details


def test_bad_data_lists_every_problem_by_path() -> None:
    data = {
        "received_at": "2026-01-05T09:00:00",
        "channel": "fax",
        "complainant_id": 7,
        "subject": "",
        "description": "ok",
        "complained_about": ["ok", 3],
        "attachments": [{"uri": "s3://x"}, {"media_type": "text/plain"}],
        "colour": "blue",
    }
    with pytest.raises(errors.ValidationError) as caught:
        serialization.structure(data, model.ComplaintDetails)
    assert set(caught.value.paths) == {
        "received_at",
        "channel",
        "complainant_id",
        "subject",
        "complained_about[1]",
        "attachments[1].uri",
        "colour",
    }
    assert "accepted keys" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"schema_version": 2, "type": "Complaint"}, "schema_version"),
        ({"schema_version": 1, "type": "Nope"}, "type"),
        ({"schema_version": 1}, "type"),
    ],
)
def test_load_checks_the_tags(data: dict[str, Any], path: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        serialization.load(data)
    assert caught.value.paths == (path,)


def test_strict_scalars_are_not_coerced() -> None:
    clock = {"milestone": "m", "started_at": "2026-01-05T09:00:00+00:00"}
    for field, value in [
        ("warnings_reached", ["0.5"]),
        ("warnings", [[True, clock["started_at"]]]),
    ]:
        with pytest.raises(errors.ValidationError):
            serialization.structure({**clock, field: value}, model.MilestoneClock)
    with pytest.raises(errors.ValidationError, match="finite"):
        serialization.structure({**clock, "warnings_reached": [float("nan")]}, model.MilestoneClock)
    with pytest.raises(errors.ValidationError, match="exactly 2 items"):
        serialization.structure({**clock, "warnings": [[0.5]]}, model.MilestoneClock)


def test_dump_refuses_what_it_cannot_tag() -> None:
    with pytest.raises(errors.ValidationError, match="cannot dump"):
        serialization.dump(model.Classification())


def test_converters_are_independent() -> None:
    one, two = serialization.make_converter(), serialization.make_converter()
    assert one is not two
    assert serialization.unstructure(model.Classification(), one) == {"category": None, "tags": []}


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
@given(data=JSON)
def test_garbage_raises_only_our_errors(cls: type, data: object) -> None:
    with contextlib.suppress(errors.Iso10002Error):
        serialization.structure(data, cls)


@given(data=JSON)
def test_garbage_documents_raise_only_our_errors(data: object) -> None:
    for doc in (data, {"schema_version": 1, "type": "Complaint", "x": data}):
        with contextlib.suppress(errors.Iso10002Error):
            serialization.load(doc)


def _mutations(document: Any) -> st.SearchStrategy[Any]:
    """Replace one leaf or drop one key anywhere in *document*."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(document, ())

    def mutate(path: tuple[Any, ...], replacement: Any, drop: bool) -> Any:
        copy = json.loads(json.dumps(document))
        if not path:
            return replacement
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        if drop and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = replacement
        return copy

    return st.builds(mutate, st.sampled_from(paths), JSON, st.booleans())


@given(complaints(max_events=12), st.data())
def test_near_valid_documents_raise_only_our_errors(
    complaint: model.Complaint, data: st.DataObject
) -> None:
    document = data.draw(_mutations(serialization.dump(complaint)))
    try:
        loaded = serialization.load(document)
    except errors.Iso10002Error:
        return
    assert isinstance(loaded, model.Complaint)


@given(complaints())
def test_documents_stored_before_the_breach_and_cancel_fields_still_load(
    complaint: model.Complaint,
) -> None:
    from iso10002.backends import _sql

    document = through_json(serialization.dump(complaint))
    for clock in document["clocks"]:
        del clock["breach_noticed_at"], clock["cancelled"]
    expected = attrs.evolve(
        complaint,
        clocks=tuple(
            attrs.evolve(k, breach_noticed_at=None, cancelled=False) for k in complaint.clocks
        ),
    )
    assert serialization.load(document) == expected
    assert _sql.load_complaint(document) == expected  # the backends' reader falls back


@given(event_histories())
def test_breach_events_stored_without_their_due_instant_still_load(
    history: list[ev.Event],
) -> None:
    from iso10002.backends import _sql

    for event in history:
        if isinstance(event, ev.SlaBreached):
            document = through_json(serialization.dump(event))
            del document["due_at"]
            expected = attrs.evolve(event, due_at=None)
            assert serialization.load(document) == expected
            assert _sql.load_event(document) == expected
