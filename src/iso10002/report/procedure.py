"""The published procedure (5.3, 6.4): "How to complain", rendered from the configuration that
runs the process (channels, workflow, SLA policy, escalation routes and external bodies), so what
is published and what the code enforces cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from iso10002.errors import ValidationError, describe
from iso10002.model import Channel
from iso10002.sla import SlaPolicy
from iso10002.workflow import WorkflowDefinition, iso10002_workflow

from ._render import render_html, render_markdown
from .review import policy_rows

__all__ = ["ExternalBody", "Procedure", "how_to_complain"]

_WHAT = "how_to_complain"

_CHANNEL_NAMES = {
    Channel.WEB: "Online form",
    Channel.EMAIL: "Email",
    Channel.PHONE: "Telephone",
    Channel.LETTER: "Letter",
    Channel.IN_PERSON: "In person",
    Channel.CHAT: "Chat",
    Channel.SOCIAL_MEDIA: "Social media",
    Channel.THIRD_PARTY: "Through someone acting for you",
    Channel.OTHER: "Other",
}
_MILESTONE_PROMISES = {
    "acknowledgement": "We acknowledge your complaint",
    "initial_assessment": "We assess your complaint",
    "holding_response": "We tell you where your complaint stands",
    "final_response": "We send you our decision",
    "review_response": "We send you the outcome of an internal review",
    "resolution": "We resolve your complaint",
}


def _text(name: str, value: object, limit: int, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(
            [(name, f"expected a text of 1 to {limit} characters, got {describe(value)}")],
            what=_WHAT,
        )


@attrs.frozen
class ExternalBody:
    """An external dispute-resolution body (ISO 10003) a complainant may turn to: its name,
    when it can be approached, and how to contact it."""

    name: str
    when: str
    contact: str | None = None

    def __attrs_post_init__(self) -> None:
        _text("name", self.name, 200)
        _text("when", self.when, 1000)
        _text("contact", self.contact, 1000, optional=True)


@attrs.frozen
class Procedure:
    """The published "How to complain": what to send and where, what happens (the workflow's
    public labels), the promised times (the SLA policy) and where to go next."""

    organisation: str
    channels: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]
    outcomes: tuple[str, ...]
    promises: tuple[tuple[str, str, str], ...]
    internal_review: bool
    external_bodies: tuple[ExternalBody, ...]
    workflow: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data."""
        return {
            "organisation": self.organisation,
            "channels": [{"channel": c, "how": h} for c, h in self.channels],
            "steps": list(self.steps),
            "outcomes": list(self.outcomes),
            "promises": [{"promise": p, "rule": r, "target": t} for p, r, t in self.promises],
            "internal_review": self.internal_review,
            "external_bodies": [attrs.asdict(b) for b in self.external_bodies],
            "workflow": self.workflow,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_html(self) -> str:
        """A self-contained HTML page (inline CSS, no script)."""
        return render_html("procedure.html.j2", p=self)

    def to_markdown(self) -> str:
        """The procedure as Markdown."""
        return render_markdown("procedure.md.j2", p=self)


def how_to_complain(
    organisation: str,
    channels: Mapping[Channel | str, str],
    *,
    workflow: WorkflowDefinition | None = None,
    sla_policy: SlaPolicy | None = None,
    external_bodies: Sequence[ExternalBody] = (),
) -> Procedure:
    """The published procedure of *organisation*, from the configuration the process runs with.

    *channels* maps each channel complaints are accepted on to how to use it (an address, a
    number, a URL). The steps are the public labels of *workflow*'s states (default: the ISO
    10002 workflow) in their declared order; the internal review is offered when the workflow
    has a transition recording an internal-review escalation; the promised times are
    *sla_policy*'s targets (none without a policy). Bad arguments raise
    :class:`~iso10002.errors.ValidationError` naming the argument.
    """
    _text("organisation", organisation, 200)
    if not isinstance(channels, Mapping) or not channels:
        raise ValidationError(
            [
                (
                    "channels",
                    f"expected a non-empty mapping of channel to text, got {describe(channels)}",
                )
            ],
            what=_WHAT,
        )
    listed = []
    for key, how in channels.items():
        try:
            channel = Channel(key)
        except ValueError:
            accepted = ", ".join(c.value for c in Channel)
            raise ValidationError(
                [(f"channels[{key!s:.40}]", f"not a channel; accepted: {accepted}")], what=_WHAT
            ) from None
        _text(f"channels[{channel.value}]", how, 1000)
        listed.append((_CHANNEL_NAMES[channel], how))
    if workflow is None:
        workflow = iso10002_workflow()
    elif not isinstance(workflow, WorkflowDefinition):
        raise ValidationError(
            [("workflow", f"expected a WorkflowDefinition, got {describe(workflow)}")], what=_WHAT
        )
    if sla_policy is not None and not isinstance(sla_policy, SlaPolicy):
        raise ValidationError(
            [("sla_policy", f"expected an SlaPolicy, got {describe(sla_policy)}")], what=_WHAT
        )
    bodies = tuple(external_bodies)
    bad = [i for i, b in enumerate(bodies) if not isinstance(b, ExternalBody)]
    if bad:
        raise ValidationError(
            [(f"external_bodies[{bad[0]}]", "expected an ExternalBody")], what=_WHAT
        )
    steps = tuple(s.public_label for s in workflow.states if not s.terminal)
    outcomes = tuple(s.public_label for s in workflow.states if s.terminal)
    review = any(
        t.event == "ComplaintEscalated" and t.fixed.get("kind") == "internal_review"
        for t in workflow.transitions
    )
    promises = tuple(
        (
            _MILESTONE_PROMISES.get(row["milestone"], row["milestone"].replace("_", " ")),
            row["rule"],
            row["target"],
        )
        for row in (policy_rows(sla_policy) if sla_policy is not None else ())
    )
    return Procedure(
        organisation=organisation,
        channels=tuple(listed),
        steps=steps,
        outcomes=outcomes,
        promises=promises,
        internal_review=review,
        external_bodies=bodies,
        workflow=f"{workflow.name} {workflow.version}",
    )
