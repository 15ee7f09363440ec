"""Redaction erases free text and keeps every fact: folding redacted events gives the redacted
complaint, and the fields statistics read are unchanged."""

from __future__ import annotations

import attrs
from hypothesis import given

from iso10002 import events as ev
from iso10002.model import ERASED, Complaint, redacted
from iso10002.serialization import dump
from iso10002.testing.contract import CANARY, canary_history
from iso10002.testing.strategies import event_histories


@given(event_histories())
def test_redacting_events_gives_the_redacted_complaint(history: list[ev.Event]) -> None:
    complaint = ev.replay(history)
    assert ev.replay([ev.redacted_event(e) for e in history]) == redacted(complaint)
    assert redacted(redacted(complaint)) == redacted(complaint)


def _facts(complaint: Complaint) -> tuple[object, ...]:
    """What the analysis reads: everything but the free text."""
    assessment = complaint.assessment
    return (
        complaint.id,
        complaint.reference,
        complaint.state,
        complaint.version,
        complaint.received_at,
        complaint.details.channel,
        complaint.details.product,
        complaint.details.segment,
        complaint.details.occurred_at,
        len(complaint.details.attachments),
        complaint.classification,
        None if assessment is None else attrs.evolve(assessment, rationale=None),
        complaint.acknowledged_at,
        complaint.assignee,
        complaint.team,
        complaint.clocks,
        [(n.author, n.at, n.internal) for n in complaint.notes],
        [(f.recorded_at, f.root_causes, f.corrective_actions) for f in complaint.findings],
        [attrs.evolve(d, reasons="-") for d in complaint.decisions],
        None if complaint.reply is None else (complaint.reply.accepted, complaint.reply.at),
        [(e.kind, e.at, e.by, e.provider) for e in complaint.escalations],
        None if complaint.satisfaction is None else complaint.satisfaction.score,
        None if complaint.closure is None else attrs.evolve(complaint.closure, reason=None),
        complaint.reopened,
    )


def test_erasure_keeps_the_facts_and_leaves_no_canary() -> None:
    item, later = canary_history(1)
    complaint = ev.replay(later, item.complaint)
    erased = ev.apply(
        complaint,
        ev.PersonalDataErased(
            complaint_id=complaint.id,
            sequence=complaint.version + 1,
            occurred_at=complaint.received_at,
            actor="dpo",
        ),
    )
    assert erased.personal_data_erased
    assert _facts(attrs.evolve(erased, version=complaint.version)) == _facts(complaint)
    text = str(dump(erased))
    assert not [secret for secret in CANARY if secret in text]
    assert erased.details.subject == erased.details.description == ERASED
    assert erased.notes[0].text == ERASED
    for event in [item.events[0], *later]:
        shown = str(dump(ev.redacted_event(event)))
        assert not [secret for secret in CANARY if secret in shown], type(event).__name__
