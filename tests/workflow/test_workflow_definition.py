"""Workflow definitions: loading, dumping, and one test per validation rule."""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from _workflow_support import definition_dicts  # type: ignore[import-not-found, unused-ignore]
from hypothesis import given
from hypothesis import strategies as st

from iso10002.errors import (
    AmbiguousTransitionError,
    ConfigurationError,
    DeadEndStateError,
    DefinitionError,
    GuardParameterError,
    UnknownGuardError,
    UnknownStateError,
    UnreachableStateError,
)
from iso10002.workflow import (
    ISO10002,
    SMALL_BUSINESS,
    GuardRef,
    State,
    Transition,
    WorkflowDefinition,
    default_definitions,
    iso10002_workflow,
    small_business_workflow,
)

HAS_TOML = importlib.util.find_spec("tomllib") is not None
needs_toml = pytest.mark.skipif(not HAS_TOML, reason="reading TOML needs Python 3.11 (tomllib)")

MINIMAL: dict[str, Any] = {
    "name": "mini",
    "version": "1",
    "states": [
        {"name": "open", "initial": True},
        {"name": "done", "terminal": True},
    ],
    "transitions": [{"name": "finish", "sources": ["open"], "target": "done"}],
}


def variant(**changes: Any) -> dict[str, Any]:
    """MINIMAL with top-level keys replaced."""
    data = copy.deepcopy(MINIMAL)
    data.update(changes)
    return data


def with_transition(**fields: Any) -> dict[str, Any]:
    """MINIMAL plus one more transition."""
    data = copy.deepcopy(MINIMAL)
    data["transitions"].append({"name": "extra", "sources": ["open"], **fields})
    return data


def load_error(data: object, kind: type[DefinitionError]) -> DefinitionError:
    with pytest.raises(kind) as info:
        WorkflowDefinition.from_dict(data)
    return info.value


# --- loading and dumping ---------------------------------------------------------------------


def test_the_minimal_definition_loads() -> None:
    definition = WorkflowDefinition.from_dict(MINIMAL)
    assert definition.initial_state == "open"
    assert definition.state_names == ("open", "done")
    assert definition.terminal_states == ("done",)
    assert definition.transition_names == ("finish",)
    assert definition.state("done").terminal
    assert definition.label("open") == "Open"
    assert definition.to_dict() == MINIMAL


@pytest.mark.parametrize("data", [ISO10002, SMALL_BUSINESS], ids=["iso10002", "small_business"])
def test_the_defaults_round_trip_through_every_form(data: Mapping[str, Any]) -> None:
    definition = WorkflowDefinition.from_dict(copy.deepcopy(dict(data)))
    assert definition.to_dict() == data
    assert WorkflowDefinition.from_json(definition.to_json()) == definition
    assert WorkflowDefinition.from_json(definition.to_json().encode()) == definition
    if HAS_TOML:
        assert WorkflowDefinition.from_toml(definition.to_toml()) == definition
        assert WorkflowDefinition.from_toml(definition.to_toml().encode()) == definition


def test_the_default_loaders_are_cached_and_named() -> None:
    assert iso10002_workflow() is iso10002_workflow()
    assert default_definitions() == {
        "iso10002": iso10002_workflow(),
        "small_business": small_business_workflow(),
    }


@given(definition_dicts())
def test_dump_of_load_is_the_canonical_input(data: dict[str, Any]) -> None:
    definition = WorkflowDefinition.from_dict(data)
    assert definition.to_dict() == data
    assert WorkflowDefinition.from_json(definition.to_json(indent=None)) == definition
    if HAS_TOML:
        assert WorkflowDefinition.from_toml(definition.to_toml()) == definition


def test_default_valued_keys_are_left_out_of_the_dump() -> None:
    data = copy.deepcopy(MINIMAL)
    data["states"][0].update(terminal=False, label=None, start=[], stop=[], pause=[])
    data["transitions"][0].update(guards=[], roles=[], required=[], fixed={}, event=None)
    assert WorkflowDefinition.from_dict(data).to_dict() == MINIMAL


