"""The complainant's status needs the reference and the complaint's token; staff need neither."""

from __future__ import annotations

import pytest

from iso10002.backends import open_repository
from iso10002.errors import ComplaintNotFound, ConfigurationError
from iso10002.service import ComplaintsHandling

FORM = {
    "channel": "web",
    "name": "Ann Lee",
    "email": "ann@example.org",
    "subject": "Late delivery",
    "description": "Order 4411 came late.",
}
SECRET = b"0123456789abcdef-test-secret"


def test_the_status_needs_the_token_of_that_complaint() -> None:
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage, status_secret=SECRET)
        first = service.receive(FORM, actor="web")
        second = service.receive(FORM, actor="web")
        token = service.status_token(first)
        assert len(token) == 22
        assert token != service.status_token(second)
        status = service.status_for_complainant(first.reference, token=token)
        assert status.reference == first.reference
        assert status == service.status_by_reference(first.reference)
        # Walking the sequential references finds nothing without each complaint's token.
        refusals = []
        for reference, guess in (
            (second.reference, token),
            (first.reference, token[:-1]),
            (first.reference, ""),
            (first.reference, "ü" * 22),
            ("CMP-2099-000001", token),
            (first.reference, "x" * 10_000),
        ):
            with pytest.raises(ComplaintNotFound) as caught:
                service.status_for_complainant(reference, token=guess)
            refusals.append(str(caught.value))
        assert set(refusals) == {"no complaint with that reference and token"}
        # The same secret gives the same token in another process.
        again = ComplaintsHandling(storage, status_secret=SECRET)
        assert again.status_token(first) == token
        other = ComplaintsHandling(storage, status_secret=b"another secret of 16+ bytes")
        assert other.status_token(first) != token


def test_without_a_secret_there_is_no_complainant_lookup() -> None:
    with open_repository("memory://") as storage:
        service = ComplaintsHandling(storage)
        complaint = service.receive(FORM, actor="web")
        with pytest.raises(ConfigurationError):
            service.status_token(complaint)
        with pytest.raises(ConfigurationError):
            service.status_for_complainant(complaint.reference, token="x")
        with pytest.raises(ConfigurationError) as caught:
            ComplaintsHandling(storage, status_secret=b"short")
        assert caught.value.paths == ("status_secret",)
