"""Diagram export: every state and every transition appears in the Mermaid and DOT text."""

from __future__ import annotations

from typing import Any

import pytest
from _workflow_support import (  # type: ignore[import-not-found, unused-ignore]
    definition_dicts,
    leaves_from,
)
from hypothesis import given

from iso10002.workflow import (
    WorkflowDefinition,
    iso10002_workflow,
    small_business_workflow,
    to_dot,
    to_mermaid,
)


def check_complete(definition: WorkflowDefinition) -> None:
    mermaid = to_mermaid(definition)
    dot = to_dot(definition)
    assert mermaid.startswith("stateDiagram-v2\n")
    assert dot.startswith(f'digraph "{definition.name}" {{')
    assert dot.rstrip().endswith("}")
    assert f"[*] --> {definition.initial_state}" in mermaid
    for state in definition.states:
        assert f"    {state.name} : " in mermaid
        assert f'    "{state.name}" [label="{state.name}\\n' in dot
        if state.terminal:
            assert f"    {state.name} --> [*]" in mermaid
    for t in definition.transitions:
        for source in leaves_from(definition, t):
            if t.target is None:
                assert t.name in mermaid
                assert t.name in dot
            else:
                assert f"    {source} --> {t.target} : {t.name}" in mermaid
                assert f'    "{source}" -> "{t.target}" [label="{t.name}"];' in dot


@pytest.mark.parametrize("definition", [iso10002_workflow(), small_business_workflow()])
def test_the_default_diagrams_show_everything(definition: WorkflowDefinition) -> None:
    check_complete(definition)


@given(definition_dicts())
def test_random_diagrams_show_everything(data: dict[str, Any]) -> None:
    check_complete(WorkflowDefinition.from_dict(data))


def test_labels_are_escaped() -> None:
    data = {
        "name": "esc",
        "version": "1",
        "states": [
            {"name": "a", "initial": True, "label": 'Say "hi"; #1: ok\\'},
            {"name": "b", "terminal": True, "start": ["m"], "pause": ["p"]},
        ],
        "transitions": [{"name": "go", "sources": ["a"], "target": "b"}],
    }
    definition = WorkflowDefinition.from_dict(data, milestones=("m", "p"))
    mermaid = to_mermaid(definition)
    assert '    a : Say "hi", 1 - ok\\' in mermaid
    assert "    b : SLA starts m, pauses p" in mermaid
    assert 'label="a\\nSay \\"hi\\"; #1: ok\\\\"' in to_dot(definition)
    assert "peripheries=2" in to_dot(definition)
