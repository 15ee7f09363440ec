"""Loading machinery shared by workflow definitions and taxonomies (private).

Configuration classes validate their fields with the validators below, which raise the
configuration's own error class. :func:`make_config_converter` structures them from JSON-like
data, collecting every problem with its path, and :func:`to_plain` writes them back in canonical
form (keys whose value is the default are left out).
"""

from __future__ import annotations

import importlib
import json
import math
import re
import types
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from iso10002.errors import (
    ConfigurationError,
    Iso10002Error,
    Problem,
    ValidationError,
    describe,
)
from iso10002.serialization import make_converter

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
"""State and transition names: a letter or underscore, then letters, digits, underscores."""

KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]{0,99}")
"""Milestones, roles, guard names: like :data:`NAME_RE`, also allowing ``. : -``."""

SOURCE_RE = re.compile(r"\*|[A-Za-z_][A-Za-z0-9_]{0,99}")
"""Transition sources: a state or group name (like :data:`NAME_RE`), or ``*``."""

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
"""Taxonomy codes: letters, digits, ``_ . -``, starting with a letter or digit."""

JSON_METADATA = "iso10002.json"
"""Field metadata key marking a free-form JSON object field (kept as given, frozen)."""

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
ErrorType = type[ConfigurationError]


def _raise(error: ErrorType, attribute: attrs.Attribute[Any], message: str) -> NoReturn:
    raise error([(attribute.alias or attribute.name, message)])


def _pattern_text(pattern: re.Pattern[str]) -> str:
    if pattern is NAME_RE:
        return "letters, digits and underscores, starting with a letter or underscore"
    if pattern is KEY_RE:
        return "letters, digits and _ . : -, starting with a letter or underscore"
    if pattern is SOURCE_RE:
        return "a state or group name (letters, digits and underscores), or * for every open state"
    return "letters, digits and _ . -, starting with a letter or digit"


def name(pattern: re.Pattern[str], error: ErrorType) -> Validator:
    """A str of at most 100 characters matching *pattern*."""
    accepted = _pattern_text(pattern)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            _raise(error, attribute, f"expected a name (str), got {describe(value)}")
        elif not pattern.fullmatch(value):
            _raise(error, attribute, f"must be 1 to 100 characters: {accepted}")

    return check


def optional_name(pattern: re.Pattern[str], error: ErrorType) -> Validator:
    """``None`` or a name matching *pattern*."""
    inner = name(pattern, error)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(owner, attribute, value)

    return check


def names(pattern: re.Pattern[str], error: ErrorType, *, non_empty: bool = False) -> Validator:
    """A tuple of distinct names matching *pattern*."""
    accepted = _pattern_text(pattern)

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            _raise(error, attribute, f"expected a list of names, got {describe(value)}")
        if non_empty and not value:
            _raise(error, attribute, "must list at least one name")
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        key = attribute.alias or attribute.name
        for i, item in enumerate(value):
            if not isinstance(item, str) or not pattern.fullmatch(item):
                problems.append((f"{key}[{i}]", f"must be 1 to 100 characters: {accepted}"))
            elif item in seen:
                problems.append((f"{key}[{i}]", "duplicate name"))
            else:
                seen.add(item)
        if problems:
            raise error(problems)

    return check


def text(max_length: int, error: ErrorType, *, optional: bool = False) -> Validator:
    """A non-blank str of at most *max_length* characters (``None`` too if *optional*)."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            _raise(error, attribute, f"expected a str, got {describe(value)}")
        elif not value.strip():
            _raise(error, attribute, "must not be blank")
        elif len(value) > max_length:
            _raise(error, attribute, f"too long: {len(value)} characters, at most {max_length}")

    return check


def boolean(error: ErrorType) -> Validator:
    """A bool."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, bool):
            _raise(error, attribute, f"expected true or false, got {describe(value)}")

    return check


