"""Bundled mappings for well-known public complaint data, and a generic one to copy.

Each preset is plain data (:data:`PRESETS`); :func:`preset` loads one, optionally with another
date format or time zone. ``docs/io.md`` documents every column.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from iso10002.errors import ConfigurationError

from .mapping import ImportMapping

__all__ = ["CFPB", "GENERIC", "NYC311", "PRESETS", "preset", "preset_names"]

#: Pre-2017 CFPB product names and the current names that replaced them.
CFPB_LEGACY_PRODUCTS: Final[Mapping[str, str]] = {
    "Bank account or service": "Checking or savings account",
    "Consumer Loan": "Vehicle loan or lease",
    "Credit card": "Credit card or prepaid card",
    "Prepaid card": "Credit card or prepaid card",
    "Credit reporting": "Credit reporting, credit repair services, or other personal consumer "
    "reports",
    "Money transfers": "Money transfer, virtual currency, or money service",
    "Virtual currency": "Money transfer, virtual currency, or money service",
    "Other financial service": "Money transfer, virtual currency, or money service",
    "Payday loan": "Payday loan, title loan, or personal loan",
}

_CFPB_DATE = {"format": "%Y-%m-%d", "timezone": "America/New_York"}

CFPB: Final[Mapping[str, Any]] = {
    "source": "cfpb",
    "description": "CFPB consumer complaint database export (CSV or JSON Lines)",
    "fields": {
        "external_id": "Complaint ID",
        "received_at": {"columns": ["Date received"], **_CFPB_DATE},
        "product": {"columns": ["Product"], "values": dict(CFPB_LEGACY_PRODUCTS)},
        "subject": {"columns": ["Issue", "Sub-issue"], "join": " / "},
        "description": {"columns": ["Consumer complaint narrative", "Issue"]},
        "channel": {
            "columns": ["Submitted via"],
            "values": {
                "Web": "web",
                "Web Referral": "third_party",
                "Referral": "third_party",
                "Phone": "phone",
                "Postal mail": "letter",
                "Fax": "letter",
                "Email": "email",
            },
        },
        "status": {
            "columns": ["Company response to consumer"],
            "values": {
                "Closed with explanation": "closed",
                "Closed with monetary relief": "closed",
                "Closed with non-monetary relief": "closed",
                "Closed with relief": "closed",
                "Closed without relief": "closed",
                "Closed": "closed",
                "In progress": "open",
                "Untimely response": "open",
            },
        },
        "outcome": {
            "columns": ["Company response to consumer"],
            "values": {
                "Closed with explanation": "not_upheld",
                "Closed with monetary relief": "upheld",
                "Closed with non-monetary relief": "partly_upheld",
                "Closed with relief": "upheld",
                "Closed without relief": "not_upheld",
                "Closed": "not_upheld",
                "In progress": "",
                "Untimely response": "",
            },
        },
        "decision_reasons": "Company response to consumer",
        "closed_at": {"columns": ["Date sent to company"], **_CFPB_DATE},
        "segment": "State",
    },
    "tags": [
        {
            "columns": ["Tags"],
            "split": ",",
            "values": {"Older American": "older_american", "Servicemember": "servicemember"},
        },
        {"columns": ["Timely response?"], "values": {"Yes": "", "No": "untimely_response"}},
        {"columns": ["Consumer disputed?"], "values": {"Yes": "disputed", "No": ""}},
        {"columns": ["Sub-product"]},
    ],
}
"""The CFPB consumer complaint database (see ``docs/io.md`` for every column)."""

_NYC_DATE = {"format": "%m/%d/%Y %I:%M:%S %p", "timezone": "America/New_York"}

NYC311: Final[Mapping[str, Any]] = {
    "source": "nyc311",
    "description": "NYC 311 service requests (NYC Open Data export)",
    "fields": {
        "external_id": "Unique Key",
        "received_at": {"columns": ["Created Date"], **_NYC_DATE},
        "closed_at": {"columns": ["Closed Date"], **_NYC_DATE},
        "due_at": {"columns": ["Due Date"], **_NYC_DATE},
        "team": "Agency",
        "subject": {"columns": ["Complaint Type", "Descriptor"], "join": " / "},
        "description": {"columns": ["Descriptor", "Complaint Type"]},
        "channel": {
            "columns": ["Open Data Channel Type"],
            "default": "other",
            "values": {
                "PHONE": "phone",
                "ONLINE": "web",
                "MOBILE": "web",
                "UNKNOWN": "other",
                "OTHER": "other",
            },
        },
        "status": {
            "columns": ["Status"],
            "values": {
                "Closed": "closed",
                "Open": "open",
                "In Progress": "open",
                "Assigned": "open",
                "Started": "open",
                "Pending": "open",
                "Unspecified": "open",
            },
        },
        "note": "Resolution Description",
    },
    "tags": [],
}
"""NYC 311 service requests (see ``docs/io.md`` for every column)."""

GENERIC: Final[Mapping[str, Any]] = {
    "source": "legacy",
    "description": "One column per field, named as the field; ISO 8601 date-times with offsets",
    "fields": {
        "external_id": "external_id",
        "received_at": {"columns": ["received_at"], "format": "iso"},
        "subject": "subject",
        "description": "description",
        "channel": "channel",
        "desired_remedy": "desired_remedy",
        "product": "product",
        "category": "category",
        "segment": "segment",
        "team": "team",
        "acknowledged_at": {"columns": ["acknowledged_at"], "format": "iso"},
        "decided_at": {"columns": ["decided_at"], "format": "iso"},
        "outcome": "outcome",
        "decision_reasons": "decision_reasons",
        "status": "status",
        "closed_at": {"columns": ["closed_at"], "format": "iso"},
        "closure_reason": "closure_reason",
        "due_at": {"columns": ["due_at"], "format": "iso"},
        "note": "note",
    },
    "tags": [{"columns": ["tags"], "split": ";"}],
}
"""A mapping anyone can copy: one column per field, named as the field."""

PRESETS: Final[Mapping[str, Mapping[str, Any]]] = {
    "cfpb": CFPB,
    "generic": GENERIC,
    "nyc311": NYC311,
}


def preset_names() -> tuple[str, ...]:
    """The names of the bundled import presets, sorted."""
    return tuple(sorted(PRESETS))


def preset(
    name: str,
    *,
    date_format: str | None = None,
    timezone: str | None = None,
    source: str | None = None,
) -> ImportMapping:
    """The bundled mapping *name*, with its date-time fields read with *date_format* and in
    *timezone* when given (e.g. ``%d/%m/%Y`` for day-first dates), and another *source* name."""
    found = PRESETS.get(name) if isinstance(name, str) else None
    if found is None:
        raise ConfigurationError(
            [("preset", f"unknown import preset; known: {', '.join(preset_names())}")],
            what="import",
        )
    data = copy.deepcopy(dict(found))
    if source is not None:
        data["source"] = source
    mapping = ImportMapping.from_dict(data)
    if date_format is not None or timezone is not None:
        mapping = mapping.with_dates(format=date_format, timezone=timezone)
    return mapping
