"""Workflow definitions as data: states, transitions and the guards they reference.

A :class:`WorkflowDefinition` is a frozen value, built in Python or loaded from a dict, JSON or
TOML (:meth:`WorkflowDefinition.from_dict`, :meth:`~WorkflowDefinition.from_json`,
:meth:`~WorkflowDefinition.from_toml`) and written back in the same canonical form
(:meth:`~WorkflowDefinition.to_dict`, …: keys holding their default value are left out, so
``to_dict(from_dict(x)) == x`` for canonical *x*). It is validated and compiled when it is
created; every problem raises a :class:`~iso10002.errors.DefinitionError` subclass naming it,
with a path that names states and transitions by name (``transitions["close"].guards[0]``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import cattrs

from iso10002 import _config as cfg
from iso10002 import _validate as v
from iso10002.errors import (
    ConfigurationError,
    DefinitionError,
    Problem,
    UnknownMilestoneError,
    UnknownStateError,
    ValidationError,
    describe,
)
from iso10002.sla.policy import MILESTONES

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

    ``sources`` lists state names, names of the definition's ``groups``, and ``"*"`` for every
    non-terminal state (they may overlap). ``target=None`` makes an *internal* action: it records
    its event but keeps the state.
    ``event`` names the domain event class (in :data:`iso10002.events.EVENT_TYPES`) built from the
    data given to :func:`~iso10002.workflow.fire` (a ``WorkflowStepRecorded`` gets the
    transition's name, the caller gives its ``data``); ``required`` lists event fields the caller
    must give (even optional ones), ``fixed`` sets event fields the caller may not give, ``roles``
    lists the roles allowed to fire it (empty: anyone), and ``guards`` the checks it must pass.
    """

    name: str = attrs.field(validator=cfg.name(cfg.NAME_RE, _E))
    sources: tuple[str, ...] = attrs.field(
        converter=v.frozen_tuple, validator=cfg.names(cfg.SOURCE_RE, _E, non_empty=True)
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
    """A workflow: states, named state groups and transitions, validated and compiled when created.

    ``groups`` names lists of states that transitions may give as a source (a group name may not
    also be a state name). Raises a :class:`~iso10002.errors.DefinitionError` subclass listing
    every problem of one kind (or a plain ``DefinitionError`` listing problems of several kinds).
    """

    name: str = attrs.field(validator=cfg.name(cfg.KEY_RE, _E))
    version: str = attrs.field(validator=cfg.text(50, _E))
    states: tuple[State, ...] = attrs.field(converter=v.frozen_tuple)
    transitions: tuple[Transition, ...] = attrs.field(converter=v.frozen_tuple)
    description: str | None = attrs.field(default=None, validator=cfg.text(2000, _E, optional=True))
    groups: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict,
        converter=cfg.frozen_json,
        metadata={cfg.JSON_METADATA: True},
        hash=False,
    )
    _compiled: Any = attrs.field(init=False, default=None, eq=False, repr=False, hash=False)

    @states.validator
    def _check_states(self, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_items(value, State, "states")

    @transitions.validator
    def _check_transitions(self, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_items(value, Transition, "transitions")

    @groups.validator
    def _check_groups(self, attribute: attrs.Attribute[Any], value: object) -> None:
        _check_group_names(value)

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
    def open_states(self) -> tuple[str, ...]:
        """The names of the non-terminal states (what ``"*"`` stands for), in declaration order."""
        return tuple(s.name for s in self.states if not s.terminal)

    @property
    def transition_names(self) -> tuple[str, ...]:
        """Every distinct transition name, in declaration order."""
        return tuple(dict.fromkeys(t.name for t in self.transitions))

    @property
    def milestones(self) -> tuple[str, ...]:
        """Every SLA milestone a state starts, stops or pauses, in order of first mention."""
        found = (m for s in self.states for m in (*s.start, *s.stop, *s.pause))
        return tuple(dict.fromkeys(found))

    def state(self, name: str) -> State:
        """The state called *name*; ``KeyError`` if there is none."""
        found: State = self._compiled.states[name]
        return found

    def label(self, state: str) -> str:
        """The complainant-facing label of *state* (4.4 transparency)."""
        return self.state(state).public_label

    def expand_sources(self, sources: Iterable[str]) -> tuple[str, ...]:
        """The state names *sources* stand for: groups and ``"*"`` expanded, repeats dropped.

        Raises :class:`~iso10002.errors.UnknownStateError` for a name that is neither a state
        nor a group.
        """
        states: Mapping[str, State] = self._compiled.states
        found: list[str] = []
        problems: list[tuple[str, str]] = []
        for i, source in enumerate(sources):
            if not isinstance(source, str):
                problems.append(  # type: ignore[unreachable]
                    (f"sources[{i}]", f"expected a name, got {describe(source)}")
                )
            elif source == "*":
                found.extend(self.open_states)
            elif source in self.groups:
                found.extend(self.groups[source])
            elif source in states:
                found.append(source)
            else:
                problems.append((f"sources[{i}]", "not a state, a group or *"))
        if problems:
            raise UnknownStateError(problems, what=f"workflow {self.name!r}")
        return tuple(dict.fromkeys(found))

    def check_milestones(self, known: Collection[str]) -> None:
        """Refuse a milestone that is not in *known* (e.g. :data:`iso10002.sla.MILESTONES`).

        Raises :class:`~iso10002.errors.UnknownMilestoneError` naming each state and list.
        """
        if isinstance(known, str) or not all(isinstance(m, str) for m in known):
            raise ConfigurationError(
                [("milestones", f"expected a collection of names, got {describe(known)}")],
                what="milestone check",
            )
        accepted = ", ".join(sorted(known)) or "none"
        problems = [
            Problem(
                f'states["{state.name}"].{key}[{i}]',
                f"unknown milestone {milestone!r}; accepted: {accepted}",
            )
            for state in self.states
            for key in ("start", "stop", "pause")
            for i, milestone in enumerate(getattr(state, key))
            if milestone not in known
        ]
        if problems:
            raise UnknownMilestoneError(problems, what="workflow definition")

    # --- loading and dumping -------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: object, *, milestones: Collection[str] | None = MILESTONES
    ) -> WorkflowDefinition:
        """Load a definition from JSON-like data; raises only ``DefinitionError`` subclasses.

        Every milestone a state names must be in *milestones*: by default the ones an
        :class:`~iso10002.sla.SlaPolicy` sets targets for; pass the names your own
        :class:`~iso10002.service.SlaPlanner` plans, or ``None`` to skip the check.
        """
        if not isinstance(data, Mapping):
            raise DefinitionError(
                [("", f"expected an object, got {describe(data)}")], what="workflow definition"
            )
        try:
            result: WorkflowDefinition = _converter().structure(data, cls)
        except DefinitionError as exc:
            raise type(exc)(_named(exc.problems, data), what="workflow definition") from None
        except ValidationError as exc:
            raise DefinitionError(_named(exc.problems, data), what="workflow definition") from None
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - defensive: nothing escapes
            raise DefinitionError(cfg.problems_of(exc, ""), what="workflow definition") from None
        if milestones is not None:
            result.check_milestones(milestones)
        return result

    @classmethod
    def from_json(
        cls, text: str | bytes, *, milestones: Collection[str] | None = MILESTONES
    ) -> WorkflowDefinition:
        """Load a definition from JSON text (*milestones* as for :meth:`from_dict`)."""
        data = cfg.parse_json(text, DefinitionError, "workflow definition")
        return cls.from_dict(data, milestones=milestones)

    @classmethod
    def from_toml(
        cls, text: str | bytes, *, milestones: Collection[str] | None = MILESTONES
    ) -> WorkflowDefinition:
        """Load a definition from TOML text (needs Python 3.11+ for :mod:`tomllib`)."""
        data = cfg.parse_toml(text, DefinitionError, "workflow definition")
        return cls.from_dict(data, milestones=milestones)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, milestones: Collection[str] | None = MILESTONES
    ) -> WorkflowDefinition:
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
        if suffix == ".json":
            return cls.from_json(raw, milestones=milestones)
        return cls.from_toml(raw, milestones=milestones)

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


