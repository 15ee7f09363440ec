"""Historical import: presets, exact counts and rejects, idempotency, no notifications."""

from __future__ import annotations

import importlib.util
import io
from datetime import datetime, timedelta, timezone

import pytest

from iso10002 import events as ev
from iso10002.errors import ConfigurationError
from iso10002.io import (
    Importer,
    ImportMapping,
    ImportReport,
    complaint_id_for,
    preset,
    read_csv,
    read_jsonl,
)
from iso10002.model import Channel, ExternalReference, Outcome
from iso10002.notify import RecordingNotifier
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner

AS_OF = datetime(2024, 1, 1, tzinfo=timezone.utc)

CFPB_HEADER = [
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
]


def _csv(header: list[str], rows: list[list[str]], *, eol: str = "\r\n") -> bytes:
    def cell(value: str) -> str:
        if any(ch in value for ch in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(cell(v) for v in row) for row in [header, *rows]]
    return (eol.join(lines) + eol).encode("utf-8")


def _cfpb_row(**values: str) -> list[str]:
    base = {
        "Date received": "2023-01-03",
        "Product": "Credit card or prepaid card",
        "Sub-product": "General-purpose credit card",
        "Issue": "Billing disputes",
        "Sub-issue": "",
        "Consumer complaint narrative": "",
        "Company public response": "",
        "Company": "Example Bank",
        "State": "NY",
        "ZIP code": "10001",
        "Tags": "",
        "Consumer consent provided?": "N/A",
        "Submitted via": "Web",
        "Date sent to company": "2023-01-04",
        "Company response to consumer": "Closed with explanation",
        "Timely response?": "Yes",
        "Consumer disputed?": "N/A",
        "Complaint ID": "1001",
    }
    base.update(values)
    return [base[h] for h in CFPB_HEADER]


def _run(
    storage: Storage, data: bytes, mapping: ImportMapping, **options: object
) -> tuple[ImportReport, str]:
    importer = Importer(storage, mapping, as_of=AS_OF, **options)  # type: ignore[arg-type]
    rejects = io.StringIO()
    report = importer.run(read_csv(io.BytesIO(data)), rejects=rejects)
    return report, rejects.getvalue()


CFPB_FILE = _csv(
    CFPB_HEADER,
    [
        _cfpb_row(
            **{
                "Consumer complaint narrative": 'I was charged twice.\r\nThen "again".',
                "Tags": "Older American, Servicemember",
                "Company response to consumer": "Closed with monetary relief",
            }
        ),
        _cfpb_row(
            **{
                "Complaint ID": "1002",
                "Product": "Credit card",  # a pre-2017 name
                "Submitted via": "Postal mail",
                "Company response to consumer": "In progress",
                "Timely response?": "No",
            }
        ),
        _cfpb_row(**{"Complaint ID": "1003", "Date received": "03/01/2023"}),
        _cfpb_row(**{"Complaint ID": "1004", "Submitted via": "Pigeon", "Issue": ""}),
        _cfpb_row(**{"Complaint ID": "", "Date sent to company": "2022-12-01"}),
    ],
)


def test_cfpb_import_counts_every_row_and_rejects_with_every_problem(
    storage: Storage, planner: PolicyPlanner
) -> None:
    report, rejects = _run(storage, CFPB_FILE, preset("cfpb"), sla=planner)
    assert (report.rows, report.imported, report.updated, report.rejected) == (5, 2, 0, 3)
    assert report.rows == report.imported + report.updated + report.unchanged + report.rejected
    assert (
        rejects.splitlines()
        == [
            "line,column,problem",
            "5,Date received,not a date-time in the format '%Y-%m-%d'",
            "6,Issue,required, but blank",
            "6,Submitted via,\"'Pigeon' is not a channel; map it to one of: web, email, phone, "
            'letter, in_person, chat, social_media, third_party, other"',
            '7,Complaint ID,"required, but blank"'.replace('"', ""),
        ]
        or rejects
    )  # the multi-line narrative (lines 2-3) counts as one row starting at line 2
    assert [r.line for r in report.rejects] == [5, 6, 7]
    assert "charged" not in rejects  # no source text in the rejects


