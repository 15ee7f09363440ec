"""Hierarchical code lists (taxonomies) for classifying complaints (8.2).

A :class:`Taxonomy` is a frozen list of :class:`Code` values, each with an optional parent code.
It is validated when created (unique codes, parents that exist, no cycles, replacements that exist
and end in an active code): every problem is listed in one :class:`~iso10002.errors.TaxonomyError`.
Load from a dict, JSON or CSV; dump back to the same canonical form.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import cattrs

from iso10002 import _config as cfg
from iso10002 import _validate as v
from iso10002.errors import Problem, TaxonomyError, ValidationError, describe

__all__ = ["CSV_COLUMNS", "Code", "Taxonomy"]

_E = TaxonomyError

CSV_COLUMNS = ("code", "label", "parent", "description", "active", "replaced_by")
"""The columns of the CSV form, in the order :meth:`Taxonomy.to_csv` writes them."""


@attrs.frozen
class Code:
    """One code: its ``label``, optional ``parent`` and whether it is still ``active``.

    A retired code (``active=False``) may name the code that replaces it in ``replaced_by``.
    """

    code: str = attrs.field(validator=cfg.name(cfg.CODE_RE, _E))
    label: str = attrs.field(validator=cfg.text(200, _E))
    parent: str | None = attrs.field(default=None, validator=cfg.optional_name(cfg.CODE_RE, _E))
    description: str | None = attrs.field(default=None, validator=cfg.text(2000, _E, optional=True))
    active: bool = attrs.field(default=True, validator=cfg.boolean(_E))
    replaced_by: str | None = attrs.field(
        default=None, validator=cfg.optional_name(cfg.CODE_RE, _E)
    )


@attrs.define(slots=True, eq=False)
class _Index:
    by_code: dict[str, Code]
    children: dict[str | None, list[str]]
    depth: dict[str, int]


@attrs.frozen
class Taxonomy:
    """A named, versioned, hierarchical code list; validated when created."""

    name: str = attrs.field(validator=cfg.name(cfg.KEY_RE, _E))
    version: str = attrs.field(validator=cfg.text(50, _E))
    codes: tuple[Code, ...] = attrs.field(converter=v.frozen_tuple)
    description: str | None = attrs.field(default=None, validator=cfg.text(2000, _E, optional=True))
    _index: Any = attrs.field(init=False, default=None, eq=False, repr=False, hash=False)

    @codes.validator
    def _check_codes(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise TaxonomyError([("codes", f"expected a list of codes, got {describe(value)}")])
        bad = [
            (f"codes[{i}]", "expected a Code")
            for i, c in enumerate(value)
            if not isinstance(c, Code)
        ]
        if bad:
            raise TaxonomyError(bad)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", _build_index(self.codes))

    # --- lookup -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._index.by_code

    def __getitem__(self, code: str) -> Code:
        """The :class:`Code` *code*; ``KeyError`` if there is none."""
        found = self._index.by_code.get(code)
        if found is None:
            raise KeyError(f"taxonomy {self.name!r} has no code {code!r}")
        return found  # type: ignore[no-any-return]

    def get(self, code: str) -> Code | None:
        """The :class:`Code` *code*, or ``None``."""
        found: Code | None = self._index.by_code.get(code)
        return found

    def roots(self) -> tuple[Code, ...]:
        """The codes without a parent, in declaration order."""
        return tuple(self._index.by_code[c] for c in self._index.children.get(None, ()))

    def children(self, code: str) -> tuple[Code, ...]:
        """The direct children of *code*, in declaration order."""
        self[code]
        return tuple(self._index.by_code[c] for c in self._index.children.get(code, ()))

    def ancestors(self, code: str) -> tuple[Code, ...]:
        """The ancestors of *code*, nearest first (its parent, then the parent's parent, …)."""
        found = []
        parent = self[code].parent
        while parent is not None:
            item = self._index.by_code[parent]
            found.append(item)
            parent = item.parent
        return tuple(found)

    def descendants(self, code: str) -> tuple[Code, ...]:
        """Every code below *code*, depth first in declaration order (not *code* itself)."""
        self[code]
        found: list[Code] = []
        stack = list(reversed(self._index.children.get(code, ())))
        while stack:
            current = stack.pop()
            found.append(self._index.by_code[current])
            stack.extend(reversed(self._index.children.get(current, ())))
        return tuple(found)

    def path(self, code: str) -> tuple[str, ...]:
        """The codes from the root down to *code* (inclusive)."""
        return (*(c.code for c in reversed(self.ancestors(code))), code)

    def depth(self, code: str) -> int:
        """The level of *code*: 1 for a root, 2 for its children, …"""
        self[code]
        depth: int = self._index.depth[code]
        return depth

    def by_path(self, path: str | Sequence[str]) -> Code:
        """The code at *path*: codes from a root down, as a sequence or joined by ``/``.

        ``KeyError`` if a code is unknown or is not the child of the one before it.
        """
        parts = path.split("/") if isinstance(path, str) else list(path)
        parent: str | None = None
        found: Code | None = None
        for part in parts:
            found = self._index.by_code.get(part)
            if found is None or found.parent != parent:
                raise KeyError(f"taxonomy {self.name!r} has no path {'/'.join(parts)!r}")
            parent = found.code
        if found is None:
            raise KeyError("an empty path names no code")
        return found

    def roll_up(self, code: str, level: int) -> str:
        """The ancestor of *code* at *level* (1 = root); *code* itself if it is not deeper."""
        if not v.is_int(level) or level < 1:
            raise ValidationError([("level", "must be an int of at least 1")], what="roll_up")
        path = self.path(code)
        return path[min(level, len(path)) - 1]

    def roll_up_counts(self, counts: Mapping[str, int], level: int) -> dict[str, int]:
        """Sum *counts* per code into their ancestors at *level* (first-seen order)."""
        totals: dict[str, int] = {}
        for code, count in counts.items():
            key = self.roll_up(code, level)
            totals[key] = totals.get(key, 0) + count
        return totals

    def resolve(self, code: str) -> Code:
        """*code*, or the active code that replaces it (following ``replaced_by``)."""
        current = self[code]
        while not current.active and current.replaced_by is not None:
            current = self._index.by_code[current.replaced_by]
        return current

    def active_codes(self) -> tuple[Code, ...]:
        """The active codes, in declaration order."""
        return tuple(c for c in self.codes if c.active)

    def extend(
        self, codes: Iterable[Code | Mapping[str, Any]], *, version: str | None = None
    ) -> Taxonomy:
        """A new taxonomy with *codes* (``Code`` values or dicts) added after these ones."""
        added: list[Code] = []
        problems: list[Problem] = []
        for i, item in enumerate(codes):
            if isinstance(item, Code):
                added.append(item)
                continue
            try:
                added.append(_converter().structure(item, Code))
            except ValidationError as exc:
                problems.extend(
                    Problem(cfg.join(f"codes[{i}]", p.path), p.message) for p in exc.problems
                )
        if problems:
            raise TaxonomyError(problems, what=f"codes added to taxonomy {self.name!r}")
        return attrs.evolve(
            self, codes=(*self.codes, *added), version=self.version if version is None else version
        )

    # --- loading and dumping ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: object) -> Taxonomy:
        """Load a taxonomy from JSON-like data; raises only :class:`TaxonomyError`."""
        if not isinstance(data, Mapping):
            raise TaxonomyError(
                [("", f"expected an object, got {describe(data)}")], what="taxonomy"
            )
        try:
            result: Taxonomy = _converter().structure(data, cls)
        except TaxonomyError:
            raise
        except ValidationError as exc:
            raise TaxonomyError(exc.problems, what="taxonomy") from None
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - defensive: nothing escapes
            raise TaxonomyError(cfg.problems_of(exc, ""), what="taxonomy") from None
        return result

    @classmethod
    def from_json(cls, text: str | bytes) -> Taxonomy:
        """Load a taxonomy from JSON text."""
        return cls.from_dict(cfg.parse_json(text, TaxonomyError, "taxonomy"))

    @classmethod
    def from_csv(
        cls, text: str, *, name: str, version: str = "1", description: str | None = None
    ) -> Taxonomy:
        """Load a taxonomy from CSV text with a header row of :data:`CSV_COLUMNS` names.

        ``code`` and ``label`` are required columns; empty cells mean "not set" (``active``
        empty means true); ``active`` is ``true`` or ``false``.
        """
        rows = _csv_rows(text)
        return cls.from_dict(
            {
                "name": name,
                "version": version,
                "codes": rows,
                **({} if description is None else {"description": description}),
            }
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, name: str | None = None) -> Taxonomy:
        """Load a ``.json`` or ``.csv`` file (a CSV taxonomy is named *name* or the file stem)."""
        file = Path(path)
        suffix = file.suffix.lower()
        if suffix not in (".json", ".csv"):
            raise TaxonomyError(
                [("", "a taxonomy file must end in .json or .csv")], what="taxonomy"
            )
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise TaxonomyError(
                [("", f"cannot read the file ({type(exc).__name__})")], what="taxonomy"
            ) from None
        if suffix == ".json":
            return cls.from_json(raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TaxonomyError([("", "a CSV file must be UTF-8")], what="taxonomy") from None
        return cls.from_csv(text, name=name or file.stem)

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-like data: keys holding their default value are left out."""
        data: dict[str, Any] = cfg.to_plain(self)
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_csv(self) -> str:
        """CSV text with every column of :data:`CSV_COLUMNS` (name and version are not kept)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for c in self.codes:
            writer.writerow(
                [
                    c.code,
                    c.label,
                    c.parent or "",
                    c.description or "",
                    "true" if c.active else "false",
                    c.replaced_by or "",
                ]
            )
        return out.getvalue()


def _csv_rows(text: object) -> list[dict[str, Any]]:
    if not isinstance(text, str):
        raise TaxonomyError(
            [("", f"expected CSV text (str), got {describe(text)}")], what="taxonomy"
        )
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        table = list(reader)
    except csv.Error as exc:
        raise TaxonomyError([("", f"not valid CSV: {exc}")], what="taxonomy") from None
    if not table:
        raise TaxonomyError([("", "the CSV has no header row")], what="taxonomy")
    header = [h.strip() for h in table[0]]
    problems: list[Problem] = [
        Problem(f"header[{i}]", f"unknown column; accepted: {', '.join(CSV_COLUMNS)}")
        for i, h in enumerate(header)
        if h not in CSV_COLUMNS
    ]
    if len(set(header)) != len(header):
        problems.append(Problem("header", "a column appears twice"))
    problems.extend(
        Problem("header", f"missing required column {required!r}")
        for required in ("code", "label")
        if required not in header
    )
    if problems:
        raise TaxonomyError(problems, what="taxonomy CSV")
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(f"line {number}", f"expected {len(header)} cells, got {len(cells)}")
            )
            continue
        row: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=True):
            if column == "active":
                flag = cell.strip().lower()
                if flag in ("", "true"):
                    continue
                if flag == "false":
                    row["active"] = False
                else:
                    problems.append(Problem(f"line {number}.active", "expected true or false"))
            elif cell != "" or column in ("code", "label"):
                row[column] = cell
        rows.append(row)
    if problems:
        raise TaxonomyError(problems, what="taxonomy CSV")
    return rows


