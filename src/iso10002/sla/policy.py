"""SLA policies: targets per milestone, chosen by priority, channel, category and segment.

The dict form (``SlaPolicy.from_dict`` / ``to_dict``)::

    {
        "thresholds": [0.5, 0.75, 0.9],              # optional default for every target
        "default": {                                 # required: the targets when no rule matches
            "acknowledgement": {"business_days": 1},
            "final_response": {"weeks": 8, "to_end_of_day": True, "thresholds": [0.5, 0.9]},
        },
        "rules": [                                   # optional, tried in order
            {
                "name": "urgent",
                "when": {                            # every listed condition must hold
                    "priority": ["P1"],              # P1..P4
                    "channel": ["phone", "email"],
                    "category": ["safety", "billing.refund"],   # code prefixes (str.startswith)
                    "segment": ["vulnerable"],
                },
                "targets": {"acknowledgement": {"business_time": "PT4H"}},
            }
        ],
    }

For each milestone the first rule that matches *and* sets that milestone wins; otherwise the
default applies. A milestone neither a matching rule nor the default sets has no target.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from iso10002.errors import ConfigurationError, Problem, describe

from .calendar import BusinessCalendar
from .clock import DEFAULT_THRESHOLDS, SlaClock, SuspensionWindow, check_thresholds
from .durations import (
    DURATION_TYPES,
    Duration,
    duration_from_dict,
    duration_problems,
)

__all__ = ["MILESTONES", "PRIORITIES", "Rule", "SlaPolicy", "Target"]

#: The milestones a policy can set, in the order of clause 7 of ISO 10002.
MILESTONES = (
    "acknowledgement",
    "initial_assessment",
    "holding_response",
    "final_response",
    "review_response",
    "resolution",
)
#: Accepted priorities.
PRIORITIES = ("P1", "P2", "P3", "P4")
_WHAT = "SLA policy"
_CONDITIONS = ("priority", "channel", "category", "segment")


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _frozen(value: object) -> object:
    return frozenset(value) if isinstance(value, (list, tuple, set)) else value


@attrs.frozen
class Target:
    """A milestone's deadline duration and its warning thresholds (fractions of the target)."""

    duration: Duration
    thresholds: tuple[float, ...] = attrs.field(default=DEFAULT_THRESHOLDS, converter=_tuple)

    def __attrs_post_init__(self) -> None:
        problems = _target_problems(self)
        if problems:
            raise ConfigurationError(problems, what="SLA target")

    def to_dict(self, default_thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS) -> dict[str, Any]:
        """The duration's dict form plus ``thresholds`` when not *default_thresholds*."""
        out = self.duration.to_dict()
        if self.thresholds != default_thresholds:
            out["thresholds"] = list(self.thresholds)
        return out


def _target_problems(target: Target, path: str = "") -> list[Problem]:
    """Problems of a target built in code."""
    problems: list[Problem] = []
    duration: object = target.duration
    if not isinstance(duration, DURATION_TYPES):
        problems.append(
            Problem(
                f"{path}.duration" if path else "duration",
                "expected BusinessTime, BusinessDays, CalendarDays or Weeks, "
                f"got {describe(duration)}",
            )
        )
    problems.extend(
        check_thresholds(target.thresholds, f"{path}.thresholds" if path else "thresholds")
    )
    return problems


def _text_set_problems(value: object, path: str, allowed: tuple[str, ...] = ()) -> list[Problem]:
    if not isinstance(value, frozenset):
        return [Problem(path, f"expected a frozenset of str, got {describe(value)}")]
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 200:
            return [Problem(path, "every item must be a non-blank str of at most 200 characters")]
        if allowed and item not in allowed:
            return [Problem(path, f"expected items from: {', '.join(allowed)}")]
    return []


