"""Hypothesis strategies for complainants, complaints and their event histories.

Every value drawn is valid by construction: histories start with ``ComplaintReceived``, number
their events 1, 2, 3, … without gaps, move forward in time, follow the default ISO 10002 process
(received → acknowledged → assessed → investigating → responded → closed, with pauses, reviews,
escalations, withdrawal and reopening) and fold with :func:`iso10002.events.replay`. SLA
clocks follow the service's rules: a clock stopped or paused after its due instant has its breach
recorded first, at the due instant, and a withdrawal stops the clocks as cancelled.

The strategies are registered for :func:`hypothesis.strategies.from_type` through the
``hypothesis`` entry point, so ``st.from_type(Complaint)`` works once the package is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.model import (
    Assessment,
    Attachment,
    Breadth,
    Channel,
    Classification,
    Complainant,
    Complaint,
    ComplaintDetails,
    Complexity,
    ContactMethod,
    EscalationKind,
    MilestoneStatus,
    Outcome,
    Overlay,
    Priority,
    Safety,
)

__all__ = ["complainants", "complaints", "event_histories"]

_ID = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,23}", fullmatch=True)
_ACTOR = st.sampled_from(["alice", "bob", "carol", "dan", "erin", "system"])
_CODE = st.sampled_from(
    ["billing", "billing.overcharge", "delivery.late", "staff.conduct", "product.quality", "x"]
)
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LAST = datetime(2090, 1, 1, tzinfo=timezone.utc)


def _text(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=max_size).filter(lambda s: bool(s.strip()))


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _check_size(name: str, value: object, *, low: int) -> int:
    if not v.is_int(value):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if value < low:
        raise InvalidArgument(f"{name}={value!r} must be at least {low}")
    return value


_NAMES = st.from_regex(r"[A-Z][a-z]{3,11} [A-Z][a-zà-ÿ]{3,11}", fullmatch=True)


def complainants(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Complainant]:
    """Complainants with a name and at least one contact route; *ids* draws their ids."""
    if ids is not None and not isinstance(ids, st.SearchStrategy):
        raise InvalidArgument(f"ids={ids!r} must be a strategy")
    return st.builds(
        Complainant,
        id=ids if ids is not None else _ID,
        name=_NAMES,
        email=st.from_regex(r"[a-z]{3,10}\.[a-z]{3,10}@example\.(org|com)", fullmatch=True),
        phone=_optional(st.from_regex(r"\+44 7[0-9]{3} [0-9]{6}", fullmatch=True)),
        postal_address=_optional(st.just("10 High Street, Exampletown")),
        organization=_optional(_text(40)),
        preferred_contact=_optional(st.sampled_from(ContactMethod)),
        language=_optional(st.sampled_from(["en", "en-GB", "fr", "de", "ar"])),
        accessibility_needs=_optional(_text()),
        representative=_optional(_NAMES),
        vulnerable=st.booleans(),
        consent_to_contact=st.booleans(),
    )


def _assessments() -> st.SearchStrategy[Assessment]:
    return st.builds(
        Assessment,
        impact=st.integers(1, 4),
        breadth=st.sampled_from(Breadth),
        safety=st.sampled_from(Safety),
        complexity=st.sampled_from(Complexity),
        priority=st.sampled_from(Priority),
        immediate_action_needed=st.booleans(),
        immediate_action_possible=st.booleans(),
        overlays=st.frozensets(st.sampled_from(Overlay), max_size=3),
        sla_policy_key=_optional(_CODE),
        rationale=_optional(_text()),
    )


def _details(received_at: datetime, complainant_id: str) -> st.SearchStrategy[ComplaintDetails]:
    return st.builds(
        ComplaintDetails,
        received_at=st.just(received_at),
        channel=st.sampled_from(Channel),
        complainant_id=st.just(complainant_id),
        subject=_text(80),
        description=_text(400),
        desired_remedy=_optional(_text()),
        product=_optional(_CODE),
        occurred_at=_optional(
            st.datetimes(
                min_value=datetime(1990, 1, 1),
                max_value=datetime(2000, 1, 1),
                timezones=st.just(timezone.utc),
            )
        ),
        received_by=_optional(_ACTOR),
        segment=_optional(st.sampled_from(["retail", "business", "vip"])),
        complained_about=st.frozensets(_ACTOR, max_size=2),
        attachments=st.lists(
            st.builds(
                Attachment,
                uri=st.from_regex(r"s3://bucket/[a-z0-9]{4,12}\.pdf", fullmatch=True),
                media_type=_optional(st.just("application/pdf")),
                sha256=_optional(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
            ),
            max_size=2,
        ).map(tuple),
    )


def _classifications() -> st.SearchStrategy[Classification]:
    return st.builds(
        Classification,
        category=_optional(_CODE),
        tags=st.frozensets(_CODE, max_size=3),
    )


Step = Callable[[st.DrawFn, Complaint, dict[str, Any]], list[ev.Event]]


class _History:
    """Builds one history event by event, applying each so the result is always consistent."""

    def __init__(self, draw: st.DrawFn, first: ev.ComplaintReceived) -> None:
        self.draw = draw
        self.events: list[ev.Event] = [first]
        self.complaint = ev.apply(None, first)
        self.now = first.occurred_at

    def emit(self, cls: type[ev.Event], **fields: Any) -> None:
        event = cls(
            complaint_id=self.complaint.id,
            sequence=self.complaint.version + 1,
            occurred_at=self.now,
            actor=fields.pop("actor", None) or self.draw(_ACTOR),
            **fields,
        )
        self.complaint = ev.apply(self.complaint, event)
        self.events.append(event)

    def move(self, transition: str, to_state: str, actor: str | None = None) -> None:
        self.emit(
            ev.StateChanged,
            transition=transition,
            from_state=self.complaint.state,
            to_state=to_state,
            actor=actor,
        )

    def advance(self) -> None:
        seconds = self.draw(st.integers(0, 10 * 86_400))
        self.now = min(self.now + timedelta(seconds=seconds), _LAST)

    def start_clock(self, milestone: str, days: int) -> None:
        due = self.now + timedelta(days=days)
        warnings = ((0.5, self.now + (due - self.now) / 2),)
        self.emit(ev.SlaClockStarted, milestone=milestone, due_at=due, warnings=warnings)

    def notice_breach(self, milestone: str) -> None:
        """Record the breach of a clock past its due instant, as the service does before the
        clock stops or pauses."""
        clock = self.complaint.clock(milestone)
        if (
            clock is not None
            and clock.breached_at is None
            and clock.status(self.now) is MilestoneStatus.OVERDUE
        ):
            self.emit(ev.SlaBreached, milestone=milestone, due_at=clock.due_at, actor="system")

    def stop_clock(self, milestone: str, *, cancelled: bool = False) -> None:
        clock = self.complaint.clock(milestone)
        if clock is not None and clock.stopped_at is None:
            self.notice_breach(milestone)
            self.emit(ev.SlaClockStopped, milestone=milestone, cancelled=cancelled, actor="system")


def _choices(h: _History) -> tuple[list[Callable[[], None]], list[Callable[[], None]]]:  # noqa: C901 - one branch per workflow step the strategy can draw
    """The side actions and the process steps possible now."""
    c = h.complaint
    draw = h.draw
    options: list[Callable[[], None]] = []
    terminal = c.state in {"closed", "withdrawn", "out_of_scope"}

    def note() -> None:
        h.emit(ev.NoteAdded, text=draw(_text()), internal=draw(st.booleans()))

    def assign() -> None:
        h.emit(ev.ComplaintAssigned, assignee=draw(_optional(_ACTOR)), team=draw(_optional(_CODE)))

    def classify() -> None:
        h.emit(ev.ComplaintClassified, classification=draw(_classifications()))

    options += [note, assign, classify]
    side = options
    options = []
    if not c.personal_data_erased and draw(st.integers(0, 9)) == 0:
        options.append(lambda: h.emit(ev.PersonalDataErased))
    for clock in c.clocks:
        if clock.running:
            for threshold, at in clock.warnings:
                if threshold not in clock.warnings_reached and at <= h.now:
                    options.append(
                        partial(
                            h.emit,
                            ev.SlaWarningReached,
                            milestone=clock.milestone,
                            threshold=threshold,
                            actor="system",
                        )
                    )
            if clock.breached_at is None and clock.due_at is not None and clock.due_at < h.now:
                options.append(partial(h.notice_breach, clock.milestone))
    if not terminal and draw(st.integers(0, 9)) == 0:

        def withdraw() -> None:
            h.emit(ev.ComplaintWithdrawn, reason=draw(_optional(_text(40))))
            h.move("withdraw", "withdrawn")
            for clock in h.complaint.clocks:
                h.stop_clock(clock.milestone, cancelled=True)

        options.append(withdraw)

    stop_clock = h.stop_clock

    if c.state == "received":

        def acknowledge() -> None:
            h.emit(ev.ComplaintAcknowledged, method=draw(_optional(st.sampled_from(ContactMethod))))
            h.move("acknowledge", "acknowledged")
            stop_clock("acknowledgement")

        options.append(acknowledge)
    elif c.state == "acknowledged":

        def assess() -> None:
            h.emit(ev.ComplaintAssessed, assessment=draw(_assessments()))
            h.move("assess", "assessed")

        options.append(assess)
    elif c.state == "assessed":
        options.append(lambda: h.move("start_investigation", "investigating"))
    elif c.state in {"investigating", "internal_review"}:

        def findings() -> None:
            h.emit(
                ev.FindingsRecorded,
                summary=draw(_text()),
                root_causes=draw(st.frozensets(_CODE, max_size=2)),
                corrective_actions=tuple(draw(st.lists(_text(30), max_size=2))),
            )

        def decide() -> None:
            h.emit(
                ev.DecisionMade,
                outcome=draw(st.sampled_from(Outcome)),
                reasons=draw(_text()),
                remedies=tuple(draw(st.lists(_CODE, max_size=2))),
            )

        def revise() -> None:
            h.emit(ev.AssessmentRevised, assessment=draw(_assessments()), reason=draw(_text(40)))

        options += [findings, decide, revise]
        if c.state == "investigating":

            def pause() -> None:
                h.move("request_information", "awaiting_complainant")
                clock = h.complaint.clock("final_response")
                if clock is not None and clock.running:
                    h.notice_breach("final_response")
                    h.emit(ev.SlaClockPaused, milestone="final_response", actor="system")

            options.append(pause)
        decision = c.decision
        if decision is not None and decision.communicated_at is None:

            def communicate() -> None:
                h.emit(
                    ev.DecisionCommunicated,
                    method=draw(_optional(st.sampled_from(ContactMethod))),
                    external_options_given=draw(st.booleans()),
                )
                h.move("communicate_decision", "responded")
                stop_clock("final_response")

            options.append(communicate)
    elif c.state == "awaiting_complainant":

        def resume() -> None:
            h.move("information_received", "investigating")
            clock = h.complaint.clock("final_response")
            if clock is not None and clock.paused_since is not None:
                # A breached clock keeps its due instant; otherwise the pause moves it on.
                shift = (
                    timedelta(0) if clock.breached_at is not None else h.now - clock.paused_since
                )
                h.emit(
                    ev.SlaClockResumed,
                    milestone="final_response",
                    due_at=None if clock.due_at is None else clock.due_at + shift,
                    warnings=tuple((t, at + shift) for t, at in clock.warnings),
                    actor="system",
                )

        options.append(resume)
    elif c.state == "responded":
        options.append(lambda: h.emit(ev.ComplainantReplied, accepted=draw(st.booleans())))
        decision = c.decision
        if decision is not None and (
            (c.reply is not None and c.reply.accepted) or decision.external_options_given
        ):

            def close() -> None:
                h.emit(ev.ComplaintClosed, reason=draw(_optional(_CODE)))
                h.move("close", "closed")

            options.append(close)

        def escalate() -> None:
            h.emit(ev.ComplaintEscalated, kind=EscalationKind.INTERNAL_REVIEW, reason=draw(_text()))
            h.move("escalate_internal", "internal_review")

        options.append(escalate)
    elif c.state == "closed":
        if c.satisfaction is None:
            options.append(
                lambda: h.emit(
                    ev.SatisfactionRecorded,
                    score=draw(st.integers(1, 5)),
                    comment=draw(_optional(_text())),
                )
            )

        def reopen() -> None:
            h.emit(ev.ComplaintReopened, reason=draw(_optional(_text(40))))
            h.move("reopen", "investigating")

        def external() -> None:
            h.emit(
                ev.ComplaintEscalated,
                kind=EscalationKind.EXTERNAL_DISPUTE,
                provider=draw(_optional(st.sampled_from(["Ombudsman", "ADR Ltd"]))),
            )
            h.move("escalate_external", "external_dispute")

        options += [reopen, external]
    elif c.state == "external_dispute":
        options.append(lambda: h.move("close", "closed"))
    return side, options


@st.composite
def _histories(
    draw: st.DrawFn, min_events: int, max_events: int, complainant_ids: st.SearchStrategy[str]
) -> list[ev.Event]:
    received_at = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2080, 1, 1),
            timezones=st.just(timezone.utc),
        )
    )
    complaint_id = draw(_ID)
    first = ev.ComplaintReceived(
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=received_at,
        actor=draw(_ACTOR),
        reference=f"CMP-{received_at.year}-{draw(st.integers(1, 999_999)):06d}",
        state="received",
        details=draw(_details(received_at, draw(complainant_ids))),
        classification=draw(_classifications()),
    )
    h = _History(draw, first)
    h.start_clock("acknowledgement", days=draw(st.integers(1, 5)))
    h.start_clock("final_response", days=draw(st.integers(10, 60)))
    target = draw(st.integers(min_events, max_events))
    while len(h.events) < target:
        h.advance()
        side, steps = _choices(h)
        pick = steps if steps and draw(st.integers(0, 3)) > 0 else side
        draw(st.sampled_from(pick))()
    return h.events


def event_histories(
    *,
    min_events: int = 3,
    max_events: int = 25,
    complainant_ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[list[ev.Event]]:
    """Lists of events that form one complaint's valid history.

    A history always holds the receipt and the start of the acknowledgement and final-response
    SLA clocks, so *min_events* must be at least 3. A step may emit two or three events (a domain
    event, its ``StateChanged`` and clock events), so a history can exceed *max_events* by two.
    """
    low = _check_size("min_events", min_events, low=3)
    high = _check_size("max_events", max_events, low=low)
    if complainant_ids is not None and not isinstance(complainant_ids, st.SearchStrategy):
        raise InvalidArgument(f"complainant_ids={complainant_ids!r} must be a strategy")
    return _histories(low, high, complainant_ids if complainant_ids is not None else _ID)


def complaints(
    *,
    max_events: int = 25,
    complainant_ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Complaint]:
    """Complaints at any stage of the process: the fold of a drawn :func:`event_histories`."""
    high = _check_size("max_events", max_events, low=3)
    return event_histories(min_events=3, max_events=high, complainant_ids=complainant_ids).map(
        ev.replay
    )