def test_guard_params_and_fixed_values_are_kept_as_given_and_read_only() -> None:
    data = with_transition(
        event="ComplaintEscalated",
        fixed={"kind": "internal_review"},
        guards=[{"name": "has_role", "params": {"roles": ["reviewer"]}}],
    )
    definition = WorkflowDefinition.from_dict(data)
    assert definition.to_dict() == data
    transition = definition.transitions[1]
    with pytest.raises(TypeError):
        transition.fixed["kind"] = "x"  # type: ignore[index]
    assert hash(definition) == hash(WorkflowDefinition.from_dict(data))


def test_definitions_are_built_in_python_too() -> None:
    definition = WorkflowDefinition(
        name="py",
        version="2",
        states=[State("open", initial=True), State("done", terminal=True, label="Done")],
        transitions=[
            Transition("finish", ["open"], "done", guards=[GuardRef("has_assessment")]),
        ],
    )
    assert definition.transitions[0].sources == ("open",)
    assert not definition.transitions[0].internal
    assert WorkflowDefinition.from_dict(definition.to_dict()) == definition
    assert attrs.evolve(definition, version="3").version == "3"


def test_loading_files(tmp_path: Path) -> None:
    definition = iso10002_workflow()
    (tmp_path / "w.json").write_text(definition.to_json(), encoding="utf-8")
    (tmp_path / "w.toml").write_text(definition.to_toml(), encoding="utf-8")
    (tmp_path / "w.yaml").write_text("name: x", encoding="utf-8")
    assert WorkflowDefinition.from_file(tmp_path / "w.json") == definition
    if HAS_TOML:
        assert WorkflowDefinition.from_file(str(tmp_path / "w.toml")) == definition
    with pytest.raises(DefinitionError, match=r"\.json or \.toml"):
        WorkflowDefinition.from_file(tmp_path / "w.yaml")
    with pytest.raises(DefinitionError, match="cannot read"):
        WorkflowDefinition.from_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("loader", "text", "message"),
    [
        (WorkflowDefinition.from_json, "{", "not valid JSON"),
        (WorkflowDefinition.from_json, b"\xff\xfe\x00", "not valid JSON"),
        (WorkflowDefinition.from_json, 12, "expected JSON text"),
        (WorkflowDefinition.from_json, "[1, 2]", "expected an object"),
        pytest.param(WorkflowDefinition.from_toml, "name = ", "not valid TOML", marks=needs_toml),
        pytest.param(WorkflowDefinition.from_toml, b"\xff", "must be UTF-8", marks=needs_toml),
        pytest.param(WorkflowDefinition.from_toml, 12, "expected TOML text", marks=needs_toml),
    ],
)
def test_unreadable_text_is_a_definition_error(loader: Any, text: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        loader(text)


def test_toml_cannot_hold_null_values_or_lone_surrogates() -> None:
    with_null = WorkflowDefinition.from_dict(
        with_transition(target="done", event="ComplaintAssigned", fixed={"assignee": None})
    )
    with pytest.raises(DefinitionError, match="TOML cannot hold"):
        with_null.to_toml()
    assert WorkflowDefinition.from_json(with_null.to_json()) == with_null
    surrogate = WorkflowDefinition.from_dict(variant(description="bad \ud800 text"))
    with pytest.raises(DefinitionError, match="surrogate"):
        surrogate.to_toml()
    assert WorkflowDefinition.from_json(surrogate.to_json()) == surrogate


@needs_toml
def test_toml_escapes_text() -> None:
    text = 'quote " back \\ tab \t nl \n bell \x07 del \x7f é 😀'
    definition = WorkflowDefinition.from_dict(variant(description=text))
    assert WorkflowDefinition.from_toml(definition.to_toml()).description == text


@needs_toml
def test_the_toml_writer_handles_every_json_value() -> None:
    from iso10002 import _config

    tomllib: Any = importlib.import_module("tomllib")

    data = {
        "a": 1.5,
        "b": [1, True, "x", {"k": []}],
        "weird key": {"inner key": {}, "n": -3},
        "tables": [{"x": 1}, {"y": [{"z": "w"}]}],
    }
    assert tomllib.loads(_config.to_toml(data, DefinitionError)) == data
    with pytest.raises(DefinitionError, match="non-finite"):
        _config.to_toml({"n": float("inf")}, DefinitionError)
    with pytest.raises(DefinitionError, match="TOML cannot hold"):
        _config.to_toml({"n": object()}, DefinitionError)


# --- one test per validation rule -----------------------------------------------------------


def test_rule_names_follow_the_pattern() -> None:
    error = load_error(variant(states=[{"name": "has space", "initial": True}]), DefinitionError)
    assert error.paths == ("states[0].name",)
    with pytest.raises(DefinitionError, match="letters, digits"):
        State("9lives")


def test_rule_unknown_and_missing_keys_are_named() -> None:
    data = variant(colour="blue")
    del data["version"]
    error = load_error(data, DefinitionError)
    assert set(error.paths) == {"colour", "version"}


def test_rule_wrong_types_are_described_not_echoed() -> None:
    error = load_error(variant(version=12345, states="secret-value"), DefinitionError)
    assert "secret-value" not in str(error)
    assert "12345" not in str(error)
    assert set(error.paths) >= {"version", "states"}


def test_rule_state_names_are_unique() -> None:
    data = copy.deepcopy(MINIMAL)
    data["states"].append({"name": "open"})
    error = load_error(data, DefinitionError)
    assert type(error) is DefinitionError
    assert error.paths == ('states["open", 1].name',)


@pytest.mark.parametrize("initial", [[], ["open", "done"]])
def test_rule_exactly_one_initial_state(initial: list[str]) -> None:
    data = copy.deepcopy(MINIMAL)
    for state in data["states"]:
        state.pop("initial", None)
        if state["name"] in initial:
            state["initial"] = True
    assert "initial" in str(load_error(data, DefinitionError))


def test_rule_at_least_one_state() -> None:
    error = load_error(variant(states=[], transitions=[]), DefinitionError)
    assert "at least one state" in str(error)


def test_rule_some_state_is_terminal() -> None:
    data = copy.deepcopy(MINIMAL)
    del data["states"][1]["terminal"]
    error = load_error(data, DeadEndStateError)
    assert "no state is terminal" in str(error)


def test_rule_sources_and_targets_are_declared_states() -> None:
    error = load_error(with_transition(sources=["nowhere"], target="limbo"), UnknownStateError)
    assert error.paths == ('transitions["extra"].sources[0]', 'transitions["extra"].target')


def test_rule_sources_are_listed_once() -> None:
    error = load_error(with_transition(sources=["open", "open"], target="done"), DefinitionError)
    assert error.paths == ('transitions["extra"].sources[1]',)


def test_rule_every_state_is_reachable() -> None:
    data = copy.deepcopy(MINIMAL)
    data["states"].append({"name": "island", "terminal": True})
    error = load_error(data, UnreachableStateError)
    assert error.paths == ('states["island"]',)


def test_rule_every_non_terminal_state_can_end() -> None:
    data = copy.deepcopy(MINIMAL)
    data["states"].append({"name": "trap"})
    data["transitions"].append({"name": "fall", "sources": ["open"], "target": "trap"})
    error = load_error(data, DeadEndStateError)
    assert "'trap'" in str(error)


def test_rule_a_name_leaves_a_state_once() -> None:
    data = copy.deepcopy(MINIMAL)
    data["transitions"].append({"name": "finish", "sources": ["open"], "target": "open"})
    error = load_error(data, AmbiguousTransitionError)
    assert error.paths == ('transitions["finish", 1].sources[0]',)
    assert '(transitions["finish", 0])' in str(error)


def test_rule_guards_are_registered() -> None:
    error = load_error(with_transition(target="done", guards=[{"name": "nope"}]), UnknownGuardError)
    assert error.paths == ('transitions["extra"].guards[0].name',)


@pytest.mark.parametrize(
    ("guard", "path"),
    [
        ({"name": "has_role"}, 'transitions["extra"].guards[0].params.roles'),
        (
            {"name": "has_role", "params": {"roles": []}},
            'transitions["extra"].guards[0].params.roles',
        ),
        (
            {"name": "has_role", "params": {"roles": ["a"], "x": 1}},
            'transitions["extra"].guards[0].params.x',
        ),
        ({"name": "has_decision", "params": {"x": 1}}, 'transitions["extra"].guards[0].params'),
    ],
)
def test_rule_guard_parameters_are_checked(guard: dict[str, Any], path: str) -> None:
    error = load_error(with_transition(target="done", guards=[guard]), GuardParameterError)
    assert path in error.paths


def test_rule_guard_params_are_json_objects() -> None:
    error = load_error(
        with_transition(target="done", guards=[{"name": "has_role", "params": [1]}]),
        DefinitionError,
    )
    assert error.paths == ('transitions["extra"].guards[0].params',)
    with pytest.raises(DefinitionError, match="keys must be strings"):
        GuardRef("has_role", {1: "x"})
    with pytest.raises(DefinitionError, match="finite"):
        GuardRef("has_role", {"x": float("nan")})
    with pytest.raises(DefinitionError, match="JSON-like"):
        GuardRef("has_role", {"x": {1, 2}})


@pytest.mark.parametrize("event", ["NoSuchEvent", "StateChanged", "ComplaintReceived"])
def test_rule_events_are_transition_events(event: str) -> None:
    error = load_error(with_transition(target="done", event=event), DefinitionError)
    assert error.paths == ('transitions["extra"].event',)


def test_rule_an_internal_action_records_an_event() -> None:
    error = load_error(with_transition(), DefinitionError)
    assert error.paths == ('transitions["extra"]',)


def test_rule_required_fields_belong_to_the_event() -> None:
    error = load_error(
        with_transition(target="done", event="ComplaintClosed", required=["colour"]),
        DefinitionError,
    )
    assert error.paths == ('transitions["extra"].required[0]',)
    error = load_error(with_transition(target="done", required=["reason"]), DefinitionError)
    assert "takes no data" in str(error)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "ComplaintEscalated", "fixed": {"kind": "sideways"}}, "expected one of"),
        ({"event": "ComplaintEscalated", "fixed": {"colour": "red"}}, "has no field"),
        ({"fixed": {"kind": "internal_review"}}, "has no field"),
        (
            {"event": "ComplaintClosed", "required": ["reason"], "fixed": {"reason": "x"}},
            "both required and fixed",
        ),
        ({"event": "ComplaintClosed", "fixed": {"reason": 3}}, "expected a string"),
        ({"event": "ComplaintClosed", "fixed": {"reason": "x" * 500}}, "too long"),
    ],
)
def test_rule_fixed_values_fit_the_event(fields: dict[str, Any], message: str) -> None:
    error = load_error(with_transition(target="done", **fields), DefinitionError)
    assert message in str(error)


