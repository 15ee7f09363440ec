"""The complaint aggregate and the values it is made of.

Fields follow the complainant form (annex C of ISO 10002:2018) and the complaint follow-up form
(annex E). All values are frozen, slotted attrs classes; every field is validated and every datetime
must be timezone-aware (it is stored in UTC). Personal data lives only in :class:`Complainant`,
which the :class:`Complaint` refers to by id, so it can be erased without touching the event log.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from . import _validate as v

__all__ = [
    "Assessment",
    "Attachment",
    "Breadth",
    "Channel",
    "Classification",
    "Closure",
    "Complainant",
    "Complaint",
    "ComplaintDetails",
    "Complexity",
    "ContactMethod",
    "Decision",
    "Escalation",
    "EscalationKind",
    "ExternalReference",
    "Finding",
    "MilestoneClock",
    "Note",
    "Outcome",
    "Overlay",
    "Priority",
    "Reply",
    "Safety",
    "Satisfaction",
    "unchecked_replace",
]

# Size limits for text fields (characters).
_SHORT = 200
_SUBJECT = 500
_LONG = 200_000


class Channel(str, enum.Enum):
    """How the complaint reached the organisation (4.5 accessibility)."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    IN_PERSON = "in_person"
    CHAT = "chat"
    SOCIAL_MEDIA = "social_media"
    THIRD_PARTY = "third_party"
    OTHER = "other"


class ContactMethod(str, enum.Enum):
    """The complainant's preferred way of being contacted."""

    EMAIL = "email"
    PHONE = "phone"
    POST = "post"
    SMS = "sms"
    IN_PERSON = "in_person"


class Priority(str, enum.Enum):
    """Handling priority derived by the initial assessment (7.5); P1 is the most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Safety(str, enum.Enum):
    """Safety implication of the complaint (7.5)."""

    NONE = "none"
    POTENTIAL = "potential"
    ACTUAL = "actual"


class Breadth(str, enum.Enum):
    """How widely the problem occurs (7.5 frequency; 8.2 recurring and systemic problems)."""

    SINGLE = "single"
    REPEAT = "repeat"
    SEVERAL = "several"
    SYSTEMIC = "systemic"


class Complexity(str, enum.Enum):
    """How much handling the complaint needs (7.5 complexity)."""

    SIMPLE = "simple"
    INVESTIGATION = "investigation"
    MULTI_PARTY = "multi_party"


class Overlay(str, enum.Enum):
    """Circumstances that raise priority (vulnerability, hardship, reportability, …)."""

    VULNERABLE_CUSTOMER = "vulnerable_customer"
    FINANCIAL_HARDSHIP = "financial_hardship"
    REGULATOR_REPORTABLE = "regulator_reportable"
    FRAUD_OR_DATA_BREACH = "fraud_or_data_breach"
    LEGAL_OR_MEDIA_THREAT = "legal_or_media_threat"


class Outcome(str, enum.Enum):
    """The decision on the complaint (7.7)."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


class EscalationKind(str, enum.Enum):
    """Where an unresolved complaint goes next: internal review or external dispute resolution."""

    INTERNAL_REVIEW = "internal_review"
    EXTERNAL_DISPUTE = "external_dispute"


@attrs.frozen(repr=False)
class Complainant:
    """The person (or organisation) complaining. Holds all personal data; ``repr`` redacts it."""

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.text(_SHORT))
    email: str | None = attrs.field(default=None, validator=v.optional_text(320))
    phone: str | None = attrs.field(default=None, validator=v.optional_text(50))
    postal_address: str | None = attrs.field(default=None, validator=v.optional_text(1000))
    organization: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    preferred_contact: ContactMethod | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(v.enum_(ContactMethod)),
    )
    language: str | None = attrs.field(default=None, validator=v.optional_text(35))
    accessibility_needs: str | None = attrs.field(default=None, validator=v.optional_text(2000))
    representative: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    vulnerable: bool = attrs.field(default=False, validator=v.bool_)
    consent_to_contact: bool = attrs.field(default=True, validator=v.bool_)

    def __attrs_post_init__(self) -> None:
        if self.email is None and self.phone is None and self.postal_address is None:
            from .errors import ValidationError

            raise ValidationError(
                [("email", "give at least one contact route: email, phone or postal_address")],
                what="Complainant",
            )

    def __repr__(self) -> str:
        return f"Complainant(id={self.id!r}, <personal data redacted>)"


