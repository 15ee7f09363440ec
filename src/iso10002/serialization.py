"""Turn entities and events into JSON-safe data and back, through one :mod:`cattrs` converter.

* datetimes become ISO 8601 strings with their UTC offset; dates become ``YYYY-MM-DD``;
* enums become their value; tuples and frozensets become lists (frozensets sorted);
* every event carries its class name under ``"type"``;
* :func:`dump` adds ``"schema_version"`` (and ``"type"``) at the top of a document.

Structuring is strict: a string is never coerced into a number or the other way round, unknown
keys are refused, and one :class:`~iso10002.errors.ValidationError` lists every bad field by path
(``details.received_at``, ``clocks[0].warnings[1][0]``). Nothing else escapes.
"""

from __future__ import annotations

import enum
import math
import re
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import BaseValidationError
from cattrs.gen import make_dict_unstructure_fn

from iso10002 import _validate as v

from . import events as ev
from . import model
from .errors import MAX_PROBLEMS, Iso10002Error, Problem, ValidationError, describe

__all__ = [
    "SCHEMA_VERSION",
    "TOP_LEVEL_TYPES",
    "dump",
    "load",
    "make_converter",
    "structure",
    "unstructure",
]

SCHEMA_VERSION: Final = 1
"""The version of the serialised form; bumped on any incompatible change."""

TOP_LEVEL_TYPES: Final[Mapping[str, type]] = {
    "Complaint": model.Complaint,
    "Complainant": model.Complainant,
    **ev.EVENT_TYPES,
}
"""The types :func:`load` recognises by their ``"type"`` tag."""

T = TypeVar("T")
_TAGS = frozenset({"type", "schema_version"})


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _problems_of(exc: BaseException, path: str) -> list[Problem]:
    """Translate any exception raised while structuring into problems under *path*."""
    if isinstance(exc, ValidationError):
        return [Problem(_join(path, p.path), p.message) for p in exc.problems]
    if isinstance(exc, BaseValidationError):
        found: list[Problem] = []
        for inner in exc.exceptions:
            found.extend(_problems_of(inner, path))
        return found
    if isinstance(exc, Iso10002Error):
        return [Problem(path, str(exc))]
    return [Problem(path, f"invalid value ({type(exc).__name__})")]


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError([(path, message)])


def _structure_str(data: object, cls: Any) -> Any:
    if cls is not str and isinstance(cls, type) and issubclass(cls, enum.Enum):
        return _enum_hook(cls)(data, cls)  # str-valued enums dispatch here through str
    if not isinstance(data, str):
        raise _fail("", f"expected a string, got {describe(data)}")
    return data


def _structure_int(data: object, _: object) -> int:
    if not v.is_int(data):
        raise _fail("", f"expected an integer, got {describe(data)}")
    return data


def _structure_float(data: object, _: object) -> float:
    if not v.is_number(data):
        raise _fail("", f"expected a number, got {describe(data)}")
    if not math.isfinite(data):
        raise _fail("", "expected a finite number")
    return float(data)


def _structure_bool(data: object, _: object) -> bool:
    if not isinstance(data, bool):
        raise _fail("", f"expected true or false, got {describe(data)}")
    return data


def _structure_datetime(data: object, _: object) -> datetime:
    if not isinstance(data, str):
        raise _fail("", f"expected an ISO 8601 date-time string, got {describe(data)}")
    text = data[:-1] + "+00:00" if data.endswith(("Z", "z")) else data
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(
            "", "expected an ISO 8601 date-time with offset, e.g. 2026-01-05T09:00:00+00:00"
        ) from None
    if value.tzinfo is None:
        raise _fail("", "naive date-time refused: include a UTC offset")
    return value


def _structure_date(data: object, _: object) -> date:
    if not isinstance(data, str):
        raise _fail("", f"expected an ISO 8601 date string, got {describe(data)}")
    try:
        return date.fromisoformat(data)
    except ValueError:
        raise _fail("", "expected an ISO 8601 date, e.g. 2026-01-05") from None


def _structure_timedelta(data: object, _: object) -> timedelta:
    seconds = _structure_float(data, None)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise _fail("", "duration out of range") from None


@cache
def _enum_hook(cls: type[enum.Enum]) -> Callable[[object, object], enum.Enum]:
    accepted = ", ".join(str(m.value) for m in cls)

    def structure(data: object, _: object) -> enum.Enum:
        for member in cls:
            if data is member or (type(data) is type(member.value) and member.value == data):
                return member
        raise _fail("", f"expected one of: {accepted}")

    return structure


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _is_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


def _is_variadic_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_fixed_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and bool(args) and Ellipsis not in args


