"""The initial assessment (7.5): a configurable severity matrix that yields a priority.

ISO 10002 lists the factors (severity, safety implication, complexity, impact, the need and
possibility of immediate action) but no scoring; :class:`SeverityMatrix` is this library's
configurable mapping from factors to a :class:`~iso10002.model.Priority` and an SLA policy key:

1. the ``grid`` gives a priority for impact (1-4) x breadth (single, repeat, several, systemic);
2. present ``overlays`` (vulnerable customer, hardship, …) raise it by the largest step listed
   for them (steps do not add up);
3. ``immediate_action``: when immediate action is needed, the priority is at least this one;
4. ``safety``: a potential or actual safety implication overrides to its priority (P1);
5. ``policies`` picks the SLA policy key from the complexity.

:func:`assess` records every factor and the resulting priority in a
:class:`~iso10002.model.Assessment`, with a rationale explaining each step.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar

import attrs

from iso10002 import _validate as v
from iso10002.errors import ConfigurationError, Problem, ValidationError, describe
from iso10002.model import Assessment, Breadth, Complexity, Overlay, Priority, Safety

__all__ = ["DEFAULT_SEVERITY_MATRIX", "SeverityMatrix", "assess"]

E = TypeVar("E", bound=enum.Enum)
_ORDER = (Priority.P1, Priority.P2, Priority.P3, Priority.P4)
_IMPACTS = (1, 2, 3, 4)
_KEYS = ("grid", "safety", "overlays", "immediate_action", "policies")

DEFAULT_SEVERITY_MATRIX: Final[Mapping[str, Any]] = {
    "grid": {
        "1": {"single": "P4", "repeat": "P4", "several": "P3", "systemic": "P2"},
        "2": {"single": "P3", "repeat": "P3", "several": "P2", "systemic": "P2"},
        "3": {"single": "P2", "repeat": "P2", "several": "P1", "systemic": "P1"},
        "4": {"single": "P1", "repeat": "P1", "several": "P1", "systemic": "P1"},
    },
    "safety": {"potential": "P1", "actual": "P1"},
    "overlays": {
        "vulnerable_customer": 1,
        "financial_hardship": 1,
        "regulator_reportable": 1,
        "fraud_or_data_breach": 1,
        "legal_or_media_threat": 1,
    },
    "immediate_action": "P2",
    "policies": {"simple": "standard", "investigation": "standard", "multi_party": "complex"},
}
"""The default matrix as data (sketched in ``ISO10002.md`` §3); copy it to make your own."""


def _frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return types.MappingProxyType(dict(mapping))


@attrs.frozen
class SeverityMatrix:
    """Maps assessment factors to a priority and an SLA policy key (see the module docs)."""

    grid: Mapping[int, Mapping[Breadth, Priority]] = attrs.field(converter=_frozen, hash=False)
    safety: Mapping[Safety, Priority] = attrs.field(converter=_frozen, hash=False)
    overlays: Mapping[Overlay, int] = attrs.field(converter=_frozen, hash=False)
    immediate_action: Priority | None
    policies: Mapping[Complexity, str] = attrs.field(converter=_frozen, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = _matrix_problems(self)
        if problems:
            raise ConfigurationError(problems, what="severity matrix")

    @classmethod
    def default(cls) -> SeverityMatrix:
        """The matrix of :data:`DEFAULT_SEVERITY_MATRIX`."""
        return cls.from_dict(DEFAULT_SEVERITY_MATRIX)

    @classmethod
    def from_dict(cls, data: object) -> SeverityMatrix:
        """Build from the dict form; raises :class:`ConfigurationError` listing every problem."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                [("", f"expected an object, got {describe(data)}")], what="severity matrix"
            )
        problems.extend(
            Problem(str(key), f"unknown key; accepted keys: {', '.join(_KEYS)}")
            for key in data
            if key not in _KEYS
        )
        problems.extend(
            Problem(key, "missing required key") for key in ("grid", "policies") if key not in data
        )
        grid: dict[int, dict[Breadth, Priority]] = {}
        raw_grid = data.get("grid", {})
        if not isinstance(raw_grid, Mapping):
            problems.append(Problem("grid", "expected an object keyed by impact 1-4"))
        else:
            for key, row in raw_grid.items():
                impact = {str(i): i for i in _IMPACTS}.get(key) if isinstance(key, str) else None
                if impact is None:
                    problems.append(Problem("grid", 'keys must be the impacts "1" to "4"'))
                    continue
                grid[impact] = _enum_map(row, Breadth, Priority, f"grid.{key}", problems)
        safety = _enum_map(data.get("safety", {}), Safety, Priority, "safety", problems)
        overlays = _overlay_steps(data.get("overlays", {}), problems)
        immediate = data.get("immediate_action")
        immediate_priority = None
        if immediate is not None:
            immediate_priority = _member(Priority, immediate, "immediate_action", problems)
        policies: dict[Complexity, str] = {}
        raw_policies = data.get("policies", {})
        if not isinstance(raw_policies, Mapping):
            problems.append(Problem("policies", "expected an object keyed by complexity"))
        else:
            for key, value in raw_policies.items():
                complexity = _member(Complexity, key, "policies", problems)
                if not isinstance(value, str) or not value.strip() or len(value) > 200:
                    problems.append(
                        Problem(f"policies.{key}", "expected a policy key (a non-blank str)")
                    )
                elif complexity is not None:
                    policies[complexity] = value
        if problems:
            raise ConfigurationError(problems, what="severity matrix")
        return cls(
            grid=grid,
            safety=safety,
            overlays=overlays,
            immediate_action=immediate_priority,
            policies=policies,
        )

    def to_dict(self) -> dict[str, Any]:
        """The dict form (``from_dict(m.to_dict()) == m``)."""
        data: dict[str, Any] = {
            "grid": {
                str(impact): {b.value: p.value for b, p in row.items()}
                for impact, row in self.grid.items()
            },
            "safety": {s.value: p.value for s, p in self.safety.items()},
            "overlays": {o.value: step for o, step in self.overlays.items()},
            "immediate_action": (
                None if self.immediate_action is None else self.immediate_action.value
            ),
            "policies": {c.value: key for c, key in self.policies.items()},
        }
        return data

    def evaluate(
        self,
        *,
        impact: int,
        breadth: Breadth,
        safety: Safety = Safety.NONE,
        overlays: Iterable[Overlay] = (),
        immediate_action_needed: bool = False,
    ) -> tuple[Priority, tuple[str, ...]]:
        """The priority for these factors and the steps that led to it (for the rationale)."""
        priority = self.grid[impact][breadth]
        steps = [f"impact {impact} x breadth {breadth.value}: {priority.value}"]
        present = sorted({o for o in overlays if self.overlays.get(o, 0) > 0}, key=_value)
        if present:
            raise_by = max(self.overlays[o] for o in present)
            raised = _ORDER[max(_ORDER.index(priority) - raise_by, 0)]
            names = ", ".join(o.value for o in present)
            steps.append(f"overlays ({names}) raise {raise_by} step(s): {raised.value}")
            priority = raised
        floor = self.immediate_action
        if (
            immediate_action_needed
            and floor is not None
            and _ORDER.index(floor) < _ORDER.index(priority)
        ):
            priority = floor
            steps.append(f"immediate action needed: at least {floor.value}")
        override = self.safety.get(safety)
        if override is not None and _ORDER.index(override) < _ORDER.index(priority):
            priority = override
            steps.append(f"safety implication {safety.value}: {override.value}")
        return priority, tuple(steps)

    def policy_key(self, complexity: Complexity) -> str:
        """The SLA policy key for *complexity*."""
        return self.policies[complexity]


