"""Custom workflows: wildcard and grouped sources, workflow steps, milestone checks, named paths."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from _workflow_support import (  # type: ignore[import-not-found, unused-ignore]
    ACTORS,
    ALICE,
    T0,
    definition_dicts,
    leaves_from,
    new_complaint,
    received,
)
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import events as ev
from iso10002.errors import (
    AmbiguousTransitionError,
    ConfigurationError,
    DeadEndStateError,
    DefinitionError,
    TransitionNotAllowed,
    UnknownMilestoneError,
    UnknownStateError,
    ValidationError,
)
from iso10002.sla import MILESTONES
from iso10002.workflow import (
    ISO10002,
    State,
    Transition,
    WorkflowDefinition,
    available_transitions,
    fire,
    iso10002_workflow,
    to_dot,
    to_mermaid,
)

HAS_TOML = importlib.util.find_spec("tomllib") is not None

REVIEWED: dict[str, Any] = {
    "name": "reviewed",
    "version": "1",
    "groups": {"handling": ["open", "review"]},
    "states": [
        {"name": "open", "initial": True, "start": ["final_response"]},
        {"name": "review", "pause": ["final_response"]},
        {"name": "done", "terminal": True, "stop": ["final_response"]},
        {"name": "dropped", "terminal": True, "stop": ["final_response"]},
    ],
    "transitions": [
        {"name": "send", "sources": ["open"], "target": "review"},
        {
            "name": "approve",
            "sources": ["review"],
            "target": "done",
            "event": "WorkflowStepRecorded",
        },
        {"name": "drop", "sources": ["*"], "target": "dropped", "event": "ComplaintWithdrawn"},
        {"name": "note", "sources": ["handling", "done"], "event": "NoteAdded"},
    ],
}


def load(data: Any, **options: Any) -> WorkflowDefinition:
    return WorkflowDefinition.from_dict(data, **options)


def load_error(data: Any, kind: type[DefinitionError], **options: Any) -> DefinitionError:
    with pytest.raises(kind) as info:
        WorkflowDefinition.from_dict(data, **options)
    return info.value


def changed(**top: Any) -> dict[str, Any]:
    data = copy.deepcopy(REVIEWED)
    data.update(top)
    return data


def with_transition(**fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(REVIEWED)
    data["transitions"].append({"name": "extra", "sources": ["open"], **fields})
    return data


# --- sources: "*" and groups -----------------------------------------------------------------


def test_star_and_groups_expand_to_states_and_round_trip() -> None:
    definition = load(REVIEWED)
    assert definition.open_states == ("open", "review")
    assert definition.groups == {"handling": ("open", "review")}
    assert definition.expand_sources(["*"]) == ("open", "review")
    assert definition.expand_sources(["handling", "done", "open"]) == ("open", "review", "done")
    assert definition.to_dict() == REVIEWED
    assert WorkflowDefinition.from_json(definition.to_json()) == definition
    if HAS_TOML:
        assert WorkflowDefinition.from_toml(definition.to_toml()) == definition
    assert hash(definition) == hash(load(copy.deepcopy(REVIEWED)))
    with pytest.raises(UnknownStateError) as info:
        definition.expand_sources(["open", "nowhere", 3])  # type: ignore[list-item]
    assert info.value.paths == ("sources[1]", "sources[2]")


def test_star_means_every_open_state_and_fires_from_each() -> None:
    definition = load(REVIEWED)
    for state in ("open", "review"):
        complaint = ev.apply(None, received(state))
        assert "drop" in available_transitions(definition, complaint, ALICE)
        after, _ = fire(definition, complaint, "drop", actor=ALICE, at=T0)
        assert after.state == "dropped"
    done = ev.apply(None, received("done"))
    with pytest.raises(TransitionNotAllowed, match="only from: open, review"):
        fire(definition, done, "drop", actor=ALICE, at=T0)
    assert "note" in available_transitions(definition, done, ALICE)


def test_the_diagrams_show_expanded_sources() -> None:
    mermaid = to_mermaid(load(REVIEWED))
    assert "open --> dropped : drop" in mermaid
    assert "review --> dropped : drop" in mermaid
    assert "done : actions note" in mermaid
    assert '"review" -> "dropped" [label="drop"];' in to_dot(load(REVIEWED))


def test_the_default_workflow_lists_open_states_with_a_star() -> None:
    withdraw = next(t for t in ISO10002["transitions"] if t["name"] == "withdraw")
    assert withdraw["sources"] == ["*"]
    workflow = iso10002_workflow()
    assert workflow.expand_sources(["*"]) == workflow.open_states
    assert "reopened" in workflow.open_states
    assert "closed" not in workflow.open_states


def test_overlapping_sources_are_one_set() -> None:
    data = copy.deepcopy(REVIEWED)
    data["transitions"][3]["sources"] = ["*", "handling", "open", "done"]
    definition = load(data)
    complaint = ev.apply(None, received("open"))
    assert available_transitions(definition, complaint, ALICE).count("note") == 1


@pytest.mark.parametrize(
    ("groups", "kind", "path"),
    [
        ({"open": ["review"]}, DefinitionError, "groups.open"),
        ({"g": ["nowhere"]}, UnknownStateError, "groups.g[0]"),
        ({"g": []}, DefinitionError, "groups.g"),
        ({"g": ["open", "open"]}, DefinitionError, "groups.g[1]"),
        ({"g": "open"}, DefinitionError, "groups.g"),
        ({"g": [1]}, DefinitionError, "groups.g[0]"),
        ({"bad name": ["open"]}, DefinitionError, "groups"),
        (["open"], DefinitionError, "groups"),
    ],
)
def test_groups_are_checked(groups: Any, kind: type[DefinitionError], path: str) -> None:
    error = load_error(changed(groups=groups), kind)
    assert path in error.paths


def test_unknown_sources_and_a_star_twice_are_refused() -> None:
    error = load_error(
        with_transition(sources=["open", "nowhere"], target="done"), UnknownStateError
    )
    assert error.paths == ('transitions["extra"].sources[1]',)
    assert "unknown state or group 'nowhere'" in str(error)
    error = load_error(with_transition(sources=["*", "*"], target="done"), DefinitionError)
    assert error.paths == ('transitions["extra"].sources[1]',)
    error = load_error(with_transition(sources=["**"], target="done"), DefinitionError)
    assert "or * for every open state" in str(error)


def test_a_star_overlapping_another_declaration_is_ambiguous() -> None:
    data = copy.deepcopy(REVIEWED)
    data["transitions"].append({"name": "drop", "sources": ["review"], "target": "done"})
    error = load_error(data, AmbiguousTransitionError)
    assert error.paths == ('transitions["drop", 1].sources[0]',)
    assert "already leaves state 'review'" in str(error)
    assert '(transitions["drop", 0])' in str(error)


def test_a_state_with_only_internal_actions_is_a_dead_end() -> None:
    data = copy.deepcopy(REVIEWED)
    data["states"].insert(2, {"name": "stuck"})
    data["transitions"].append({"name": "park", "sources": ["open"], "target": "stuck"})
    data["transitions"][2]["sources"] = ["open", "review"]  # drop: no longer from every state
    error = load_error(data, DeadEndStateError)
    assert error.paths == ('states["stuck"]',)
    assert "could never be closed or withdrawn" in str(error)


def test_python_definitions_take_stars_and_groups() -> None:
    definition = WorkflowDefinition(
        name="py",
        version="1",
        states=[State("open", initial=True), State("done", terminal=True)],
        transitions=[
            Transition("finish", ["*"], "done"),
            Transition("note", ["all"], event="NoteAdded"),
        ],
        groups={"all": ["open", "done"]},
    )
    assert definition.groups["all"] == ("open", "done")
    assert WorkflowDefinition.from_dict(definition.to_dict()) == definition
    with pytest.raises(TypeError):
        definition.groups["x"] = ("open",)  # type: ignore[index]


@st.composite
def starred(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A random definition using ``*`` and groups, and the same with every source listed."""
    data = draw(definition_dicts())
    names = [s["name"] for s in data["states"]]
    groups = {
        f"g{i}": draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        for i in range(draw(st.integers(0, 2)))
    }
    if groups:
        data["groups"] = groups
    for t in data["transitions"]:
        extra = draw(st.lists(st.sampled_from(["*", *groups]), unique=True, max_size=2))
        t["sources"] = [*t["sources"], *extra]
    listed = copy.deepcopy(data)
    listed.pop("groups", None)
    view = load(data, milestones=None)
    for t, original in zip(listed["transitions"], view.transitions, strict=True):
        t["sources"] = leaves_from(view, original)
    return data, listed


