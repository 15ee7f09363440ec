"""Hostile input costs bounded time and memory: validation stops after a bounded number of
problems, error messages stay short, nested checks are linear, the decoded cache is bounded by
the text it holds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.backends._sql import CACHE_TEXT, DecodedCache
from iso10002.errors import MAX_PROBLEMS, SHOWN_PROBLEMS, ValidationError
from iso10002.serialization import load
from iso10002.service import ComplaintsHandling
from iso10002.testing.contract import new_complaint

FORM = {"channel": "web", "name": "A", "email": "a@example.org", "subject": "s", "description": "d"}


def _refused(attempt: Any) -> tuple[ValidationError, float]:
    start = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        attempt()
    return caught.value, time.perf_counter() - start


def test_too_many_attachments_are_refused_before_any_is_checked() -> None:
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage)
        error, seconds = _refused(
            lambda: service.receive({**FORM, "attachments": [{"uri": 1}] * 100_000}, actor="web")
        )
    assert error.paths == ("attachments",)
    assert "at most 500" in str(error)
    assert seconds < 0.5


def test_errors_keep_a_bounded_number_of_problems_and_show_fewer() -> None:
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage)
        error, _ = _refused(
            lambda: service.receive({**FORM, "attachments": [{"uri": 1}] * 400}, actor="web")
        )
    assert len(error.problems) == MAX_PROBLEMS
    assert str(error).count("\n  - ") == SHOWN_PROBLEMS
    assert "more" in str(error)
    assert len(str(error)) < 5000


def test_load_checks_long_nested_lists_in_linear_time() -> None:
    pauses = [[1, 2]] * 50_000
    doc = {
        "schema_version": 1,
        "type": "Complaint",
        "clocks": [{"milestone": "m", "started_at": "2026-01-01T00:00:00+00:00", "pauses": pauses}],
    }
    error, seconds = _refused(lambda: load(doc))
    assert len(str(error)) < 5000
    assert seconds < 0.5


def test_the_decoded_cache_is_bounded_by_text_as_well_as_count() -> None:
    cache = DecodedCache(10_000)
    big = "x" * 200_000
    item = new_complaint(1, description=big)
    complaint = item.complaint
    note = ev.NoteAdded(
        complaint_id=complaint.id,
        sequence=2,
        occurred_at=complaint.received_at,
        actor="a",
        text=big,
    )
    later = ev.apply(complaint, note)
    for n in range(CACHE_TEXT // 400_000 + 50):
        cache.put((f"c-{n}", 2), later)
    held = sum(1 for n in range(CACHE_TEXT // 400_000 + 50) if cache.peek((f"c-{n}", 2)))
    assert 0 < held <= CACHE_TEXT // 400_000
    assert cache.peek((f"c-{CACHE_TEXT // 400_000 + 49}", 2)) is later  # the newest stay
