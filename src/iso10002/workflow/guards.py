"""Guards: named checks a transition must pass, registered with :func:`guard`.

A guard is a function ``check(complaint, actor, params, data) -> str | None`` returning ``None``
to allow the transition or a reason to refuse it. Definitions refer to guards by name, so they stay
plain data; the parameters a definition gives a guard are checked when the definition is loaded,
by structuring them into the guard's *params* class (an attrs class), and the check receives that
instance (``None`` for a guard without parameters).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from iso10002 import _config as cfg
from iso10002 import _validate as v
from iso10002.errors import ConfigurationError
from iso10002.model import Complaint, EscalationKind

from .actor import Actor

__all__ = [
    "Guard",
    "GuardCheck",
    "RoleParams",
    "guard",
    "registered_guards",
]

GuardCheck = Callable[[Complaint, Actor, Any, Mapping[str, Any]], "str | None"]
"""``check(complaint, actor, params, data)``: ``None`` allows, a reason refuses."""

F = TypeVar("F", bound=GuardCheck)


@attrs.frozen
class Guard:
    """A registered guard: its name, check function, parameter class and description."""

    name: str
    check: GuardCheck = attrs.field(repr=False)
    params: type[Any] | None = None
    description: str = ""


_REGISTRY: dict[str, Guard] = {}


def guard(name: str, *, params: type[Any] | None = None, replace: bool = False) -> Callable[[F], F]:
    """Register the decorated function as the guard *name* (with an attrs *params* class).

    Raises :class:`~iso10002.errors.ConfigurationError` if *name* is not a valid name, if
    *params* is not an attrs class, or if *name* is taken and *replace* is false. A definition
    compiled before a replacement keeps the guard it was compiled with.
    """
    if not isinstance(name, str) or not cfg.KEY_RE.fullmatch(name):
        raise ConfigurationError(
            [("name", "a guard name is 1 to 100 letters, digits and _ . : -")], what="guard"
        )
    if params is not None and not (isinstance(params, type) and attrs.has(params)):
        raise ConfigurationError([("params", "must be an attrs class")], what=f"guard {name!r}")
    if name in _REGISTRY and not replace:
        raise ConfigurationError(
            [("name", f"guard {name!r} is already registered; pass replace=True to replace it")],
            what="guard",
        )

    def register(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Guard(name, fn, params, doc[0] if doc else "")
        return fn

    return register


def registered_guards() -> Mapping[str, Guard]:
    """A read-only view of every registered guard by name."""
    return types.MappingProxyType(_REGISTRY)


def _non_empty_roles(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    cfg.names(cfg.KEY_RE, ConfigurationError, non_empty=True)(instance, attribute, value)


@attrs.frozen
class RoleParams:
    """Parameters of the ``has_role`` guard: the actor needs at least one of ``roles``."""

    roles: tuple[str, ...] = attrs.field(converter=v.frozen_tuple, validator=_non_empty_roles)


@guard("has_role", params=RoleParams)
def _has_role(
    complaint: Complaint, actor: Actor, params: RoleParams, data: Mapping[str, Any]
) -> str | None:
    """The actor holds at least one of the given roles (5.4)."""
    if actor.roles.isdisjoint(params.roles):
        return f"the actor needs one of the roles: {', '.join(params.roles)}"
    return None


@guard("has_assessment")
def _has_assessment(
    complaint: Complaint, actor: Actor, params: None, data: Mapping[str, Any]
) -> str | None:
    """An initial assessment has been recorded (7.5 before 7.6)."""
    if complaint.assessment is None:
        return "the complaint has not been assessed yet (7.5)"
    return None


@guard("has_decision")
def _has_decision(
    complaint: Complaint, actor: Actor, params: None, data: Mapping[str, Any]
) -> str | None:
    """A decision has been made and not yet communicated (7.7 before 7.8)."""
    decisions = complaint.decisions
    if not decisions:
        return "no decision has been made yet (7.7)"
    if decisions[-1].communicated_at is not None:
        return "the latest decision has already been communicated; make a new decision first"
    return None


@guard("can_close")
def _can_close(
    complaint: Complaint, actor: Actor, params: None, data: Mapping[str, Any]
) -> str | None:
    """The decision was communicated, and accepted or given with the external options (7.9)."""
    decisions = complaint.decisions
    if not decisions or decisions[-1].communicated_at is None:
        return "the decision has not been communicated to the complainant (7.8)"
    reply = complaint.reply
    if (reply is None or not reply.accepted) and not decisions[-1].external_options_given:
        return (
            "the complainant has not accepted the decision and was not told of the "
            "external options (7.9)"
        )
    return None


@guard("not_complained_about")
def _not_complained_about(
    complaint: Complaint, actor: Actor, params: None, data: Mapping[str, Any]
) -> str | None:
    """The actor is not a person the complaint is about (4.7 objectivity)."""
    if actor.id in complaint.details.complained_about:
        return "the actor is a person the complaint is about (4.7 objectivity)"
    return None


@guard("independent_reviewer")
def _independent_reviewer(
    complaint: Complaint, actor: Actor, params: None, data: Mapping[str, Any]
) -> str | None:
    """The actor made none of the decisions under internal review (4.7 objectivity)."""
    review_at = None
    for escalation in reversed(complaint.escalations):
        if escalation.kind is EscalationKind.INTERNAL_REVIEW:
            review_at = escalation.at
            break
    for decision in complaint.decisions:
        if review_at is not None and decision.decided_at > review_at:
            break
        if decision.decided_by == actor.id:
            return "the actor made the decision under review (4.7 objectivity)"
    return None
