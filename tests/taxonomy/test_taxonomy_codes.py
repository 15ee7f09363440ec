"""Taxonomies: loading, validation rules, lookups, CSV and the loaders' guarantees."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002.errors import TaxonomyError, ValidationError
from iso10002.taxonomy import CSV_COLUMNS, Code, Taxonomy

SAMPLE: dict[str, Any] = {
    "name": "sample",
    "version": "1",
    "codes": [
        {"code": "billing", "label": "Billing"},
        {"code": "billing.refund", "label": "Refund", "parent": "billing"},
        {"code": "billing.refund.late", "label": "Late refund", "parent": "billing.refund"},
        {"code": "billing.fee", "label": "Fee", "parent": "billing", "description": "Any fee."},
        {"code": "delivery", "label": "Delivery"},
        {
            "code": "delivery.old",
            "label": "Old",
            "parent": "delivery",
            "active": False,
            "replaced_by": "delivery.late",
        },
        {"code": "delivery.late", "label": "Late", "parent": "delivery"},
    ],
}


def sample(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    data.update(changes)
    return data


def with_codes(*codes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    data["codes"].extend(codes)
    return data


def error_of(data: object) -> TaxonomyError:
    with pytest.raises(TaxonomyError) as info:
        Taxonomy.from_dict(data)
    return info.value


TAX = Taxonomy.from_dict(SAMPLE)

# --- lookups --------------------------------------------------------------------------------


def test_lookup_by_code_and_path() -> None:
    assert TAX["billing.refund"].label == "Refund"
    assert TAX.get("nope") is None
    assert "billing" in TAX
    assert 3 not in TAX
    assert len(TAX) == 7
    assert [c.code for c in TAX][:2] == ["billing", "billing.refund"]
    assert TAX.by_path("billing/billing.refund/billing.refund.late").label == "Late refund"
    assert TAX.by_path(["billing", "billing.fee"]).code == "billing.fee"
    for bad in ("billing.refund", "billing/billing.refund.late", "nope", ""):
        with pytest.raises(KeyError):
            TAX.by_path(bad)
    with pytest.raises(KeyError):
        TAX.by_path([])
    with pytest.raises(KeyError, match="no code"):
        TAX["nope"]


def test_the_hierarchy() -> None:
    assert [c.code for c in TAX.roots()] == ["billing", "delivery"]
    assert [c.code for c in TAX.children("billing")] == ["billing.refund", "billing.fee"]
    assert TAX.children("billing.fee") == ()
    assert [c.code for c in TAX.ancestors("billing.refund.late")] == ["billing.refund", "billing"]
    assert TAX.ancestors("billing") == ()
    assert [c.code for c in TAX.descendants("billing")] == [
        "billing.refund",
        "billing.refund.late",
        "billing.fee",
    ]
    assert TAX.path("billing.refund.late") == ("billing", "billing.refund", "billing.refund.late")
    assert [TAX.depth(c) for c in ("billing", "billing.refund", "billing.refund.late")] == [1, 2, 3]
    with pytest.raises(KeyError):
        TAX.descendants("nope")
    with pytest.raises(KeyError):
        TAX.depth("nope")


def test_roll_up_to_a_level() -> None:
    assert TAX.roll_up("billing.refund.late", 1) == "billing"
    assert TAX.roll_up("billing.refund.late", 2) == "billing.refund"
    assert TAX.roll_up("billing", 3) == "billing"
    counts = {"billing.refund.late": 2, "billing.fee": 3, "delivery.late": 1, "billing": 1}
    assert TAX.roll_up_counts(counts, 1) == {"billing": 6, "delivery": 1}
    for bad in (0, True, "1"):
        with pytest.raises(ValidationError, match="level"):
            TAX.roll_up("billing", bad)  # type: ignore[arg-type]


def test_retired_codes_resolve_to_their_replacement() -> None:
    assert TAX.resolve("delivery.old").code == "delivery.late"
    assert TAX.resolve("billing").code == "billing"
    assert "delivery.old" not in [c.code for c in TAX.active_codes()]


def test_hosts_extend_a_taxonomy() -> None:
    extended = TAX.extend(
        [{"code": "billing.fee.card", "label": "Card fee", "parent": "billing.fee"}], version="2"
    )
    assert extended.version == "2"
    assert extended.roll_up("billing.fee.card", 1) == "billing"
    more = extended.extend([Code("misc", "Misc")])
    assert more.version == "2"
    assert "misc" in more
    with pytest.raises(TaxonomyError) as info:
        TAX.extend([{"code": "x"}, {"code": "billing", "label": "Again"}])
    assert info.value.paths == ("codes[0].label",)
    with pytest.raises(TaxonomyError, match="duplicate code"):
        TAX.extend([{"code": "billing", "label": "Again"}])


# --- loading and dumping --------------------------------------------------------------------


def test_dump_of_load_is_the_input() -> None:
    assert TAX.to_dict() == SAMPLE
    assert Taxonomy.from_json(TAX.to_json()) == TAX
    assert Taxonomy.from_json(TAX.to_json(indent=None).encode()) == TAX
    assert Taxonomy.from_csv(TAX.to_csv(), name="sample") == TAX


def test_default_valued_keys_are_left_out() -> None:
    data = copy.deepcopy(SAMPLE)
    data["codes"][0].update(parent=None, description=None, active=True, replaced_by=None)
    assert Taxonomy.from_dict(data).to_dict() == SAMPLE


def test_csv_form() -> None:
    text = TAX.to_csv()
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    minimal = 'code,label\nbilling,Billing\n\nbilling.fee,"Fee, any"\n'
    loaded = Taxonomy.from_csv(minimal, name="m", version="3", description="From CSV.")
    assert loaded.to_dict() == {
        "name": "m",
        "version": "3",
        "description": "From CSV.",
        "codes": [
            {"code": "billing", "label": "Billing"},
            {"code": "billing.fee", "label": "Fee, any"},
        ],
    }
    reordered = "label,active,code\nBilling,TRUE,billing\nOld,false,old\n"
    assert [c.active for c in Taxonomy.from_csv(reordered, name="r")] == [True, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header row"),
        ("code,colour\nx,y\n", "unknown column"),
        ("code,code,label\n", "appears twice"),
        ("label\nX\n", "missing required column 'code'"),
        ("code,label\nx\n", "expected 2 cells"),
        ("code,label,active\nx,X,maybe\n", "expected true or false"),
        ('code,label\n"x,X\n', "not valid CSV"),
        ("code,label\nx y,X\n", "letters, digits"),
    ],
)
def test_bad_csv_is_a_taxonomy_error(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        Taxonomy.from_csv(text, name="bad")


def test_csv_needs_text() -> None:
    with pytest.raises(TaxonomyError, match="CSV text"):
        Taxonomy.from_csv(b"code,label", name="bad")  # type: ignore[arg-type]


def test_loading_files(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(TAX.to_json(), encoding="utf-8")
    (tmp_path / "sample.csv").write_text("\ufeff" + TAX.to_csv(), encoding="utf-8")
    (tmp_path / "latin.csv").write_bytes("code,label\nx,\xe9\n".encode("latin-1"))
    (tmp_path / "t.txt").write_text("", encoding="utf-8")
    assert Taxonomy.from_file(tmp_path / "t.json") == TAX
    assert Taxonomy.from_file(tmp_path / "sample.csv") == TAX
    assert Taxonomy.from_file(tmp_path / "sample.csv", name="other").name == "other"
    with pytest.raises(TaxonomyError, match="UTF-8"):
        Taxonomy.from_file(tmp_path / "latin.csv")
    with pytest.raises(TaxonomyError, match=r"\.json or \.csv"):
        Taxonomy.from_file(tmp_path / "t.txt")
    with pytest.raises(TaxonomyError, match="cannot read"):
        Taxonomy.from_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "not valid JSON"), ("[]", "expected an object"), (5, "expected JSON text")],
)
def test_bad_json_is_a_taxonomy_error(text: Any, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        Taxonomy.from_json(text)


# --- one test per validation rule -----------------------------------------------------------


def test_rule_codes_are_unique() -> None:
    error = error_of(with_codes({"code": "billing", "label": "Again"}))
    assert error.paths == ("codes[7].code",)


def test_rule_parents_exist() -> None:
    error = error_of(with_codes({"code": "x", "label": "X", "parent": "nope"}))
    assert error.paths == ("codes[7].parent",)


def test_rule_no_cycles() -> None:
    error = error_of(
        with_codes(
            {"code": "a", "label": "A", "parent": "b"},
            {"code": "b", "label": "B", "parent": "a"},
            {"code": "c", "label": "C", "parent": "c"},
            {"code": "d", "label": "D", "parent": "a"},
        )
    )
    assert "cycle: a -> b -> a" in str(error)
    assert "cycle: c -> c" in str(error)
    assert len(error.problems) == 2


def test_rule_replacements_exist_and_lead_to_an_active_code() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"code": "x", "label": "X", "active": False, "replaced_by": "nope"},
            "unknown replacement",
        ),
        ({"code": "x", "label": "X", "active": False, "replaced_by": "x"}, "cannot replace itself"),
        ({"code": "x", "label": "X", "replaced_by": "billing"}, "only a retired code"),
    ]
    for code, message in cases:
        assert message in str(error_of(with_codes(code)))
    chain = with_codes(
        {"code": "x", "label": "X", "active": False, "replaced_by": "y"},
        {"code": "y", "label": "Y", "active": False, "replaced_by": "x"},
        {"code": "z", "label": "Z", "active": False, "replaced_by": "w"},
        {"code": "w", "label": "W", "active": False},
    )
    error = error_of(chain)
    assert set(error.paths) == {
        "codes[7].replaced_by",
        "codes[8].replaced_by",
        "codes[9].replaced_by",
    }
    longer = with_codes(
        {"code": "x", "label": "X", "active": False, "replaced_by": "y"},
        {"code": "y", "label": "Y", "active": False, "replaced_by": "billing"},
    )
    assert Taxonomy.from_dict(longer).resolve("x").code == "billing"


def test_rule_fields_are_checked() -> None:
    error = error_of(
        with_codes({"code": "has space", "label": " ", "active": "yes", "colour": "red"})
    )
    assert set(error.paths) == {
        "codes[7].code",
        "codes[7].label",
        "codes[7].active",
        "codes[7].colour",
    }
    error = error_of(sample(name=3, version="", codes="x"))
    assert set(error.paths) == {"name", "version", "codes"}
    with pytest.raises(TaxonomyError, match="expected a Code"):
        Taxonomy("t", "1", codes=("billing",))
    with pytest.raises(TaxonomyError, match="expected a list of codes"):
        Taxonomy("t", "1", codes=5)  # type: ignore[arg-type]
    with pytest.raises(TaxonomyError, match="letters, digits"):
        Code("-x", "X")


# --- the loaders raise only TaxonomyError ---------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_arbitrary_data_raises_only_taxonomy_errors(data: object) -> None:
    with contextlib.suppress(TaxonomyError):
        Taxonomy.from_dict(data)
    with contextlib.suppress(TaxonomyError):
        Taxonomy.from_json(json.dumps(data))


@given(st.data(), json_values)
def test_valid_taxonomies_with_one_part_replaced_raise_only_taxonomy_errors(
    data: st.DataObject, replacement: object
) -> None:
    document = copy.deepcopy(SAMPLE)
    index = data.draw(st.integers(0, len(document["codes"]) - 1))
    key = data.draw(st.sampled_from(["code", "label", "parent", "active", "replaced_by", "x"]))
    document["codes"][index][key] = replacement
    with contextlib.suppress(TaxonomyError):
        Taxonomy.from_dict(document)


@given(st.text(max_size=200))
def test_arbitrary_csv_raises_only_taxonomy_errors(text: str) -> None:
    with contextlib.suppress(TaxonomyError):
        Taxonomy.from_csv("code,label,parent\n" + text, name="fuzz")


codes = st.text(alphabet="abcxyz", min_size=1, max_size=3)


@st.composite
def taxonomy_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Canonical dicts of random valid taxonomies (parents come before their children)."""
    names = draw(st.lists(codes, unique=True, min_size=1, max_size=12))
    items: list[dict[str, Any]] = []
    for i, code in enumerate(names):
        item: dict[str, Any] = {"code": code, "label": f"Label {code}"}
        if i and draw(st.booleans()):
            item["parent"] = draw(st.sampled_from(names[:i]))
        if draw(st.booleans()):
            item["description"] = "About it."
        items.append(item)
    retired = [item for item in items[1:] if draw(st.integers(0, 4)) == 0]
    active = [item["code"] for item in items if item not in retired]
    for item in retired:
        item["active"] = False
        if draw(st.booleans()):
            item["replaced_by"] = draw(st.sampled_from(active))
    return {"name": "random", "version": "1", "codes": items}


@given(taxonomy_dicts())
def test_random_taxonomies_round_trip(data: dict[str, Any]) -> None:
    taxonomy = Taxonomy.from_dict(data)
    assert taxonomy.to_dict() == data
    assert Taxonomy.from_json(taxonomy.to_json()) == taxonomy
    assert Taxonomy.from_csv(taxonomy.to_csv(), name="random") == taxonomy
    for code in taxonomy:
        path = taxonomy.path(code.code)
        assert taxonomy.by_path(path) == code
        assert taxonomy.depth(code.code) == len(path)
        assert taxonomy.roll_up(code.code, 1) == path[0]
        assert all(code in taxonomy.descendants(a.code) for a in taxonomy.ancestors(code.code))
        assert taxonomy.resolve(code.code).active or code.replaced_by is None
