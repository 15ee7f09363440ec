"""Wiring: the dependencies every handler uses, built and checked once from typed options."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import timedelta, timezone, tzinfo
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002.clock import Clock, SystemClock
from iso10002.errors import ConfigurationError, Iso10002Error, describe
from iso10002.notify import (
    DEFAULT_RULES,
    DEFAULT_TEMPLATES,
    NotificationRule,
    Notifier,
    OutboxDispatcher,
    Recipients,
    TemplateSet,
)
from iso10002.ports import ComplaintRepository, Storage, port_problem
from iso10002.references import ReferenceGenerator, YearlyReferences
from iso10002.sla import SlaPlanner
from iso10002.taxonomy import SeverityMatrix, Taxonomy
from iso10002.workflow import WorkflowDefinition, iso10002_workflow

from .sweeper import EscalationPolicy
from .unit_of_work import RetryPolicy, UnitOfWork

__all__ = ["Dependencies", "DispatcherOptions", "bootstrap"]


def _refused(message: str) -> ConfigurationError:
    return ConfigurationError([("dispatcher_options", message)], what="ComplaintsHandling")


@attrs.frozen(kw_only=True)
class DispatcherOptions:
    """How the service's outbox dispatcher renders, routes and retries notifications (see
    :class:`~iso10002.notify.OutboxDispatcher`, whose arguments these are). ``zone`` defaults to
    the SLA calendar's."""

    templates: TemplateSet = DEFAULT_TEMPLATES
    rules: tuple[NotificationRule, ...] = attrs.field(default=DEFAULT_RULES, converter=tuple)
    addresses: Mapping[str, str] | None = None
    recipients: Recipients | None = None
    name: str = "notifications"
    worker: str | None = None
    max_attempts: int = attrs.field(default=5, validator=v.int_range(1))
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)
    batch: int = attrs.field(default=100, validator=v.int_range(1))
    zone: tzinfo | None = None
    rng: random.Random | None = None
    require_address: bool = True

    @classmethod
    def of(cls, value: DispatcherOptions | Mapping[str, Any] | None) -> DispatcherOptions:
        """*value* as options: options as they are, a mapping of their fields, or defaults;
        :class:`~iso10002.errors.ConfigurationError` at ``dispatcher_options`` otherwise."""
        if value is None:
            return cls()
        if isinstance(value, DispatcherOptions):
            return value
        if not isinstance(value, Mapping):
            raise _refused(f"expected DispatcherOptions or a mapping, got {describe(value)}")
        known = sorted(f.name for f in attrs.fields(cls))
        unknown = [k for k in value if k not in known]
        if unknown:
            shown = ", ".join(
                repr(k[:50]) if isinstance(k, str) else describe(k) for k in unknown[:20]
            )
            raise _refused(f"unknown option {shown}; accepted: {', '.join(known)}")
        try:
            return cls(**value)
        except Iso10002Error as exc:
            raise _refused(f"refused: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise _refused(f"refused ({type(exc).__name__})") from None

    def build(
        self, storage: Storage, notifier: Notifier, clock: Clock, zone: tzinfo
    ) -> OutboxDispatcher:
        """The dispatcher these options describe."""
        options = attrs.asdict(self, recurse=False)
        options["zone"] = self.zone or zone
        try:
            return OutboxDispatcher(storage, notifier, clock=clock, **options)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise _refused(f"refused by OutboxDispatcher ({type(exc).__name__})") from None


@attrs.frozen
class Dependencies:
    """What the handlers work with, wired by :func:`bootstrap`."""

    storage: Storage
    workflow: WorkflowDefinition
    sla: SlaPlanner | None
    categories: Taxonomy | None
    matrix: SeverityMatrix
    clock: Clock
    references: ReferenceGenerator
    retry: RetryPolicy
    escalation: EscalationPolicy
    dispatcher: OutboxDispatcher | None
    status_secret: bytes | None = attrs.field(default=None, repr=False)

    @property
    def work(self) -> UnitOfWork:
        """The unit of work over this storage and clock."""
        return UnitOfWork(self.storage, self.clock, self.retry)

    @property
    def zone(self) -> tzinfo:
        """The zone dates are shown in to people: the SLA planner's, else UTC."""
        zone = getattr(self.sla, "zone", None)
        return zone if isinstance(zone, tzinfo) else timezone.utc

    def category_known(self, code: str) -> bool:
        """Whether *code* is an active category (always, without a taxonomy)."""
        if self.categories is None:
            return True
        found = self.categories.get(code)
        return found is not None and found.active


_PORTS = (ComplaintRepository, SlaPlanner, Notifier, Clock, ReferenceGenerator)


def _problems(checks: Iterable[tuple[str, object, type, bool]]) -> list[tuple[str, str]]:
    problems = []
    for name, value, kind, optional in checks:
        if value is None and optional:
            continue
        if kind in _PORTS:
            # By their members, not isinstance: a delegating wrapper fits on every Python.
            problem = port_problem(value, kind)
        elif not isinstance(value, kind):
            problem = f"expected {kind.__name__}, got {describe(value)}"
        else:
            problem = None
        if problem is not None:
            problems.append((name, problem))
    return problems


def bootstrap(
    storage: Storage,
    *,
    workflow: WorkflowDefinition | None = None,
    sla: SlaPlanner | None = None,
    categories: Taxonomy | None = None,
    matrix: SeverityMatrix | None = None,
    notifier: Notifier | None = None,
    clock: Clock | None = None,
    references: ReferenceGenerator | None = None,
    retry: RetryPolicy | None = None,
    escalation: EscalationPolicy | None = None,
    dispatcher: DispatcherOptions | Mapping[str, Any] | None = None,
    status_secret: bytes | None = None,
) -> Dependencies:
    """Check every piece and wire the defaults: the ISO 10002 workflow, the bundled severity
    matrix, the system clock, yearly references over *storage*, and (with *notifier*) an
    outbox dispatcher. *status_secret* (random bytes, the same in every process) keys the
    complainants' status tokens. Raises :class:`~iso10002.errors.ConfigurationError` listing
    every piece that does not fit."""
    problems = _problems(
        [
            ("storage", storage, ComplaintRepository, False),
            ("workflow", workflow, WorkflowDefinition, True),
            ("sla", sla, SlaPlanner, True),
            ("categories", categories, Taxonomy, True),
            ("matrix", matrix, SeverityMatrix, True),
            ("notifier", notifier, Notifier, True),
            ("clock", clock, Clock, True),
            ("references", references, ReferenceGenerator, True),
            ("retry", retry, RetryPolicy, True),
            ("escalation", escalation, EscalationPolicy, True),
        ]
    )
    if status_secret is not None and (
        not isinstance(status_secret, bytes) or len(status_secret) < 16
    ):
        problems.append(("status_secret", "expected bytes, at least 16 of them (random)"))
    if problems:
        raise ConfigurationError(problems, what="ComplaintsHandling")
    options = DispatcherOptions.of(dispatcher)
    clock = clock or SystemClock()
    wired = Dependencies(
        storage=storage,
        workflow=workflow or iso10002_workflow(),
        sla=sla,
        categories=categories,
        matrix=matrix or SeverityMatrix.default(),
        clock=clock,
        references=references or YearlyReferences(storage),
        retry=retry or RetryPolicy(),
        escalation=escalation or EscalationPolicy(),
        dispatcher=None,
        status_secret=status_secret,
    )
    if notifier is None:
        return wired
    return attrs.evolve(wired, dispatcher=options.build(storage, notifier, clock, wired.zone))
