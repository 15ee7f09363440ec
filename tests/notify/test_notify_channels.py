"""Channels against real local servers: SMTP (aiosmtpd) and a signed webhook (http.server)."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from iso10002.errors import ConfigurationError, DeliveryError, ValidationError
from iso10002.notify import (
    DEFAULT_TEMPLATES,
    CallbackNotifier,
    LoggingNotifier,
    Message,
    RecordingNotifier,
    RoutingNotifier,
    SmtpNotifier,
    Template,
    TemplateSet,
    WebhookNotifier,
    sign_webhook,
    verify_webhook,
)

SECRET = b"0123456789abcdef-secret"


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": "c-1/2/acknowledgement/complainant",
        "template": "acknowledgement",
        "recipient": "complainant",
        "complaint_id": "c-1",
        "address": "zoe.martin@example.org",
        "subject": "Réclamation reçue — CMP-2026-000001 ✓",
        "body": "Merci ! Réponse avant le 12 mars. 🙏\n\u0627\u0644\u0634\u0643\u0648\u0649",
        "language": "fr",
    }
    fields.update(changes)
    return Message(**fields)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_smtp_sends_utf8_mail_with_headers(smtp_server: tuple[Controller, _Inbox]) -> None:
    controller, inbox = smtp_server
    channel = SmtpNotifier("127.0.0.1", controller.port, sender="complaints@example.com")
    channel.send(message())
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert received["From"] == "complaints@example.com"
    assert received["To"] == "zoe.martin@example.org"
    assert received["Subject"] == "Réclamation reçue — CMP-2026-000001 ✓"
    assert received["X-Iso10002-Key"] == "c-1/2/acknowledgement/complainant"
    assert received["Content-Language"] == "fr"
    assert received["Message-ID"]
    body = received.get_body()
    assert body is not None
    assert body.get_content_charset() == "utf-8"
    assert body.get_content().replace("\r\n", "\n").strip() == message().body


@pytest.mark.parametrize("address", [None, "no-at-sign", "zoë@example.org", "a@b@c"])
def test_smtp_without_a_usable_address_is_not_retried(address: str | None) -> None:
    channel = SmtpNotifier("127.0.0.1", 1, sender="complaints@example.com")
    with pytest.raises(DeliveryError) as caught:
        channel.send(message(address=address))
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Refund for Zoé\nBcc: x@example.net"},
        {"subject": "a\rb"},
        {"subject": "Refund for Zoé\n"},  # the email package lets this one through
        {"subject": "a\u2028b"},
        {"key": "c-1/2\r\n"},
        {"language": "fr\n"},
    ],
)
def test_smtp_headers_with_line_breaks_are_not_retried(changes: dict[str, str]) -> None:
    channel = SmtpNotifier("127.0.0.1", 1, sender="complaints@example.com")
    with pytest.raises(DeliveryError) as caught:
        channel.send(message(**changes))
    assert not caught.value.retryable
    assert "Zoé" not in str(caught.value) and "Bcc" not in str(caught.value)


def test_smtp_connection_refused_is_retryable() -> None:
    channel = SmtpNotifier("127.0.0.1", 1, sender="complaints@example.com", timeout=1)
    with pytest.raises(DeliveryError) as caught:
        channel.send(message())
    assert caught.value.retryable
    assert "zoe" not in str(caught.value)


def test_smtp_needs_a_sender_address() -> None:
    with pytest.raises(ConfigurationError):
        SmtpNotifier("localhost", sender="nobody")


class _Hook(BaseHTTPRequestHandler):
    """Records every request, whatever its method, and answers ``status``."""

    received: list[tuple[dict[str, str], bytes]]
    status = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_PUT = do_POST

    def log_message(self, *args: object) -> None:
        pass


class _Redirect(BaseHTTPRequestHandler):
    """Answers every POST with ``status`` and a ``Location`` naming another server."""

    status: int
    location: str

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve *handler* on 127.0.0.1 in a thread; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 204})
    with serving(handler) as url:
        yield url, handler


KEY = "c-1/2/acknowledgement/complainant"


def test_webhook_posts_signed_json(webhook_server: tuple[str, type[_Hook]]) -> None:
    url, handler = webhook_server
    WebhookNotifier(url, secret=SECRET, clock=lambda: 1_800_000_000.0).send(message())
    (headers, body) = handler.received[0]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Idempotency-Key"] == KEY
    timestamp = headers["X-Iso10002-Timestamp"]
    assert timestamp == "1800000000"
    signature = headers["X-Iso10002-Signature"]
    assert signature == sign_webhook(SECRET, timestamp, body, idempotency_key=KEY)
    assert verify_webhook(
        SECRET, timestamp, body, signature, idempotency_key=KEY, now=1_800_000_100.0
    )
    assert not verify_webhook(
        SECRET, timestamp, body + b" ", signature, idempotency_key=KEY, now=1_800_000_100.0
    )
    assert not verify_webhook(
        SECRET, timestamp, body, signature, idempotency_key=KEY, now=1_800_001_000.0
    )
    document = json.loads(body.decode("utf-8"))
    assert document["body"] == message().body
    assert document["key"] == KEY


def test_the_signature_scheme_is_v1_over_timestamp_key_and_body() -> None:
    body = b'{"key": "c-1/2/acknowledgement/complainant"}'
    expected = hmac.new(SECRET, b"v1\n1800000000\n" + KEY.encode() + b"\n" + body, "sha256")
    assert sign_webhook(SECRET, "1800000000", body, idempotency_key=KEY) == (
        "v1=" + expected.hexdigest()
    )
    with pytest.raises(ValidationError) as caught:
        sign_webhook(SECRET, "soon", body, idempotency_key="c-1/ü")
    assert set(caught.value.paths) == {"timestamp", "idempotency_key"}


def test_a_tampered_idempotency_key_fails_verification() -> None:
    body = b"{}"
    signature = sign_webhook(SECRET, "1800000000", body, idempotency_key=KEY)
    for key in ("c-1/3/acknowledgement/complainant", KEY + " ", "", None):
        assert not verify_webhook(
            SECRET, "1800000000", body, signature, idempotency_key=key, now=1_800_000_000.0
        )


@pytest.mark.parametrize(
    ("timestamp", "signature", "key"),
    [
        ("yesterday", "v1=00", KEY),
        (None, "v1=00", KEY),
        ("1800000000", None, KEY),
        ("nan", "v1=00", KEY),
        (" 1800000000", "v1=00", KEY),
        ("1" * 5000, "v1=00", KEY),  # int() refuses this many digits
        ("1800000000", "v1=é", KEY),  # compare_digest refuses non-ASCII str
        ("1800000000", "v1=00", "c-1/ü"),
        ("1800000000", "v1=00", "c-1\nx"),
    ],
)
def test_malformed_signed_headers_fail_verification(
    timestamp: str | None, signature: str | None, key: str | None
) -> None:
    assert not verify_webhook(
        SECRET, timestamp, b"{}", signature, idempotency_key=key, now=1_800_000_000.0
    )


def test_the_old_unversioned_scheme_is_refused() -> None:
    body = b"{}"
    old = "sha256=" + hmac.new(SECRET, b"1800000000." + body, "sha256").hexdigest()
    assert not verify_webhook(
        SECRET, "1800000000", body, old, idempotency_key=KEY, now=1_800_000_000.0
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_webhook_redirects_fail_and_are_not_followed(
    webhook_server: tuple[str, type[_Hook]], status: int
) -> None:
    target_url, target = webhook_server
    redirect = type("Redirect", (_Redirect,), {"status": status, "location": target_url})
    with serving(redirect) as url:
        channel = WebhookNotifier(url, secret=SECRET, headers={"Authorization": "Bearer t0k3n"})
        with pytest.raises(DeliveryError) as caught:
            channel.send(message())
    assert f"HTTP {status}" in str(caught.value)
    assert not caught.value.retryable
    assert target.received == []  # neither the body nor the bearer token went there


@pytest.mark.parametrize("key", ["c-1/ü/acknowledgement", "c-1/2\r\nX-Evil: 1", " c-1/2"])
def test_webhook_keys_a_header_cannot_carry_exactly_are_not_sent(
    webhook_server: tuple[str, type[_Hook]], key: str
) -> None:
    url, handler = webhook_server
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier(url, secret=SECRET).send(message(key=key))
    assert not caught.value.retryable
    assert handler.received == []


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (304, False),
        (102, False),
    ],
)
def test_webhook_statuses(
    webhook_server: tuple[str, type[_Hook]], status: int, retryable: bool
) -> None:
    url, handler = webhook_server
    handler.status = status
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier(url, secret=SECRET).send(message())
    assert caught.value.retryable is retryable


def test_webhook_unreachable_is_retryable() -> None:
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier("http://127.0.0.1:1/x", secret=SECRET, timeout=1).send(message())
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("url", "secret"), [("ftp://x", SECRET), ("http://x", b"short"), ("http://x", "text")]
)
def test_webhook_configuration_is_checked(url: str, secret: Any) -> None:
    with pytest.raises(ConfigurationError):
        WebhookNotifier(url, secret=secret)


def test_logging_channel_logs_no_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="iso10002.notify"):
        LoggingNotifier().send(message())
    assert "c-1/2/acknowledgement/complainant" in caplog.text
    for secret in ("zoe", "Merci", "Réclamation"):
        assert secret not in caplog.text
    assert "zoe" not in repr(message())


def test_recording_callback_and_routing() -> None:
    recorder = RecordingNotifier()
    calls: list[Message] = []
    router = RoutingNotifier({"complainant": recorder}, default=CallbackNotifier(calls.append))
    router.send(message())
    router.send(message(recipient="manager"))
    assert recorder.templates() == ["acknowledgement"]
    assert [m.recipient for m in calls] == ["manager"]
    recorder.clear()
    assert recorder.sent == []
    with pytest.raises(DeliveryError):
        RoutingNotifier({}).send(message())
    with pytest.raises(ConfigurationError):
        CallbackNotifier("not callable")  # type: ignore[arg-type]


def test_templates_fall_back_by_language_and_can_be_overridden() -> None:
    template, language = DEFAULT_TEMPLATES.get("acknowledgement", "fr-CA")
    assert language == "fr"
    assert "réclamation" in template.subject.lower()
    _, language = DEFAULT_TEMPLATES.get("acknowledgement", "de")
    assert language == "en"
    custom = DEFAULT_TEMPLATES.with_overrides(
        {"acknowledgement": {"de": {"subject": "Eingang ${reference}", "body": "Danke."}}}
    )
    template, language = custom.get("acknowledgement", "de")
    assert (template.render({"reference": "CMP-1"})[0], language) == ("Eingang CMP-1", "de")
    assert TemplateSet.from_dict(custom.to_dict()) == custom
    with pytest.raises(DeliveryError):
        DEFAULT_TEMPLATES.get("nope")
    with pytest.raises(DeliveryError, match="reference"):
        Template("Hi ${reference}", "x").render({})
    assert Template("$a", "${b} $$").placeholders == frozenset({"a", "b"})


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"t": "x"},
        {"t": {"en": {"subject": "s"}}},
        {"t": {"fr": {"subject": "s", "body": "b"}}},
        {"t": {"en": {"subject": "bad $", "body": "b"}}},
        {"t": {"en": {"subject": "", "body": "b"}}},
    ],
)
def test_bad_templates_are_refused(data: Any) -> None:
    with pytest.raises(ConfigurationError):
        TemplateSet.from_dict(data)
