"""The bundled taxonomies: present, valid, and with stable codes."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from iso10002.errors import TaxonomyError
from iso10002.model import Outcome
from iso10002.taxonomy import DEFAULT_TAXONOMY_NAMES, default_taxonomies, default_taxonomy

# Codes are stable: they may be added to or retired, never renamed or removed.
STABLE_ROOTS = {
    "categories": [
        "quality",
        "delivery",
        "billing",
        "staff_conduct",
        "communication",
        "policy",
        "privacy",
        "safety",
        "accessibility",
        "complaint_handling",
        "other",
    ],
    "root_causes": [
        "people",
        "process",
        "product",
        "policy",
        "communication",
        "third_party",
        "system",
    ],
    "remedies": [
        "apology",
        "explanation",
        "correction",
        "replacement",
        "refund",
        "compensation",
        "goodwill",
    ],
    "outcomes": ["upheld", "partly_upheld", "not_upheld", "withdrawn", "out_of_scope"],
}


@pytest.mark.parametrize("name", DEFAULT_TAXONOMY_NAMES)
def test_the_bundled_taxonomies_load_and_keep_their_codes(name: str) -> None:
    taxonomy = default_taxonomy(name)
    assert taxonomy.name == name
    assert [c.code for c in taxonomy.roots()] == STABLE_ROOTS[name]
    assert all(c.active for c in taxonomy)
    data = json.loads(
        resources.files("iso10002.taxonomy").joinpath("data").joinpath(f"{name}.json").read_text()
    )
    assert taxonomy.to_dict() == data
    assert default_taxonomy(name) is taxonomy


def test_every_default_is_listed() -> None:
    assert set(default_taxonomies()) == set(DEFAULT_TAXONOMY_NAMES) == set(STABLE_ROOTS)


def test_category_codes_extend_their_parents_code() -> None:
    categories = default_taxonomy("categories")
    for code in categories:
        if code.parent is not None:
            assert code.code.startswith(code.parent + ".")
    assert categories.roll_up("billing.refund", 1) == "billing"
    assert "safety.injury" in [c.code for c in categories.descendants("safety")]


def test_decision_outcomes_are_outcome_codes() -> None:
    outcomes = default_taxonomy("outcomes")
    assert {o.value for o in Outcome} <= {c.code for c in outcomes}


def test_an_unknown_default_is_a_taxonomy_error() -> None:
    with pytest.raises(TaxonomyError, match="accepted: categories"):
        default_taxonomy("colours")
