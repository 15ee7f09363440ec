"""The complaint aggregate and the values it is made of.

Fields follow the complainant form (annex C of ISO 10002:2018) and the complaint follow-up form
(annex E). All values are frozen, slotted attrs classes; every field is validated and every datetime
must be timezone-aware (it is stored in UTC). Personal data lives only in :class:`Complainant`,
which the :class:`Complaint` refers to by id, so it can be erased without touching the event log.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from . import _validate as v

__all__ = [
    "ERASED",
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
    "MilestoneStatus",
    "Note",
    "Outcome",
    "Overlay",
    "Priority",
    "Reply",
    "Safety",
    "Satisfaction",
    "redacted",
]

ERASED = "[erased]"
"""What erasure (4.10) leaves in place of free text that may hold personal data."""

# Size limits for text fields (characters).
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
    name: str = attrs.field(validator=v.text(v.SHORT))
    email: str | None = attrs.field(default=None, validator=v.optional_text(320))
    phone: str | None = attrs.field(default=None, validator=v.optional_text(50))
    postal_address: str | None = attrs.field(default=None, validator=v.optional_text(1000))
    organization: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
    preferred_contact: ContactMethod | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(v.enum_(ContactMethod)),
    )
    language: str | None = attrs.field(default=None, validator=v.optional_text(35))
    accessibility_needs: str | None = attrs.field(default=None, validator=v.optional_text(2000))
    representative: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty-printers (IPython, hypothesis' falsifying examples) show the redacted repr too.
        printer.text(repr(self))


@attrs.frozen
class Attachment:
    """A reference to a document held elsewhere (never the content itself)."""

    uri: str = attrs.field(validator=v.text(2000), repr=False)
    media_type: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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
    product: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
    occurred_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    received_by: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
    segment: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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

    def redacted(self) -> ComplaintDetails:
        """A copy with the subject, description, desired remedy and attachment references
        (URI and digest) replaced by :data:`ERASED`; dates, channel and codes are kept."""
        return attrs.evolve(
            self,
            subject=ERASED,
            description=ERASED,
            desired_remedy=None if self.desired_remedy is None else ERASED,
            attachments=tuple(attrs.evolve(a, uri=ERASED, sha256=None) for a in self.attachments),
        )


@attrs.frozen
class Classification:
    """Taxonomy codes for the complaint (8.2): a category code and free tags."""

    category: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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
    sla_policy_key: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
    rationale: str | None = attrs.field(default=None, validator=v.optional_text(_LONG), repr=False)

    def redacted(self) -> Assessment:
        """A copy with the rationale replaced by :data:`ERASED`; the factors are kept."""
        return self if self.rationale is None else attrs.evolve(self, rationale=ERASED)

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
    communicated_by: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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
    provider: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))


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
    reason: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT))
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


def _utc_pairs(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(
            tuple(v.to_utc(x) for x in item) if isinstance(item, (list, tuple)) else item
            for item in value
        )
    return value


class MilestoneStatus(str, enum.Enum):
    """Where one SLA clock stands (:meth:`MilestoneClock.status`)."""

    RUNNING = "running"
    """Started, not paused, not stopped, not past its due instant."""
    PAUSED = "paused"
    """Paused (e.g. awaiting the complainant) before its due instant."""
    MET = "met"
    """Stopped at or before its due instant."""
    MET_LATE = "met_late"
    """Stopped after having run past its due instant (breached at the due instant)."""
    OVERDUE = "overdue"
    """Not stopped, and past its due instant: breached, whether or not that is recorded yet."""
    CANCELLED = "cancelled"
    """Stopped because the complaint was withdrawn or closed as out of scope: the milestone was
    never reached. A breach recorded before that stands (``breached_at``)."""


@attrs.frozen
class MilestoneClock:
    """The recorded facts of one SLA clock (acknowledgement, final response, …).

    ``due_at`` and the warning instants are stamped when the clock starts or resumes; while the
    clock is paused they are stale and the sweeper ignores the clock.

    A clock is breached when it ran after its due instant: it stopped late, it was paused late,
    or it is still running past it. ``breached_at`` is then the due instant, however the breach
    was found; ``breach_noticed_at`` is when it was recorded (by the sweeper, or by the command
    that stopped or paused the clock; ``None`` for breaches stored before it was kept).
    ``cancelled`` marks a clock stopped because the complaint was withdrawn or closed as out of
    scope.
    """

    milestone: str = attrs.field(validator=v.text(v.SHORT))
    started_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware)
    due_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    warnings: tuple[tuple[float, datetime], ...] = attrs.field(
        default=(), converter=v.utc_warnings, validator=v.warnings
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
    breach_noticed_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    cancelled: bool = attrs.field(default=False, validator=v.bool_)

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
        """``True`` if stopped on time, ``False`` if breached or stopped late, ``None`` while
        undecided or when cancelled without a breach."""
        if self.breached_at is not None:
            return False
        if self.stopped_at is None:
            return None
        if self._ran_past_due(self.stopped_at):
            return False
        return None if self.cancelled else True

    def _ran_past_due(self, at: datetime) -> bool:
        """Whether the clock ran at some instant after ``due_at``; a clock neither paused nor
        stopped counts as running until *at*."""
        due = self.due_at
        if due is None:
            return False
        resumed = self.started_at
        for paused, end in self.pauses:
            if paused > max(resumed, due):
                return True
            resumed = end
        if self.paused_since is not None:
            last = self.paused_since
        elif self.stopped_at is not None:
            last = self.stopped_at
        else:
            last = at
        return last > max(resumed, due)

    def status(self, at: datetime) -> MilestoneStatus:
        """Where the clock stands at *at*, the present: from the recorded facts, *at* deciding
        only whether a clock that has not stopped is past its due instant."""
        if not isinstance(at, datetime) or at.utcoffset() is None:
            from .errors import ValidationError

            raise ValidationError([("at", "expected an aware datetime")], what="MilestoneClock")
        late = self.breached_at is not None or self._ran_past_due(at)
        if self.stopped_at is not None:
            if self.cancelled:
                return MilestoneStatus.CANCELLED
            return MilestoneStatus.MET_LATE if late else MilestoneStatus.MET
        if late:
            return MilestoneStatus.OVERDUE
        return MilestoneStatus.RUNNING if self.paused_since is None else MilestoneStatus.PAUSED


@attrs.frozen
class Complaint:
    """The complaint aggregate: everything known about one complaint, at one version.

    A complaint is the fold of its events (:func:`iso10002.events.replay`); ``version`` is the
    sequence number of the last event applied. ``repr`` shows only ids, state and version.
    """

    id: str = attrs.field(validator=v.identifier)
    reference: str = attrs.field(validator=v.identifier)
    state: str = attrs.field(validator=v.text(v.SHORT))
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
    assignee: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT), repr=False)
    team: str | None = attrs.field(default=None, validator=v.optional_text(v.SHORT), repr=False)
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

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty-printers (IPython, hypothesis' falsifying examples) show every field that
        # differs from its default; the complainant's personal data is not in the complaint.
        if cycle:  # pragma: no cover - a complaint holds no reference to itself
            printer.text("Complaint(...)")
            return
        with printer.group(1, "Complaint(", ")"):
            for i, (name, value) in enumerate(_shown_fields(self)):
                if i:
                    printer.text(",")
                    printer.breakable()
                printer.text(f"{name}=")
                printer.pretty(value)

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
        """True if any SLA clock has a recorded breach (``breached_at``); a running clock past
        its due instant counts once the sweeper has recorded it."""
        return any(c.breached_at is not None for c in self.clocks)


def _shown_fields(complaint: Complaint) -> list[tuple[str, Any]]:
    shown = []
    for field in attrs.fields(Complaint):
        value = getattr(complaint, field.name)
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is attrs.NOTHING or value != default:
            shown.append((field.name, value))
    return shown


def _erased(text: str | None) -> str | None:
    return None if text is None else ERASED


def redacted(complaint: Complaint) -> Complaint:
    """*complaint* with every free text that may hold personal data replaced by :data:`ERASED`.

    Replaced: subject, description, desired remedy, attachment references, the assessment's
    rationale, notes, findings' summaries, decisions' reasons, the reply's, escalations',
    satisfaction's and closure's comments or reasons. Kept, so statistics stay the same: ids,
    state, version, dates, channel, product, segment, codes, outcomes, remedies, clocks, scores
    and who (staff) did what. Texts that are ``None`` stay ``None``.
    """
    return attrs.evolve(
        complaint,
        details=complaint.details.redacted(),
        assessment=None if complaint.assessment is None else complaint.assessment.redacted(),
        notes=tuple(attrs.evolve(n, text=ERASED) for n in complaint.notes),
        findings=tuple(attrs.evolve(f, summary=ERASED) for f in complaint.findings),
        decisions=tuple(attrs.evolve(d, reasons=ERASED) for d in complaint.decisions),
        reply=None
        if complaint.reply is None
        else attrs.evolve(complaint.reply, comment=_erased(complaint.reply.comment)),
        escalations=tuple(attrs.evolve(e, reason=_erased(e.reason)) for e in complaint.escalations),
        satisfaction=None
        if complaint.satisfaction is None
        else attrs.evolve(complaint.satisfaction, comment=_erased(complaint.satisfaction.comment)),
        closure=None
        if complaint.closure is None
        else attrs.evolve(complaint.closure, reason=_erased(complaint.closure.reason)),
    )