def test_cfpb_records_facts_at_their_own_instants(storage: Storage, planner: PolicyPlanner) -> None:
    _run(storage, CFPB_FILE, preset("cfpb"), sla=planner)
    closed = storage.get(complaint_id_for("cfpb", "1001"))
    assert closed.reference == "CFPB-1001"
    assert closed.external_reference == ExternalReference("cfpb", "1001")
    assert closed.state == "closed"
    new_york = timezone(timedelta(hours=-5))
    assert closed.received_at == datetime(2023, 1, 3, tzinfo=new_york)
    assert closed.closure is not None
    assert closed.closure.at == datetime(2023, 1, 4, tzinfo=new_york)
    assert closed.decision is not None and closed.decision.outcome is Outcome.UPHELD
    assert closed.details.description == 'I was charged twice.\r\nThen "again".'
    assert closed.details.channel is Channel.WEB
    assert {"older_american", "servicemember"} <= closed.classification.tags
    assert all(c.stopped_at is not None for c in closed.clocks)
    assert not closed.breached
    open_one = storage.get(complaint_id_for("cfpb", "1002"))
    assert open_one.state == "received"
    assert open_one.details.product == "Credit card or prepaid card"
    assert open_one.details.channel is Channel.LETTER
    assert "untimely_response" in open_one.classification.tags
    # Still open on the as-of date: both clocks breached, each at its due instant.
    for clock in open_one.clocks:
        assert clock.breached_at == clock.due_at
    breaches = [e for e in storage.events(open_one.id) if isinstance(e, ev.SlaBreached)]
    dues = sorted(c.due_at for c in open_one.clocks if c.due_at is not None)
    assert sorted(e.occurred_at for e in breaches) == dues
    history = storage.events(open_one.id)
    assert isinstance(history[-1], ev.ComplaintImported)
    assert history[-1].first_sequence == 1
    assert [e.occurred_at for e in history[:-1]] == sorted(e.occurred_at for e in history[:-1])


def test_headers_with_underscores_and_fewer_columns(memory: Storage) -> None:
    header = ["date_received", "product", "issue", "submitted_via", "complaint_id"]
    data = _csv(header, [["2015-06-01", "Payday loan", "Charged fees", "Web", "7"]], eol="\n")
    report, _ = _run(memory, data, preset("cfpb"))
    assert (report.imported, report.rejected) == (1, 0)
    complaint = memory.get(complaint_id_for("cfpb", "7"))
    assert complaint.details.product == "Payday loan, title loan, or personal loan"
    assert complaint.details.description == "Charged fees"
    assert complaint.state == "received"
    assert complaint.clocks == ()  # no SLA planner: no clocks


def test_day_first_dates_when_the_user_says_so(memory: Storage) -> None:
    data = _csv(
        CFPB_HEADER,
        [_cfpb_row(**{"Date received": "03/02/2023", "Date sent to company": "04/02/2023"})],
    )
    report, _ = _run(memory, data, preset("cfpb", date_format="%d/%m/%Y"))
    assert report.imported == 1
    complaint = memory.get(complaint_id_for("cfpb", "1001"))
    assert complaint.received_at.date().isoformat() == "2023-02-03"


def test_reimport_is_idempotent_and_updates_what_the_source_moved_on(
    storage: Storage, planner: PolicyPlanner
) -> None:
    _run(storage, CFPB_FILE, preset("cfpb"), sla=planner)
    again, _ = _run(storage, CFPB_FILE, preset("cfpb"), sla=planner)
    assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 3)
    before = storage.get(complaint_id_for("cfpb", "1002"))
    moved = _csv(
        CFPB_HEADER,
        [
            _cfpb_row(
                **{
                    "Complaint ID": "1002",
                    "Product": "Credit card",
                    "Submitted via": "Postal mail",
                    "Company response to consumer": "Closed with explanation",
                    "Date sent to company": "2023-12-20",
                    "Timely response?": "No",
                }
            )
        ],
    )
    later, _ = _run(storage, moved, preset("cfpb"), sla=planner)
    assert (later.imported, later.updated, later.unchanged, later.rejected) == (0, 1, 0, 0)
    after = storage.get(before.id)
    assert after.state == "closed"
    assert after.version > before.version
    marker = storage.events(after.id)[-1]
    assert isinstance(marker, ev.ComplaintImported)
    assert marker.first_sequence == before.version + 1
    assert storage.count(ComplaintQuery(source="cfpb")) == 2


def test_duplicate_rows_in_one_file_import_once(memory: Storage) -> None:
    data = _csv(CFPB_HEADER, [_cfpb_row(), _cfpb_row(), _cfpb_row(Issue="Other")])
    report, rejects = _run(memory, data, preset("cfpb"))
    assert (report.rows, report.imported, report.unchanged, report.rejected) == (3, 1, 1, 1)
    assert "differs from the facts imported before" in rejects


