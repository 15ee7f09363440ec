"""Source rows from CSV and JSON Lines files, each with the line it starts on.

A row that cannot be read (bytes that are not valid in the file's encoding, a CSV record with
more or fewer fields than the header, a JSON line that is not an object) still comes out, with
its problems, so the importer can reject it: nothing is dropped.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import attrs

from iso10002.errors import Problem, ValidationError

__all__ = ["SourceRow", "read_csv", "read_jsonl"]

csv.field_size_limit(2**31 - 1)


@attrs.frozen
class SourceRow:
    """One row: its first *line* (1-based, counting the header), its *values* by column name,
    and the *problems* that stopped it being read (then *values* is empty)."""

    line: int
    values: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()


def _lines(stream: IO[bytes], encoding: str, bad: set[int]) -> Iterator[str]:
    """Decoded lines (with their endings); undecodable lines are decoded with replacement
    characters and their numbers put in *bad*."""
    codecs.lookup(encoding)  # LookupError for an unknown encoding
    utf8 = encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")
    for number, line in enumerate(stream, start=1):
        raw = (
            line[len(codecs.BOM_UTF8) :]
            if number == 1 and utf8 and line.startswith(codecs.BOM_UTF8)
            else line
        )
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            bad.add(number)
            yield raw.decode(encoding, errors="replace")


def _not_decoded(lines: Iterable[int], encoding: str) -> tuple[Problem, ...]:
    return tuple(
        Problem(f"line {n}", f"not valid {encoding}; give the file's encoding") for n in lines
    )


def read_csv(
    stream: IO[bytes], *, encoding: str = "utf-8", delimiter: str = ","
) -> Iterator[SourceRow]:
    """The rows of a CSV file with a header line (quoted multi-line fields and CRLF allowed)."""
    bad: set[int] = set()
    lines = _lines(stream, encoding, bad)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValidationError([("line 1", f"not a CSV header: {exc}")], what="CSV file") from None
    if bad:
        raise ValidationError(list(_not_decoded(sorted(bad), encoding)), what="CSV header")
    width = len(header)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceRow(start, {}, (Problem(f"line {start}", f"not valid CSV: {exc}"),))
            continue
        end = reader.line_num
        undecoded = sorted(n for n in bad if start <= n <= end)
        if undecoded:
            yield SourceRow(start, {}, _not_decoded(undecoded, encoding))
            continue
        if not fields or (fields == [""] and width != 1):
            continue  # an empty line is not a row
        if len(fields) != width:
            yield SourceRow(
                start,
                {},
                (Problem(f"line {start}", f"has {len(fields)} fields, the header has {width}"),),
            )
            continue
        yield SourceRow(start, dict(zip(header, fields, strict=True)))


def read_jsonl(stream: IO[bytes], *, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """The rows of a JSON Lines file: one JSON object a line (blank lines skipped)."""
    bad: set[int] = set()
    for number, line in enumerate(_lines(stream, encoding, bad), start=1):
        if number in bad:
            yield SourceRow(number, {}, _not_decoded([number], encoding))
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield SourceRow(number, {}, (Problem(f"line {number}", f"not valid JSON: {exc}"),))
            continue
        if not isinstance(value, dict):
            yield SourceRow(number, {}, (Problem(f"line {number}", "expected a JSON object"),))
            continue
        yield SourceRow(number, value)
