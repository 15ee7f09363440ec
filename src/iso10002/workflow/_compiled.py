"""Validation and compilation of a workflow definition into lookup tables (private)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs
import cattrs

from iso10002 import _config as cfg
from iso10002 import events as ev
from iso10002.errors import (
    AmbiguousTransitionError,
    ConfigurationError,
    DeadEndStateError,
    DefinitionError,
    GuardParameterError,
    Problem,
    UnknownGuardError,
    UnknownStateError,
    UnreachableStateError,
    ValidationError,
)

from .guards import GuardCheck, registered_guards

if TYPE_CHECKING:
    from .definition import State, Transition, WorkflowDefinition

COMMON_FIELDS = frozenset(f.name for f in attrs.fields(ev.Event))
"""Event fields the engine sets: complaint_id, sequence, occurred_at, actor."""

SERVICE_EVENTS = frozenset(
    name for name in ev.EVENT_TYPES if name.startswith("Sla") or name == "PersonalDataErased"
) | {"ComplaintReceived", "StateChanged"}
"""Events a transition may not record: the receipt, state changes and the service's own."""

TRANSITION_EVENTS: Mapping[str, type[ev.Event]] = {
    name: cls for name, cls in ev.EVENT_TYPES.items() if name not in SERVICE_EVENTS
}
"""The event classes a transition may record, by name."""


_EVENT_FIELDS: dict[type[ev.Event], Mapping[str, attrs.Attribute[Any]]] = {}


def event_fields(cls: type[ev.Event]) -> Mapping[str, attrs.Attribute[Any]]:
    """The fields of *cls* a caller gives (every field but the common ones), by name."""
    found = _EVENT_FIELDS.get(cls)
    if found is None:
        resolved = attrs.resolve_types(cls)
        found = {f.name: f for f in attrs.fields(resolved) if f.name not in COMMON_FIELDS}
        _EVENT_FIELDS[cls] = found
    return found


PlanItem = tuple[str, "attrs.Attribute[Any]", Any, Any, Any, Any]
"""(name, field, converter, validator, default, factory) for building an event field."""


def event_plan(cls: type[ev.Event], fixed: Mapping[str, Any]) -> tuple[PlanItem, ...] | None:
    """How to build *cls* field by field, or ``None`` if its ``__init__`` must be used.

    The engine sets the common fields (already validated) itself and runs each other field's
    converter and validator, exactly as the attrs ``__init__`` would; fixed values were
    structured and validated when the definition was compiled.
    """
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None  # pragma: no cover - no event class has them
    plan: list[PlanItem] = []
    for name, field in event_fields(cls).items():
        if not field.init or field.alias != name:
            return None  # pragma: no cover - no event class has them
        default: Any = field.default
        factory: Any = None
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                return None  # pragma: no cover - no event class has them
            default, factory = attrs.NOTHING, default.factory
        if name in fixed:
            plan.append((name, field, None, None, fixed[name], None))
        else:
            plan.append((name, field, field.converter, field.validator, default, factory))
    return tuple(plan)


@attrs.define(slots=True, eq=False)
class Step:
    """One compiled transition as seen from one source state."""

    name: str
    target: str | None
    event: type[ev.Event] | None
    event_name: str
    fields: frozenset[str]
    mandatory: tuple[str, ...]
    required: tuple[str, ...]
    roles: frozenset[str]
    role_names: str
    guards: tuple[tuple[str, GuardCheck, Any], ...]
    fixed: Mapping[str, Any]
    accepted: frozenset[str] = frozenset()
    mandatory_set: frozenset[str] = frozenset()
    plan: tuple[PlanItem, ...] | None = None


@attrs.define(slots=True, eq=False)
class Compiled:
    """The lookup tables of one definition."""

    name: str
    initial: str
    states: Mapping[str, State]
    table: Mapping[tuple[str, str], Step]
    by_state: Mapping[str, tuple[Step, ...]]
    sources: Mapping[str, tuple[str, ...]]
    expanded: tuple[tuple[str, ...], ...] = ()
    effects: dict[tuple[str, str], Any] = attrs.field(factory=dict)


