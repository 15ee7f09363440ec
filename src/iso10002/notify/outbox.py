"""The outbox: notifications derived from the stored event log, delivered at least once.

:class:`OutboxDispatcher` works in two idempotent steps, so a crash anywhere loses nothing:

1. :meth:`~OutboxDispatcher.collect` reads the global event log from its stored position,
   derives notifications with the :class:`NotificationRule` list, enqueues each under its
   idempotency key (a second enqueue of a key is a no-op), then stores the new position.
2. :meth:`~OutboxDispatcher.deliver` claims due deliveries under a lease (on PostgreSQL with
   ``FOR UPDATE SKIP LOCKED``, so several dispatchers never hold the same one), renders and sends
   them, and marks each delivered, or failed with an exponential backoff with jitter, or dead
   after ``max_attempts`` attempts or a non-retryable error.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import attrs

from iso10002 import events as ev
from iso10002.clock import Clock, SystemClock
from iso10002.errors import ConfigurationError, DeliveryError, Iso10002Error, NotFoundError
from iso10002.model import Complainant, Complaint
from iso10002.notify.channels import Notifier
from iso10002.notify.message import DEFAULT_TEMPLATES, Message, Notification, TemplateSet
from iso10002.ports import Storage
from iso10002.sla import describe_deadline

__all__ = [
    "DEFAULT_RULES",
    "DispatchReport",
    "NotificationRule",
    "OutboxDispatcher",
    "Recipients",
    "derive",
]

logger = logging.getLogger("iso10002.notify")


@attrs.frozen(kw_only=True)
class NotificationRule:
    """Send *template* to *recipient* when an event of type *event* is stored.

    For SLA events, *milestone* restricts the rule to one clock and *min_threshold* to warnings
    at or above a fraction of the target.
    """

    event: str = attrs.field()
    template: str
    recipient: str
    milestone: str | None = None
    min_threshold: float | None = None

    @event.validator
    def _known(self, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in ev.EVENT_TYPES:
            raise ConfigurationError(
                [("event", f"unknown event type; accepted: {', '.join(sorted(ev.EVENT_TYPES))}")]
            )

    def matches(self, event: ev.Event) -> bool:
        """Whether this rule applies to *event*."""
        if type(event).__name__ != self.event:
            return False
        milestone = getattr(event, "milestone", None)
        if self.milestone is not None and milestone != self.milestone:
            return False
        threshold = getattr(event, "threshold", None)
        return self.min_threshold is None or (
            threshold is not None and threshold >= self.min_threshold
        )


DEFAULT_RULES: tuple[NotificationRule, ...] = (
    NotificationRule(
        event="ComplaintAcknowledged", template="acknowledgement", recipient="complainant"
    ),
    NotificationRule(event="DecisionCommunicated", template="decision", recipient="complainant"),
    NotificationRule(
        event="SlaWarningReached",
        template="holding_response",
        recipient="complainant",
        milestone="final_response",
        min_threshold=0.9,
    ),
    NotificationRule(event="SlaWarningReached", template="sla_warning", recipient="handler"),
    NotificationRule(event="SlaBreached", template="sla_breach", recipient="manager"),
    NotificationRule(event="ComplaintEscalated", template="escalation", recipient="manager"),
)
"""Acknowledgement, decision and holding response to the complainant; SLA warnings to the
handler; breaches and escalations to a manager."""


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _when(at: datetime | None, zone: tzinfo) -> str | None:
    return None if at is None else at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z").strip()


def _day(at: datetime | None, zone: tzinfo) -> str | None:
    return None if at is None else describe_deadline(at, zone)


def _context(event: ev.Event, complaint: Complaint, zone: tzinfo) -> dict[str, Any]:
    final = complaint.clock("final_response")
    context: dict[str, Any] = {
        "reference": complaint.reference,
        "state": complaint.state,
        "actor": event.actor,
        "occurred_at": _when(event.occurred_at, zone),
        "final_response_due": _day(final.due_at if final else None, zone),
    }
    milestone = getattr(event, "milestone", None)
    if isinstance(milestone, str):
        clock = complaint.clock(milestone)
        context["milestone"] = milestone.replace("_", " ")
        context["due_at"] = _when(clock.due_at if clock else None, zone)
    threshold = getattr(event, "threshold", None)
    if isinstance(threshold, float):
        context["percent"] = round(threshold * 100)
    if isinstance(event, ev.DecisionCommunicated) and complaint.decision is not None:
        context["outcome"] = complaint.decision.outcome.value.replace("_", " ")
        context["remedies"] = list(complaint.decision.remedies) or ["none"]
        context["external_options_given"] = event.external_options_given
    if isinstance(event, ev.ComplaintEscalated):
        context["kind"] = event.kind.value.replace("_", " ")
    return context


def _superseded(event: ev.Event, later: Sequence[ev.Event]) -> bool:
    """Whether a sweep that recorded the SLA warning *event* also recorded, right after it, a
    higher warning or the breach of the same clock: a catching-up sweep tells only the latest."""
    if not isinstance(event, ev.SlaWarningReached):
        return False
    for other in later:
        if other.occurred_at != event.occurred_at or other.actor != event.actor:
            return False  # the sweep's own events come together, at one instant
        if getattr(other, "milestone", None) == event.milestone and (
            isinstance(other, ev.SlaBreached)
            or (isinstance(other, ev.SlaWarningReached) and other.threshold > event.threshold)
        ):
            return True
    return False


def _untimely(event: ev.Event, complaint: Complaint, recipient: str) -> bool:
    """Whether telling the complainant about a deadline now would mislead: before the
    complaint was acknowledged, or promising a final response by an instant already past."""
    if recipient != "complainant" or not isinstance(event, ev.SlaWarningReached):
        return False
    if complaint.acknowledged_at is None:
        return True
    final = complaint.clock("final_response")
    return final is None or final.due_at is None or final.due_at <= event.occurred_at


def derive(
    event: ev.Event,
    complaint: Complaint,
    rules: Sequence[NotificationRule] = DEFAULT_RULES,
    *,
    zone: tzinfo = timezone.utc,
    later: Sequence[ev.Event] = (),
) -> list[Notification]:
    """The notifications *rules* derive from *event* (*complaint* as it stood after it, *later*
    the complaint's events after it); keys are stable across runs and sort in event order.

    A warning the same sweep followed with a higher warning or the breach of the same clock
    derives nothing, and no SLA warning tells the complainant of a deadline before the
    acknowledgement or once the final response is due.
    """
    if _superseded(event, later):
        return []
    found = []
    for rule in rules:
        if rule.matches(event) and not _untimely(event, complaint, rule.recipient):
            # The sequence is zero-padded so that keys sort, and are claimed, in event order.
            key = f"{event.complaint_id}/{event.sequence:09d}/{rule.template}/{rule.recipient}"
            found.append(
                Notification(
                    key=key,
                    template=rule.template,
                    recipient=rule.recipient,
                    complaint_id=event.complaint_id,
                    context=_context(event, complaint, zone),
                )
            )
    return found


def _imported(history: Sequence[ev.Event], event: ev.Event) -> bool:
    """Whether an import marker in *history* covers *event* (markers follow what they cover)."""
    return any(
        isinstance(marker, ev.ComplaintImported) and marker.covers(event)
        for marker in history[event.sequence :]
    )


Recipients = Callable[[str, Complaint, Complainant | None], str | None]
"""Resolves a recipient role to an address: ``(role, complaint, complainant) -> address``."""


def _default_recipients(addresses: Mapping[str, str]) -> Recipients:
    def resolve(role: str, complaint: Complaint, complainant: Complainant | None) -> str | None:
        if role == "complainant":
            return complainant.email if complainant is not None else None
        if role == "handler" and complaint.assignee is not None:
            return addresses.get(f"handler:{complaint.assignee}", addresses.get("handler"))
        return addresses.get(role)

    return resolve


@attrs.frozen
class DispatchReport:
    """What one :meth:`OutboxDispatcher.run_once` did."""

    collected: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0


class OutboxDispatcher:
    """Derives notifications from the event log and delivers them through *notifier*.

    A message whose recipient has no address (no address configured for a staff role, or a
    complainant without an e-mail) is dead-lettered with that reason, not sent, unless
    *require_address* is false (for channels that find the recipient themselves).
    """

    def __init__(
        self,
        storage: Storage,
        notifier: Notifier,
        *,
        templates: TemplateSet = DEFAULT_TEMPLATES,
        rules: Iterable[NotificationRule] = DEFAULT_RULES,
        addresses: Mapping[str, str] | None = None,
        recipients: Recipients | None = None,
        clock: Clock | None = None,
        name: str = "notifications",
        worker: str | None = None,
        max_attempts: int = 5,
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(hours=1),
        lease: timedelta = timedelta(minutes=5),
        batch: int = 100,
        zone: tzinfo = timezone.utc,
        rng: random.Random | None = None,
        require_address: bool = True,
    ) -> None:
        problems = []
        if max_attempts < 1:
            problems.append(("max_attempts", "must be at least 1"))
        if batch < 1:
            problems.append(("batch", "must be at least 1"))
        if base_delay <= timedelta(0) or max_delay < base_delay:
            problems.append(("base_delay", "need 0 < base_delay <= max_delay"))
        if lease <= timedelta(0):
            problems.append(("lease", "must be positive"))
        if problems:
            raise ConfigurationError(problems, what="OutboxDispatcher")
        self.storage = storage
        self.notifier = notifier
        self.templates = templates
        self.rules = tuple(rules)
        self.recipients = recipients or _default_recipients(addresses or {})
        self.clock = clock or SystemClock()
        self.name = name
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.max_attempts = max_attempts
        self.base_delay, self.max_delay, self.lease = base_delay, max_delay, lease
        self.batch = batch
        self.zone = zone
        self.rng = rng or random.Random()
        self.require_address = require_address

    def collect(self) -> int:
        """Enqueue the notifications of every event stored since the last run; return how many."""
        log = self.storage.deliveries
        position = log.position(self.name)
        enqueued = 0
        while True:
            stored = self.storage.events_since(position, self.batch)
            if not stored:
                return enqueued
            histories: dict[str, list[ev.Event]] = {}
            for item in stored:
                event = item.event
                if not any(rule.matches(event) for rule in self.rules):
                    continue
                history = histories.get(event.complaint_id)
                if history is None:
                    history = histories[event.complaint_id] = self.storage.events(
                        event.complaint_id
                    )
                if _imported(history, event):
                    continue
                # The complaint as it was when the event happened.
                complaint = ev.replay(history[: event.sequence])
                later = history[event.sequence :]
                for notification in derive(
                    event, complaint, self.rules, zone=self.zone, later=later
                ):
                    if log.enqueue(
                        notification.key, notification.to_payload(), available_at=event.occurred_at
                    ):
                        enqueued += 1
            position = stored[-1].position
            log.set_position(self.name, position)

    def _render(self, notification: Notification) -> Message:
        complaint = self.storage.get(notification.complaint_id)
        complainant = self.storage.get_complainant(complaint.complainant_id)
        language = complainant.language if complainant is not None else None
        template, used = self.templates.get(notification.template, language)
        subject, body = template.render(notification.context)
        return Message(
            key=notification.key,
            template=notification.template,
            recipient=notification.recipient,
            complaint_id=notification.complaint_id,
            address=self.recipients(notification.recipient, complaint, complainant),
            subject=subject,
            body=body,
            language=used,
            context=notification.context,
        )

    def backoff(self, attempts: int) -> timedelta:
        """The delay before retry number *attempts*: exponential, capped, with jitter."""
        ceiling: timedelta = min(self.max_delay, self.base_delay * (2 ** min(attempts - 1, 30)))
        return ceiling * self.rng.uniform(0.5, 1.0)

    def deliver(self) -> DispatchReport:
        """Claim due deliveries and send them; return what happened.

        Any :class:`Exception` from rendering or from the channel fails that delivery alone.
        A library error is recorded with its message (which holds no personal data); any other
        is recorded by its type only, since its message may hold personal data, and is retried.
        """
        log = self.storage.deliveries
        now = self.clock.now()
        delivered = retried = dead = 0
        for delivery in log.claim(worker=self.worker, now=now, limit=self.batch, lease=self.lease):
            stage = "rendering"
            try:
                message = self._render(Notification.from_payload(delivery.key, delivery.payload))
                if message.address is None and self.require_address:
                    raise DeliveryError(
                        f"no address for the recipient role {message.recipient!r}",
                        retryable=False,
                    )
                stage = "channel"
                self.notifier.send(message)
            except (DeliveryError, NotFoundError) as exc:
                retryable = isinstance(exc, DeliveryError) and exc.retryable
                error = str(exc)
            except Iso10002Error as exc:
                retryable, error = False, str(exc)
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the outbox
                retryable, error = True, f"{stage} raised {_type_name(exc)} (message not recorded)"
                logger.warning("delivery %s failed: %s", delivery.key, error)
            else:
                log.mark_delivered(delivery.key, worker=self.worker, at=self.clock.now())
                delivered += 1
                continue
            give_up = not retryable or delivery.attempts >= self.max_attempts
            log.mark_failed(
                delivery.key,
                worker=self.worker,
                error=error[:500],
                retry_at=now + self.backoff(delivery.attempts),
                dead=give_up,
            )
            dead += give_up
            retried += not give_up
        return DispatchReport(delivered=delivered, retried=retried, dead=dead)

    def run_once(self) -> DispatchReport:
        """:meth:`collect`, then :meth:`deliver`."""
        collected = self.collect()
        report = self.deliver()
        return attrs.evolve(report, collected=collected)
