"""Field validators shared by the domain values; each raises ValidationError naming the field."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from typing import Any, TypeGuard, TypeVar

import attrs

from .errors import ValidationError, describe

__all__ = [
    "aware",
    "aware_or_none",
    "bool_",
    "enum_",
    "fail",
    "has_surrogate",
    "identifier",
    "int_range",
    "optional_text",
    "text",
    "text_set",
    "to_utc",
    "to_utc_or_none",
    "tuple_of",
]

E = TypeVar("E", bound=enum.Enum)
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATES = "must be valid Unicode: no lone surrogates (U+D800 to U+DFFF)"


def has_surrogate(value: str) -> bool:
    """Whether *value* holds a lone surrogate, which no UTF-8 store can hold."""
    return not value.isascii() and _SURROGATE.search(value) is not None


SHORT = 200
"""The longest a short text (a name, a code, a state) may be."""
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def is_int(value: object) -> TypeGuard[int]:
    """Whether *value* is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether *value* is an int or a float and not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fail(owner: object, attribute: attrs.Attribute[Any], message: str) -> None:
    """Raise a ValidationError for *attribute* of *owner*."""
    raise ValidationError([(attribute.name, message)], what=type(owner).__name__)


def to_utc(value: object) -> Any:
    """Normalise an aware datetime to UTC; leave anything else for :func:`aware` to refuse."""
    if (
        isinstance(value, datetime)
        and value.tzinfo is not timezone.utc
        and value.tzinfo is not None
        and value.utcoffset() is not None
    ):
        return value.astimezone(timezone.utc)
    return value


def to_utc_or_none(value: object) -> Any:
    """Like :func:`to_utc`; ``None`` passes."""
    return value if value is None else to_utc(value)


def aware(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime):
        fail(owner, attribute, f"expected an aware datetime, got {describe(value)}")
    elif value.tzinfo is None or value.utcoffset() is None:
        fail(owner, attribute, "naive datetime refused: give a timezone-aware datetime")


def aware_or_none(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """``None`` or a timezone-aware datetime."""
    if value is not None:
        aware(owner, attribute, value)


def text(max_length: int, *, min_length: int = 1) -> Validator:
    """A str of *min_length* to *max_length* characters (after no stripping)."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            fail(owner, attribute, f"expected a str, got {describe(value)}")
        elif len(value) < min_length:
            fail(owner, attribute, f"must not be empty (at least {min_length} character(s))")
        elif len(value) > max_length:
            fail(owner, attribute, f"too long: {len(value)} characters, at most {max_length}")
        elif min_length and not value.strip():
            fail(owner, attribute, "must not be blank")
        elif has_surrogate(value):
            fail(owner, attribute, SURROGATES)

    return check


def optional_text(max_length: int) -> Validator:
    """``None`` or a non-blank str of at most *max_length* characters."""
    inner = text(max_length)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(owner, attribute, value)

    return check


def identifier(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An opaque id: a non-blank str of at most 200 characters without control characters."""
    if not isinstance(value, str):
        fail(owner, attribute, f"expected an id (str), got {describe(value)}")
    elif not value or len(value) > 200 or not value.isprintable() or value != value.strip():
        fail(
            owner,
            attribute,
            "an id must be 1 to 200 printable characters without surrounding spaces",
        )


def enum_(cls: type[E]) -> Validator:
    """A member of the enum *cls*."""
    accepted = ", ".join(str(m.value) for m in cls)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            fail(owner, attribute, f"expected a {cls.__name__} (one of: {accepted})")

    return check


def bool_(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A bool."""
    if not isinstance(value, bool):
        fail(owner, attribute, f"expected a bool, got {describe(value)}")


def callable_(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A callable."""
    if not callable(value):
        fail(owner, attribute, f"expected a callable, got {describe(value)}")


def int_range(low: int, high: int | None = None) -> Validator:
    """An int (not a bool) in ``[low, high]``."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not is_int(value):
            fail(owner, attribute, f"expected an int, got {describe(value)}")
        elif value < low or (high is not None and value > high):
            bound = f"{low} to {high}" if high is not None else f"at least {low}"
            fail(owner, attribute, f"must be {bound}")

    return check


def number_range(low: float, high: float) -> Validator:
    """A finite float or int in ``[low, high]``."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not is_number(value):
            fail(owner, attribute, f"expected a number, got {describe(value)}")
        elif not math.isfinite(value) or not low <= value <= high:
            fail(owner, attribute, f"must be a finite number from {low} to {high}")

    return check


def tuple_of(kind: type | tuple[type, ...], *, max_items: int = 10_000) -> Validator:
    """A tuple whose items are instances of *kind*."""
    names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            fail(owner, attribute, f"expected a tuple of {names}, got {describe(value)}")
            return
        if len(value) > max_items:
            fail(owner, attribute, f"too many items: {len(value)}, at most {max_items}")
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                fail(owner, attribute, f"item {i}: expected {names}, got {describe(item)}")

    return check


def text_set(max_length: int = 200, *, max_items: int = 1000) -> Validator:
    """A frozenset of non-blank strs (codes or tags)."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, frozenset):
            fail(owner, attribute, f"expected a frozenset of str, got {describe(value)}")
            return
        if len(value) > max_items:
            fail(owner, attribute, f"too many items: {len(value)}, at most {max_items}")
        for item in value:
            if not isinstance(item, str) or not item.strip() or len(item) > max_length:
                fail(
                    owner,
                    attribute,
                    f"every item must be a non-blank str of at most {max_length} characters",
                )
            elif has_surrogate(item):
                fail(owner, attribute, f"every item {SURROGATES}")

    return check


def date_(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A date (not a datetime)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        fail(owner, attribute, f"expected a date, got {describe(value)}")


def frozen_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """Convert lists to tuples, leave other values for the validator to judge."""
    return tuple(value) if isinstance(value, list) else value  # type: ignore[return-value]


def frozen_set(value: Iterable[Any]) -> frozenset[Any]:
    """Convert sets, lists and tuples to frozensets, leave other values for the validator."""
    if isinstance(value, (set, list, tuple)):
        return frozenset(value)
    return value  # type: ignore[return-value]


def warnings(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A tuple of (threshold in (0, 1), aware instant) pairs."""
    if not isinstance(value, tuple):
        fail(owner, attribute, "expected a tuple of (threshold, instant) pairs")
        return
    for item in value:
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or not isinstance(item[0], float)
            or not 0.0 < item[0] < 1.0
            or not isinstance(item[1], datetime)
            or item[1].utcoffset() is None
        ):
            fail(owner, attribute, "each warning must be a (threshold in (0, 1), aware instant)")


def utc_warnings(value: object) -> object:
    """(threshold, instant) pairs with each instant in UTC; anything else unchanged."""
    if isinstance(value, (list, tuple)):
        return tuple(
            (item[0], to_utc(item[1]))
            if isinstance(item, (list, tuple)) and len(item) == 2
            else item
            for item in value
        )
    return value