def test_closed_history_sends_nothing_and_tick_adds_nothing(
    storage: Storage, planner: PolicyPlanner
) -> None:
    rows = []
    start = datetime(2023, 1, 2)
    for n in range(40):
        received = start + timedelta(days=n * 8)
        sent = received + timedelta(days=n % 25)  # some after the 15-day target
        rows.append(
            _cfpb_row(
                **{
                    "Complaint ID": str(5000 + n),
                    "Date received": received.strftime("%Y-%m-%d"),
                    "Date sent to company": sent.strftime("%Y-%m-%d"),
                }
            )
        )
    report, _ = _run(storage, _csv(CFPB_HEADER, rows), preset("cfpb"), sla=planner)
    assert report.imported == 40
    late = [c for c in storage.query(ComplaintQuery(limit=100)).items if c.breached]
    assert late, "the fixture must hold late responses"
    for complaint in late:
        for clock in complaint.clocks:
            assert clock.breached_at in (None, clock.due_at)  # breached at the due instant
    assert any(c.clock("final_response").breached_at for c in late)  # type: ignore[union-attr]
    outbox = RecordingNotifier()
    service = ComplaintsHandling(storage, sla=planner, notifier=outbox)
    assert service.tick(AS_OF + timedelta(days=400)).warnings == 0
    assert service.tick(AS_OF + timedelta(days=400)).breaches == 0
    report_ = service.dispatch()
    assert report_.collected == 0
    assert outbox.sent == []


def test_open_imported_complaints_continue_live(memory: Storage, planner: PolicyPlanner) -> None:
    data = _csv(
        CFPB_HEADER,
        [
            _cfpb_row(
                **{
                    "Date received": "2023-12-29",
                    "Date sent to company": "2023-12-30",
                    "Company response to consumer": "In progress",
                }
            )
        ],
    )
    _run(memory, data, preset("cfpb"), sla=planner)
    sent = RecordingNotifier()
    service = ComplaintsHandling(memory, sla=planner, notifier=sent)
    assert service.tick(AS_OF).breaches == 0  # what was due by the as-of date is recorded
    assert service.dispatch().collected == 0
    later = service.tick(AS_OF + timedelta(days=30))
    assert later.breaches == 2  # both clocks fall due after the import
    assert service.dispatch().collected >= 1


def test_nyc311_preset(memory: Storage, planner: PolicyPlanner) -> None:
    header = [
        "Unique Key",
        "Created Date",
        "Closed Date",
        "Agency",
        "Complaint Type",
        "Descriptor",
        "Status",
        "Due Date",
        "Resolution Description",
    ]
    rows = [
        [
            "45000001",
            "01/01/2011 12:00:00 AM",
            "01/03/2011 03:15:00 PM",
            "DSNY",
            "Noise",
            "Loud Music/Party",
            "Closed",
            "01/02/2011 12:00:00 AM",
            "The Department of Sanitation\nresolved this.",
        ],
        ["45000002", "06/15/2020 09:30:00 AM", "", "NYPD", "Noise", "", "Open", "", ""],
        ["45000003", "03/08/2020 02:30:00 AM", "", "NYPD", "Noise", "", "Open", "", ""],
        ["45000004", "2020-06-15", "", "NYPD", "Noise", "", "Closed", "", ""],
        ["45000005", "06/15/2020 09:30:00 AM", "", "NYPD", "Noise", "", "Closed", "", ""],
    ]
    report, rejects = _run(memory, _csv(header, rows), preset("nyc311"), sla=planner)
    assert (report.rows, report.imported, report.rejected) == (5, 2, 3)
    assert rejects.splitlines()[1:] == [
        "5,Created Date,local time skipped or repeated by a clock change in America/New_York",
        "6,Created Date,not a date-time in the format '%m/%d/%Y %I:%M:%S %p'",
        "7,Closed Date,the status is closed but no date is given",
    ]
    closed = memory.get(complaint_id_for("nyc311", "45000001"))
    assert closed.team == "DSNY"
    assert closed.details.subject == "Noise / Loud Music/Party"
    assert closed.received_at == datetime(2011, 1, 1, 5, tzinfo=timezone.utc)
    final = closed.clock("final_response")
    assert final is not None
    assert final.due_at == datetime(2011, 1, 2, 5, tzinfo=timezone.utc)  # the source's deadline
    assert final.breached_at == final.due_at
    assert closed.notes[0].text == "The Department of Sanitation\nresolved this."


