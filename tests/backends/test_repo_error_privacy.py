"""Errors carry no personal data: not in their messages, not in the errors chained to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest

from iso10002.backends import open_repository
from iso10002.errors import ComplaintNotFound, Iso10002Error, ValidationError
from iso10002.model import Complainant
from iso10002.ports import Storage
from iso10002.testing.contract import new_complaint

NAME = "Zebulon Quaxworth"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _shown(exc: BaseException) -> str:
    parts = []
    for link in _chain(exc):
        parts += [str(link), repr(link), repr(link.args), repr(getattr(link, "object", ""))]
    return " ".join(parts)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = "sqlite:///:memory:"
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        schema: Callable[[], str] = request.getfixturevalue("pg_schema")
        url = f"{postgres_url}?schema={schema()}"
    with open_repository(url) as opened:
        yield opened


def test_complaint_not_found_does_not_repeat_the_key(storage: Storage) -> None:
    for lookup, by in ((storage.get, "id"), (storage.get_by_reference, "reference")):
        with pytest.raises(ComplaintNotFound) as caught:
            lookup(NAME)
        assert NAME not in str(caught.value)
        assert caught.value.by == by
        assert by in str(caught.value)


def _refusal(attempt: Callable[[], object]) -> Iso10002Error | None:
    try:
        attempt()
    except Iso10002Error as exc:
        return exc
    return None  # the memory backend holds any str


def test_a_refused_record_leaves_no_personal_data_in_the_error_chain(storage: Storage) -> None:
    item = new_complaint(1)
    person = Complainant(id="p-1", name=NAME, email="zq@example.org")
    object.__setattr__(person, "name", NAME + " \ud800")  # past the model's own check
    refused = _refusal(lambda: storage.add(item.complaint, events=item.events, complainant=person))
    if refused is None:
        assert storage.get_complainant("p-1") is person
    else:
        assert isinstance(refused, ValidationError)
        assert NAME not in _shown(refused)


def test_a_refused_payload_leaves_no_personal_data_in_the_error_chain(storage: Storage) -> None:
    at = datetime(2026, 1, 5, tzinfo=timezone.utc)
    refused = _refusal(
        lambda: storage.deliveries.enqueue("k-1", {"text": NAME + " \ud800"}, available_at=at)
    )
    assert refused is None or NAME not in _shown(refused)


def test_the_model_refuses_lone_surrogates_without_repeating_the_text() -> None:
    with pytest.raises(ValidationError) as caught:
        Complainant(id="p-1", name=NAME + " \ud800", email="zq@example.org")
    assert caught.value.paths == ("name",)
    assert NAME not in _shown(caught.value)
