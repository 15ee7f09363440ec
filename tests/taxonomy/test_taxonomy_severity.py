"""The severity matrix and the initial assessment (7.5)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002.errors import ConfigurationError, ValidationError
from iso10002.model import Breadth, Complexity, Overlay, Priority, Safety
from iso10002.taxonomy import DEFAULT_SEVERITY_MATRIX, SeverityMatrix, assess

MATRIX = SeverityMatrix.default()
ORDER = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]


def rank(priority: Priority) -> int:
    return ORDER.index(priority)


def test_the_default_matrix_round_trips() -> None:
    assert MATRIX.to_dict() == DEFAULT_SEVERITY_MATRIX
    assert SeverityMatrix.from_dict(MATRIX.to_dict()) == MATRIX


def test_the_grid_gives_the_base_priority() -> None:
    assessment = assess(MATRIX, impact=1, breadth=Breadth.SINGLE)
    assert assessment.priority is Priority.P4
    assert assessment.sla_policy_key == "standard"
    assert assessment.rationale == "impact 1 x breadth single: P4"
    assert assess(MATRIX, impact=3, breadth="several").priority is Priority.P1


def test_safety_overrides_to_p1() -> None:
    for safety in (Safety.POTENTIAL, "actual"):
        assessment = assess(MATRIX, impact=1, breadth="single", safety=safety)
        assert assessment.priority is Priority.P1
        assert "safety implication" in (assessment.rationale or "")


def test_overlays_raise_one_step_not_one_each() -> None:
    one = assess(MATRIX, impact=1, breadth="single", overlays=[Overlay.VULNERABLE_CUSTOMER])
    both = assess(
        MATRIX, impact=1, breadth="single", overlays=["vulnerable_customer", "financial_hardship"]
    )
    assert one.priority is both.priority is Priority.P3
    assert both.overlays == {Overlay.VULNERABLE_CUSTOMER, Overlay.FINANCIAL_HARDSHIP}
    assert assess(
        MATRIX, impact=4, breadth="single", overlays=["fraud_or_data_breach"]
    ).priority is (Priority.P1)


def test_immediate_action_sets_a_floor() -> None:
    assessment = assess(
        MATRIX,
        impact=1,
        breadth="single",
        immediate_action_needed=True,
        immediate_action_possible=True,
    )
    assert assessment.priority is Priority.P2
    assert assessment.immediate_action_possible
    assert assess(MATRIX, impact=4, breadth="single", immediate_action_needed=True).priority is (
        Priority.P1
    )


def test_complexity_routes_the_sla_policy() -> None:
    assert assess(MATRIX, impact=2, breadth="single", complexity="multi_party").sla_policy_key == (
        "complex"
    )
    assert MATRIX.policy_key(Complexity.INVESTIGATION) == "standard"


def test_a_given_rationale_is_kept() -> None:
    assert assess(MATRIX, impact=2, breadth="repeat", rationale="Seen before.").rationale == (
        "Seen before."
    )


def test_bad_factors_are_all_listed() -> None:
    with pytest.raises(ValidationError) as info:
        assess(
            MATRIX,
            impact=5,
            breadth="wide",
            safety="maybe",
            complexity=3,  # type: ignore[arg-type]
            overlays=["rich"],
            immediate_action_needed="yes",  # type: ignore[arg-type]
        )
    assert set(info.value.paths) == {
        "impact",
        "breadth",
        "safety",
        "complexity",
        "overlays",
        "immediate_action_needed",
    }
    with pytest.raises(ValidationError, match="collection"):
        assess(MATRIX, impact=1, breadth="single", overlays="vulnerable_customer")


@given(
    impact=st.integers(1, 4),
    breadth=st.sampled_from(Breadth),
    safety=st.sampled_from(Safety),
    complexity=st.sampled_from(Complexity),
    overlays=st.frozensets(st.sampled_from(Overlay)),
    immediate=st.booleans(),
)
def test_assessment_properties(
    impact: int,
    breadth: Breadth,
    safety: Safety,
    complexity: Complexity,
    overlays: frozenset[Overlay],
    immediate: bool,
) -> None:
    a = assess(
        MATRIX,
        impact=impact,
        breadth=breadth,
        safety=safety,
        complexity=complexity,
        overlays=overlays,
        immediate_action_needed=immediate,
    )
    assert (a.impact, a.breadth, a.safety, a.complexity, a.overlays) == (
        impact,
        breadth,
        safety,
        complexity,
        overlays,
    )
    base = MATRIX.grid[impact][breadth]
    assert rank(a.priority) <= rank(base)
    if safety is not Safety.NONE:
        assert a.priority is Priority.P1
    if not overlays and not immediate and safety is Safety.NONE:
        assert a.priority is base
    if overlays and safety is Safety.NONE and not immediate:
        assert rank(a.priority) == max(rank(base) - 1, 0)
    if impact < 4:
        worse = assess(MATRIX, impact=impact + 1, breadth=breadth, safety=safety, overlays=overlays)
        plain = assess(MATRIX, impact=impact, breadth=breadth, safety=safety, overlays=overlays)
        assert rank(worse.priority) <= rank(plain.priority)


def matrix_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(dict(DEFAULT_SEVERITY_MATRIX))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "paths"),
    [
        ([], {""}),
        (matrix_with(colour=1), {"colour"}),
        ({"safety": {}}, {"grid", "policies"}),
        (matrix_with(grid=[]), {"grid"}),
        (matrix_with(grid={"5": {}}), {"grid"}),
        (
            matrix_with(grid={**DEFAULT_SEVERITY_MATRIX["grid"], "1": {"single": "P9"}}),
            {"grid.1.single"},
        ),
        (matrix_with(grid={"1": DEFAULT_SEVERITY_MATRIX["grid"]["1"]}), {"grid"}),
        (matrix_with(safety={"deadly": "P1"}), {"safety"}),
        (matrix_with(safety=[]), {"safety"}),
        (
            matrix_with(overlays={"rich": 1, "vulnerable_customer": 9}),
            {"overlays", "overlays.vulnerable_customer"},
        ),
        (matrix_with(overlays=3), {"overlays"}),
        (matrix_with(immediate_action="P0"), {"immediate_action"}),
        (matrix_with(policies={"simple": ""}), {"policies.simple"}),
        (matrix_with(policies={"weird": "x"}), {"policies"}),
        (matrix_with(policies=[]), {"policies"}),
    ],
)
def test_bad_matrices_name_every_problem(data: Any, paths: set[str]) -> None:
    with pytest.raises(ConfigurationError) as info:
        SeverityMatrix.from_dict(data)
    assert set(info.value.paths) == paths


def test_a_matrix_without_overlays_or_immediate_floor() -> None:
    data = matrix_with(overlays={}, immediate_action=None, safety={"actual": "P2"})
    matrix = SeverityMatrix.from_dict(data)
    assert matrix.to_dict() == data
    assert assess(
        matrix, impact=1, breadth="single", overlays=["vulnerable_customer"]
    ).priority is (Priority.P4)
    assert assess(matrix, impact=1, breadth="single", safety="potential").priority is Priority.P4
    assert assess(matrix, impact=1, breadth="single", safety="actual").priority is Priority.P2
    assert assess(matrix, impact=1, breadth="single", immediate_action_needed=True).priority is (
        Priority.P4
    )


def test_matrices_built_in_python_are_checked() -> None:
    with pytest.raises(ConfigurationError) as info:
        SeverityMatrix(
            grid={1: {}, 7: {}},
            safety={"x": "y"},
            overlays={Overlay.VULNERABLE_CUSTOMER: True},
            immediate_action="P1",  # type: ignore[arg-type]
            policies={},
        )
    assert set(info.value.paths) == {
        "grid",
        "grid.1",
        "policies",
        "safety",
        "overlays",
        "immediate_action",
    }
