"""Notifications, the messages rendered from them, and their templates.

A :class:`Notification` is derived from a stored event and holds no personal data: it names the
recipient by *role* (``complainant``, ``handler``, ``manager``, …) and the complaint by id. The
address is resolved only when the message is rendered for sending, so erasing a complainant's
personal data also stops messages to them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import attrs

from iso10002 import _validate as v
from iso10002.errors import ConfigurationError, DeliveryError, describe

__all__ = [
    "DEFAULT_TEMPLATES",
    "Message",
    "Notification",
    "Template",
    "TemplateSet",
]


def _json_context(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        v.fail(owner, attribute, f"expected a mapping with str keys, got {describe(value)}")
        return
    for key, item in value.items():
        if item is not None and not isinstance(item, (str, int, float, bool, list)):
            v.fail(owner, attribute, f"{key}: expected a JSON scalar or list")


@attrs.frozen(kw_only=True)
class Notification:
    """What to tell whom, derived from one event; ``key`` makes delivery idempotent."""

    key: str = attrs.field(validator=v.text(400))
    template: str = attrs.field(validator=v.text(200))
    recipient: str = attrs.field(validator=v.text(200))
    complaint_id: str = attrs.field(validator=v.identifier)
    context: Mapping[str, Any] = attrs.field(factory=dict, validator=_json_context, repr=False)

    def to_payload(self) -> dict[str, Any]:
        """JSON-safe form stored in the delivery log."""
        return {
            "template": self.template,
            "recipient": self.recipient,
            "complaint_id": self.complaint_id,
            "context": dict(self.context),
        }

    @classmethod
    def from_payload(cls, key: str, payload: Mapping[str, Any]) -> Notification:
        """Rebuild a notification read back from the delivery log."""
        try:
            return cls(
                key=key,
                template=payload["template"],
                recipient=payload["recipient"],
                complaint_id=payload["complaint_id"],
                context=payload.get("context", {}),
            )
        except (KeyError, TypeError, AttributeError):
            raise DeliveryError(
                f"delivery {key!r} has a malformed payload", retryable=False
            ) from None


@attrs.frozen(kw_only=True, repr=False)
class Message:
    """A rendered notification, ready for a channel. ``repr`` hides the address and the text."""

    key: str
    template: str
    recipient: str
    complaint_id: str
    address: str | None
    subject: str
    body: str
    language: str = "en"
    context: Mapping[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return (
            f"Message(key={self.key!r}, template={self.template!r}, "
            f"recipient={self.recipient!r}, complaint_id={self.complaint_id!r})"
        )


def _placeholders(text: str) -> set[str]:
    names: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
        elif match.group("invalid") is not None:
            raise ValueError("invalid placeholder")
    return names


@attrs.frozen
class Template:
    """A subject and body with ``$name`` / ``${name}`` placeholders (:class:`string.Template`)."""

    subject: str = attrs.field(validator=v.text(1000))
    body: str = attrs.field(validator=v.text(100_000))

    @property
    def placeholders(self) -> frozenset[str]:
        """Every placeholder name used by the subject and the body."""
        return frozenset(_placeholders(self.subject) | _placeholders(self.body))

    def render(self, context: Mapping[str, Any]) -> tuple[str, str]:
        """``(subject, body)`` with every placeholder filled from *context*."""
        values = {
            k: "" if x is None else (", ".join(map(str, x)) if isinstance(x, list) else x)
            for k, x in context.items()
        }
        try:
            return (
                string.Template(self.subject).substitute(values),
                string.Template(self.body).substitute(values),
            )
        except KeyError as missing:
            raise DeliveryError(
                f"template needs {missing.args[0]!r}, which the notification lacks",
                retryable=False,
            ) from None


@attrs.frozen
class TemplateSet:
    """Templates by id and language, falling back to ``default_language``.

    Build one from a plain mapping ``{template_id: {language: {"subject": …, "body": …}}}``
    and override the defaults with :meth:`with_overrides`.
    """

    templates: Mapping[str, Mapping[str, Template]]
    default_language: str = "en"

    @classmethod
    def from_dict(cls, data: object, *, default_language: str = "en") -> TemplateSet:
        """Load templates; every problem is reported in one :class:`ConfigurationError`."""
        problems: list[tuple[str, str]] = []
        loaded: dict[str, dict[str, Template]] = {}
        if not isinstance(data, Mapping):
            raise ConfigurationError([("", f"expected a mapping, got {describe(data)}")])
        for template_id, languages in data.items():
            if not isinstance(template_id, str) or not isinstance(languages, Mapping):
                problems.append((str(template_id)[:50], "expected {language: {subject, body}}"))
                continue
            for language, parts in languages.items():
                path = f"{template_id}.{language}"
                if not isinstance(parts, Mapping) or set(parts) != {"subject", "body"}:
                    problems.append((path, "expected exactly the keys subject and body"))
                    continue
                try:
                    template = Template(parts["subject"], parts["body"])
                    template.placeholders  # noqa: B018 - validates the placeholder syntax
                except ValueError:
                    problems.append((path, "subject and body must be non-empty str templates"))
                    continue
                loaded.setdefault(template_id, {})[str(language)] = template
        for template_id, languages in loaded.items():
            if default_language not in languages:
                problems.append((template_id, f"no {default_language!r} version to fall back on"))
        if problems:
            raise ConfigurationError(problems, what="templates")
        return cls(loaded, default_language)

    def to_dict(self) -> dict[str, dict[str, dict[str, str]]]:
        """The plain-mapping form :meth:`from_dict` reads."""
        return {
            tid: {lang: {"subject": t.subject, "body": t.body} for lang, t in langs.items()}
            for tid, langs in self.templates.items()
        }

    def with_overrides(self, data: Mapping[str, Any]) -> TemplateSet:
        """A copy where the templates in *data* replace or add to these."""
        merged: dict[str, Any] = self.to_dict()
        if not isinstance(data, Mapping):
            raise ConfigurationError([("", f"expected a mapping, got {describe(data)}")])
        for template_id, languages in data.items():
            if isinstance(template_id, str) and isinstance(languages, Mapping):
                merged.setdefault(template_id, {}).update(languages)
            else:
                merged[str(template_id)[:50]] = languages  # from_dict reports it
        return TemplateSet.from_dict(merged, default_language=self.default_language)

    def get(self, template_id: str, language: str | None = None) -> tuple[Template, str]:
        """The template for *language* (or its base language, or the default) and its language."""
        languages = self.templates.get(template_id)
        if languages is None:
            raise DeliveryError(f"no template {template_id!r}", retryable=False)
        for candidate in (language, (language or "").split("-")[0]):
            if candidate and candidate in languages:
                return languages[candidate], candidate
        return languages[self.default_language], self.default_language


_CLOSING = "\n\nComplaints team"

DEFAULT_TEMPLATES = TemplateSet.from_dict(
    {
        "acknowledgement": {
            "en": {
                "subject": "We have received your complaint ${reference}",
                "body": (
                    "Thank you for telling us about this. Your complaint has the reference "
                    "${reference}. We will look into it and send you our response by "
                    "${final_response_due}. You can ask for an update at any time by quoting "
                    "the reference." + _CLOSING
                ),
            },
            "fr": {
                "subject": "Nous avons bien reçu votre réclamation ${reference}",
                "body": (
                    "Merci de nous avoir fait part de ce problème. Votre réclamation porte la "
                    "référence ${reference}. Nous vous répondrons au plus tard le "
                    "${final_response_due}.\n\nLe service réclamations"
                ),
            },
        },
        "holding_response": {
            "en": {
                "subject": "An update on your complaint ${reference}",
                "body": (
                    "We are still looking into your complaint ${reference} and are sorry that it "
                    "is taking longer than we hoped. We expect to send our final response by "
                    "${final_response_due}." + _CLOSING
                ),
            }
        },
        "decision": {
            "en": {
                "subject": "Our response to your complaint ${reference}",
                "body": (
                    "We have completed our investigation of complaint ${reference}. Outcome: "
                    "${outcome}. Remedies: ${remedies}.\n\nIf you are not satisfied you can ask "
                    "for an internal review, or refer the complaint to an external dispute "
                    "resolution body." + _CLOSING
                ),
            }
        },
        "sla_warning": {
            "en": {
                "subject": "[SLA] ${milestone} for ${reference} is ${percent}% used",
                "body": (
                    "Complaint ${reference} has used ${percent}% of its ${milestone} target; "
                    "it is due at ${due_at}."
                ),
            }
        },
        "sla_breach": {
            "en": {
                "subject": "[SLA BREACH] ${milestone} for ${reference}",
                "body": "Complaint ${reference} missed its ${milestone} target, due at ${due_at}.",
            }
        },
        "escalation": {
            "en": {
                "subject": "Complaint ${reference} escalated: ${kind}",
                "body": "Complaint ${reference} was escalated (${kind}) by ${actor}.",
            }
        },
    }
)
"""The bundled English templates (and a French acknowledgement), overridable per id/language."""
