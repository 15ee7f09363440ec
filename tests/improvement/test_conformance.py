"""The conformance self-assessment: each check on records that conform and on records that do
not, naming the right complaint references."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from iso10002 import Assessment, Breadth, Complaint, Complexity, Outcome, Priority, Safety
from iso10002.analysis import Period
from iso10002.backends import MemoryRepository
from iso10002.errors import ValidationError
from iso10002.improvement import (
    CHECKS,
    DISCLAIMER,
    ConformanceAssessment,
    ConformanceVerdict,
    assess_conformance,
)
from iso10002.model import Complainant, Escalation, EscalationKind, redacted
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
START = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
PERIOD = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
HANDLER = Actor("h.okafor", roles=frozenset({"handler"}))
CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "UTC",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
POLICY = SlaPolicy.from_dict(
    {"default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}}}
)
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.SIMPLE,
    priority=Priority.P3,
)
V = ConformanceVerdict


def _service(storage: MemoryRepository, clock: FakeClock) -> ComplaintsHandling:
    return ComplaintsHandling(storage, clock=clock, sla=PolicyPlanner(CALENDAR, POLICY))


def _handle(service: ComplaintsHandling, clock: FakeClock, n: int) -> Complaint:
    """One complaint through the whole process, conforming to every check."""
    complaint = service.receive(
        {
            "channel": "web",
            "subject": "Card declined",
            "description": "My card was declined.",
            "category": "billing",
            "name": f"Customer {n}",
            "email": f"c{n}@example.org",
            "complained_about": ["s.jones"],
        },
        actor="web-form",
    )
    cid = complaint.id
    clock.advance(timedelta(hours=1))
    service.acknowledge(cid, actor=HANDLER)
    service.assess(cid, actor=HANDLER, assessment=ASSESSMENT)
    service.start_investigation(cid, actor=HANDLER)
    clock.advance(timedelta(days=2))
    service.decide(
        cid, actor=HANDLER, outcome=Outcome.UPHELD, reasons="Our error.", remedies=("refund",)
    )
    service.communicate_decision(cid, actor=HANDLER, external_options_given=True)
    service.record_reply(cid, actor=HANDLER, accepted=True)
    service.close(cid, actor=HANDLER)
    done = service.record_satisfaction(cid, actor=HANDLER, score=4)
    clock.advance(timedelta(hours=2))
    return done


@pytest.fixture
def conforming() -> Iterator[tuple[MemoryRepository, list[Complaint]]]:
    """Three complaints handled by the book, in a repository."""
    clock = FakeClock(START)
    with MemoryRepository() as storage:
        service = _service(storage, clock)
        yield storage, [_handle(service, clock, n) for n in range(3)]


def _assess(source: object, **options: object) -> ConformanceAssessment:
    return assess_conformance(source, PERIOD, as_of=AS_OF, **options)  # type: ignore[arg-type]


def _broken(complaints: list[Complaint], **changes: Any) -> list[Complaint]:
    """The complaints with the second one changed."""
    return [complaints[0], attrs.evolve(complaints[1], **changes), complaints[2]]


def test_records_handled_by_the_book_conform_to_every_check(
    conforming: tuple[MemoryRepository, list[Complaint]],
) -> None:
    storage, _ = conforming
    result = _assess(storage, satisfaction_target=1.0)
    assert result.complaints == 3
    verdicts = {f.check: f.verdict for f in result.findings}
    assert list(verdicts) == list(CHECKS)
    assert verdicts.pop("erasure_honoured") is V.NOT_APPLICABLE  # nobody asked
    assert set(verdicts.values()) == {V.CONFORMS}, verdicts
    assert all(f.evidence == () and f.failures == 0 for f in result.findings)
    assert result.finding("acknowledged").figure.denominator == 3
    assert result.nonconformities == ()


def test_acknowledgement_missing_is_a_nonconformity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    found = _assess(_broken(complaints, acknowledged_at=None)).finding("acknowledged")
    assert found.verdict is V.NONCONFORMITY
    assert found.evidence == (complaints[1].reference,)
    assert (found.figure.numerator, found.figure.denominator) == (2, 3)
    assert found.clause == "7.4"


def test_late_acknowledgement_is_an_observation_or_a_nonconformity_by_the_target(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    clock = complaints[1].clock("acknowledgement")
    assert clock is not None and clock.due_at is not None
    late = attrs.evolve(clock, stopped_at=clock.due_at + timedelta(hours=3))
    others = tuple(c for c in complaints[1].clocks if c.milestone != "acknowledgement")
    source = _broken(complaints, clocks=(late, *others))
    strict = _assess(source).finding("acknowledged_on_time")
    assert strict.verdict is V.NONCONFORMITY  # 2/3 < 0.95
    assert strict.evidence == (complaints[1].reference,)
    lenient = _assess(source, on_time_target=0.6).finding("acknowledged_on_time")
    assert lenient.verdict is V.OBSERVATION
    assert "0.6" in lenient.rule


def test_overdue_unacknowledged_complaint_fails_both_acknowledgement_checks() -> None:
    clock = FakeClock(START)
    with MemoryRepository() as storage:
        service = _service(storage, clock)
        waiting = service.receive(
            {
                "channel": "web",
                "subject": "S",
                "description": "D",
                "name": "N",
                "email": "n@example.org",
            },
            actor="web-form",
        )
        result = _assess(storage)
        # Judged before its due instant it is pending, not failing.
        early = assess_conformance(storage, PERIOD, as_of=START + timedelta(hours=1))
    assert result.finding("acknowledged").evidence == (waiting.reference,)
    assert result.finding("acknowledged_on_time").verdict is V.NONCONFORMITY
    assert early.finding("acknowledged").verdict is V.NOT_APPLICABLE
    assert early.finding("acknowledged").note == (
        "1 complaints not yet acknowledged and not yet due"
    )


def test_missing_assessment_is_a_nonconformity(conforming: tuple[object, list[Complaint]]) -> None:
    _, complaints = conforming
    found = _assess(_broken(complaints, assessment=None)).finding("assessed")
    assert (found.verdict, found.evidence, found.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "7.5",
    )


def test_decision_without_external_options_is_a_nonconformity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    decision = attrs.evolve(complaints[1].decisions[-1], external_options_given=False)
    result = _assess(_broken(complaints, decisions=(decision,)))
    found = result.finding("decision_communicated")
    assert (found.verdict, found.evidence, found.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "7.8",
    )
    # Accepted by the complainant, so closing it was still in order (7.9).
    assert result.finding("closed_with_record").verdict is V.CONFORMS


def test_closure_without_a_communicated_decision_is_a_nonconformity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    silent = attrs.evolve(complaints[1].decisions[-1], communicated_at=None)
    found = _assess(_broken(complaints, decisions=(silent,))).finding("closed_with_record")
    assert (found.verdict, found.evidence, found.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "7.9",
    )
    none = _assess(_broken(complaints, decisions=())).finding("closed_with_record")
    assert none.evidence == (complaints[1].reference,)


def test_a_handler_deciding_about_themselves_or_their_team_breaks_objectivity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    details = attrs.evolve(complaints[1].details, complained_about=frozenset({"h.okafor"}))
    found = _assess(_broken(complaints, details=details)).finding("objectivity")
    assert (found.verdict, found.evidence, found.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "4.7",
    )
    team = attrs.evolve(complaints[1].details, complained_about=frozenset({"cards-team"}))
    source = _broken(complaints, details=team)
    assert _assess(source).finding("objectivity").verdict is V.CONFORMS  # no team data
    by_team = _assess(source, teams={"h.okafor": "cards-team"}).finding("objectivity")
    assert by_team.evidence == (complaints[1].reference,)


def test_a_review_decided_by_the_first_decider_breaks_objectivity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    first = complaints[1].decisions[0]
    review_at = first.decided_at + timedelta(days=1)
    review = attrs.evolve(first, decided_at=review_at + timedelta(days=1))
    escalation = (Escalation(kind=EscalationKind.INTERNAL_REVIEW, at=review_at, by="h.okafor"),)
    source = _broken(
        complaints,
        details=attrs.evolve(complaints[1].details, complained_about=frozenset()),
        escalations=escalation,
        decisions=(first, review),
    )
    found = _assess(source).finding("objectivity")
    assert found.evidence == (complaints[1].reference,)
    independent = attrs.evolve(review, decided_by="r.ito")
    source[1] = attrs.evolve(source[1], decisions=(first, independent))
    assert _assess(source).finding("objectivity").verdict is V.CONFORMS


def test_satisfaction_is_judged_only_where_the_policy_asks(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    source = _broken(complaints, satisfaction=None)
    assert _assess(source).finding("satisfaction_sought").verdict is V.NOT_APPLICABLE
    strict = _assess(source, satisfaction_target=1.0).finding("satisfaction_sought")
    assert (strict.verdict, strict.evidence, strict.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "8.3",
    )
    sample = _assess(source, satisfaction_target=0.5).finding("satisfaction_sought")
    assert sample.verdict is V.OBSERVATION


def test_erasure_through_the_service_conforms(
    conforming: tuple[MemoryRepository, list[Complaint]],
) -> None:
    storage, complaints = conforming
    clock = FakeClock(AS_OF - timedelta(days=1))
    _service(storage, clock).erase_personal_data(complaints[1].complainant_id, actor="dpo")
    found = _assess(storage).finding("erasure_honoured")
    assert (found.verdict, found.figure.denominator, found.note) == (V.CONFORMS, 1, None)


class _KeepsRecords(MemoryRepository):
    """A repository whose erasure forgets to delete the complainant record."""

    def get_complainant(self, complainant_id: str) -> Complainant | None:
        return Complainant(id=complainant_id, name="Still here", email="x@example.org")


def test_erasure_not_honoured_is_a_nonconformity(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    flagged = attrs.evolve(complaints[1], personal_data_erased=True)  # text left in place
    found = _assess([complaints[0], flagged, complaints[2]]).finding("erasure_honoured")
    assert (found.verdict, found.evidence, found.clause) == (
        V.NONCONFORMITY,
        (complaints[1].reference,),
        "4.10",
    )
    assert found.note is not None and "not a repository" in found.note
    # Another complaint of an erased complainant that still holds the text fails too.
    erased = attrs.evolve(redacted(complaints[1]), personal_data_erased=True)
    sibling = attrs.evolve(
        complaints[2],
        details=attrs.evolve(complaints[2].details, complainant_id=complaints[1].complainant_id),
    )
    found = _assess([complaints[0], erased, sibling]).finding("erasure_honoured")
    assert found.evidence == (complaints[2].reference,)
    # The record still stored.
    clock = FakeClock(START)
    with _KeepsRecords() as storage:
        service = _service(storage, clock)
        done = _handle(service, clock, 9)
        service.erase_personal_data(done.complainant_id, actor="dpo")
        kept = _assess(storage).finding("erasure_honoured")
    assert kept.evidence == (done.reference,)


def test_evidence_is_capped_and_counted(conforming: tuple[object, list[Complaint]]) -> None:
    _, complaints = conforming
    source = [attrs.evolve(c, assessment=None) for c in complaints]
    found = _assess(source, evidence_limit=2).finding("assessed")
    assert found.failures == 3 and len(found.evidence) == 2 and found.evidence_truncated
    data = _assess(source, evidence_limit=2).to_dict()
    assessed = next(f for f in data["findings"] if f["check"] == "assessed")
    assert assessed["evidence_truncated"] is True


def test_json_and_markdown_carry_the_disclaimer_and_the_evidence(
    conforming: tuple[object, list[Complaint]],
) -> None:
    _, complaints = conforming
    result = _assess(_broken(complaints, assessment=None))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["disclaimer"] == DISCLAIMER
    assessed = next(f for f in data["findings"] if f["check"] == "assessed")
    assert assessed["verdict"] == "nonconformity"
    assert assessed["figure"] == {"numerator": 2, "denominator": 3, "value": 2 / 3}
    assert assessed["evidence"] == [complaints[1].reference]
    text = result.to_markdown()
    assert DISCLAIMER in text and "certifies nothing" in text
    assert f"- Evidence: {complaints[1].reference}" in text
    assert "| 7.5 | Initial assessment recorded | nonconformity | 66.7 % (2/3) | 1 |" in text
    assert "certifies nothing" in str(result)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"as_of": datetime(2026, 3, 1)}, "as_of"),  # naive
        ({"on_time_target": 1.5}, "on_time_target"),
        ({"satisfaction_target": True}, "satisfaction_target"),
        ({"teams": ["h.okafor"]}, "teams"),
        ({"out_of_scope_states": "out_of_scope"}, "out_of_scope_states"),
        ({"evidence_limit": -1}, "evidence_limit"),
    ],
)
def test_bad_arguments_are_refused_by_name(options: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        assess_conformance([], PERIOD, **options)  # type: ignore[arg-type]
    assert info.value.paths == (path,)
    with pytest.raises(ValidationError) as bad_period:
        assess_conformance([], (PERIOD.start, PERIOD.end))  # type: ignore[arg-type]
    assert bad_period.value.paths == ("period",)