@attrs.frozen
class Attachment:
    """A reference to a document held elsewhere (never the content itself)."""

    uri: str = attrs.field(validator=v.text(2000), repr=False)
    media_type: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    sha256: str | None = attrs.field(default=None, validator=v.optional_text(64))


@attrs.frozen
class ExternalReference:
    """The complaint's id in the system it came from: *id* is unique within *source*."""

    source: str = attrs.field(validator=v.identifier)
    id: str = attrs.field(validator=v.identifier)


@attrs.frozen
class ComplaintDetails:
    """What was received (7.2): fixed at receipt."""

    received_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    channel: Channel = attrs.field(validator=v.enum_(Channel))
    complainant_id: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.text(_SUBJECT), repr=False)
    description: str = attrs.field(validator=v.text(_LONG), repr=False)
    desired_remedy: str | None = attrs.field(
        default=None, validator=v.optional_text(_LONG), repr=False
    )
    product: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    occurred_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    received_by: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    segment: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    complained_about: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )
    attachments: tuple[Attachment, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Attachment, max_items=500)
    )
    external_reference: ExternalReference | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(ExternalReference)),
    )


@attrs.frozen
class Classification:
    """Taxonomy codes for the complaint (8.2): a category code and free tags."""

    category: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )


@attrs.frozen
class Assessment:
    """The initial assessment (7.5): every factor, and the priority they lead to."""

    impact: int = attrs.field(validator=v.int_range(1, 4))
    breadth: Breadth = attrs.field(validator=v.enum_(Breadth))
    safety: Safety = attrs.field(validator=v.enum_(Safety))
    complexity: Complexity = attrs.field(validator=v.enum_(Complexity))
    priority: Priority = attrs.field(validator=v.enum_(Priority))
    immediate_action_needed: bool = attrs.field(default=False, validator=v.bool_)
    immediate_action_possible: bool = attrs.field(default=False, validator=v.bool_)
    overlays: frozenset[Overlay] = attrs.field(default=frozenset(), converter=v.frozen_set)
    sla_policy_key: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    rationale: str | None = attrs.field(default=None, validator=v.optional_text(_LONG), repr=False)

    @overlays.validator
    def _check_overlays(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, frozenset) or not all(isinstance(o, Overlay) for o in value):
            v.fail(self, attribute, "expected a frozenset of Overlay values")


@attrs.frozen
class Note:
    """A note on the case file; ``internal`` notes are never shown to the complainant."""

    text: str = attrs.field(validator=v.text(_LONG), repr=False)
    author: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    internal: bool = attrs.field(default=True, validator=v.bool_)


@attrs.frozen
class Finding:
    """An investigation finding (7.6) with the root-cause codes it supports."""

    summary: str = attrs.field(validator=v.text(_LONG), repr=False)
    recorded_by: str = attrs.field(validator=v.identifier)
    recorded_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    root_causes: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )
    corrective_actions: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(str, max_items=100)
    )


@attrs.frozen
class Decision:
    """The response (7.7) and, once sent, how it was communicated (7.8)."""

    outcome: Outcome = attrs.field(validator=v.enum_(Outcome))
    reasons: str = attrs.field(validator=v.text(_LONG), repr=False)
    decided_by: str = attrs.field(validator=v.identifier)
    decided_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    remedies: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(str, max_items=100)
    )
    communicated_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    communicated_by: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    communication_method: ContactMethod | None = attrs.field(
        default=None, validator=attrs.validators.optional(v.enum_(ContactMethod))
    )
    external_options_given: bool = attrs.field(default=False, validator=v.bool_)


@attrs.frozen
class Reply:
    """The complainant's reaction to the decision (annex E: accepted or not)."""

    accepted: bool = attrs.field(validator=v.bool_)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    comment: str | None = attrs.field(default=None, validator=v.optional_text(_LONG), repr=False)


