"""SlaPolicy: rule matching, per-milestone fallback, the dict form and its validation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from iso10002.errors import ConfigurationError
from iso10002.sla import (
    BusinessCalendar,
    BusinessDays,
    BusinessTime,
    Rule,
    SlaClock,
    SlaPolicy,
    Target,
    Weeks,
)

LONDON = ZoneInfo("Europe/London")

POLICY: dict[str, Any] = {
    "thresholds": [0.5, 0.9],
    "default": {
        "acknowledgement": {"business_days": 1},
        "final_response": {"weeks": 8, "to_end_of_day": True, "thresholds": [0.25, 0.5, 0.75]},
    },
    "rules": [
        {
            "name": "urgent",
            "when": {"priority": ["P1"], "channel": ["email", "phone"]},  # sets: sorted
            "targets": {"acknowledgement": {"business_time": "PT4H"}},
        },
        {
            "name": "vulnerable billing",
            "when": {"category": ["billing."], "segment": ["vulnerable"]},
            "targets": {
                "acknowledgement": {"business_time": "PT2H"},
                "resolution": {"business_days": 10},
            },
        },
        {"when": {"priority": ["P1", "P2"]}, "targets": {"final_response": {"business_days": 15}}},
    ],
}


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return SlaPolicy.from_dict(POLICY)


def test_round_trip(policy: SlaPolicy) -> None:
    assert policy.to_dict() == POLICY
    assert SlaPolicy.from_dict(policy.to_dict()) == policy


def test_first_matching_rule_wins_per_milestone(policy: SlaPolicy) -> None:
    p1_phone = policy.targets_for(priority="P1", channel="phone")
    assert p1_phone["acknowledgement"].duration == BusinessTime(timedelta(hours=4))
    assert p1_phone["final_response"].duration == BusinessDays(15)
    assert "resolution" not in p1_phone
    both = policy.targets_for(
        priority="P1", channel="email", category="billing.refund", segment="vulnerable"
    )
    assert both["acknowledgement"].duration == BusinessTime(timedelta(hours=4))
    assert both["resolution"].duration == BusinessDays(10)
    plain = policy.targets_for(priority="P3", category="billing.refund")
    assert plain["acknowledgement"].duration == BusinessDays(1)
    assert plain["final_response"] == Target(Weeks(8, to_end_of_day=True), (0.25, 0.5, 0.75))
    assert plain["acknowledgement"].thresholds == (0.5, 0.9)


def test_a_set_condition_needs_a_value(policy: SlaPolicy) -> None:
    assert policy.rule_for("acknowledgement", priority="P1") is policy.default
    rule = policy.rule_for("acknowledgement", priority="P1", channel="phone")
    assert rule is not None and rule.name == "urgent"
    assert policy.target_for("holding_response") is None
    assert policy.rule_for("initial_assessment") is None


def test_category_prefixes(policy: SlaPolicy) -> None:
    vulnerable = {"segment": "vulnerable"}
    assert policy.target_for("resolution", category="billing.refund", **vulnerable) is not None
    assert policy.target_for("resolution", category="billing", **vulnerable) is None
    assert policy.target_for("resolution", category=None, **vulnerable) is None


def test_unknown_milestone(policy: SlaPolicy) -> None:
    with pytest.raises(ConfigurationError, match="unknown milestone"):
        policy.target_for("lunch")


def test_clock_from_a_policy(policy: SlaPolicy) -> None:
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/London", "week": {"mon": [["09:00", "17:00"]]}}
    )
    start = datetime(2025, 12, 22, 9, tzinfo=LONDON)
    clock = policy.clock("acknowledgement", cal, start, priority="P1", channel="phone")
    assert isinstance(clock, SlaClock)
    assert clock.target == BusinessTime(timedelta(hours=4))
    assert clock.thresholds == (0.5, 0.9)
    assert clock.due_at == datetime(2025, 12, 22, 13, tzinfo=LONDON)
    assert policy.clock("holding_response", cal, start) is None


def test_typed_construction() -> None:
    ack = Target(BusinessDays(1))
    policy = SlaPolicy(
        Rule((("acknowledgement", ack),)),
        [Rule([("acknowledgement", Target(BusinessTime(timedelta(hours=1))))], priorities=["P1"])],
    )
    assert policy.rules[0].priorities == frozenset({"P1"})
    assert policy.target_for("acknowledgement", priority="P2") == ack
    assert policy.to_dict() == {
        "default": {"acknowledgement": {"business_days": 1}},
        "rules": [
            {
                "when": {"priority": ["P1"]},
                "targets": {"acknowledgement": {"business_time": "PT1H"}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({}, "default"),
        ({"default": {}}, "default"),
        ({"default": []}, "default"),
        ({"default": {"lunch": {"business_days": 1}}}, "default.lunch"),
        (
            {"default": {"acknowledgement": {"business_days": -1}}},
            "default.acknowledgement.business_days",
        ),
        ({"default": {"acknowledgement": {"days": 1}}}, "default.acknowledgement.days"),
        (
            {"default": {"acknowledgement": {"business_days": 1, "thresholds": [0.9, 0.5]}}},
            "default.acknowledgement.thresholds[1]",
        ),
        (
            {"default": {"acknowledgement": {"business_days": 1, "thresholds": [1.5]}}},
            "default.acknowledgement.thresholds[0]",
        ),
        (
            {"default": {"acknowledgement": {"business_days": 1}}, "thresholds": "high"},
            "thresholds",
        ),
        ({"default": {"acknowledgement": {"business_days": 1}}, "colour": 1}, "colour"),
        ({"default": {"acknowledgement": {"business_days": 1}}, "rules": {}}, "rules"),
        ({"default": {"acknowledgement": {"business_days": 1}}, "rules": ["x"]}, "rules[0]"),
        (
            {"default": {"acknowledgement": {"business_days": 1}}, "rules": [{"when": {}}]},
            "rules[0].targets",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [{"targets": {}, "x": 1}],
            },
            "rules[0].x",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [{"name": "", "targets": {"acknowledgement": {"business_days": 1}}}],
            },
            "rules[0].name",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [
                    {
                        "when": {"priority": ["P9"]},
                        "targets": {"acknowledgement": {"business_days": 1}},
                    }
                ],
            },
            "rules[0].when.priority",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [
                    {
                        "when": {"priority": "P1"},
                        "targets": {"acknowledgement": {"business_days": 1}},
                    }
                ],
            },
            "rules[0].when.priority",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [
                    {"when": {"channel": [3]}, "targets": {"acknowledgement": {"business_days": 1}}}
                ],
            },
            "rules[0].when.channel",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [
                    {
                        "when": {"weather": ["rain"]},
                        "targets": {"acknowledgement": {"business_days": 1}},
                    }
                ],
            },
            "rules[0].when.weather",
        ),
        (
            {
                "default": {"acknowledgement": {"business_days": 1}},
                "rules": [{"when": [], "targets": {"acknowledgement": {"business_days": 1}}}],
            },
            "rules[0].when",
        ),
    ],
)
def test_bad_policies_name_the_key(data: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        SlaPolicy.from_dict(data)
    assert path in info.value.paths, info.value


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigurationError):
        SlaPolicy.from_dict([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Target("8h"),  # type: ignore[arg-type]
        lambda: Target(BusinessDays(1), (0.5, 2.0)),
        lambda: Rule(()),
        lambda: Rule("acknowledgement"),
        lambda: Rule((("acknowledgement", "1 day"),)),
        lambda: Rule((("lunch", Target(BusinessDays(1))),)),
        lambda: Rule((("resolution", Target(BusinessDays(1))),) * 2),
        lambda: Rule((("resolution", Target(BusinessDays(1))),), name=""),
        lambda: Rule((("resolution", Target(BusinessDays(1))),), priorities=["P5"]),
        lambda: Rule((("resolution", Target(BusinessDays(1))),), channels="phone"),
        lambda: Rule((("resolution", Target(BusinessDays(1))),), category_prefixes=[""]),
        lambda: SlaPolicy("default"),  # type: ignore[arg-type]
        lambda: SlaPolicy(Rule((("resolution", Target(BusinessDays(1))),), priorities=["P1"])),
        lambda: SlaPolicy(Rule((("resolution", Target(BusinessDays(1))),)), rules=["x"]),
        lambda: SlaPolicy(Rule((("resolution", Target(BusinessDays(1))),)), thresholds=(2,)),
    ],
)
def test_bad_typed_values(make: Any) -> None:
    with pytest.raises(ConfigurationError):
        make()
