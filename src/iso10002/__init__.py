"""iso10002: the ISO 10002 complaints-handling process as importable Python.

The names below are the stable public API, and what a first program needs comes from here::

    from iso10002 import ComplaintsHandling, Outcome, open_repository

Subpackages (``iso10002.sla``, ``iso10002.workflow``, ``iso10002.taxonomy``,
``iso10002.backends``, ``iso10002.notify``, ``iso10002.testing``) export their own.
"""

from __future__ import annotations

from .backends import open_repository
from .errors import (
    AdapterError,
    ComplaintNotFound,
    ConcurrencyConflict,
    ConfigurationError,
    DefinitionError,
    DeliveryError,
    DuplicateError,
    GuardRejected,
    IdempotencyConflict,
    Iso10002Error,
    NotFoundError,
    Problem,
    StorageError,
    TransitionNotAllowed,
    ValidationError,
    WorkflowError,
)
from .events import EVENT_TYPES, Event, apply, replay
from .model import (
    ERASED,
    Assessment,
    Attachment,
    Breadth,
    Channel,
    Classification,
    Closure,
    Complainant,
    Complaint,
    ComplaintDetails,
    Complexity,
    ContactMethod,
    Decision,
    Escalation,
    EscalationKind,
    ExternalReference,
    Finding,
    MilestoneClock,
    MilestoneStatus,
    Note,
    Outcome,
    Overlay,
    Priority,
    Reply,
    Safety,
    Satisfaction,
    redacted,
)
from .ports import ComplaintQuery
from .serialization import dump, load, make_converter, structure, unstructure
from .service import ComplaintsHandling, PolicyPlanner, RetryPolicy
from .sla import BusinessCalendar, SlaPolicy
from .workflow import Actor, WorkflowDefinition

__version__ = "0.1.0"

__all__ = [
    "ERASED",
    "EVENT_TYPES",
    "Actor",
    "AdapterError",
    "Assessment",
    "Attachment",
    "Breadth",
    "BusinessCalendar",
    "Channel",
    "Classification",
    "Closure",
    "Complainant",
    "Complaint",
    "ComplaintDetails",
    "ComplaintNotFound",
    "ComplaintQuery",
    "ComplaintsHandling",
    "Complexity",
    "ConcurrencyConflict",
    "ConfigurationError",
    "ContactMethod",
    "Decision",
    "DefinitionError",
    "DeliveryError",
    "DuplicateError",
    "Escalation",
    "EscalationKind",
    "Event",
    "ExternalReference",
    "Finding",
    "GuardRejected",
    "IdempotencyConflict",
    "Iso10002Error",
    "MilestoneClock",
    "MilestoneStatus",
    "NotFoundError",
    "Note",
    "Outcome",
    "Overlay",
    "PolicyPlanner",
    "Priority",
    "Problem",
    "Reply",
    "RetryPolicy",
    "Safety",
    "Satisfaction",
    "SlaPolicy",
    "StorageError",
    "TransitionNotAllowed",
    "ValidationError",
    "WorkflowDefinition",
    "WorkflowError",
    "__version__",
    "apply",
    "dump",
    "load",
    "make_converter",
    "open_repository",
    "redacted",
    "replay",
    "structure",
    "unstructure",
]
