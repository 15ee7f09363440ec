"""Configurable complaint workflows: definitions as data, guards, a pure engine and diagrams.

See ``docs/workflow.md``. A :class:`WorkflowDefinition` lists states and transitions; :func:`fire`
checks and fires one transition on a complaint, returning the new complaint and its events.
"""

from __future__ import annotations

from .actor import Actor
from .defaults import (
    ISO10002,
    SMALL_BUSINESS,
    default_definitions,
    iso10002_workflow,
    small_business_workflow,
)
from .definition import GuardRef, State, Transition, WorkflowDefinition
from .diagram import to_dot, to_mermaid
from .engine import (
    SlaEffects,
    available_transitions,
    can_fire,
    fire,
    sla_effects,
    transitions_for,
)
from .guards import Guard, GuardCheck, RoleParams, guard, registered_guards

__all__ = [
    "ISO10002",
    "SMALL_BUSINESS",
    "Actor",
    "Guard",
    "GuardCheck",
    "GuardRef",
    "RoleParams",
    "SlaEffects",
    "State",
    "Transition",
    "WorkflowDefinition",
    "available_transitions",
    "can_fire",
    "default_definitions",
    "fire",
    "guard",
    "iso10002_workflow",
    "registered_guards",
    "sla_effects",
    "small_business_workflow",
    "to_dot",
    "to_mermaid",
    "transitions_for",
]
