"""Commands: what a caller asks the service to do, as frozen values.

Each command has one handler (:data:`iso10002.service.handlers.HANDLERS`);
:meth:`~iso10002.service.ComplaintsHandling.handle` runs any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002.errors import ValidationError, describe
from iso10002.intake import Intake
from iso10002.workflow import Actor

__all__ = ["Command", "ErasePersonalData", "Fire", "Receive", "Sweep", "as_actor"]


def as_actor(actor: Actor | str) -> Actor:
    """*actor*, or an :class:`~iso10002.workflow.Actor` with that id and no roles."""
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, str):
        return Actor(actor)
    raise ValidationError([("actor", f"expected an Actor or an id, got {describe(actor)}")])


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError([("data", f"expected a mapping, got {describe(value)}")])
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Command:
    """What every command carries: who asks."""

    actor: Actor = attrs.field(converter=as_actor)


@attrs.frozen(kw_only=True)
class Receive(Command):
    """7.2: record a new complaint from *intake* (a mapping or a parsed intake)."""

    intake: Intake | Mapping[str, Any]
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class Fire(Command):
    """Fire the workflow transition *transition* on a complaint, with the event's *data*.

    With *event*, *transition* names a use case rather than one transition: the transition
    fired is the one of the workflow that records that event from the complaint's state (see
    :func:`~iso10002.service.handlers.resolve_transition`), so the use case works with a custom
    workflow, and picks e.g. ``review_decide`` for a decision in internal review.
    """

    complaint_id: str
    transition: str
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    event: str | None = None
    fixed: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)


@attrs.frozen(kw_only=True)
class ErasePersonalData(Command):
    """4.10: erase a complainant's personal data and record it on each of their complaints."""

    complainant_id: str


@attrs.frozen(kw_only=True)
class Sweep(Command):
    """Record every SLA warning and breach due by *now* (``None``: the service's clock)."""

    actor: Actor = attrs.field(default=Actor("system"), converter=as_actor)
    now: datetime | None = None
    batch: int = attrs.field(default=500, validator=v.int_range(1, 100_000))