def test_generic_mapping_jsonl_and_taxonomy_check(memory: Storage) -> None:
    from iso10002.taxonomy import default_taxonomy

    taxonomy = default_taxonomy("categories")
    code = next(c.code for c in taxonomy.codes if c.active)
    lines = [
        {
            "external_id": 1,
            "received_at": "2023-05-01T10:00:00+01:00",
            "subject": "s",
            "description": "d",
            "category": code,
            "status": "withdrawn",
            "closed_at": "2023-05-02T10:00:00+01:00",
            "tags": "a;b",
        },
        {
            "external_id": "2",
            "received_at": "2023-05-01T10:00:00",
            "subject": "s",
            "description": "d",
        },
        {
            "external_id": "3",
            "received_at": "2023-05-01T10:00:00Z",
            "subject": "s",
            "description": "d",
            "category": "no.such.code",
        },
        "not an object",
    ]
    import json

    data = "\n".join(json.dumps(x) for x in lines).encode() + b"\n\n{broken\n"
    importer = Importer(memory, preset("generic"), categories=taxonomy, as_of=AS_OF)
    report = importer.run(read_jsonl(io.BytesIO(data)))
    assert (report.rows, report.imported, report.rejected) == (5, 1, 4)
    assert [(r.line, [p.path for p in r.problems]) for r in report.rejects] == [
        (2, ["received_at"]),
        (3, ["category"]),
        (4, ["line 4"]),
        (6, ["line 6"]),
    ]
    withdrawn = memory.get(complaint_id_for("legacy", "1"))
    assert withdrawn.state == "withdrawn"
    assert withdrawn.closure is not None and withdrawn.closure.withdrawn
    assert withdrawn.classification.tags == frozenset({"a", "b"})


def test_non_utf8_bytes_reject_the_row_naming_the_line(memory: Storage) -> None:
    data = _csv(CFPB_HEADER, [_cfpb_row(), _cfpb_row(**{"Complaint ID": "2"})])
    bad = data.replace(
        b"Example Bank,NY,10001,,N/A,Web,2023-01-04,Closed with explanation,Yes,N/A,2",
        b"Exampl\xe9 Bank,NY,10001,,N/A,Web,2023-01-04,Closed with explanation,Yes,N/A,2",
    )
    assert bad != data
    report, rejects = _run(memory, bad, preset("cfpb"))
    assert (report.imported, report.rejected) == (1, 1)
    assert "3,line 3,not valid utf-8; give the file's encoding" in rejects


def test_a_row_with_the_wrong_number_of_fields_is_rejected(memory: Storage) -> None:
    data = _csv(CFPB_HEADER, [_cfpb_row()]) + b"1,2,3\r\n"
    report, rejects = _run(memory, data, preset("cfpb"))
    assert (report.rows, report.imported, report.rejected) == (2, 1, 1)
    assert '3,line 3,"has 3 fields, the header has 18"' in rejects


CRM_TOML = """
source = "crm"
[fields]
external_id = "Case"
subject = "Title"
description = "Body"
[fields.received_at]
columns = ["Opened"]
format = "%d.%m.%Y %H:%M"
timezone = "Europe/Berlin"
"""
CRM = {
    "source": "crm",
    "fields": {
        "external_id": "Case",
        "subject": "Title",
        "description": "Body",
        "received_at": {
            "columns": ["Opened"],
            "format": "%d.%m.%Y %H:%M",
            "timezone": "Europe/Berlin",
        },
    },
}


def test_mappings_load_from_toml_where_python_reads_it() -> None:
    if importlib.util.find_spec("tomllib") is None:  # Python 3.10: no TOML reader to use
        with pytest.raises(ConfigurationError, match=r"Python 3\.11"):
            ImportMapping.from_toml(CRM_TOML)
        return
    assert ImportMapping.from_toml(CRM_TOML) == ImportMapping.from_dict(CRM)


def test_mappings_load_from_dicts_and_name_bad_keys() -> None:
    mapping = ImportMapping.from_dict(CRM)
    assert mapping.prefix == "CRM-"
    assert ImportMapping.from_dict(mapping.to_dict()) == mapping
    with pytest.raises(ConfigurationError) as caught:
        ImportMapping.from_dict(
            {
                "source": "crm",
                "fields": {
                    "external_id": "Case",
                    "subject": "Title",
                    "received_at": {"columns": ["Opened"], "format": "%d.%m.%Y"},
                    "colour": "Colour",
                },
                "extra": 1,
            }
        )
    paths = sorted(p.path for p in caught.value.problems)
    assert paths == [
        "extra",
        "fields.colour",
        "fields.description",
        "fields.received_at.timezone",
    ]
    with pytest.raises(ConfigurationError):
        preset("nope")