def _check_group_names(value: object) -> None:
    if not isinstance(value, Mapping):
        raise DefinitionError([("groups", f"expected an object, got {describe(value)}")])
    problems: list[tuple[str, str]] = []
    for name, members in value.items():
        if not isinstance(name, str) or not cfg.NAME_RE.fullmatch(name):
            problems.append(("groups", "a group name is 1 to 100 letters, digits and underscores"))
            continue
        where = f"groups.{name}"
        if not isinstance(members, tuple) or not members:
            problems.append((where, "expected a non-empty list of state names"))
            continue
        seen: set[object] = set()
        for i, member in enumerate(members):
            if not isinstance(member, str) or not cfg.NAME_RE.fullmatch(member):
                problems.append((f"{where}[{i}]", "expected a state name"))
            elif member in seen:
                problems.append((f"{where}[{i}]", "duplicate name"))
            seen.add(member)
    if problems:
        raise DefinitionError(problems)


_LISTED = re.compile(r"^(states|transitions)\[(\d+)\]")


def _named(problems: Iterable[Problem], data: Mapping[str, Any]) -> list[Problem]:
    """*problems* with ``states[i]`` and ``transitions[i]`` named as the compiler names them."""
    found: dict[str, list[str]] = {}
    for key in ("states", "transitions"):
        items = data.get(key)
        names = [
            item["name"]
            if isinstance(item, Mapping)
            and isinstance(item.get("name"), str)
            and cfg.NAME_RE.fullmatch(item["name"])
            else None
            for item in (items if isinstance(items, list) else [])
        ]
        found[key] = cfg.item_labels(key, names)

    def rename(match: re.Match[str]) -> str:
        labels, index = found[match.group(1)], int(match.group(2))
        return labels[index] if index < len(labels) else match.group(0)

    return [Problem(_LISTED.sub(rename, p.path, count=1), p.message) for p in problems]


@cache
def _converter() -> cattrs.Converter:
    return cfg.make_config_converter()
