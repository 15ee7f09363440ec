"""What a complainant submits (the complainant form, annex C of ISO 10002:2018), and its checks.

:func:`parse_intake` turns a web form's fields (a plain mapping) or an :class:`Intake` into a
checked intake, raising one :class:`~iso10002.errors.ValidationError` that lists every problem:
missing required fields, unknown channel or category, oversized text, naive datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002.errors import Problem, ValidationError, describe
from iso10002.model import Attachment, Channel, ContactMethod
from iso10002.serialization import structure

__all__ = ["Intake", "parse_intake"]

_opt = attrs.validators.optional
_MOST_ITEMS = {"attachments": 500, "tags": 1000, "complained_about": 1000}


@attrs.frozen(kw_only=True)
class Intake:
    """A complaint as submitted: who complains (personal data) and what about.

    Either give the complainant's details (``name`` and at least one of ``email``, ``phone``,
    ``postal_address``) or the ``complainant_id`` of a complainant already on record.
    ``received_at`` defaults to the service clock's now. ``repr`` shows no personal data.
    """

    channel: Channel = attrs.field(validator=v.enum_(Channel))
    subject: str = attrs.field(validator=v.text(500), repr=False)
    description: str = attrs.field(validator=v.text(200_000), repr=False)
    desired_remedy: str | None = attrs.field(
        default=None, validator=v.optional_text(200_000), repr=False
    )
    product: str | None = attrs.field(default=None, validator=v.optional_text(200))
    category: str | None = attrs.field(default=None, validator=v.optional_text(200))
    tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )
    occurred_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    received_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    segment: str | None = attrs.field(default=None, validator=v.optional_text(200))
    complained_about: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set()
    )
    attachments: tuple[Attachment, ...] = attrs.field(
        default=(), converter=v.frozen_tuple, validator=v.tuple_of(Attachment, max_items=500)
    )
    complainant_id: str | None = attrs.field(default=None, validator=_opt(v.identifier))
    name: str | None = attrs.field(default=None, validator=v.optional_text(200), repr=False)
    email: str | None = attrs.field(default=None, validator=v.optional_text(320), repr=False)
    phone: str | None = attrs.field(default=None, validator=v.optional_text(50), repr=False)
    postal_address: str | None = attrs.field(
        default=None, validator=v.optional_text(1000), repr=False
    )
    organization: str | None = attrs.field(default=None, validator=v.optional_text(200), repr=False)
    preferred_contact: ContactMethod | None = attrs.field(
        default=None, validator=_opt(v.enum_(ContactMethod))
    )
    language: str | None = attrs.field(default=None, validator=v.optional_text(35))
    accessibility_needs: str | None = attrs.field(
        default=None, validator=v.optional_text(2000), repr=False
    )
    representative: str | None = attrs.field(
        default=None, validator=v.optional_text(200), repr=False
    )
    vulnerable: bool = attrs.field(default=False, validator=v.bool_)
    consent_to_contact: bool = attrs.field(default=True, validator=v.bool_)


def _cross_checks(
    values: Mapping[str, Any], category_known: Callable[[str], bool] | None
) -> list[Problem]:
    """Rules across fields, on raw or parsed values (so they run even when fields are bad)."""
    problems = []
    if values.get("complainant_id") is None:
        if values.get("name") is None:
            problems.append(Problem("name", "required unless complainant_id is given"))
        if all(values.get(k) is None for k in ("email", "phone", "postal_address")):
            problems.append(
                Problem("email", "give at least one contact route: email, phone or postal_address")
            )
    email = values.get("email")
    if isinstance(email, str) and "@" not in email:
        problems.append(Problem("email", "not an e-mail address"))
    category = values.get("category")
    if isinstance(category, str) and category_known is not None and not category_known(category):
        problems.append(Problem("category", "unknown or retired category code"))
    return problems


_INSTANTS = frozenset({"received_at", "occurred_at"})


def parse_intake(
    data: Intake | Mapping[str, Any],
    *,
    category_known: Callable[[str], bool] | None = None,
) -> Intake:
    """A checked :class:`Intake` from *data*; one ValidationError lists every problem.

    *category_known* says whether a category code is acceptable (e.g. active in the taxonomy).
    More than 500 attachments, or 1000 tags or people complained about, are refused before any
    item is checked.
    """
    if isinstance(data, Intake):
        values: Mapping[str, Any] = {f.name: getattr(data, f.name) for f in attrs.fields(Intake)}
    elif isinstance(data, Mapping):
        # Instants may come as datetime objects too; they take the form a document has, so
        # that one set of rules (aware, in range) checks both.
        values = {
            k: v.isoformat() if k in _INSTANTS and isinstance(v, datetime) else v
            for k, v in data.items()
        }
        data = values
    else:
        raise ValidationError([("", f"expected an intake mapping, got {describe(data)}")])
    for key, most in _MOST_ITEMS.items():
        items = values.get(key)
        if isinstance(items, (list, tuple, set, frozenset)) and len(items) > most:
            # Refused before any item is looked at: checking each would cost as much as it asks.
            raise ValidationError(
                [(key, f"too many items: {len(items)}, at most {most}")], what="intake"
            )
    problems: list[Problem] = []
    intake = data if isinstance(data, Intake) else None
    if intake is None:
        try:
            intake = structure(data, Intake)
        except ValidationError as exc:
            problems.extend(exc.problems)
    seen = {p.path for p in problems}
    problems.extend(p for p in _cross_checks(values, category_known) if p.path not in seen)
    if problems or intake is None:
        raise ValidationError(problems, what="intake")
    return intake