def test_rule_a_milestone_has_one_effect_per_state() -> None:
    data = copy.deepcopy(MINIMAL)
    data["states"][0].update(start=["m"], stop=["m"])
    error = load_error(data, DefinitionError)
    assert "'start' and 'stop'" in str(error)


def test_rule_problems_of_several_kinds_are_listed_together() -> None:
    data = with_transition(sources=["nowhere"], target="done", guards=[{"name": "nope"}])
    error = load_error(data, DefinitionError)
    assert type(error) is DefinitionError
    assert set(error.paths) == {
        'transitions["extra"].sources[0]',
        'transitions["extra"].guards[0].name',
    }


def test_rule_python_values_are_checked_too() -> None:
    with pytest.raises(DefinitionError, match="expected a list"):
        WorkflowDefinition("x", "1", states=3, transitions=())  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="expected a State"):
        WorkflowDefinition("x", "1", states=("open",), transitions=())
    with pytest.raises(DefinitionError, match="expected a GuardRef"):
        Transition("t", ("a",), guards=("has_role",))
    with pytest.raises(DefinitionError, match="expected a list of guards"):
        Transition("t", ("a",), guards=5)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="at least one"):
        Transition("t", ())
    with pytest.raises(DefinitionError) as info:
        Transition("t", ("fine", "not fine", "fine"))
    assert info.value.paths == ("sources[1]", "sources[2]")
    with pytest.raises(DefinitionError, match="expected a list of names"):
        State("s", start="m")
    with pytest.raises(DefinitionError, match="expected true or false"):
        State("s", initial=1)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="blank"):
        State("s", label=" ")
    with pytest.raises(DefinitionError, match="too long"):
        State("s", label="x" * 201)
    with pytest.raises(DefinitionError, match="expected a str"):
        State("s", label=3)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="expected a name"):
        State(3)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="expected an object"):
        GuardRef("g", 3)