@attrs.frozen
class Escalation:
    """An internal review or an external dispute resolution (ISO 10003) of the complaint."""

    kind: EscalationKind = attrs.field(validator=v.enum_(EscalationKind))
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    by: str = attrs.field(validator=v.identifier)
    reason: str | None = attrs.field(default=None, validator=v.optional_text(_LONG), repr=False)
    provider: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))


@attrs.frozen
class Satisfaction:
    """The complainant's satisfaction with the handling (8.3), scored 1 (low) to 5 (high)."""

    score: int = attrs.field(validator=v.int_range(1, 5))
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    comment: str | None = attrs.field(default=None, validator=v.optional_text(_LONG), repr=False)


@attrs.frozen
class Closure:
    """How the complaint was closed (7.9) or withdrawn."""

    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    by: str = attrs.field(validator=v.identifier)
    reason: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT))
    withdrawn: bool = attrs.field(default=False, validator=v.bool_)


def _check_pauses(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        v.fail(owner, attribute, "expected a tuple of (start, end) pairs")
        return
    for span in value:
        if (
            not isinstance(span, tuple)
            or len(span) != 2
            or not all(isinstance(t, datetime) and t.utcoffset() is not None for t in span)
            or span[1] < span[0]
        ):
            v.fail(
                owner, attribute, "each pause must be an (aware start, aware end) pair, end ≥ start"
            )


def _check_warnings(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        v.fail(owner, attribute, "expected a tuple of (threshold, instant) pairs")
        return
    for item in value:
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or not isinstance(item[0], float)
            or not 0.0 < item[0] < 1.0
            or not isinstance(item[1], datetime)
            or item[1].utcoffset() is None
        ):
            v.fail(owner, attribute, "each warning must be a (threshold in (0, 1), aware instant)")


def _utc_pairs(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(
            tuple(v.to_utc(x) for x in item) if isinstance(item, (list, tuple)) else item
            for item in value
        )
    return value


def _utc_warnings(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(
            (item[0], v.to_utc(item[1]))
            if isinstance(item, (list, tuple)) and len(item) == 2
            else item
            for item in value
        )
    return value


@attrs.frozen
class MilestoneClock:
    """The recorded facts of one SLA clock (acknowledgement, final response, …).

    ``due_at`` and the warning instants are stamped when the clock starts or resumes; while the
    clock is paused they are stale and the sweeper ignores the clock.
    """

    milestone: str = attrs.field(validator=v.text(_SHORT))
    started_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    due_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    warnings: tuple[tuple[float, datetime], ...] = attrs.field(
        default=(), converter=_utc_warnings, validator=_check_warnings
    )
    pauses: tuple[tuple[datetime, datetime], ...] = attrs.field(
        default=(), converter=_utc_pairs, validator=_check_pauses
    )
    paused_since: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    stopped_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    warnings_reached: tuple[float, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(float, max_items=100)
    )
    breached_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )

    @property
    def running(self) -> bool:
        """True while started and neither paused nor stopped."""
        return self.stopped_at is None and self.paused_since is None

    @property
    def next_check_at(self) -> datetime | None:
        """The next instant a warning or the breach falls due, if the clock is running."""
        if not self.running:
            return None
        reached = set(self.warnings_reached)
        pending = [t for threshold, t in self.warnings if threshold not in reached]
        if self.due_at is not None and self.breached_at is None:
            pending.append(self.due_at)
        return min(pending) if pending else None

    @property
    def met(self) -> bool | None:
        """``True`` if stopped on time, ``False`` if breached, ``None`` while undecided."""
        if self.breached_at is not None:
            return False
        if self.stopped_at is not None:
            return self.due_at is None or self.stopped_at <= self.due_at
        return None


@attrs.frozen
class Complaint:
    """The complaint aggregate: everything known about one complaint, at one version.

    A complaint is the fold of its events (:func:`iso10002.events.replay`); ``version`` is the
    sequence number of the last event applied. ``repr`` shows only ids, state and version.
    """

    id: str = attrs.field(validator=v.identifier)
    reference: str = attrs.field(validator=v.identifier)
    state: str = attrs.field(validator=v.text(_SHORT))
    version: int = attrs.field(validator=v.int_range(1))
    details: ComplaintDetails = attrs.field(
        validator=attrs.validators.instance_of(ComplaintDetails), repr=False
    )
    classification: Classification = attrs.field(
        factory=Classification,
        validator=attrs.validators.instance_of(Classification),
        repr=False,
    )
    acknowledged_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none, repr=False
    )
    assessment: Assessment | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(Assessment)),
        repr=False,
    )
    assignee: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT), repr=False)
    team: str | None = attrs.field(default=None, validator=v.optional_text(_SHORT), repr=False)
    clocks: tuple[MilestoneClock, ...] = attrs.field(
        default=(),
        converter=v.frozen_tuple,
        validator=v.tuple_of(MilestoneClock, max_items=100),
        repr=False,
    )
    notes: tuple[Note, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Note), repr=False
    )
    findings: tuple[Finding, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Finding), repr=False
    )
    decisions: tuple[Decision, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Decision), repr=False
    )
    reply: Reply | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(Reply)),
        repr=False,
    )
    escalations: tuple[Escalation, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Escalation), repr=False
    )
    satisfaction: Satisfaction | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(Satisfaction)),
        repr=False,
    )
    closure: Closure | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(Closure)),
        repr=False,
    )
    reopened: int = attrs.field(default=0, validator=v.int_range(0), repr=False)
    personal_data_erased: bool = attrs.field(default=False, validator=v.bool_, repr=False)

    @property
    def complainant_id(self) -> str:
        """The id of the :class:`Complainant` (personal data is stored apart)."""
        return self.details.complainant_id

    @property
    def received_at(self) -> datetime:
        """When the complaint was received (UTC)."""
        return self.details.received_at

    @property
    def external_reference(self) -> ExternalReference | None:
        """The complaint's id in the system it was imported from, if any."""
        return self.details.external_reference

    @property
    def decision(self) -> Decision | None:
        """The latest decision, or ``None`` before any."""
        return self.decisions[-1] if self.decisions else None

    @property
    def priority(self) -> Priority | None:
        """The priority from the latest assessment, or ``None`` before assessment."""
        return self.assessment.priority if self.assessment is not None else None

    def clock(self, milestone: str) -> MilestoneClock | None:
        """The SLA clock for *milestone*, or ``None`` if it never started."""
        for clock in self.clocks:
            if clock.milestone == milestone:
                return clock
        return None

    @property
    def next_sla_at(self) -> datetime | None:
        """The earliest pending warning or breach instant over the running clocks."""
        pending = [t for c in self.clocks if (t := c.next_check_at) is not None]
        return min(pending) if pending else None

    @property
    def breached(self) -> bool:
        """True if any SLA clock has breached."""
        return any(c.breached_at is not None for c in self.clocks)


