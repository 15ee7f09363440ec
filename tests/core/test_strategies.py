"""The shipped hypothesis strategies: argument checking and from_type registration."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from iso10002 import events as ev
from iso10002.model import Complainant, Complaint
from iso10002.testing.strategies import complainants, complaints, event_histories


@pytest.mark.parametrize(
    "make",
    [
        lambda: event_histories(min_events=2),
        lambda: event_histories(min_events=5, max_events=4),
        lambda: event_histories(max_events="many"),  # type: ignore[arg-type]
        lambda: event_histories(min_events=True),
        lambda: event_histories(complainant_ids=["a"]),  # type: ignore[arg-type]
        lambda: complaints(max_events=0),
        lambda: complainants(ids="abc"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_raise_invalid_argument(make: Any) -> None:
    with pytest.raises(InvalidArgument):
        make()


@given(st.from_type(Complaint), st.from_type(Complainant))
def test_from_type_is_registered_through_the_entry_point(
    complaint: Complaint, person: Complainant
) -> None:
    assert isinstance(complaint, Complaint)
    assert isinstance(person, Complainant)


@given(event_histories(min_events=5, max_events=9, complainant_ids=st.just("cust-9")))
def test_histories_respect_their_arguments(history: list[ev.Event]) -> None:
    assert 5 <= len(history) <= 9 + 2
    assert [e.sequence for e in history] == list(range(1, len(history) + 1))
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(history))
    assert ev.replay(history).complainant_id == "cust-9"
