"""WorkflowStepRecorded: its data's rules, copying, JSON round trips and the stored documents."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.backends import _sql as q
from iso10002.backends import open_repository
from iso10002.errors import ValidationError
from iso10002.model import ERASED, Channel, ComplaintDetails
from iso10002.serialization import dump, load
from iso10002.testing.contract import advance, new_complaint

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.:\-]{0,20}", fullmatch=True)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
STEP_DATA = st.dictionaries(KEYS, SCALARS, max_size=20)


def step(**data: Any) -> ev.WorkflowStepRecorded:
    return ev.WorkflowStepRecorded(
        complaint_id="c-1",
        sequence=2,
        occurred_at=AT,
        actor="counsel-1",
        transition="legal_approve",
        data=data,
    )


@given(STEP_DATA)
def test_step_data_round_trips_through_json_and_the_stored_documents(data: dict[str, Any]) -> None:
    event = step(**data)
    document = json.loads(json.dumps(dump(event)))
    assert load(document) == event
    assert q.event_doc(event) == dump(event)
    assert q.load_event(document) == event
    assert dict(load(document).data) == data


def test_the_data_is_read_only_hashable_and_copies_like_a_dict() -> None:
    event = step(counsel="K. Berg", approved=True, fee=120.5, files=3, note=None)
    assert event.data["counsel"] == "K. Berg"
    assert event.data == {
        "counsel": "K. Berg",
        "approved": True,
        "fee": 120.5,
        "files": 3,
        "note": None,
    }
    with pytest.raises(TypeError):
        event.data["counsel"] = "someone"  # type: ignore[index]
    with pytest.raises(AttributeError):
        event.data._items = {}  # type: ignore[attr-defined]
    assert hash(event) == hash(step(**dict(event.data)))
    for clone in (pickle.loads(pickle.dumps(event)), copy.deepcopy(event), copy.copy(event)):
        assert clone == event
    assert repr(event.data) == repr(dict(event.data))
    assert step().data == {}


def test_the_data_is_a_small_mapping_of_json_scalars() -> None:
    cases: list[tuple[Any, str]] = [
        ({"files": [1, 2]}, "expected null, true or false, a number or a str"),
        ({"when": AT}, "expected null, true or false, a number or a str"),
        ({"n": 2**53}, r"at most 2\*\*53 - 1"),
        ({"x": float("nan")}, "finite"),
        ({"text": "x" * 2001}, "too long"),
        ({"has space": 1}, "keys must be"),
        ({str(i): i for i in range(21)}, "too many entries"),
    ]
    for data, message in cases:
        with pytest.raises(ValidationError, match=message) as info:
            step(**data)
        assert info.value.paths == ("data",)
    with pytest.raises(ValidationError, match="expected a mapping"):
        ev.WorkflowStepRecorded(
            complaint_id="c-1",
            sequence=2,
            occurred_at=AT,
            actor="a",
            transition="t",
            data=["a"],
        )


@pytest.mark.parametrize(
    ("data", "path", "stored"),
    [
        ({"files": [1]}, "data.files", True),
        ([], "data", True),
        ({"x": True, "y": {"z": 1}}, "data.y", True),
        ({"has space": 1}, "data", False),  # a stored document's keys were checked on writing
    ],
)
def test_loading_names_the_bad_entry(data: Any, path: str, stored: bool) -> None:
    document = {**dump(step()), "data": data}
    with pytest.raises(ValidationError) as info:
        load(document)
    assert info.value.paths == (path,)
    if stored:
        with pytest.raises(ValidationError) as info:
            q.load_event(document)
        assert info.value.paths == (path,)


def test_a_step_changes_nothing_but_the_version() -> None:
    receipt = ev.ComplaintReceived(
        complaint_id="c-1",
        sequence=1,
        occurred_at=AT,
        actor="intake",
        reference="REF-1",
        state="investigating",
        details=_details(),
    )
    before = ev.apply(None, receipt)
    after = ev.apply(before, step(approved=True))
    assert after.version == 2
    assert ev.replay([receipt, step(approved=True)]) == after
    assert {k: v for k, v in _fields(after).items() if k != "version"} == {
        k: v for k, v in _fields(before).items() if k != "version"
    }


def _details() -> ComplaintDetails:
    return ComplaintDetails(
        received_at=AT,
        channel=Channel.EMAIL,
        complainant_id="person-1",
        subject="Refund",
        description="Charged twice.",
    )


def _fields(value: Any) -> dict[str, Any]:
    return attrs.asdict(value, recurse=False)


@pytest.mark.parametrize("url", ["memory://", "sqlite:///:memory:"])
def test_every_backend_stores_steps(url: str) -> None:
    item = new_complaint(1)
    later, recorded = advance(
        item.complaint,
        ev.WorkflowStepRecorded,
        transition="legal_approve",
        data={"counsel": "K. Berg", "liable": False, "hours": 1.5, "files": 2, "note": None},
    )
    with open_repository(url) as repo:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
        repo.save(later, expected_version=1, events=[recorded])
        assert repo.events("c-1")[-1] == recorded
        assert repo.get("c-1") == later


def test_erasure_erases_the_strings_of_a_step_and_keeps_the_rest() -> None:
    event = step(opinion="Mr Reed is owed a refund", liable=True, hours=1.5, note=None)
    erased = ev.redacted_event(event)
    assert isinstance(erased, ev.WorkflowStepRecorded)
    assert erased.data == {"opinion": ERASED, "liable": True, "hours": 1.5, "note": None}
    assert erased.transition == "legal_approve"
    assert ev.redacted_event(step(liable=True)) == step(liable=True)


def test_step_strings_are_valid_unicode() -> None:
    with pytest.raises(ValidationError, match="surrogate"):
        step(opinion="bad \ud800")