_COMPLAINT_FIELDS = tuple(a.name for a in attrs.fields(Complaint))
_COMPLAINT_FIELD_SET = frozenset(_COMPLAINT_FIELDS)


def _make_unchecked_replace() -> Any:
    # Straight-line code, generated from the fields (as attrs generates ``__init__``), copies a
    # complaint about a third faster than a loop over the field names.
    lines = [
        "def unchecked_replace(complaint, changes):",
        "    new = _new(Complaint)",
        *(f"    _set(new, {name!r}, complaint.{name})" for name in _COMPLAINT_FIELDS),
        "    for name, value in changes.items():",
        "        if name in _fields:  # other keys are ignored",
        "            _set(new, name, value)",
        "    return new",
    ]
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_set": object.__setattr__,
        "Complaint": Complaint,
        "_fields": _COMPLAINT_FIELD_SET,
    }
    exec(compile("\n".join(lines), "<iso10002.model unchecked_replace>", "exec"), namespace)  # noqa: S102
    return namespace["unchecked_replace"]


_unchecked_replace = _make_unchecked_replace()


def unchecked_replace(complaint: Complaint, changes: Mapping[str, Any]) -> Complaint:
    """Copy *complaint* with *changes*, unvalidated: the changes come from validated events."""
    result: Complaint = _unchecked_replace(complaint, changes)
    return result
