"""The published procedure follows the configuration that runs the process."""

from __future__ import annotations

import json

import pytest

from iso10002 import Channel
from iso10002.errors import ValidationError
from iso10002.report import ExternalBody, how_to_complain
from iso10002.sla import SlaPolicy
from iso10002.workflow import iso10002_workflow, small_business_workflow

POLICY = SlaPolicy.from_dict(
    {"default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}}}
)
OMBUDSMAN = ExternalBody(
    "Financial Ombudsman Service",
    "after our final response, or 8 weeks after you complained",
    "www.financial-ombudsman.org.uk",
)


def test_the_procedure_is_rendered_from_the_workflow_and_the_policy() -> None:
    procedure = how_to_complain(
        "Acme Bank",
        {Channel.WEB: "acme.example/complain", "phone": "0800 000 000"},
        sla_policy=POLICY,
        external_bodies=[OMBUDSMAN],
    )
    workflow = iso10002_workflow()
    labels = [s.public_label for s in workflow.states if not s.terminal]
    assert list(procedure.steps) == labels
    assert procedure.internal_review
    assert procedure.promises == (
        ("We acknowledge your complaint", "default", "1 business day"),
        ("We send you our decision", "default", "8 weeks"),
    )
    text = procedure.to_markdown()
    for label in labels:
        assert label in text
    assert "- **Telephone**: 0800 000 000" in text
    assert "| We send you our decision | every complaint | 8 weeks |" in text
    assert "**Financial Ombudsman Service**" in text
    page = procedure.to_html()
    assert "<li>Waiting for information from you</li>" in page
    assert "<script" not in page
    assert json.loads(procedure.to_json())["internal_review"] is True


def test_a_workflow_without_internal_review_does_not_promise_one() -> None:
    procedure = how_to_complain("Corner Shop", {"in_person": "at the till"})
    small = how_to_complain(
        "Corner Shop", {"in_person": "at the till"}, workflow=small_business_workflow()
    )
    assert procedure.internal_review and not small.internal_review
    assert "reviewed by someone" not in small.to_markdown()
    assert small.promises == () and "How long it takes" not in small.to_markdown()


def test_hostile_text_is_escaped() -> None:
    hostile = "<script>alert('x')</script> | {{ 1 }}"
    procedure = how_to_complain(
        hostile, {"email": hostile}, external_bodies=[ExternalBody(hostile, hostile)]
    )
    page = procedure.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    text = procedure.to_markdown()
    assert "<script>" not in text and "\\<script\\>" in text and "\\|" in text


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"organisation": ""}, "organisation"),
        ({"channels": {}}, "channels"),
        ({"channels": {"pigeon": "coo"}}, "channels[pigeon]"),
        ({"channels": {"web": ""}}, "channels[web]"),
        ({"workflow": "iso10002"}, "workflow"),
        ({"sla_policy": {}}, "sla_policy"),
        ({"external_bodies": ["FOS"]}, "external_bodies[0]"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments: dict[str, object], path: str) -> None:
    given: dict[str, object] = {"organisation": "Acme", "channels": {"web": "x"}, **arguments}
    with pytest.raises(ValidationError) as info:
        how_to_complain(**given)  # type: ignore[arg-type]
    assert info.value.paths == (path,)
    with pytest.raises(ValidationError):
        ExternalBody("FOS", "")
