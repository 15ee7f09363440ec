"""The bundled workflow definitions, kept as plain data and loaded through the loader.

* :data:`ISO10002` — the process of clause 7 of ISO 10002:2018 (7.2 to 7.9) with information
  requests, internal review, external dispute resolution (ISO 10003), withdrawal, out-of-scope
  rejection and reopening;
* :data:`SMALL_BUSINESS` — the small-business variant (annex B of 2018): fewer stages, no roles.

:func:`iso10002_workflow` and :func:`small_business_workflow` return the loaded definitions;
copy the dicts to make your own variant. Transitions open to every open state (withdrawing,
assigning, notes) list their sources as ``"*"``, so a state added to a copy gets them too.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from .definition import WorkflowDefinition

__all__ = [
    "ISO10002",
    "SMALL_BUSINESS",
    "default_definitions",
    "iso10002_workflow",
    "small_business_workflow",
]

_ALL_MILESTONES = ["acknowledgement", "final_response", "review_response"]

ISO10002: Final[Mapping[str, Any]] = {
    "name": "iso10002",
    "version": "1",
    "description": (
        "Clause 7 of ISO 10002:2018: receipt, acknowledgement, initial assessment, "
        "investigation, response, communicating the decision and closing, with internal "
        "review, external dispute resolution (ISO 10003), withdrawal and reopening."
    ),
    "states": [
        {
            "name": "received",
            "initial": True,
            "label": "Received",
            "start": ["acknowledgement", "final_response"],
        },
        {"name": "acknowledged", "label": "Acknowledged", "stop": ["acknowledgement"]},
        {"name": "assessed", "label": "Being looked into"},
        {"name": "investigating", "label": "Being investigated"},
        {
            "name": "awaiting_complainant",
            "label": "Waiting for information from you",
            "pause": ["final_response"],
        },
        {
            "name": "responded",
            "label": "Decision sent",
            "stop": ["final_response", "review_response"],
        },
        {
            "name": "internal_review",
            "label": "Under internal review",
            "start": ["review_response"],
        },
        {"name": "external_dispute", "label": "With an external dispute-resolution body"},
        {"name": "reopened", "label": "Reopened", "start": ["final_response"]},
        {"name": "closed", "terminal": True, "label": "Closed", "stop": _ALL_MILESTONES},
        {"name": "withdrawn", "terminal": True, "label": "Withdrawn", "stop": _ALL_MILESTONES},
        {
            "name": "out_of_scope",
            "terminal": True,
            "label": "Not handled as a complaint",
            "stop": _ALL_MILESTONES,
        },
    ],
    "transitions": [
        {
            "name": "acknowledge",
            "sources": ["received"],
            "target": "acknowledged",
            "event": "ComplaintAcknowledged",
        },
        {
            "name": "assess",
            "sources": ["acknowledged"],
            "target": "assessed",
            "event": "ComplaintAssessed",
        },
        {
            "name": "start_investigation",
            "sources": ["assessed", "reopened"],
            "target": "investigating",
            "guards": [{"name": "has_assessment"}],
        },
        {
            "name": "request_information",
            "sources": ["assessed", "investigating"],
            "target": "awaiting_complainant",
        },
        {
            "name": "information_received",
            "sources": ["awaiting_complainant"],
            "target": "investigating",
        },
        {
            "name": "decide",
            "sources": ["investigating"],
            "event": "DecisionMade",
            "guards": [{"name": "not_complained_about"}],
        },
        {
            "name": "communicate_decision",
            "sources": ["investigating", "internal_review"],
            "target": "responded",
            "event": "DecisionCommunicated",
            "guards": [{"name": "has_decision"}],
        },
        {
            "name": "record_reply",
            "sources": ["responded"],
            "event": "ComplainantReplied",
        },
        {
            "name": "escalate_internal",
            "sources": ["responded"],
            "target": "internal_review",
            "event": "ComplaintEscalated",
            "fixed": {"kind": "internal_review"},
        },
        {
            "name": "review_decide",
            "sources": ["internal_review"],
            "event": "DecisionMade",
            "roles": ["reviewer"],
            "guards": [{"name": "not_complained_about"}, {"name": "independent_reviewer"}],
        },
        {
            "name": "escalate_external",
            "sources": ["responded", "internal_review"],
            "target": "external_dispute",
            "event": "ComplaintEscalated",
            "fixed": {"kind": "external_dispute"},
        },
        {
            "name": "close",
            "sources": ["responded", "external_dispute"],
            "target": "closed",
            "event": "ComplaintClosed",
            "guards": [{"name": "can_close"}],
        },
        {
            "name": "reopen",
            "sources": ["closed"],
            "target": "reopened",
            "event": "ComplaintReopened",
            "roles": ["manager"],
        },
        {
            "name": "withdraw",
            "sources": ["*"],
            "target": "withdrawn",
            "event": "ComplaintWithdrawn",
        },
        {
            "name": "reject_out_of_scope",
            "sources": ["received", "acknowledged", "assessed"],
            "target": "out_of_scope",
            "event": "ComplaintClosed",
            "fixed": {"reason": "out_of_scope"},
        },
        {"name": "assign", "sources": ["*"], "event": "ComplaintAssigned"},
        {"name": "add_note", "sources": ["*", "closed"], "event": "NoteAdded"},
        {"name": "classify", "sources": ["*", "closed"], "event": "ComplaintClassified"},
        {
            "name": "revise_assessment",
            "sources": [
                "assessed",
                "investigating",
                "awaiting_complainant",
                "internal_review",
                "reopened",
            ],
            "event": "AssessmentRevised",
            "guards": [{"name": "has_assessment"}],
        },
        {
            "name": "record_findings",
            "sources": ["investigating", "internal_review", "external_dispute"],
            "event": "FindingsRecorded",
        },
        {
            "name": "record_satisfaction",
            "sources": ["responded", "closed"],
            "event": "SatisfactionRecorded",
        },
    ],
}
"""The ISO 10002 workflow as data (see ``docs/workflow.md``)."""

SMALL_BUSINESS: Final[Mapping[str, Any]] = {
    "name": "small_business",
    "version": "1",
    "description": (
        "The small-business variant (annex B of ISO 10002:2018): one person can do everything; "
        "received, open, responded, closed."
    ),
    "states": [
        {
            "name": "received",
            "initial": True,
            "label": "Received",
            "start": ["acknowledgement", "final_response"],
        },
        {"name": "open", "label": "Being looked into", "stop": ["acknowledgement"]},
        {"name": "responded", "label": "Decision sent", "stop": ["final_response"]},
        {
            "name": "closed",
            "terminal": True,
            "label": "Closed",
            "stop": ["acknowledgement", "final_response"],
        },
        {
            "name": "withdrawn",
            "terminal": True,
            "label": "Withdrawn",
            "stop": ["acknowledgement", "final_response"],
        },
    ],
    "transitions": [
        {
            "name": "acknowledge",
            "sources": ["received"],
            "target": "open",
            "event": "ComplaintAcknowledged",
        },
        {"name": "assess", "sources": ["open"], "event": "ComplaintAssessed"},
        {"name": "record_findings", "sources": ["open"], "event": "FindingsRecorded"},
        {"name": "decide", "sources": ["open"], "event": "DecisionMade"},
        {
            "name": "communicate_decision",
            "sources": ["open"],
            "target": "responded",
            "event": "DecisionCommunicated",
            "guards": [{"name": "has_decision"}],
        },
        {"name": "record_reply", "sources": ["responded"], "event": "ComplainantReplied"},
        {
            "name": "close",
            "sources": ["responded"],
            "target": "closed",
            "event": "ComplaintClosed",
            "guards": [{"name": "can_close"}],
        },
        {
            "name": "reopen",
            "sources": ["closed"],
            "target": "received",
            "event": "ComplaintReopened",
        },
        {
            "name": "withdraw",
            "sources": ["*"],
            "target": "withdrawn",
            "event": "ComplaintWithdrawn",
        },
        {"name": "add_note", "sources": ["*", "closed"], "event": "NoteAdded"},
        {"name": "classify", "sources": ["*", "closed"], "event": "ComplaintClassified"},
        {
            "name": "record_satisfaction",
            "sources": ["responded", "closed"],
            "event": "SatisfactionRecorded",
        },
    ],
}
"""The small-business workflow as data (see ``docs/workflow.md``)."""


@cache
def iso10002_workflow() -> WorkflowDefinition:
    """The default ISO 10002 workflow, loaded from :data:`ISO10002` (built once)."""
    return WorkflowDefinition.from_dict(copy.deepcopy(dict(ISO10002)))


@cache
def small_business_workflow() -> WorkflowDefinition:
    """The small-business workflow, loaded from :data:`SMALL_BUSINESS` (built once)."""
    return WorkflowDefinition.from_dict(copy.deepcopy(dict(SMALL_BUSINESS)))


def default_definitions() -> Mapping[str, WorkflowDefinition]:
    """Both bundled definitions by name: ``iso10002`` and ``small_business``."""
    return {"iso10002": iso10002_workflow(), "small_business": small_business_workflow()}
