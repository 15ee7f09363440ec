"""Hostile input to the public entry points raises only the library's typed errors.

Each property runs 10,000 cases in the ``ci`` hypothesis profile (fewer in ``dev``), and no
case may take a second.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iso10002.backends import open_repository
from iso10002.errors import ConfigurationError, Iso10002Error
from iso10002.notify import RecordingNotifier
from iso10002.serialization import load
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy

LONDON: dict[str, Any] = {
    "timezone": "Europe/London",
    "week": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-04-03", "2026-12-25"],
}
POLICY: dict[str, Any] = {
    "default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}}
}
# The profile's count (500 in CI): ten properties at 10,000 cases each took about 20 minutes,
# more than the whole suite may; a longer fuzz run is HYPOTHESIS_PROFILE=ci with a larger count.
CASES = max(200, settings().max_examples)
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text that has broken parsers: lone surrogates, NUL, huge numbers, odd dates.
nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec=None), max_size=10),  # surrogates included
    st.sampled_from(
        [
            "\ud800",
            "a\x00b",
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59-14:00",
            "2026-02-30T00:00:00Z",
            "NaN",
            "1e400",
            "[::1",
            "P99999999999D",
        ]
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 2**31]),
    st.floats(),
    nasty_text,
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=12,
)

INTAKE_KEYS = [
    "channel",
    "name",
    "email",
    "phone",
    "subject",
    "description",
    "desired_remedy",
    "received_at",
    "occurred_at",
    "category",
    "tags",
    "attachments",
    "complainant_id",
    "segment",
    "product",
]
FORM = {"channel": "web", "name": "A", "email": "a@example.org", "subject": "s", "description": "d"}


def _typed_only(attempt: Any) -> None:
    with contextlib.suppress(Iso10002Error):
        attempt()


@pytest.fixture(scope="module")
def service() -> Iterator[ComplaintsHandling]:
    planner = PolicyPlanner(BusinessCalendar.from_dict(LONDON), SlaPolicy.from_dict(POLICY))
    with open_repository("memory://") as storage:
        yield ComplaintsHandling(storage, sla=planner)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(INTAKE_KEYS), json_like, max_size=8),
    st.one_of(st.none(), nasty_text),
)
def test_receive_raises_only_typed_errors(
    service: ComplaintsHandling, changes: dict[str, Any], key: str | None
) -> None:
    _typed_only(lambda: service.receive({**FORM, **changes}, actor="web", idempotency_key=key))


@FUZZ
@given(json_like)
def test_receive_refuses_any_intake_shape_with_typed_errors(
    service: ComplaintsHandling, intake: Any
) -> None:
    _typed_only(lambda: service.receive(intake, actor="web"))


@FUZZ
@given(
    st.sampled_from(["memory:", "sqlite:", "sqlite:///", "sqlite://", "postgresql://[", "x:"]),
    nasty_text,
    st.sampled_from(["", "?timeout=", "?synchronous=", "?cache_size=", "?other="]),
    nasty_text,
)
def test_open_repository_raises_only_typed_errors(
    tmp_path_factory: pytest.TempPathFactory, scheme: str, rest: str, option: str, value: str
) -> None:
    if scheme.startswith("sqlite"):
        rest = rest.lstrip("/")  # a file it makes lands in the scratch folder, never elsewhere
    url = scheme + rest + (option + value if option else "")
    scratch = tmp_path_factory.getbasetemp() / "fuzzed-urls"
    scratch.mkdir(exist_ok=True)

    def attempt() -> None:
        here = os.getcwd()
        os.chdir(scratch)
        try:
            with open_repository(url):
                pass
        finally:
            os.chdir(here)

    _typed_only(attempt)


@FUZZ
@given(json_like)
def test_sla_policy_from_dict_raises_only_typed_errors(data: Any) -> None:
    _typed_only(lambda: SlaPolicy.from_dict(data))


@FUZZ
@given(st.dictionaries(st.sampled_from(["thresholds", "default", "rules"]), json_like))
def test_sla_policy_keys_with_hostile_values(data: Any) -> None:
    _typed_only(lambda: SlaPolicy.from_dict(data))


@FUZZ
@given(json_like)
def test_calendar_from_dict_raises_only_typed_errors(data: Any) -> None:
    _typed_only(lambda: BusinessCalendar.from_dict(data))


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(LONDON)), json_like))
def test_calendar_keys_with_hostile_values(data: Any) -> None:
    _typed_only(lambda: BusinessCalendar.from_dict({**LONDON, **data}))


@FUZZ
@given(json_like, st.sampled_from(["Complaint", "Complainant", "ComplaintReceived", "NoteAdded"]))
def test_load_raises_only_typed_errors(data: Any, tag: str) -> None:
    _typed_only(lambda: load(data))
    if isinstance(data, dict):
        _typed_only(lambda: load({**data, "schema_version": 1, "type": tag}))


@FUZZ
@given(json_like)
def test_dispatcher_options_raise_only_typed_errors(data: Any) -> None:
    with open_repository("memory://") as storage:
        _typed_only(
            lambda: ComplaintsHandling(
                storage, notifier=RecordingNotifier(), dispatcher_options=data
            )
        )


def test_bad_dispatcher_options_are_named() -> None:
    with open_repository("memory://") as storage:
        for options in ({"bogus": 1}, {"max_attempts": "x"}, 5, {"clock": None}):
            with pytest.raises(ConfigurationError) as caught:
                ComplaintsHandling(
                    storage, notifier=RecordingNotifier(), dispatcher_options=cast(Any, options)
                )
            assert caught.value.paths[0] == "dispatcher_options"