def _is_frozenset(tp: Any) -> bool:
    return typing.get_origin(tp) is frozenset


def _items(data: object, what: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(data, (list, tuple)):
        raise _fail("", f"expected a list ({what}), got {describe(data)}")
    return data


def _sequence_hooks(conv: cattrs.Converter) -> None:  # noqa: C901 - one branch per kind of sequence the converter writes
    def variadic(tp: Any) -> Callable[[object, object], tuple[Any, ...]]:
        (item_type, _) = typing.get_args(tp)

        item_hook: list[Callable[[Any, Any], Any]] = []

        def structure(data: object, _: object) -> tuple[Any, ...]:
            items = _items(data, "of items")
            if not item_hook:
                item_hook.append(conv.get_structure_hook(item_type))
            try:  # fast path: the item hook resolved once
                hook = item_hook[0]
                return tuple([hook(item, item_type) for item in items])
            except Exception:  # noqa: BLE001, S110 - the careful pass below reports it
                pass
            out, problems = [], []
            for i, item in enumerate(items):
                try:
                    out.append(conv.structure(item, item_type))
                except Exception as exc:  # noqa: BLE001 - every failure becomes a problem
                    problems.extend(_problems_of(exc, f"[{i}]"))
                    if len(problems) > MAX_PROBLEMS:
                        break  # enough to report; the error keeps MAX_PROBLEMS of them
            if problems:
                raise ValidationError(problems)
            return tuple(out)

        return structure

    def fixed(tp: Any) -> Callable[[object, object], tuple[Any, ...]]:
        item_types = typing.get_args(tp)

        def structure(data: object, _: object) -> tuple[Any, ...]:
            items = _items(data, f"of {len(item_types)} items")
            if len(items) != len(item_types):
                raise _fail("", f"expected exactly {len(item_types)} items, got {len(items)}")
            out, problems = [], []
            for i, (item, item_type) in enumerate(zip(items, item_types, strict=True)):
                try:
                    out.append(conv.structure(item, item_type))
                except Exception as exc:  # noqa: BLE001
                    problems.extend(_problems_of(exc, f"[{i}]"))
            if problems:
                raise ValidationError(problems)
            return tuple(out)

        return structure

    def frozen(tp: Any) -> Callable[[object, object], frozenset[Any]]:
        (item_type,) = typing.get_args(tp)
        as_tuple = variadic(tuple[item_type, ...])  # type: ignore[valid-type]

        def structure(data: object, _: object) -> frozenset[Any]:
            return frozenset(as_tuple(data, None))

        return structure

    conv.register_structure_hook_factory(_is_variadic_tuple, variadic)
    conv.register_structure_hook_factory(_is_fixed_tuple, fixed)
    conv.register_structure_hook_factory(_is_frozenset, frozen)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _unknown_key(key: object, accepted: str) -> Problem:
    # Name the key only when it looks like a field name, so a stray value is never echoed.
    if isinstance(key, str) and _KEY.fullmatch(key):
        return Problem(key, f"unknown key; accepted keys: {accepted}")
    return Problem("", f"unknown key ({describe(key)}); accepted keys: {accepted}")


def _attrs_hook(conv: cattrs.Converter, cls: type[Any]) -> Callable[[object, object], Any]:
    """Structure an attrs class field by field, collecting every problem."""
    fields = attrs.fields(attrs.resolve_types(cls))
    names = {f.name for f in fields}
    accepted = ", ".join(sorted(names))

    allowed = names | _TAGS
    hooks: list[tuple[str, Callable[[Any, Any], Any], Any]] = []

    def structure(data: object, _: object) -> Any:
        if not isinstance(data, Mapping):
            raise _fail("", f"expected an object ({cls.__name__}), got {describe(data)}")
        if allowed.issuperset(data):
            # Fast path for good data: field hooks resolved once, the class's own validators
            # run once; anything wrong falls through to the careful pass, which reports it.
            if not hooks:
                hooks.extend((f.name, conv.get_structure_hook(f.type), f.type) for f in fields)
            try:
                return cls(**{n: h(data[n], t) for n, h, t in hooks if n in data})
            except Exception:  # noqa: BLE001, S110 - the careful pass below reports it
                pass
        problems: list[Problem] = [
            _unknown_key(key, accepted) for key in data if key not in names and key not in _TAGS
        ]
        kwargs: dict[str, Any] = {}
        for f in fields:
            if f.name not in data:
                if f.default is attrs.NOTHING:
                    problems.append(Problem(f.name, "missing required key"))
                continue
            try:
                value = conv.structure(data[f.name], f.type)
            except Exception as exc:  # noqa: BLE001
                problems.extend(_problems_of(exc, f.name))
                continue
            try:
                if f.converter is not None:
                    value = f.converter(value)
                if f.validator is not None:
                    f.validator(None, f, value)
            except ValidationError as exc:  # the validator names the field itself
                problems.extend(Problem(f.name, p.message) for p in exc.problems)
                continue
            kwargs[f.name] = value
        if problems:
            raise ValidationError(problems, what=cls.__name__)
        try:
            return cls(**kwargs)
        except Exception as exc:  # noqa: BLE001 - cross-field rules
            raise ValidationError(_problems_of(exc, ""), what=cls.__name__) from None

    return structure


def _event_hooks(conv: cattrs.Converter) -> None:
    known = ", ".join(sorted(ev.EVENT_TYPES))

    def structure_event(data: object, _: object) -> ev.Event:
        if not isinstance(data, Mapping):
            raise _fail("", f"expected an event object, got {describe(data)}")
        tag = data.get("type")
        cls = ev.EVENT_TYPES.get(tag) if isinstance(tag, str) else None
        if cls is None:
            raise _fail("type", f"unknown event type; accepted: {known}")
        result: ev.Event = conv.structure(data, cls)
        return result

    def unstructure_event_factory(cls: type[ev.Event]) -> Callable[[ev.Event], dict[str, Any]]:
        inner = make_dict_unstructure_fn(cls, conv)
        name = cls.__name__

        def unstructure(event: ev.Event) -> dict[str, Any]:
            return {"type": name, **inner(event)}

        return unstructure

    conv.register_structure_hook_func(lambda t: t is ev.Event, structure_event)
    conv.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, ev.Event) and t is not ev.Event,
        unstructure_event_factory,
    )