@given(starred())
def test_stars_and_groups_compile_to_the_listed_workflow(pair: Any) -> None:
    data, listed_data = pair
    short = load(data)
    listed = load(listed_data)
    assert short.to_dict() == data
    assert WorkflowDefinition.from_json(short.to_json()) == short
    if HAS_TOML:
        assert WorkflowDefinition.from_toml(short.to_toml()) == short
    assert to_mermaid(short) == to_mermaid(listed)
    assert to_dot(short) == to_dot(listed)
    for state in short.state_names:
        complaint = ev.apply(None, received(state))
        for actor in ACTORS:
            assert available_transitions(short, complaint, actor) == available_transitions(
                listed, complaint, actor
            )
        for name in short.transition_names:
            outcomes: list[object] = []
            for definition in (short, listed):
                try:
                    after, events = fire(definition, complaint, name, actor=ACTORS[2], at=T0)
                    outcomes.append((after, events))
                except (TransitionNotAllowed, ValidationError) as refused:
                    outcomes.append(str(refused))
            assert outcomes[0] == outcomes[1]


# --- workflow-specific steps -----------------------------------------------------------------


def test_a_transition_records_a_step_with_its_name_and_data() -> None:
    definition = load(REVIEWED)
    complaint = ev.apply(None, received("review"))
    after, events = fire(
        definition,
        complaint,
        "approve",
        actor=ALICE,
        at=T0,
        data={"counsel": "K. Berg", "ok": True},
    )
    step, changed_state = events
    assert isinstance(step, ev.WorkflowStepRecorded)
    assert step.transition == "approve"
    assert step.data == {"counsel": "K. Berg", "ok": True}
    assert isinstance(changed_state, ev.StateChanged)
    assert after.state == "done"
    assert ev.replay(events, complaint) == after
    _, (empty, _) = fire(definition, complaint, "approve", actor=ALICE, at=T0)
    assert isinstance(empty, ev.WorkflowStepRecorded)
    assert empty.data == {}