def _build_index(codes: tuple[Code, ...]) -> _Index:  # noqa: C901 - one check per rule of a code list, each a separate message
    problems: list[Problem] = []
    by_code: dict[str, Code] = {}
    position: dict[str, int] = {}
    for i, c in enumerate(codes):
        if c.code in by_code:
            problems.append(Problem(f"codes[{i}].code", f"duplicate code {c.code!r}"))
        else:
            by_code[c.code] = c
            position[c.code] = i
    for i, c in enumerate(codes):
        if c.parent is not None and c.parent not in by_code:
            problems.append(Problem(f"codes[{i}].parent", f"unknown parent code {c.parent!r}"))
        if c.replaced_by is not None:
            if c.active:
                problems.append(
                    Problem(
                        f"codes[{i}].replaced_by",
                        "only a retired code (active false) has a replacement",
                    )
                )
            elif c.replaced_by == c.code:
                problems.append(Problem(f"codes[{i}].replaced_by", "a code cannot replace itself"))
            elif c.replaced_by not in by_code:
                problems.append(
                    Problem(
                        f"codes[{i}].replaced_by", f"unknown replacement code {c.replaced_by!r}"
                    )
                )
    if problems:
        raise TaxonomyError(problems, what="taxonomy")
    depth: dict[str, int] = {}
    bad = -1  # the depth of a code in, or under, a cycle
    for c in codes:  # the codes are unique here
        chain: list[str] = []
        on_chain: set[str] = set()
        current: str | None = c.code
        while current is not None and current not in depth:
            if current in on_chain:
                cycle = " -> ".join([*chain[chain.index(current) :], current])
                problems.append(Problem(f"codes[{position[current]}].parent", f"cycle: {cycle}"))
                break
            on_chain.add(current)
            chain.append(current)
            current = by_code[current].parent
        if current is not None and (current in on_chain or depth[current] == bad):
            depth.update(dict.fromkeys(chain, bad))
        else:
            base = 0 if current is None else depth[current]
            for offset, code in enumerate(reversed(chain), start=1):
                depth[code] = base + offset
    for i, c in enumerate(codes):
        if c.replaced_by is None:
            continue
        seen = {c.code}
        target = by_code[c.replaced_by]
        while not target.active:
            if target.replaced_by is None or target.code in seen:
                problems.append(
                    Problem(
                        f"codes[{i}].replaced_by", "the replacements must lead to an active code"
                    )
                )
                break
            seen.add(target.code)
            target = by_code[target.replaced_by]
    if problems:
        raise TaxonomyError(problems, what="taxonomy")
    children: dict[str | None, list[str]] = {}
    for c in codes:
        children.setdefault(c.parent, []).append(c.code)
    return _Index(by_code=by_code, children=children, depth=depth)


@cache
def _converter() -> cattrs.Converter:
    return cfg.make_config_converter()