@cache
def _converter() -> cattrs.Converter:
    return cfg.make_config_converter()


def _structure_params(spec_params: type[Any] | None, raw: Mapping[str, Any], path: str) -> Any:
    if spec_params is None:
        if raw:
            raise GuardParameterError([(path, "this guard takes no parameters")])
        return None
    try:
        return _converter().structure(cfg.thaw(raw), spec_params)
    except (ValidationError, ConfigurationError) as exc:
        problems = [Problem(cfg.join(path, p.path), p.message) for p in exc.problems]
        raise GuardParameterError(problems) from None
    except Exception as exc:  # noqa: BLE001 - a host's params class may raise anything
        raise GuardParameterError(cfg.problems_of(exc, path)) from None


def _fixed_value(field: attrs.Attribute[Any], raw: Any, path: str) -> Any:
    try:
        kind: Any = field.type
        value = _converter().structure(cfg.thaw(raw), kind)
        if field.converter is not None:
            value = field.converter(value)  # type: ignore[operator]
        if field.validator is not None:
            field.validator(None, field, value)
    except (ValidationError, ConfigurationError) as exc:
        raise DefinitionError(
            [Problem(path, p.message) for p in exc.problems], what="fixed value"
        ) from None
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - defensive: converters raise ours
        raise DefinitionError(cfg.problems_of(exc, path)) from None
    return value


class _Found:
    def __init__(self) -> None:
        self.by_kind: dict[type[DefinitionError], list[Problem]] = {}

    def add(self, kind: type[DefinitionError], path: str, message: str) -> None:
        self.by_kind.setdefault(kind, []).append(Problem(path, message))

    def extend(self, exc: DefinitionError) -> None:
        self.by_kind.setdefault(type(exc), []).extend(exc.problems)

    def raise_if_any(self) -> None:
        if not self.by_kind:
            return
        what = "workflow definition"
        if len(self.by_kind) == 1:
            ((kind, problems),) = self.by_kind.items()
            raise kind(problems, what=what)
        everything = [p for problems in self.by_kind.values() for p in problems]
        raise DefinitionError(everything, what=what)


def _check_states(states: tuple[State, ...], labels: list[str], found: _Found) -> dict[str, State]:
    by_name: dict[str, State] = {}
    for state, path in zip(states, labels, strict=True):
        if state.name in by_name:
            found.add(DefinitionError, f"{path}.name", f"duplicate state {state.name!r}")
            continue
        by_name[state.name] = state
        for a, b in (("start", "stop"), ("start", "pause"), ("stop", "pause")):
            both = set(getattr(state, a)) & set(getattr(state, b))
            if both:
                found.add(
                    DefinitionError,
                    path,
                    f"milestone(s) {', '.join(sorted(both))} in both {a!r} and {b!r}",
                )
    if not states:
        found.add(DefinitionError, "states", "declare at least one state")
    initial = [s.name for s in states if s.initial]
    if states and len(initial) != 1:
        found.add(
            DefinitionError, "states", f"exactly one state must be initial, found {len(initial)}"
        )
    if states and not any(s.terminal for s in states):
        found.add(DeadEndStateError, "states", "no state is terminal: a complaint could never end")
    return by_name