def test_step_data_is_checked_when_fired() -> None:
    definition = load(REVIEWED)
    complaint = ev.apply(None, received("review"))
    with pytest.raises(ValidationError) as info:
        fire(definition, complaint, "approve", actor=ALICE, at=T0, data={"files": [1]})
    assert info.value.paths == ("data",)
    with pytest.raises(ValidationError) as info:
        fire(definition, complaint, "approve", actor=ALICE, at=T0, counsel="K. Berg")
    assert info.value.paths == ("counsel",)
    assert "WorkflowStepRecorded accepts: data" in str(info.value)


def test_the_step_name_is_the_transitions_and_data_may_be_fixed_or_required() -> None:
    error = load_error(
        with_transition(target="done", event="WorkflowStepRecorded", fixed={"transition": "x"}),
        DefinitionError,
    )
    assert error.paths == ('transitions["extra"].fixed.transition',)
    assert "names the transition that records it" in str(error)
    error = load_error(
        with_transition(target="done", event="WorkflowStepRecorded", required=["transition"]),
        DefinitionError,
    )
    assert error.paths == ('transitions["extra"].required[0]',)
    fixed = load(
        with_transition(target="done", event="WorkflowStepRecorded", fixed={"data": {"ok": True}})
    )
    complaint = ev.apply(None, received("open"))
    _, (step, _) = fire(fixed, complaint, "extra", actor=ALICE, at=T0)
    assert isinstance(step, ev.WorkflowStepRecorded)
    assert step.data == {"ok": True}
    error = load_error(
        with_transition(target="done", event="WorkflowStepRecorded", fixed={"data": {"x": [1]}}),
        DefinitionError,
    )
    assert error.paths == ('transitions["extra"].fixed.data',)
    required = load(with_transition(target="done", event="WorkflowStepRecorded", required=["data"]))
    with pytest.raises(ValidationError, match="required by transition 'extra'"):
        fire(required, complaint, "extra", actor=ALICE, at=T0)


