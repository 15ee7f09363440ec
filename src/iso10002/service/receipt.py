"""Receipt (7.2): a new complaint with its reference and clocks, idempotent by key."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import attrs

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.errors import (
    ComplaintNotFound,
    DuplicateError,
    IdempotencyConflict,
    ValidationError,
)
from iso10002.intake import Intake, parse_intake
from iso10002.model import Classification, Complainant, Complaint, ComplaintDetails
from iso10002.sla import clock_events

from .commands import Receive

if TYPE_CHECKING:
    from .bootstrap import Dependencies

__all__ = ["receive"]

_ID_NAMESPACE = uuid.UUID("6f0b7e52-4f38-4c52-9a9c-2f1d6c0e1002")


def receive(command: Receive, deps: Dependencies) -> Complaint:
    """Record a new complaint, give it a reference and start its SLA clocks; with an
    idempotency key, return the complaint a first call with the same intake stored, or raise
    :class:`~iso10002.errors.IdempotencyConflict` for a different intake."""
    checked = parse_intake(command.intake, category_known=deps.category_known)
    key = command.idempotency_key
    if key is not None:
        if not isinstance(key, str) or not 1 <= len(key) <= 500 or v.has_surrogate(key):
            raise ValidationError(
                [
                    (
                        "idempotency_key",
                        "expected a str of 1 to 500 characters, valid Unicode (no lone surrogates)",
                    )
                ]
            )
        complaint_id = str(uuid.uuid5(_ID_NAMESPACE, key))
    else:
        complaint_id = str(uuid.uuid4())
    now = deps.clock.now()
    received_at = checked.received_at or now
    complainant = None
    complainant_id = checked.complainant_id
    if complainant_id is None:
        complainant_id = str(uuid.uuid4())
        complainant = Complainant(
            id=complainant_id,
            name=checked.name or "",
            email=checked.email,
            phone=checked.phone,
            postal_address=checked.postal_address,
            organization=checked.organization,
            preferred_contact=checked.preferred_contact,
            language=checked.language,
            accessibility_needs=checked.accessibility_needs,
            representative=checked.representative,
            vulnerable=checked.vulnerable,
            consent_to_contact=checked.consent_to_contact,
        )
    details = ComplaintDetails(
        received_at=received_at,
        channel=checked.channel,
        complainant_id=complainant_id,
        subject=checked.subject,
        description=checked.description,
        desired_remedy=checked.desired_remedy,
        product=checked.product,
        occurred_at=checked.occurred_at,
        received_by=command.actor.id,
        segment=checked.segment,
        complained_about=checked.complained_about,
        attachments=checked.attachments,
    )
    classification = Classification(category=checked.category, tags=checked.tags)
    if key is not None:
        first = _stored_or_none(deps, complaint_id)
        if first is not None:
            return _resubmitted(
                deps,
                first,
                checked=checked,
                details=details,
                classification=classification,
                complainant=complainant,
            )
    tried: set[str] = set()
    while True:
        reference = deps.references.next(received_at)
        if reference in tried:
            raise DuplicateError("the reference generator offered a taken reference again")
        tried.add(reference)
        outcome = "refused"
        try:
            receipt = ev.ComplaintReceived(
                complaint_id=complaint_id,
                sequence=1,
                occurred_at=received_at,
                actor=command.actor.id,
                reference=reference,
                state=deps.workflow.initial_state,
                details=details,
                classification=classification,
            )
            complaint = ev.apply(None, receipt)
            final, extra = clock_events(
                deps.workflow,
                deps.sla,
                complaint,
                complaint,
                actor=command.actor.id,
                at=received_at,
                start_state=True,
            )
            try:
                deps.storage.add(final, events=[receipt, *extra], complainant=complainant)
            except DuplicateError:
                first = _stored_or_none(deps, complaint_id)
                if first is None:  # the reference was taken (e.g. by another process)
                    outcome = "taken"
                    deps.references.conflict(reference)
                    continue
                # the same key, stored first by a concurrent call
                return _resubmitted(
                    deps,
                    first,
                    checked=checked,
                    details=details,
                    classification=classification,
                    complainant=complainant,
                )
            outcome = "stored"
            return final
        finally:
            if outcome == "refused":  # give the number back: a refusal leaves no gap
                deps.references.release(reference)


def _stored_or_none(deps: Dependencies, complaint_id: str) -> Complaint | None:
    try:
        return deps.storage.get(complaint_id)
    except ComplaintNotFound:
        return None


def _resubmitted(
    deps: Dependencies,
    first: Complaint,
    *,
    checked: Intake,
    details: ComplaintDetails,
    classification: Classification,
    complainant: Complainant | None,
) -> Complaint:
    """*first* if it was received from the same intake as *checked*; otherwise
    :class:`~iso10002.errors.IdempotencyConflict`, which tells nothing of *first*."""
    receipt = deps.storage.events(first.id)[0]
    if not (
        isinstance(receipt, ev.ComplaintReceived)
        and _same_intake(
            deps,
            receipt,
            checked=checked,
            details=details,
            classification=classification,
            complainant=complainant,
        )
    ):
        raise IdempotencyConflict(
            "this idempotency key was already used for a different submission; "
            "submit with a new key"
        )
    return first


def _same_intake(
    deps: Dependencies,
    receipt: ev.ComplaintReceived,
    *,
    checked: Intake,
    details: ComplaintDetails,
    classification: Classification,
    complainant: Complainant | None,
) -> bool:
    """Whether *receipt* records the intake *checked* (built into *details*, *classification*
    and *complainant*).

    Every field counts except who recorded it, and ``received_at`` only when the intake gives
    one. The complainant must be the same ``complainant_id`` or contact details equal to the
    stored record; once that record is erased, contact details can no longer match.
    """
    stored = receipt.details
    received_at = stored.received_at if checked.received_at is None else details.received_at
    if receipt.classification != classification or stored != attrs.evolve(
        details,
        received_at=received_at,
        received_by=stored.received_by,
        complainant_id=stored.complainant_id,
    ):
        return False
    if complainant is None:
        return checked.complainant_id == stored.complainant_id
    on_record = deps.storage.get_complainant(stored.complainant_id)
    return on_record == attrs.evolve(complainant, id=stored.complainant_id)
