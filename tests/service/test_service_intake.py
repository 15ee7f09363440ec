"""Receipt: bad intakes are refused with every problem listed, and nothing is stored or sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from iso10002.errors import ValidationError
from iso10002.intake import Intake, parse_intake
from iso10002.model import Channel, Priority
from iso10002.notify import RecordingNotifier
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.taxonomy import default_taxonomy
from iso10002.testing.fakes import FakeClock

CATEGORIES = default_taxonomy("categories")
GOOD = {
    "channel": "web",
    "subject": "Wrong bill",
    "description": "Charged twice.",
    "name": "Ann Lee",
    "email": "ann@example.org",
}


def service(
    storage: Storage,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    clock: FakeClock,
    sent: RecordingNotifier,
) -> ComplaintsHandling:
    return ComplaintsHandling(
        storage,
        sla=PolicyPlanner(calendar, policy),
        notifier=sent,
        clock=clock,
        categories=CATEGORIES,
    )


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"channel": "fax"}, {"channel"}),
        ({"description": None}, {"description"}),
        ({"subject": "x" * 501, "description": "y" * 200_001}, {"subject", "description"}),
        ({"received_at": "2026-03-02T10:00:00"}, {"received_at"}),
        ({"category": "no.such.code"}, {"category"}),
        ({"name": None, "email": None}, {"name", "email"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"tags": "billing"}, {"tags"}),
        ({"nickname": "Annie"}, {"nickname"}),
    ],
)
def test_bad_intake_lists_every_problem_and_writes_nothing(
    storage: Storage,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    clock: FakeClock,
    changes: dict[str, Any],
    paths: set[str],
) -> None:
    sent = RecordingNotifier()
    svc = service(storage, calendar, policy, clock, sent)
    form = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        svc.receive(form, actor="web")
    assert set(caught.value.paths) == paths
    assert "Ann Lee" not in str(caught.value)
    assert storage.count(ComplaintQuery()) == 0
    assert storage.events_since(0) == []
    svc.dispatch()
    assert sent.sent == []


def test_all_problems_of_one_form_come_in_one_error() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_intake(
            {"channel": "pigeon", "subject": "", "received_at": "yesterday", "category": "x"},
            category_known=lambda code: code == "billing",
        )
    assert set(caught.value.paths) == {
        "channel",
        "subject",
        "description",
        "received_at",
        "name",
        "email",
        "category",
    }


def test_naive_datetimes_in_python_intakes_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Intake(channel=Channel.WEB, subject="s", description="d", occurred_at=datetime(2026, 1, 1))
    assert caught.value.paths == ("occurred_at",)


def test_an_intake_mapping_takes_datetime_objects_as_well_as_text() -> None:
    from datetime import timezone

    received = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    both = [
        parse_intake({**GOOD, "received_at": received, "occurred_at": received}),
        parse_intake({**GOOD, "received_at": received.isoformat(), "occurred_at": received}),
    ]
    assert all(i.received_at == received == i.occurred_at for i in both)
    with pytest.raises(ValidationError, match="naive") as caught:
        parse_intake({**GOOD, "received_at": datetime(2026, 3, 2, 9, 30)})
    assert caught.value.paths == ("received_at",)


def test_an_existing_complainant_needs_no_contact_details(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    svc = service(storage, calendar, policy, clock, RecordingNotifier())
    first = svc.receive(GOOD, actor="web")
    again = svc.receive(
        Intake(
            channel=Channel.PHONE,
            subject="Again",
            description="Still wrong.",
            complainant_id=first.complainant_id,
        ),
        actor="phone-desk",
    )
    assert again.complainant_id == first.complainant_id
    assert again.reference == "CMP-2026-000002"
    assert storage.count(ComplaintQuery(complainant_id=first.complainant_id)) == 2


def test_bad_input_values_are_typed_errors(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    svc = service(storage, calendar, policy, clock, RecordingNotifier())
    with pytest.raises(ValidationError):
        svc.receive(["not", "a", "form"], actor="web")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        svc.receive(GOOD, actor="web", idempotency_key="")
    with pytest.raises(ValidationError):
        svc.receive(GOOD, actor=42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        svc.tick(datetime(2026, 3, 2))
    assert storage.count(ComplaintQuery()) == 0


def test_assessment_from_factors_uses_the_severity_matrix(
    storage: Storage, calendar: BusinessCalendar, policy: SlaPolicy, clock: FakeClock
) -> None:
    svc = service(storage, calendar, policy, clock, RecordingNotifier())
    c = svc.receive(GOOD, actor="web")
    svc.acknowledge(c.id, actor="bob")
    c = svc.assess(c.id, actor="bob", impact=2, breadth="single", safety="actual")
    assert c.assessment is not None
    assert c.priority is Priority.P1  # an actual safety implication overrides to the top
    final = c.clock("final_response")
    assert final is not None
    assert final.due_at == calendar.close_of_business_day(final.started_at, 5)  # urgent rule
    with pytest.raises(ValidationError) as caught:
        svc.revise_assessment(c.id, actor="bob", reason="r", impact=9, breadth="everywhere")
    assert set(caught.value.paths) == {"impact", "breadth"}
    with pytest.raises(ValidationError):
        svc.assess(c.id, actor="bob", assessment=c.assessment, impact=1)


def test_the_service_checks_what_it_is_built_from() -> None:
    from iso10002.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        ComplaintsHandling(
            "sqlite:///x.db",  # type: ignore[arg-type]
            workflow={"name": "mine"},  # type: ignore[arg-type]
            clock=datetime.now,  # type: ignore[arg-type]
            notifier=print,  # type: ignore[arg-type]
        )
    assert set(caught.value.paths) == {"storage", "workflow", "clock", "notifier"}