def json_problems(value: object, path: str, depth: int = 0) -> list[Problem]:
    """Problems that keep *value* from being JSON-like (str keys; finite numbers; depth ≤ 20)."""
    if depth > 20:
        return [Problem(path, "nested too deeply (at most 20 levels)")]
    if value is None or isinstance(value, (str, bool, int)):
        return []
    if isinstance(value, float):
        return [] if math.isfinite(value) else [Problem(path, "numbers must be finite")]
    if isinstance(value, (list, tuple)):
        found: list[Problem] = []
        for i, item in enumerate(value):
            found.extend(json_problems(item, f"{path}[{i}]", depth + 1))
        return found
    if isinstance(value, Mapping):
        found = []
        for key, item in value.items():
            if not isinstance(key, str):
                found.append(Problem(path, f"keys must be strings, got {describe(key)}"))
            else:
                found.extend(json_problems(item, f"{path}.{key}" if path else key, depth + 1))
        return found
    return [Problem(path, f"expected JSON-like data, got {describe(value)}")]


def freeze(value: Any) -> Any:
    """A read-only copy of JSON-like *value*: mappings become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON-like data (dicts and lists) from :func:`freeze`'s output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def json_object(error: ErrorType) -> Validator:
    """A JSON-like object (a mapping with str keys)."""

    def check(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        key = attribute.alias or attribute.name
        if not isinstance(value, Mapping):
            _raise(error, attribute, f"expected an object, got {describe(value)}")
        problems = json_problems(value, key)
        if problems:
            raise error(problems)

    return check


def frozen_json(value: Any) -> Any:
    """Converter for JSON object fields; leaves non-mappings for the validator."""
    if isinstance(value, Mapping):
        try:
            return freeze(value)
        except RecursionError:  # pragma: no cover - json_problems reports the depth
            return value
    return value


def item_labels(key: str, names: list[str | None]) -> list[str]:
    """How problem paths name each item of the list *key*: ``key["name"]`` for a unique name,
    ``key["name", k]`` for the *k*-th (from 0) of several items so named, ``key[i]`` without
    a name."""
    counts: dict[str, int] = {}
    for name in names:
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    found: list[str] = []
    for i, name in enumerate(names):
        if name is None:
            found.append(f"{key}[{i}]")
        elif counts[name] == 1:
            found.append(f'{key}["{name}"]')
        else:
            found.append(f'{key}["{name}", {seen.get(name, 0)}]')
            seen[name] = seen.get(name, 0) + 1
    return found


def problems_of(exc: BaseException, path: str) -> list[Problem]:
    """Every problem carried by *exc*, with *path* put in front of each."""
    if isinstance(exc, (ValidationError, ConfigurationError)):
        return [Problem(join(path, p.path), p.message) for p in exc.problems]
    if isinstance(exc, BaseValidationError):
        found: list[Problem] = []
        for inner in exc.exceptions:
            found.extend(problems_of(inner, path))
        return found
    if isinstance(exc, Iso10002Error):
        return [Problem(path, str(exc))]
    return [Problem(path, f"invalid value ({type(exc).__name__})")]


def join(prefix: str, path: str) -> str:
    """Join two dotted paths (``a`` + ``[0].b`` → ``a[0].b``)."""
    if not path:
        return prefix
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _attrs_hook(conv: cattrs.Converter, cls: type[Any]) -> Callable[[object, object], Any]:
    fields = [f for f in attrs.fields(attrs.resolve_types(cls)) if f.init]
    keys = {f.alias or f.name for f in fields}
    accepted = ", ".join(sorted(keys))

    def structure(data: object, _: object) -> Any:
        if not isinstance(data, Mapping):
            raise ValidationError(
                [("", f"expected an object ({cls.__name__}), got {describe(data)}")]
            )
        problems: list[Problem] = [
            Problem(str(key), f"unknown key; accepted keys: {accepted}")
            for key in data
            if key not in keys
        ]
        kwargs: dict[str, Any] = {}
        for f in fields:
            key = f.alias or f.name
            if key not in data:
                if f.default is attrs.NOTHING:
                    problems.append(Problem(key, "missing required key"))
                continue
            value = data[key]
            try:
                if not f.metadata.get(JSON_METADATA):
                    value = conv.structure(value, f.type)
                if f.converter is not None:
                    value = f.converter(value)
                if f.validator is not None:
                    f.validator(None, f, value)
            except (ValidationError, ConfigurationError) as exc:
                problems.extend(
                    Problem(p.path if p.path.startswith(key) else join(key, p.path), p.message)
                    for p in exc.problems
                )
                continue
            except Exception as exc:  # noqa: BLE001 - every failure becomes a problem
                problems.extend(problems_of(exc, key))
                continue
            kwargs[key] = value
        if problems:
            raise ValidationError(problems, what=cls.__name__)
        return cls(
            **kwargs
        )  # cross-field errors (DefinitionError subclasses) propagate as they are

    return structure


def make_config_converter() -> cattrs.Converter:
    """A strict converter structuring attrs classes field by field (problems carry paths)."""
    conv = make_converter()
    conv.register_structure_hook_factory(attrs.has, lambda cls: _attrs_hook(conv, cls))
    return conv


def to_plain(obj: Any) -> Any:
    """Canonical JSON-like data for a configuration value: default-valued keys are left out."""
    if attrs.has(type(obj)):
        out: dict[str, Any] = {}
        for f in attrs.fields(type(obj)):
            if not f.init:
                continue
            value = getattr(obj, f.name)
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if default is not attrs.NOTHING and value == default:
                continue
            out[f.alias or f.name] = to_plain(value)
        return out
    if isinstance(obj, Mapping):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [to_plain(v) for v in obj]
    return obj


def parse_json(text: object, error: ErrorType, what: str) -> Any:
    """Parse JSON *text* (str or bytes), raising *error* on anything that is not JSON."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise error([("", f"expected JSON text (str or bytes), got {describe(text)}")], what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            [("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")],
            what=what,
        ) from None
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise error([("", f"not valid JSON ({type(exc).__name__})")], what=what) from None