def _value(member: enum.Enum) -> str:
    return str(member.value)


def _member(cls: type[E], value: object, path: str, problems: list[Problem]) -> E | None:
    if isinstance(value, cls):
        return value
    for member in cls:
        if isinstance(value, str) and member.value == value:
            return member
    accepted = ", ".join(str(m.value) for m in cls)
    problems.append(Problem(path, f"expected one of: {accepted}"))
    return None


def _enum_map(
    raw: object,
    keys: type[enum.Enum],
    values: type[Priority],
    path: str,
    problems: list[Problem],
) -> dict[Any, Priority]:
    out: dict[Any, Priority] = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"expected an object, got {describe(raw)}"))
        return out
    for key, value in raw.items():
        member = _member(keys, key, path, problems)
        priority = _member(values, value, f"{path}.{key}", problems)
        if member is not None and priority is not None:
            out[member] = priority
    return out


def _overlay_steps(raw: object, problems: list[Problem]) -> dict[Overlay, int]:
    out: dict[Overlay, int] = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("overlays", f"expected an object, got {describe(raw)}"))
        return out
    for key, value in raw.items():
        overlay = _member(Overlay, key, "overlays", problems)
        if not v.is_int(value) or not 0 <= value <= 3:
            problems.append(Problem(f"overlays.{key}", "expected a step count from 0 to 3"))
        elif overlay is not None:
            out[overlay] = value
    return out


