"""Workflow definitions as data: states, transitions and the guards they reference.

A :class:`WorkflowDefinition` is a frozen value, built in Python or loaded from a dict, JSON or
TOML (:meth:`WorkflowDefinition.from_dict`, :meth:`~WorkflowDefinition.from_json`,
:meth:`~WorkflowDefinition.from_toml`) and written back in the same canonical form
(:meth:`~WorkflowDefinition.to_dict`, …: keys holding their default value are left out, so
``to_dict(from_dict(x)) == x`` for canonical *x*). It is validated and compiled when it is
created; every problem raises a :class:`~iso10002.errors.DefinitionError` subclass naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import cattrs

from iso10002 import _validate as v
from iso10002.errors import DefinitionError, ValidationError, describe

from . import _config as cfg

__all__ = ["GuardRef", "State", "Transition", "WorkflowDefinition"]

_E = DefinitionError


def _same(self: Any, memo: object = None) -> Any:
    """Copies of an immutable value are the value itself."""
    return self


@attrs.frozen
class GuardRef:
    """A guard named in a transition, with the parameters the definition gives it."""

    name: str = attrs.field(validator=cfg.name(cfg.KEY_RE, _E))
    params: Mapping[str, Any] = attrs.field(
        factory=dict,
        converter=cfg.frozen_json,
        validator=cfg.json_object(_E),
        metadata={cfg.JSON_METADATA: True},
        hash=False,
    )

    __copy__ = _same
    __deepcopy__ = _same


@attrs.frozen
class State:
    """A workflow state: its complainant-facing ``label`` (4.4) and its SLA effects.

    ``start``, ``stop`` and ``pause`` name the SLA milestones (``"acknowledgement"``,
    ``"final_response"``, …) that start or stop on entering the state, or stay paused while the
    complaint is in it.
    """

    name: str = attrs.field(validator=cfg.name(cfg.NAME_RE, _E))
    initial: bool = attrs.field(default=False, validator=cfg.boolean(_E))
    terminal: bool = attrs.field(default=False, validator=cfg.boolean(_E))
    label: str | None = attrs.field(default=None, validator=cfg.text(200, _E, optional=True))
    start: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=cfg.names(cfg.KEY_RE, _E)
    )
    stop: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=cfg.names(cfg.KEY_RE, _E)
    )
    pause: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=cfg.names(cfg.KEY_RE, _E)
    )

    @property
    def public_label(self) -> str:
        """The label shown to the complainant: ``label``, or the name made readable."""
        return self.label if self.label is not None else self.name.replace("_", " ").capitalize()


@attrs.frozen
class Transition:
    """A named transition from any of ``sources`` to ``target``.

    ``target=None`` makes an *internal* action: it records its event but keeps the state.
    ``event`` names the domain event class (in :data:`iso10002.events.EVENT_TYPES`) built from the
    data given to :func:`~iso10002.workflow.fire`; ``required`` lists event fields the caller must
    give (even optional ones), ``fixed`` sets event fields the caller may not give, ``roles``
    lists the roles allowed to fire it (empty: anyone), and ``guards`` the checks it must pass.
    """

    name: str = attrs.field(validator=cfg.name(cfg.NAME_RE, _E))
    sources: tuple[str, ...] = attrs.field(
        converter=v.frozen_tuple, validator=cfg.names(cfg.NAME_RE, _E, non_empty=True)
    )
    target: str | None = attrs.field(default=None, validator=cfg.optional_name(cfg.NAME_RE, _E))
    event: str | None = attrs.field(default=None, validator=cfg.optional_name(cfg.NAME_RE, _E))
    guards: tuple[GuardRef, ...] = attrs.field(default=(), converter=v.frozen_tuple)
    required: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=cfg.names(cfg.NAME_RE, _E)
    )
    roles: tuple[str, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=cfg.names(cfg.KEY_RE, _E)
    )
    fixed: Mapping[str, Any] = attrs.field(
        factory=dict,
        converter=cfg.frozen_json,
        validator=cfg.json_object(_E),
        metadata={cfg.JSON_METADATA: True},
        hash=False,
    )

    @guards.validator
    def _check_guards(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise DefinitionError([("guards", f"expected a list of guards, got {describe(value)}")])
        bad = [
            (f"guards[{i}]", "expected a GuardRef")
            for i, item in enumerate(value)
            if not isinstance(item, GuardRef)
        ]
        if bad:
            raise DefinitionError(bad)

    __copy__ = _same
    __deepcopy__ = _same

    @property
    def internal(self) -> bool:
        """True for an internal action (no target: the state does not change)."""
        return self.target is None


@attrs.frozen
class WorkflowDefinition:
    """A workflow: states and transitions, validated and compiled when created.

    Raises a :class:`~iso10002.errors.DefinitionError` subclass listing every problem of one
    kind (or a plain ``DefinitionError`` listing problems of several kinds).
    """

    name: str = attrs.field(validator=cfg.name(cfg.KEY_RE, _E))
    version: str = attrs.field(validator=cfg.text(50, _E))
    states: tuple[State, ...] = attrs.field(converter=v.frozen_tuple)
    transitions: tuple[Transition, ...] = attrs.field(converter=v.frozen_tuple)
    description: str | None = attrs.field(default=None, validator=cfg.text(2000, _E, optional=True))
    _compiled: Any = attrs.field(init=False, default=None, eq=False, repr=False, hash=False)

    @states.validator
    def _check_states(self, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_items(value, State, "states")

    @transitions.validator
    def _check_transitions(self, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_items(value, Transition, "transitions")

    __copy__ = _same
    __deepcopy__ = _same

    def __attrs_post_init__(self) -> None:
        from ._compiled import compile_definition

        object.__setattr__(self, "_compiled", compile_definition(self))

    @property
    def initial_state(self) -> str:
        """The name of the initial state."""
        name: str = self._compiled.initial
        return name

    @property
    def state_names(self) -> tuple[str, ...]:
        """Every state name, in declaration order."""
        return tuple(s.name for s in self.states)

    @property
    def terminal_states(self) -> tuple[str, ...]:
        """The names of the terminal states, in declaration order."""
        return tuple(s.name for s in self.states if s.terminal)

    @property
    def transition_names(self) -> tuple[str, ...]:
        """Every distinct transition name, in declaration order."""
        return tuple(dict.fromkeys(t.name for t in self.transitions))

    def state(self, name: str) -> State:
        """The state called *name*; ``KeyError`` if there is none."""
        found: State = self._compiled.states[name]
        return found

    def label(self, state: str) -> str:
        """The complainant-facing label of *state* (4.4 transparency)."""
        return self.state(state).public_label

    # --- loading and dumping -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: object) -> WorkflowDefinition:
        """Load a definition from JSON-like data; raises only ``DefinitionError`` subclasses."""
        if not isinstance(data, Mapping):
            raise DefinitionError(
                [("", f"expected an object, got {describe(data)}")], what="workflow definition"
            )
        try:
            result: WorkflowDefinition = _converter().structure(data, cls)
        except DefinitionError:
            raise
        except ValidationError as exc:
            raise DefinitionError(exc.problems, what="workflow definition") from None
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - defensive: nothing escapes
            raise DefinitionError(cfg.problems_of(exc, ""), what="workflow definition") from None
        return result

    @classmethod
    def from_json(cls, text: str | bytes) -> WorkflowDefinition:
        """Load a definition from JSON text."""
        return cls.from_dict(cfg.parse_json(text, DefinitionError, "workflow definition"))

    @classmethod
    def from_toml(cls, text: str | bytes) -> WorkflowDefinition:
        """Load a definition from TOML text (needs Python 3.11+ for :mod:`tomllib`)."""
        return cls.from_dict(cfg.parse_toml(text, DefinitionError, "workflow definition"))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> WorkflowDefinition:
        """Load a definition from a ``.json`` or ``.toml`` file."""
        file = Path(path)
        suffix = file.suffix.lower()
        if suffix not in (".json", ".toml"):
            raise DefinitionError(
                [("", "a definition file must end in .json or .toml")], what="workflow definition"
            )
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise DefinitionError(
                [("", f"cannot read the file ({type(exc).__name__})")], what="workflow definition"
            ) from None
        return cls.from_json(raw) if suffix == ".json" else cls.from_toml(raw)

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-like data: keys holding their default value are left out."""
        data: dict[str, Any] = cfg.to_plain(self)
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_toml(self) -> str:
        """Canonical TOML text (states and transitions as arrays of tables)."""
        return cfg.to_toml(self.to_dict(), DefinitionError)


def _check_items(value: object, kind: type[Any], key: str) -> None:
    if not isinstance(value, tuple):
        raise DefinitionError([(key, f"expected a list, got {describe(value)}")])
    bad = [
        (f"{key}[{i}]", f"expected a {kind.__name__}")
        for i, item in enumerate(value)
        if not isinstance(item, kind)
    ]
    if bad:
        raise DefinitionError(bad)


@cache
def _converter() -> cattrs.Converter:
    return cfg.make_config_converter()