def parse_toml(text: object, error: ErrorType, what: str) -> Any:
    """Parse TOML *text* with :mod:`tomllib` (Python 3.11+)."""
    try:
        tomllib: Any = importlib.import_module("tomllib")
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        raise error(  # a ConfigurationError, like every configuration loader's error
            [("", "reading TOML needs Python 3.11 or later (tomllib); use JSON or a dict")],
            what=what,
        ) from None

    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise error([("", "TOML text must be UTF-8")], what=what) from None
    if not isinstance(text, str):
        raise error([("", f"expected TOML text (str), got {describe(text)}")], what=what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([("", f"not valid TOML: {exc}")], what=what) from None
    except RecursionError:  # pragma: no cover - pathological nesting
        raise error([("", "not valid TOML: nested too deeply")], what=what) from None


_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def _toml_key(key: str, error: ErrorType, path: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key, error, path)


def _toml_string(value: str, error: ErrorType, path: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0xD800 <= code <= 0xDFFF:
            raise error([(path, "TOML cannot hold a lone surrogate character; use JSON")])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: Any, error: ErrorType, path: str) -> str:
    """One JSON-like value as a TOML inline value (``None`` cannot be written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value, error, path)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise error([(path, "TOML cannot hold a non-finite number here")])
        return repr(value)
    if isinstance(value, (list, tuple)):
        return (
            "[" + ", ".join(toml_value(v, error, f"{path}[{i}]") for i, v in enumerate(value)) + "]"
        )
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_toml_key(k, error, path)} = {toml_value(v, error, join(path, k))}"
            for k, v in value.items()
        )
        return "{" + items + "}" if items else "{}"
    raise error([(path, f"TOML cannot hold {describe(value)}; use JSON instead")])


def to_toml(data: Mapping[str, Any], error: ErrorType) -> str:
    """A TOML document for *data*: scalars and lists at the top, lists of objects as tables."""
    head: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                tables.append(f"\n[[{_toml_key(key, error, key)}]]")
                for k, v in item.items():
                    where = f"{key}[{i}].{k}"
                    tables.append(f"{_toml_key(k, error, where)} = {toml_value(v, error, where)}")
        else:
            head.append(f"{_toml_key(key, error, key)} = {toml_value(value, error, key)}")
    return "\n".join(head + tables) + "\n"
