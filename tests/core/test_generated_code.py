"""Generated functions show their own source lines in tracebacks."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from iso10002 import _codegen
from iso10002.backends import _sql as q
from iso10002.model import Complaint


def _trace(call: Any, *args: Any) -> str:
    try:
        call(*args)
    except Exception:  # noqa: BLE001 - the traceback is what is tested
        return traceback.format_exc()
    raise AssertionError("expected the call to fail")  # pragma: no cover


def test_a_generated_reader_shows_the_failing_line() -> None:
    read = q._COMPLAINT_READERS["Complaint"]
    text = _trace(read, {"id": 5})
    assert "<iso10002 generated read for Complaint" in text
    assert "put(o, 'id', (v0 if type(v0) is str else _not_read()))" in text
    assert "<string>" not in text


def test_a_generated_writer_shows_the_failing_line() -> None:
    write = q._attrs_writer(q._WRITER, Complaint)
    text = _trace(write, object())
    assert "<iso10002 generated write for Complaint" in text
    assert "v0 = o.id" in text


def test_generated_functions_get_distinct_file_names() -> None:
    first = _codegen.generate("f", ["def f():", "    return 1 / 0"], {}, what="a")
    second = _codegen.generate("f", ["def f():", "    return [][0]"], {}, what="a")
    assert first.__code__.co_filename != second.__code__.co_filename
    assert "return 1 / 0" in _trace(first)
    assert "return [][0]" in _trace(second)
    with pytest.raises(ZeroDivisionError):
        first()
