"""Copying a complaint with changes, without running its validators again.

:func:`iso10002.events.apply` uses it: the changes come from events that were validated when
they were made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._codegen import generate
from .model import Complaint

__all__ = ["unchecked_replace"]

_COMPLAINT_FIELDS = tuple(a.name for a in attrs.fields(Complaint))
_COMPLAINT_FIELD_SET = frozenset(_COMPLAINT_FIELDS)


def _make_unchecked_replace() -> Any:
    # Straight-line code, generated from the fields (as attrs generates ``__init__``), copies a
    # complaint about a third faster than a loop over the field names.
    lines = [
        "def unchecked_replace(complaint, changes):",
        "    new = _new(Complaint)",
        *(f"    _set(new, {name!r}, complaint.{name})" for name in _COMPLAINT_FIELDS),
        "    for name, value in changes.items():",
        "        if name in _fields:  # other keys are ignored",
        "            _set(new, name, value)",
        "    return new",
    ]
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_set": object.__setattr__,
        "Complaint": Complaint,
        "_fields": _COMPLAINT_FIELD_SET,
    }
    return generate("unchecked_replace", lines, namespace, what="Complaint")


_unchecked_replace = _make_unchecked_replace()


def unchecked_replace(complaint: Complaint, changes: Mapping[str, Any]) -> Complaint:
    """Copy *complaint* with *changes*, unvalidated: the changes come from validated events."""
    result: Complaint = _unchecked_replace(complaint, changes)
    return result