def make_converter() -> cattrs.Converter:
    """A new converter for every public entity, value and event (see the module docstring)."""
    conv = cattrs.Converter(detailed_validation=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(date, _structure_date)
    conv.register_structure_hook(timedelta, _structure_timedelta)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook
    )
    conv.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda _: _enum_value
    )
    conv.register_unstructure_hook(str, _enum_value)  # str-valued enums dispatch through str
    _sequence_hooks(conv)
    conv.register_unstructure_hook_factory(
        _is_frozenset,
        lambda tp: (
            lambda s: sorted((conv.unstructure(x, typing.get_args(tp)[0]) for x in s), key=str)
        ),
    )
    conv.register_unstructure_hook_factory(
        _is_tuple,
        lambda tp: lambda t: [conv.unstructure(x) for x in t],
    )
    _event_hooks(conv)
    conv.register_structure_hook_factory(
        lambda t: attrs.has(t) and not (isinstance(t, type) and t is ev.Event),
        lambda cls: _attrs_hook(conv, cls),
    )
    return conv


@lru_cache(maxsize=1)
def _default() -> cattrs.Converter:
    return make_converter()


def unstructure(obj: object, converter: cattrs.Converter | None = None) -> Any:
    """JSON-safe data for *obj* (events include their ``"type"``)."""
    return (converter or _default()).unstructure(obj)


def structure(data: object, cls: type[T], converter: cattrs.Converter | None = None) -> T:
    """Build a *cls* from JSON-like *data*; raises :class:`ValidationError` listing every problem.

    Pass :class:`iso10002.events.Event` as *cls* to dispatch on the ``"type"`` tag.
    """
    try:
        return (converter or _default()).structure(data, cls)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - nothing but our errors escapes
        raise ValidationError(_problems_of(exc, ""), what=getattr(cls, "__name__", "")) from None


def dump(obj: object, converter: cattrs.Converter | None = None) -> dict[str, Any]:
    """A tagged document for a complaint, complainant or event: ``schema_version`` and ``type``."""
    name = type(obj).__name__
    if TOP_LEVEL_TYPES.get(name) is not type(obj):
        raise ValidationError(
            [("", f"cannot dump {describe(obj)}; accepted: {', '.join(sorted(TOP_LEVEL_TYPES))}")]
        )
    data = unstructure(obj, converter)
    return {"schema_version": SCHEMA_VERSION, "type": name, **data}


def load(data: object, converter: cattrs.Converter | None = None) -> Any:
    """Read a document written by :func:`dump`; the ``"type"`` tag picks the class."""
    if not isinstance(data, Mapping):
        raise ValidationError([("", f"expected a document object, got {describe(data)}")])
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValidationError(
            [("schema_version", f"unsupported schema version; this release reads {SCHEMA_VERSION}")]
        )
    tag = data.get("type")
    cls = TOP_LEVEL_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ValidationError(
            [("type", f"unknown document type; accepted: {', '.join(sorted(TOP_LEVEL_TYPES))}")]
        )
    return structure(data, cls, converter)