def test_json_like_nesting_is_bounded() -> None:
    deep: Any = 1
    for _ in range(30):
        deep = [deep]
    with pytest.raises(DefinitionError, match="nested too deeply"):
        GuardRef("g", {"x": deep})


# --- the loaders raise only DefinitionError -------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_arbitrary_json_like_data_raises_only_definition_errors(data: object) -> None:
    with contextlib.suppress(DefinitionError):
        WorkflowDefinition.from_dict(data)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


@given(st.data(), json_values)
def test_valid_definitions_with_one_part_replaced_raise_only_definition_errors(
    data: st.DataObject, replacement: object
) -> None:
    document = copy.deepcopy(dict(ISO10002))
    path = data.draw(st.sampled_from(_paths(document)[1:]))
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    with contextlib.suppress(DefinitionError):
        WorkflowDefinition.from_dict(document)


@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_definition_errors(text: str) -> None:
    for loader in (WorkflowDefinition.from_json, WorkflowDefinition.from_toml):
        with contextlib.suppress(DefinitionError):
            loader(text)


@given(json_values)
def test_json_documents_raise_only_definition_errors(value: object) -> None:
    with contextlib.suppress(DefinitionError):
        WorkflowDefinition.from_json(json.dumps(value))


def test_guard_registration_rules() -> None:
    from iso10002.workflow import guard, registered_guards

    with pytest.raises(ConfigurationError, match="guard name"):
        guard("has space")
    with pytest.raises(ConfigurationError, match="already registered"):
        guard("has_role")
    with pytest.raises(ConfigurationError, match="attrs class"):
        guard("x_bad_params", params=dict)
    assert registered_guards()["has_role"].description.startswith("The actor holds")
    with pytest.raises(TypeError):
        registered_guards()["x"] = None  # type: ignore[index]