@attrs.frozen
class Rule:
    """Targets that apply when every given condition matches (an empty condition matches all)."""

    targets: tuple[tuple[str, Target], ...] = attrs.field(converter=_tuple)
    """``(milestone, Target)`` pairs."""
    name: str | None = attrs.field(default=None, kw_only=True)
    priorities: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen, kw_only=True)
    channels: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen, kw_only=True)
    category_prefixes: tuple[str, ...] = attrs.field(default=(), converter=_tuple, kw_only=True)
    segments: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen, kw_only=True)

    def __attrs_post_init__(self) -> None:
        problems = _rule_problems(self, "")
        if problems:
            raise ConfigurationError(problems, what="SLA rule")

    @property
    def unconditional(self) -> bool:
        """Whether the rule has no condition at all."""
        return not (self.priorities or self.channels or self.category_prefixes or self.segments)

    def target(self, milestone: str) -> Target | None:
        """The rule's target for *milestone*, if it sets one."""
        for name, target in self.targets:
            if name == milestone:
                return target
        return None

    def matches(
        self,
        *,
        priority: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        segment: str | None = None,
    ) -> bool:
        """Whether every condition holds (a set condition needs a value)."""
        if self.priorities and priority not in self.priorities:
            return False
        if self.channels and channel not in self.channels:
            return False
        if self.segments and segment not in self.segments:
            return False
        return not self.category_prefixes or (
            isinstance(category, str) and category.startswith(self.category_prefixes)
        )

    def to_dict(self, default_thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS) -> dict[str, Any]:
        """The rule's dict form (see the module docstring)."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        when: dict[str, list[str]] = {}
        if self.priorities:
            when["priority"] = sorted(self.priorities)
        if self.channels:
            when["channel"] = sorted(self.channels)
        if self.category_prefixes:
            when["category"] = list(self.category_prefixes)
        if self.segments:
            when["segment"] = sorted(self.segments)
        if when:
            out["when"] = when
        out["targets"] = {m: t.to_dict(default_thresholds) for m, t in self.targets}
        return out


def _rule_problems(rule: Rule, path: str) -> list[Problem]:
    """Problems of a rule built in code."""
    problems: list[Problem] = []

    def at(key: str) -> str:
        return f"{path}.{key}" if path else key

    targets: object = rule.targets
    if not isinstance(targets, tuple):
        problems.append(Problem(at("targets"), "expected (milestone, Target) pairs"))
    else:
        if not targets:
            problems.append(Problem(at("targets"), "at least one target is required"))
        seen: set[object] = set()
        for i, pair in enumerate(targets):
            if not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[1], Target):
                problems.append(Problem(f"{at('targets')}[{i}]", "expected (milestone, Target)"))
                continue
            if pair[0] not in MILESTONES:
                problems.append(
                    Problem(
                        f"{at('targets')}[{i}]",
                        f"unknown milestone (expected one of: {', '.join(MILESTONES)})",
                    )
                )
            elif pair[0] in seen:
                problems.append(Problem(f"{at('targets')}[{i}]", "milestone set twice"))
            seen.add(pair[0])
    if rule.name is not None and (
        not isinstance(rule.name, str) or not rule.name.strip() or len(rule.name) > 200
    ):
        problems.append(Problem(at("name"), "expected a non-blank str of at most 200 characters"))
    problems.extend(_text_set_problems(rule.priorities, at("priority"), PRIORITIES))
    problems.extend(_text_set_problems(rule.channels, at("channel")))
    problems.extend(_text_set_problems(rule.segments, at("segment")))
    prefixes = rule.category_prefixes
    if not isinstance(prefixes, tuple) or not all(
        isinstance(p, str) and p.strip() and len(p) <= 200 for p in prefixes
    ):
        problems.append(
            Problem(at("category"), "expected non-blank str prefixes of at most 200 characters")
        )
    return problems


@attrs.frozen
class SlaPolicy:
    """Targets per milestone chosen by rules; see the module docstring for the semantics."""

    default: Rule
    """Targets used when no rule sets a milestone; must have no conditions."""
    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_tuple)
    thresholds: tuple[float, ...] = attrs.field(default=DEFAULT_THRESHOLDS, converter=_tuple)
    """Default thresholds of the dict form (targets keep their own)."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        default: object = self.default
        if not isinstance(default, Rule):
            problems.append(Problem("default", f"expected a Rule, got {describe(default)}"))
        elif not default.unconditional:
            problems.append(Problem("default", "the default rule must have no conditions"))
        if not isinstance(self.rules, tuple) or not all(isinstance(r, Rule) for r in self.rules):
            problems.append(Problem("rules", "expected a tuple of Rule"))
        problems.extend(check_thresholds(self.thresholds))
        if problems:
            raise ConfigurationError(problems, what=_WHAT)

    def rule_for(
        self,
        milestone: str,
        *,
        priority: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        segment: str | None = None,
    ) -> Rule | None:
        """The rule whose target applies to *milestone*, or ``None`` when none sets it."""
        if milestone not in MILESTONES:
            raise ConfigurationError(
                [("milestone", f"unknown milestone (expected one of: {', '.join(MILESTONES)})")],
                what=_WHAT,
            )
        for rule in self.rules:
            if rule.target(milestone) is not None and rule.matches(
                priority=priority, channel=channel, category=category, segment=segment
            ):
                return rule
        return self.default if self.default.target(milestone) is not None else None

    def target_for(
        self,
        milestone: str,
        *,
        priority: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        segment: str | None = None,
    ) -> Target | None:
        """The target of *milestone* for a complaint with these attributes, if any."""
        rule = self.rule_for(
            milestone, priority=priority, channel=channel, category=category, segment=segment
        )
        return None if rule is None else rule.target(milestone)

    def targets_for(
        self,
        *,
        priority: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        segment: str | None = None,
    ) -> dict[str, Target]:
        """Every milestone's target for a complaint with these attributes."""
        out: dict[str, Target] = {}
        for milestone in MILESTONES:
            target = self.target_for(
                milestone, priority=priority, channel=channel, category=category, segment=segment
            )
            if target is not None:
                out[milestone] = target
        return out

    def clock(
        self,
        milestone: str,
        calendar: BusinessCalendar,
        started_at: datetime,
        *,
        priority: str | None = None,
        channel: str | None = None,
        category: str | None = None,
        segment: str | None = None,
        suspensions: tuple[SuspensionWindow, ...] = (),
    ) -> SlaClock | None:
        """A running clock for *milestone*, or ``None`` when the policy sets no target for it."""
        target = self.target_for(
            milestone, priority=priority, channel=channel, category=category, segment=segment
        )
        if target is None:
            return None
        return SlaClock(
            calendar,
            started_at,
            target.duration,
            thresholds=target.thresholds,
            suspensions=suspensions,
        )

    # ------------------------------------------------------------------ dict form

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Build from the dict form; raises ``ConfigurationError`` naming every bad key."""
        problems: list[Problem] = []
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                [("", f"expected a mapping, got {describe(data)}")], what=_WHAT
            )
        for key in data:
            if key not in ("thresholds", "default", "rules"):
                problems.append(
                    Problem(
                        key if isinstance(key, str) and key.isprintable() else "",
                        "unknown key (expected thresholds, default, rules)",
                    )
                )
        thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
        if "thresholds" in data:
            raw = data["thresholds"]
            value = tuple(raw) if isinstance(raw, (list, tuple)) else raw
            found = check_thresholds(value)
            problems.extend(found)
            if not found:
                thresholds = value
        default: Rule | None = None
        if "default" not in data:
            problems.append(Problem("default", "required: the targets when no rule matches"))
        else:
            targets = _targets_from_dict(data["default"], "default", thresholds, problems)
            if targets is not None:
                default = Rule(targets)
        rules: list[Rule] = []
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, (list, tuple)):
            problems.append(Problem("rules", f"expected a list, got {describe(raw_rules)}"))
        else:
            for i, item in enumerate(raw_rules):
                rule = _rule_from_dict(item, f"rules[{i}]", thresholds, problems)
                if rule is not None:
                    rules.append(rule)
        if problems or default is None:
            raise ConfigurationError(problems, what=_WHAT)
        return cls(default, tuple(rules), thresholds)

    def to_dict(self) -> dict[str, Any]:
        """The dict form; ``SlaPolicy.from_dict(p.to_dict()) == p``."""
        out: dict[str, Any] = {}
        if self.thresholds != DEFAULT_THRESHOLDS:
            out["thresholds"] = list(self.thresholds)
        out["default"] = {m: t.to_dict(self.thresholds) for m, t in self.default.targets}
        if self.rules:
            out["rules"] = [r.to_dict(self.thresholds) for r in self.rules]
        return out


def _targets_from_dict(
    value: object, path: str, thresholds: tuple[float, ...], problems: list[Problem]
) -> tuple[tuple[str, Target], ...] | None:
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(path, "expected a non-empty mapping of milestone to target"))
        return None
    out: list[tuple[str, Target]] = []
    ok = True
    for milestone, spec in value.items():
        where = f"{path}.{milestone}" if isinstance(milestone, str) else path
        if milestone not in MILESTONES:
            problems.append(
                Problem(where, f"unknown milestone (expected one of: {', '.join(MILESTONES)})")
            )
            ok = False
            continue
        found = duration_problems(spec, where, extra=("thresholds",))
        own = thresholds
        if isinstance(spec, Mapping) and "thresholds" in spec:
            raw = spec["thresholds"]
            candidate = tuple(raw) if isinstance(raw, (list, tuple)) else raw
            bad = check_thresholds(candidate, f"{where}.thresholds")
            found.extend(bad)
            if not bad:
                own = candidate
        if found:
            problems.extend(found)
            ok = False
            continue
        duration = duration_from_dict(spec, where, extra=("thresholds",))
        out.append((milestone, Target(duration, own)))
    return tuple(out) if ok else None


def _rule_from_dict(
    item: object, path: str, thresholds: tuple[float, ...], problems: list[Problem]
) -> Rule | None:
    if not isinstance(item, Mapping):
        problems.append(Problem(path, f"expected a mapping, got {describe(item)}"))
        return None
    before = len(problems)
    for key in item:
        if key not in ("name", "when", "targets"):
            problems.append(
                Problem(
                    f"{path}.{key}" if isinstance(key, str) and key.isprintable() else path,
                    "unknown key (expected name, when, targets)",
                )
            )
    name = item.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        problems.append(
            Problem(f"{path}.name", "expected a non-blank str of at most 200 characters")
        )
    when = item.get("when", {})
    conditions: dict[str, Any] = {}
    if not isinstance(when, Mapping):
        problems.append(Problem(f"{path}.when", f"expected a mapping, got {describe(when)}"))
    else:
        for key, values in when.items():
            where = f"{path}.when.{key}" if isinstance(key, str) and key.isprintable() else path
            if key not in _CONDITIONS:
                problems.append(
                    Problem(where, f"unknown condition (expected {', '.join(_CONDITIONS)})")
                )
                continue
            if not isinstance(values, (list, tuple)) or not values:
                problems.append(Problem(where, "expected a non-empty list of str"))
                continue
            if not all(isinstance(v, str) and v.strip() and len(v) <= 200 for v in values):
                problems.append(
                    Problem(where, "every item must be a non-blank str of at most 200 characters")
                )
                continue
            if key == "category":
                conditions[key] = tuple(values)
            else:
                conditions[key] = frozenset(values)
                problems.extend(
                    _text_set_problems(
                        conditions[key], where, PRIORITIES if key == "priority" else ()
                    )
                )
    if "targets" not in item:
        problems.append(Problem(f"{path}.targets", "required"))
        return None
    targets = _targets_from_dict(item["targets"], f"{path}.targets", thresholds, problems)
    if targets is None or len(problems) > before:
        return None
    return Rule(
        targets,
        name=name,
        priorities=conditions.get("priority", frozenset()),
        channels=conditions.get("channel", frozenset()),
        category_prefixes=conditions.get("category", ()),
        segments=conditions.get("segment", frozenset()),
    )
