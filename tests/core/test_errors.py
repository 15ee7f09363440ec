"""The error tree: every error is an Iso10002Error and the builtin a caller would catch."""

from __future__ import annotations

import pytest

from iso10002 import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.ValidationError, ValueError),
        (errors.ConfigurationError, ValueError),
        (errors.DefinitionError, ValueError),
        (errors.TaxonomyError, ValueError),
        (errors.NotFoundError, LookupError),
        (errors.ComplaintNotFound, LookupError),
        (errors.DuplicateError, ValueError),
    ],
)
def test_errors_derive_from_the_natural_builtin(cls: type[Exception], builtin: type) -> None:
    assert issubclass(cls, errors.Iso10002Error)
    assert issubclass(cls, builtin)


def test_every_exported_error_is_in_the_tree_and_drawn_in_the_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.Iso10002Error)
            assert name in doc, f"{name} is missing from the tree in the module docstring"


def test_validation_error_lists_every_problem_with_its_path() -> None:
    exc = errors.ValidationError([("a.b", "missing"), ("c[0]", "too long")], what="Thing")
    assert exc.paths == ("a.b", "c[0]")
    text = str(exc)
    assert "invalid Thing (2 problems)" in text
    assert "a.b: missing" in text
    assert "c[0]: too long" in text


def test_a_single_message_becomes_one_problem() -> None:
    exc = errors.ConfigurationError("timezone: unknown zone")
    assert exc.problems == (errors.Problem("", "timezone: unknown zone"),)
    assert str(exc) == "invalid input: timezone: unknown zone"


def test_an_empty_problem_list_still_says_something() -> None:
    assert str(errors.ValidationError([])) == "invalid input: invalid input"


def test_workflow_errors_carry_their_parts() -> None:
    refused = errors.TransitionNotAllowed("close", "received", "no decision yet")
    assert (refused.transition, refused.state, refused.reason) == (
        "close",
        "received",
        "no decision yet",
    )
    assert "close" in str(refused)
    assert "received" in str(refused)
    guard = errors.GuardRejected("can_close", "decision not communicated", transition="close")
    assert isinstance(guard, errors.TransitionNotAllowed)
    assert guard.guard == "can_close"
    assert "can_close" in str(guard)
    assert "decision not communicated" in str(guard)


def test_concurrency_conflict_and_not_found_messages() -> None:
    conflict = errors.ConcurrencyConflict("c-1", 3, 4)
    assert (conflict.expected, conflict.actual) == (3, 4)
    assert "expected version 3" in str(conflict)
    assert "version 4" in str(conflict)
    assert "no stored complaint" in str(errors.ConcurrencyConflict("c-1", 3, None))
    missing = errors.ComplaintNotFound("CMP-1", by="reference")
    assert str(missing) == "no complaint with that reference"  # the key may be anyone's typing
    assert (missing.key, missing.by) == ("CMP-1", "reference")


def test_delivery_error_says_whether_to_retry() -> None:
    assert errors.DeliveryError("timeout").retryable
    assert not errors.DeliveryError("bad address", retryable=False).retryable


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (None, "None"),
        (True, "a bool"),
        ("secret", "a str of length 6"),
        (b"xy", "a bytes of length 2"),
        ([1, 2], "a list of 2 item(s)"),
        ({"a": 1}, "a dict of 1 item(s)"),
        (1.5, "a value of type float"),
    ],
)
def test_describe_never_shows_the_value(value: object, described: str) -> None:
    assert errors.describe(value) == described
