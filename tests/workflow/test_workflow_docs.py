"""docs/workflow.md shows the default workflows' diagrams as the code draws them today."""

from __future__ import annotations

from pathlib import Path

import pytest

from iso10002.workflow import (
    WorkflowDefinition,
    iso10002_workflow,
    small_business_workflow,
    to_mermaid,
)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


@pytest.mark.parametrize("definition", [iso10002_workflow(), small_business_workflow()])
def test_the_documented_diagrams_are_current(definition: WorkflowDefinition) -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert f"```text\n{to_mermaid(definition)}```" in text
