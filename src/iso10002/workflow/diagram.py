"""Diagram text for a workflow: Mermaid (``stateDiagram-v2``) and Graphviz DOT.

Both show every state (with its complainant-facing label and SLA effects), every state-changing
transition as an edge per source state (groups and ``"*"`` expanded), and the internal actions
listed inside their states. No Graphviz installation is needed: the functions return text.
"""

from __future__ import annotations

from .definition import State, WorkflowDefinition

__all__ = ["to_dot", "to_mermaid"]


def _internal_by_state(definition: WorkflowDefinition) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {s.name: [] for s in definition.states}
    for t in definition.transitions:
        if t.target is None:
            for source in definition.expand_sources(t.sources):
                found[source].append(t.name)
    return found


def _sla_text(state: State) -> str:
    parts = [
        f"{verb} {', '.join(items)}"
        for verb, items in (("starts", state.start), ("stops", state.stop), ("pauses", state.pause))
        if items
    ]
    return "; ".join(parts)


def _mermaid_text(text: str) -> str:
    return " ".join(text.replace(";", ",").replace("#", "").replace(":", " -").split())


def to_mermaid(definition: WorkflowDefinition) -> str:
    """Mermaid ``stateDiagram-v2`` text for *definition*."""
    internal = _internal_by_state(definition)
    lines = ["stateDiagram-v2", f"    %% {definition.name} workflow, version {definition.version}"]
    lines.append(f"    [*] --> {definition.initial_state}")
    for state in definition.states:
        lines.append(f"    {state.name} : {_mermaid_text(state.public_label)}")
        sla = _sla_text(state)
        if sla:
            lines.append(f"    {state.name} : SLA {_mermaid_text(sla)}")
        if internal[state.name]:
            lines.append(f"    {state.name} : actions {', '.join(internal[state.name])}")
    for t in definition.transitions:
        if t.target is not None:
            lines.extend(
                f"    {source} --> {t.target} : {t.name}"
                for source in definition.expand_sources(t.sources)
            )
    lines.extend(f"    {state.name} --> [*]" for state in definition.states if state.terminal)
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return " ".join(text.replace("\\", "\\\\").replace('"', '\\"').split())


def _dot_string(text: str) -> str:
    return f'"{_dot_escape(text)}"'


def to_dot(definition: WorkflowDefinition) -> str:
    """Graphviz DOT text for *definition* (render with ``dot -Tsvg``)."""
    internal = _internal_by_state(definition)
    lines = [
        f"digraph {_dot_string(definition.name)} {{",
        "    rankdir=LR;",
        '    node [shape=box, style="rounded"];',
        '    "__start__" [shape=point, label=""];',
    ]
    for state in definition.states:
        label = [state.name, state.public_label]
        sla = _sla_text(state)
        if sla:
            label.append(f"SLA: {sla}")
        if internal[state.name]:
            label.append(f"actions: {', '.join(internal[state.name])}")
        extra = ", peripheries=2" if state.terminal else ""
        text = "\\n".join(_dot_escape(part) for part in label)
        lines.append(f'    {_dot_string(state.name)} [label="{text}"{extra}];')
    lines.append(f'    "__start__" -> {_dot_string(definition.initial_state)};')
    for t in definition.transitions:
        if t.target is not None:
            target = _dot_string(t.target)
            lines.extend(
                f"    {_dot_string(source)} -> {target} [label={_dot_string(t.name)}];"
                for source in definition.expand_sources(t.sources)
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