# --- milestones --------------------------------------------------------------------------------


def test_unknown_milestones_are_refused_on_loading() -> None:
    data = copy.deepcopy(REVIEWED)
    data["states"][1]["pause"] = ["final_responce"]
    data["states"][2]["start"] = ["legal_clock"]
    error = load_error(data, UnknownMilestoneError)
    assert error.paths == ('states["review"].pause[0]', 'states["done"].start[0]')
    assert "unknown milestone 'final_responce'; accepted: acknowledgement" in str(error)
    assert load(data, milestones=[*MILESTONES, "final_responce", "legal_clock"]).milestones == (
        "final_response",
        "final_responce",
        "legal_clock",
    )
    assert load(data, milestones=None).state("done").start == ("legal_clock",)
    text = load(data, milestones=None).to_json()
    with pytest.raises(UnknownMilestoneError):
        WorkflowDefinition.from_json(text)
    assert WorkflowDefinition.from_json(text, milestones=None) == load(data, milestones=None)


def test_files_take_the_milestones_too(tmp_path: Path) -> None:
    data = copy.deepcopy(REVIEWED)
    data["states"][0]["start"] = ["legal_clock"]
    definition = load(data, milestones=None)
    for name, text in [("w.json", definition.to_json()), ("w.toml", definition.to_toml())]:
        if name.endswith(".toml") and not HAS_TOML:
            continue
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(UnknownMilestoneError):
            WorkflowDefinition.from_file(tmp_path / name)
        assert (
            WorkflowDefinition.from_file(tmp_path / name, milestones=["legal_clock", *MILESTONES])
            == definition
        )


def test_python_definitions_check_their_milestones_on_request() -> None:
    definition = WorkflowDefinition(
        name="py",
        version="1",
        states=[
            State("open", initial=True, start=("final_respons",)),
            State("done", terminal=True),
        ],
        transitions=[Transition("finish", ["open"], "done")],
    )
    with pytest.raises(UnknownMilestoneError) as info:
        definition.check_milestones(MILESTONES)
    assert info.value.paths == ('states["open"].start[0]',)
    definition.check_milestones({"final_respons"})
    iso10002_workflow().check_milestones(MILESTONES)
    with pytest.raises(ConfigurationError, match="collection of names"):
        definition.check_milestones("final_respons")
    with pytest.raises(ConfigurationError, match="collection of names"):
        definition.check_milestones([1])  # type: ignore[list-item]


# --- problem paths name transitions and states -------------------------------------------------


def test_problems_name_the_transition() -> None:
    data = with_transition(
        target="done",
        guards=[{"name": "has_assessment"}, {"name": "no_such_guard"}],
    )
    data["transitions"][-1]["name"] = "legal_approve"
    error = load_error(data, DefinitionError)
    assert error.paths == ('transitions["legal_approve"].guards[1].name',)
    data["transitions"][-1]["guards"][1] = {"name": "has space"}
    error = load_error(data, DefinitionError)
    assert error.paths == ('transitions["legal_approve"].guards[1].name',)
    data["transitions"][-1]["colour"] = "red"
    assert 'transitions["legal_approve"].colour' in load_error(data, DefinitionError).paths


def test_problems_fall_back_to_the_position_without_a_usable_name() -> None:
    data = with_transition(target="done", colour="red")
    data["transitions"][-1]["name"] = "has space"
    error = load_error(data, DefinitionError)
    assert set(error.paths) == {"transitions[4].name", "transitions[4].colour"}
    data = copy.deepcopy(REVIEWED)
    data["transitions"].append("not an object")
    assert load_error(data, DefinitionError).paths == ("transitions[4]",)


def test_repeated_names_carry_their_rank() -> None:
    data = copy.deepcopy(REVIEWED)
    data["transitions"] += [
        {"name": "close", "sources": ["open"], "target": "done"},
        {"name": "close", "sources": ["review"], "target": "done", "roles": ["has space"]},
    ]
    error = load_error(data, DefinitionError)
    assert error.paths == ('transitions["close", 1].roles[0]',)
    assert new_complaint(load(REVIEWED)).state == "open"