def _check_event(
    t: Transition, path: str, found: _Found
) -> tuple[type[ev.Event] | None, dict[str, Any]]:
    event_cls: type[ev.Event] | None = None
    fields: Mapping[str, attrs.Attribute[Any]] = {}
    if t.event is not None:
        event_cls = TRANSITION_EVENTS.get(t.event)
        if event_cls is None:
            accepted = ", ".join(sorted(TRANSITION_EVENTS))
            found.add(DefinitionError, f"{path}.event", f"unknown event type; accepted: {accepted}")
        else:
            fields = event_fields(event_cls)
    elif t.target is None:
        found.add(DefinitionError, path, "an internal transition (no target) must name an event")
    what = f"event {t.event}" if t.event is not None else "a transition without an event"
    step = event_cls is ev.WorkflowStepRecorded
    for k, key in enumerate(t.required):
        where = f"{path}.required[{k}]"
        if step and key == "transition":
            found.add(DefinitionError, where, _STEP_NAME)
        elif event_cls is not None and key not in fields:
            found.add(DefinitionError, where, f"{what} has no field {key!r}")
        elif t.event is None:
            found.add(DefinitionError, where, f"{what} takes no data")
    # A step's name is the transition's: set here, never given.
    fixed: dict[str, Any] = {"transition": t.name} if step else {}
    for key, raw in t.fixed.items():
        where = f"{path}.fixed.{key}"
        if step and key == "transition":
            found.add(DefinitionError, where, _STEP_NAME)
        elif key in t.required:
            found.add(DefinitionError, where, "a field cannot be both required and fixed")
        elif event_cls is not None and key in fields:
            try:
                fixed[key] = _fixed_value(fields[key], raw, where)
            except DefinitionError as exc:
                found.extend(exc)
        elif t.event is None or event_cls is not None:
            found.add(DefinitionError, where, f"{what} has no field {key!r}")
    return event_cls, fixed


_STEP_NAME = "set by the engine: a WorkflowStepRecorded names the transition that records it"


def _check_guards(
    t: Transition, path: str, found: _Found
) -> tuple[tuple[str, GuardCheck, Any], ...]:
    registry = registered_guards()
    compiled: list[tuple[str, GuardCheck, Any]] = []
    for m, ref in enumerate(t.guards):
        where = f"{path}.guards[{m}]"
        spec = registry.get(ref.name)
        if spec is None:
            found.add(UnknownGuardError, f"{where}.name", f"no guard {ref.name!r} is registered")
            continue
        try:
            params = _structure_params(spec.params, ref.params, f"{where}.params")
        except GuardParameterError as exc:
            found.extend(exc)
            continue
        compiled.append((ref.name, spec.check, params))
    return tuple(compiled)


def _check_graph(
    by_name: Mapping[str, State],
    moves: Iterable[tuple[tuple[str, ...], str | None]],
    labels: list[str],
    initial: str,
    found: _Found,
) -> None:
    forward: dict[str, set[str]] = {name: set() for name in by_name}
    backward: dict[str, set[str]] = {name: set() for name in by_name}
    for sources, target in moves:
        if target is None:
            continue
        for source in sources:
            forward[source].add(target)
            backward[target].add(source)

    def closure(start: list[str], edges: Mapping[str, set[str]]) -> set[str]:
        seen = set(start)
        queue = deque(start)
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    reachable = closure([initial], forward)
    for name, path in zip(by_name, labels, strict=True):
        if name not in reachable:
            found.add(
                UnreachableStateError,
                path,
                f"state {name!r} cannot be reached from the initial state {initial!r}",
            )
    ending = closure([n for n, s in by_name.items() if s.terminal], backward)
    for (name, state), path in zip(by_name.items(), labels, strict=True):
        if not state.terminal and name not in ending and name in reachable:
            found.add(
                DeadEndStateError,
                path,
                f"the complaint could never be closed or withdrawn from state {name!r}: "
                "no terminal state can be reached from it",
            )


def _check_groups(
    groups: Mapping[str, tuple[str, ...]], by_name: Mapping[str, State], found: _Found
) -> None:
    for name, members in groups.items():
        if name in by_name:
            found.add(DefinitionError, f"groups.{name}", f"{name!r} is already a state name")
        for i, member in enumerate(members):
            if member not in by_name:
                found.add(UnknownStateError, f"groups.{name}[{i}]", f"unknown state {member!r}")