def test_fixed_values_go_through_the_event_field_converters() -> None:
    data = with_transition(
        target="done", event="FindingsRecorded", fixed={"root_causes": ["process"]}
    )
    definition = WorkflowDefinition.from_dict(data)
    assert definition.to_dict() == data
    error = load_error(
        with_transition(target="done", event="NoSuchEvent", fixed={"kind": "x"}), DefinitionError
    )
    assert error.paths == ('transitions["extra"].event',)


def test_problem_translation_helpers() -> None:
    from cattrs.errors import ClassValidationError

    from iso10002 import _config
    from iso10002.errors import Iso10002Error, ValidationError

    nested = ClassValidationError("x", [ValidationError([("a", "bad")])], int)
    assert [str(p) for p in _config.problems_of(nested, "top")] == ["top.a: bad"]
    assert [str(p) for p in _config.problems_of(Iso10002Error("boom"), "k")] == ["k: boom"]
    assert [str(p) for p in _config.problems_of(KeyError("k"), "")] == ["invalid value (KeyError)"]
    assert _config.join("", "a") == "a"
    assert _config.join("a", "[0]") == "a[0]"
    assert _config.join("a", "") == "a"


def test_a_converter_raising_anything_becomes_a_problem() -> None:
    from iso10002.workflow import guard

    def explode(value: object) -> object:
        raise RuntimeError("no")

    @attrs.frozen
    class Exploding:
        value: int = attrs.field(converter=explode)

    guard("test_workflow.exploding", params=Exploding, replace=True)(lambda c, a, p, d: None)
    error = load_error(
        with_transition(
            target="done", guards=[{"name": "test_workflow.exploding", "params": {"value": 1}}]
        ),
        GuardParameterError,
    )
    assert "RuntimeError" in str(error)


def test_events_with_factory_defaults_can_be_planned() -> None:
    from iso10002.events import ComplaintReceived
    from iso10002.model import Classification
    from iso10002.workflow._compiled import event_plan

    plan = event_plan(ComplaintReceived, {})
    assert plan is not None
    (classification,) = [item for item in plan if item[0] == "classification"]
    assert classification[5] is Classification


def test_copies_of_a_definition_are_the_definition() -> None:
    definition = iso10002_workflow()
    assert copy.copy(definition) is definition
    assert copy.deepcopy(definition) is definition
    assert copy.deepcopy(definition.transitions[0]) is definition.transitions[0]
    assert copy.deepcopy({"d": definition})["d"] is definition
    ref = GuardRef("has_role", {"roles": ["a"]})
    assert copy.deepcopy(ref) is ref
