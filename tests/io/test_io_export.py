"""Export: JSON Lines round trips exactly on every backend; CSV has the chosen columns."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.errors import ValidationError
from iso10002.io import Importer, export_csv, export_jsonl, preset, read_csv, restore
from iso10002.ports import ComplaintQuery, Storage
from iso10002.testing.strategies import event_histories

AS_OF = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _distinct(histories: list[list[ev.Event]]) -> list[list[ev.Event]]:
    seen_ids: set[str] = set()
    seen_refs: set[str] = set()
    out = []
    for history in histories:
        receipt = history[0]
        assert isinstance(receipt, ev.ComplaintReceived)
        if receipt.complaint_id in seen_ids or receipt.reference in seen_refs:
            continue
        seen_ids.add(receipt.complaint_id)
        seen_refs.add(receipt.reference)
        out.append(history)
    return out


def _export(storage: Storage) -> str:
    out = io.StringIO()
    export_jsonl(storage, out, personal_data=True)
    return out.getvalue()


@pytest.mark.parametrize("url", ["memory://", "sqlite:///:memory:"])
@settings(max_examples=15)
@given(histories=st.lists(event_histories(max_events=12), min_size=1, max_size=4))
def test_export_restore_export_is_identical(url: str, histories: list[list[ev.Event]]) -> None:
    source = open_repository("memory://")
    for history in _distinct(histories):
        source.add(ev.replay(history), events=history)
    first = _export(source)
    with open_repository(url) as target:
        report = restore(target, io.BytesIO(first.encode()))
        assert (report.imported, report.rejected) == (report.rows, 0)
        for complaint in source.query(ComplaintQuery(limit=10)).items:
            assert target.get(complaint.id) == complaint
            assert target.events(complaint.id) == source.events(complaint.id)
            assert target.get_complainant(complaint.complainant_id) == source.get_complainant(
                complaint.complainant_id
            )
        assert _export(target) == first
        assert restore(target, io.BytesIO(first.encode())).unchanged == report.rows


CFPB = (
    b"Date received,Issue,Submitted via,Date sent to company,Company response to consumer,"
    b"Complaint ID\r\n"
    b"2023-01-03,Billing,Web,2023-01-04,Closed with explanation,1\r\n"
    b"2023-01-05,Fees,Phone,2023-01-06,In progress,2\r\n"
)


def test_imported_complaints_round_trip_on_every_backend(storage: Storage) -> None:
    Importer(storage, preset("cfpb"), as_of=AS_OF).run(read_csv(io.BytesIO(CFPB)))
    first = _export(storage)
    assert len(first.splitlines()) == 2
    again = open_repository("memory://")
    report = restore(again, io.BytesIO(first.encode()))
    assert (report.imported, report.rejected) == (2, 0)
    assert _export(again) == first
    assert restore(again, io.BytesIO(first.encode())).unchanged == 2


def test_restore_rejects_bad_lines_and_conflicting_histories(memory: Storage) -> None:
    Importer(memory, preset("cfpb"), as_of=AS_OF).run(read_csv(io.BytesIO(CFPB)))
    good = _export(memory).splitlines()
    import json

    tampered = json.loads(good[0])
    tampered["events"][0]["details"]["subject"] = "changed"
    tampered["complaint"]["details"]["subject"] = "changed"
    data = "\n".join([good[1], json.dumps(tampered), '{"complaint": 1}', "[]"]) + "\n"
    rejects = io.StringIO()
    report = restore(memory, io.BytesIO(data.encode()), rejects=rejects)
    assert (report.rows, report.unchanged, report.rejected) == (4, 1, 3)
    assert [r.line for r in report.rejects] == [2, 3, 4]
    assert "changed" not in rejects.getvalue()


def test_csv_export_streams_chosen_columns(memory: Storage) -> None:
    Importer(memory, preset("cfpb"), as_of=AS_OF).run(read_csv(io.BytesIO(CFPB)))
    out = io.StringIO()
    assert export_csv(memory, out, columns=["reference", "source", "external_id", "state"]) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["reference", "source", "external_id", "state"],
        ["CFPB-1", "cfpb", "1", "closed"],
        ["CFPB-2", "cfpb", "2", "received"],
    ]
    default = io.StringIO()
    export_csv(memory, default)
    assert "subject" not in default.getvalue().splitlines()[0]
    with pytest.raises(ValidationError):
        export_csv(memory, io.StringIO(), columns=["nope"])