def _expand(
    t: Transition,
    path: str,
    by_name: Mapping[str, State],
    groups: Mapping[str, tuple[str, ...]],
    found: _Found,
) -> tuple[dict[str, str], bool]:
    """The states *t* leaves from, each with the source that names it; and whether all known."""
    expanded: dict[str, str] = {}
    known = True
    for k, source in enumerate(t.sources):
        if source == "*":
            members: tuple[str, ...] = tuple(n for n, s in by_name.items() if not s.terminal)
        elif source in groups:
            members = groups[source]
        elif source in by_name:
            members = (source,)
        else:
            known = False
            found.add(
                UnknownStateError, f"{path}.sources[{k}]", f"unknown state or group {source!r}"
            )
            continue
        for member in members:
            expanded.setdefault(member, f"{path}.sources[{k}]")
    return expanded, known


def _step(
    t: Transition, event_cls: type[ev.Event] | None, fixed: dict[str, Any], guards: Any
) -> Step:
    fields = event_fields(event_cls) if event_cls is not None else {}
    mandatory = tuple(n for n, f in fields.items() if f.default is attrs.NOTHING and n not in fixed)
    return Step(
        name=t.name,
        target=t.target,
        event=event_cls,
        event_name=t.event or "",
        fields=frozenset(fields),
        mandatory=mandatory,
        required=t.required,
        roles=frozenset(t.roles),
        role_names=", ".join(t.roles),
        guards=guards,
        fixed=fixed,
        accepted=frozenset(fields) - fixed.keys(),
        mandatory_set=frozenset(mandatory),
        plan=event_plan(event_cls, fixed) if event_cls is not None else None,
    )


def compile_definition(definition: WorkflowDefinition) -> Compiled:
    """Validate *definition* and build its lookup tables; raises ``DefinitionError`` subclasses.

    Problem paths name states and transitions by name (``transitions["close"].guards[0]``).
    """
    found = _Found()
    state_labels = cfg.item_labels("states", [s.name for s in definition.states])
    labels = cfg.item_labels("transitions", [t.name for t in definition.transitions])
    by_name = _check_states(definition.states, state_labels, found)
    _check_groups(definition.groups, by_name, found)
    table: dict[tuple[str, str], Step] = {}
    where_from: dict[tuple[str, str], str] = {}
    sources: dict[str, list[str]] = {}
    expanded_all: list[tuple[str, ...]] = []
    for t, path in zip(definition.transitions, labels, strict=True):
        expanded, refs_ok = _expand(t, path, by_name, definition.groups, found)
        expanded_all.append(tuple(expanded))
        for source, where in expanded.items():
            if (t.name, source) in where_from:
                found.add(
                    AmbiguousTransitionError,
                    where,
                    f"transition {t.name!r} already leaves state {source!r} "
                    f"({where_from[(t.name, source)]})",
                )
            else:
                where_from[(t.name, source)] = path
        if t.target is not None and t.target not in by_name:
            refs_ok = False
            found.add(UnknownStateError, f"{path}.target", f"unknown state {t.target!r}")
        event_cls, fixed = _check_event(t, path, found)
        guards = _check_guards(t, path, found)
        if not refs_ok:
            continue
        step = _step(t, event_cls, fixed, guards)
        sources.setdefault(t.name, []).extend(expanded)
        for source in expanded:
            table.setdefault((source, t.name), step)
    found.raise_if_any()
    initial = next(s.name for s in definition.states if s.initial)
    expanded_sources = tuple(expanded_all)
    moves = zip(expanded_sources, (t.target for t in definition.transitions), strict=True)
    _check_graph(by_name, moves, state_labels, initial, found)
    found.raise_if_any()
    by_state: dict[str, list[Step]] = {name: [] for name in by_name}
    for (source, _), step in table.items():
        by_state[source].append(step)
    return Compiled(
        name=definition.name,
        initial=initial,
        states=by_name,
        table=table,
        by_state={k: tuple(v) for k, v in by_state.items()},
        sources={k: tuple(v) for k, v in sources.items()},
        expanded=expanded_sources,
    )
