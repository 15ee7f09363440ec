"""Personal data never shows in repr() of any value or in the message of any error."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso10002 import errors, model, serialization
from iso10002 import events as ev
from iso10002.testing.strategies import complainants, event_histories


def secrets_of(person: model.Complainant) -> list[str]:
    found = [person.name, *person.name.split()]
    found += [s for s in (person.email, person.phone, person.representative) if s]
    return found


def every_value(obj: Any) -> list[Any]:
    """*obj* and every attrs value nested inside it."""
    out = [obj]
    if attrs.has(type(obj)):
        for field in attrs.fields(type(obj)):
            out += every_value(getattr(obj, field.name))
    elif isinstance(obj, (tuple, list, frozenset)):
        for item in obj:
            out += every_value(item)
    return out


@given(complainants(), st.data())
def test_no_personal_data_in_any_repr(person: model.Complainant, data: st.DataObject) -> None:
    history = data.draw(event_histories(complainant_ids=st.just(person.id)))
    complaint = ev.replay(history)
    shown = " ".join(repr(v) + str(v) for v in every_value(complaint) + history + [person])
    for secret in secrets_of(person):
        assert secret not in shown


def _error_messages(person: model.Complainant) -> list[str]:
    """Provoke errors whose input holds the person's data, and collect their messages."""
    messages = []
    fields = serialization.unstructure(person)
    name, email = person.name, person.email or "x@example.org"
    attempts: list[Any] = [
        lambda: attrs.evolve(person, email=email * 20),
        lambda: attrs.evolve(person, phone=name * 10),
        lambda: attrs.evolve(person, preferred_contact=name),  # type: ignore[arg-type]
        lambda: attrs.evolve(person, id=f" {name} "),
        lambda: model.Complainant(id=person.id, name=name),
        lambda: serialization.structure({**fields, "preferred_contact": email}, model.Complainant),
        lambda: serialization.structure({**fields, name: email, email: 1}, model.Complainant),
        lambda: serialization.structure({**fields, "language": [name, email]}, model.Complainant),
        lambda: serialization.structure({**fields, "vulnerable": name}, model.Complainant),
        lambda: serialization.structure({"type": name}, ev.Event),
        lambda: serialization.load({"schema_version": 1, "type": email}),
        lambda: serialization.load({"schema_version": name}),
        lambda: serialization.structure(
            {"received_at": name, "channel": email, "subject": name, "description": email},
            model.ComplaintDetails,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(errors.Iso10002Error) as caught:
            attempt()
        messages.append(str(caught.value))
    return messages


@given(complainants())
def test_no_personal_data_in_error_messages(person: model.Complainant) -> None:
    for message in _error_messages(person):
        for secret in secrets_of(person):
            assert secret not in message