def _matrix_problems(matrix: SeverityMatrix) -> list[Problem]:
    problems: list[Problem] = []
    for impact in _IMPACTS:
        row = matrix.grid.get(impact)
        if row is None:
            problems.append(Problem("grid", f"missing the row for impact {impact}"))
            continue
        problems.extend(
            Problem(f"grid.{impact}", f"missing the priority for breadth {b.value}")
            for b in Breadth
            if not isinstance(row.get(b), Priority)
        )
    extra = [k for k in matrix.grid if k not in _IMPACTS]
    if extra:
        problems.append(Problem("grid", "keys must be the impacts 1 to 4"))
    problems.extend(
        Problem("policies", f"missing the policy key for complexity {c.value}")
        for c in Complexity
        if c not in matrix.policies
    )
    if not all(isinstance(k, Safety) and isinstance(p, Priority) for k, p in matrix.safety.items()):
        problems.append(Problem("safety", "expected Safety keys and Priority values"))
    if not all(isinstance(k, Overlay) and v.is_int(s) for k, s in matrix.overlays.items()):
        problems.append(Problem("overlays", "expected Overlay keys and int steps"))
    immediate: object = matrix.immediate_action
    if immediate is not None and not isinstance(immediate, Priority):
        problems.append(Problem("immediate_action", "expected a Priority or None"))
    return problems


def assess(
    matrix: SeverityMatrix,
    *,
    impact: int,
    breadth: Breadth | str,
    safety: Safety | str = Safety.NONE,
    complexity: Complexity | str = Complexity.SIMPLE,
    immediate_action_needed: bool = False,
    immediate_action_possible: bool = False,
    overlays: Iterable[Overlay | str] = (),
    rationale: str | None = None,
) -> Assessment:
    """Assess a complaint (7.5): every factor, the priority and the SLA policy key.

    Enum factors may be given as members or their values. Raises :class:`ValidationError`
    listing every bad factor. Without a *rationale*, the matrix's steps are recorded as one.
    """
    problems: list[Problem] = []
    if not v.is_int(impact) or impact not in _IMPACTS:
        problems.append(Problem("impact", "expected an int from 1 to 4"))
    breadth_m = _member(Breadth, breadth, "breadth", problems)
    safety_m = _member(Safety, safety, "safety", problems)
    complexity_m = _member(Complexity, complexity, "complexity", problems)
    overlay_ms: set[Overlay] = set()
    if isinstance(overlays, (str, bytes)) or not isinstance(overlays, Iterable):
        problems.append(Problem("overlays", "expected a collection of overlays"))
    else:
        for item in overlays:
            found = _member(Overlay, item, "overlays", problems)
            if found is not None:
                overlay_ms.add(found)
    flags: tuple[tuple[str, object], ...] = (
        ("immediate_action_needed", immediate_action_needed),
        ("immediate_action_possible", immediate_action_possible),
    )
    for name, flag in flags:
        if not isinstance(flag, bool):
            problems.append(Problem(name, f"expected a bool, got {describe(flag)}"))
    if problems or breadth_m is None or safety_m is None or complexity_m is None:
        raise ValidationError(problems, what="assessment")
    priority, steps = matrix.evaluate(
        impact=impact,
        breadth=breadth_m,
        safety=safety_m,
        overlays=overlay_ms,
        immediate_action_needed=immediate_action_needed,
    )
    return Assessment(
        impact=impact,
        breadth=breadth_m,
        safety=safety_m,
        complexity=complexity_m,
        priority=priority,
        immediate_action_needed=immediate_action_needed,
        immediate_action_possible=immediate_action_possible,
        overlays=frozenset(overlay_ms),
        sla_policy_key=matrix.policy_key(complexity_m),
        rationale=rationale if rationale is not None else "; ".join(steps),
    )
