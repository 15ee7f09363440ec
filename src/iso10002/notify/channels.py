"""Notification channels: each implements :class:`~iso10002.ports.Notifier` (``send(message)``).

A channel raises :class:`~iso10002.errors.DeliveryError` when it could not deliver, with
``retryable`` saying whether trying again may help. Channels log no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from email import errors as email_errors
from email import message as email_message
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import IO, Protocol, TypeGuard, runtime_checkable

from iso10002.errors import ConfigurationError, DeliveryError, ValidationError
from iso10002.notify.message import Message

__all__ = [
    "SIGNATURE_VERSION",
    "CallbackNotifier",
    "LoggingNotifier",
    "Notifier",
    "RecordingNotifier",
    "RoutingNotifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "sign_webhook",
    "verify_webhook",
]

logger = logging.getLogger("iso10002.notify")


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers rendered messages."""

    def send(self, message: Message) -> None:
        """Deliver *message* or raise :class:`~iso10002.errors.DeliveryError`."""
        ...


class LoggingNotifier:
    """Logs each message's key, template, role and complaint id (never address or text)."""

    def __init__(self, log: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.log = log or logger
        self.level = level

    def send(self, message: Message) -> None:
        """Log that *message* would be sent."""
        self.log.log(
            self.level,
            "notification %s: template=%s recipient=%s complaint=%s",
            message.key,
            message.template,
            message.recipient,
            message.complaint_id,
        )


class RecordingNotifier:
    """Keeps every message sent, in order; for tests and previews. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[Message] = []

    def send(self, message: Message) -> None:
        """Record *message*."""
        with self._lock:
            self._sent.append(message)

    @property
    def sent(self) -> list[Message]:
        """A copy of the messages sent so far."""
        with self._lock:
            return list(self._sent)

    def templates(self) -> list[str]:
        """The template id of each message sent, in order."""
        return [m.template for m in self.sent]

    def clear(self) -> None:
        """Forget the messages recorded so far."""
        with self._lock:
            self._sent.clear()


class CallbackNotifier:
    """Calls a function with each message (e.g. to hand it to your own queue)."""

    def __init__(self, callback: Callable[[Message], object]) -> None:
        if not callable(callback):
            raise ConfigurationError([("callback", "expected a callable")])
        self.callback = callback

    def send(self, message: Message) -> None:
        """Pass *message* to the callback."""
        self.callback(message)


class RoutingNotifier:
    """Sends each message through the channel registered for its recipient role."""

    def __init__(self, routes: Mapping[str, Notifier], default: Notifier | None = None) -> None:
        self.routes = dict(routes)
        self.default = default

    def send(self, message: Message) -> None:
        """Send through the route for ``message.recipient`` (or the default)."""
        channel = self.routes.get(message.recipient, self.default)
        if channel is None:
            raise DeliveryError(
                f"no channel for recipient role {message.recipient!r}", retryable=False
            )
        channel.send(message)


class SmtpNotifier:
    """E-mail through an SMTP server (``smtplib``), UTF-8, optionally with STARTTLS and login.

    The idempotency key goes out as the ``Message-ID`` local part and ``X-Iso10002-Key``.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if "@" not in sender:
            raise ConfigurationError([("sender", "expected an e-mail address")])
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        self.ssl_context = ssl_context

    def build(self, message: Message) -> EmailMessage:
        """The e-mail for *message* (without sending it).

        Raises a non-retryable :class:`DeliveryError` when the address, subject, key or language
        cannot go into an e-mail header (a line break, say).
        """
        if not message.address or "@" not in message.address:
            raise DeliveryError(
                f"notification {message.key!r} has no e-mail address", retryable=False
            )
        email = EmailMessage()
        email["From"] = self.sender
        try:
            email["To"] = Address(addr_spec=message.address)
        except (ValueError, IndexError, email_errors.MessageError):
            raise DeliveryError(
                f"notification {message.key!r} has an address SMTP cannot carry", retryable=False
            ) from None
        unfit = DeliveryError(
            f"notification {message.key!r} has a subject, key or language an e-mail header "
            "cannot carry (e.g. a line break)",
            retryable=False,
        )
        # The email package lets a trailing line break through, which ends the header block.
        if any("\r" in h or "\n" in h for h in (message.subject, message.key, message.language)):
            raise unfit
        try:
            email["Subject"] = message.subject
            email["Message-ID"] = make_msgid(
                idstring=hashlib.sha256(message.key.encode()).hexdigest()[:16]
            )
            email["X-Iso10002-Key"] = message.key
            email.set_content(message.body, charset="utf-8")
            email["Content-Language"] = message.language  # after set_content: it resets Content-*
        except (ValueError, email_errors.MessageError):
            raise unfit from None
        return email

    def send(self, message: Message) -> None:
        """Send *message* as an e-mail; connection problems and 4xx replies are retryable."""
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(
                f"SMTP server refused the recipient of {message.key!r}", retryable=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP server answered {exc.smtp_code} for {message.key!r}",
                retryable=exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP delivery of {message.key!r} failed: {type(exc).__name__}"
            ) from None


SIGNATURE_VERSION = "v1"
"""The version of the webhook signature scheme; it prefixes every signature."""


def _header_safe(value: object) -> TypeGuard[str]:
    """Whether *value* is non-empty printable ASCII without edge spaces: HTTP keeps it as is."""
    return (
        isinstance(value, str)
        and value != ""
        and value == value.strip()
        and all(" " <= c <= "~" for c in value)
    )


def _unix_seconds(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= 12 and value.isascii() and value.isdigit()


def sign_webhook(secret: bytes, timestamp: str, body: bytes, *, idempotency_key: str) -> str:
    """The ``X-Iso10002-Signature`` value for a webhook request, scheme ``v1``.

    ``"v1=" + hex(HMAC-SHA256(secret, signed))`` where *signed* is the ASCII text
    ``"v1\\n{timestamp}\\n{idempotency_key}\\n"`` followed by the body bytes: the timestamp in
    decimal Unix seconds, the key printable ASCII without edge spaces. Any other timestamp or key
    raises :class:`~iso10002.errors.ValidationError`.
    """
    problems = []
    if not _unix_seconds(timestamp):
        problems.append(("timestamp", "expected Unix seconds as ASCII digits"))
    if not _header_safe(idempotency_key):
        problems.append(("idempotency_key", "expected printable ASCII without edge spaces"))
    if problems:
        raise ValidationError(problems, what="webhook signature input")
    signed = f"{SIGNATURE_VERSION}\n{timestamp}\n{idempotency_key}\n".encode("ascii") + body
    digest = hmac.new(secret, signed, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


def verify_webhook(
    secret: bytes,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    idempotency_key: str | None,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Whether *signature* is a valid ``v1`` signature dated within *tolerance* seconds of *now*.

    It must sign *timestamp*, *idempotency_key* and *body* (see :func:`sign_webhook`). Pass the
    request's header values as they are: a missing (``None``) or malformed one gives ``False``,
    never an exception. *now* defaults to :func:`time.time`.
    """
    if not (
        _unix_seconds(timestamp)
        and _header_safe(idempotency_key)
        and isinstance(signature, str)
        and signature.isascii()
    ):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = sign_webhook(secret, timestamp, body, idempotency_key=idempotency_key)
    return hmac.compare_digest(expected, signature)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follows no redirect, so urllib raises :class:`urllib.error.HTTPError` for every 3xx."""

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: email_message.Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


class WebhookNotifier:
    """POSTs each message as JSON, signed with HMAC-SHA256 (headers below), over ``urllib``.

    Headers: ``X-Iso10002-Timestamp`` (Unix seconds), ``X-Iso10002-Signature``
    (:func:`sign_webhook`, covering the timestamp, the idempotency key and the body),
    ``Idempotency-Key`` (the notification key: receivers should ignore a key they have already
    accepted). 2xx is success; 408, 429, 5xx and network errors are retryable; every other
    status, redirects included (they are never followed), is not.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: bytes,
        timeout: float = 5.0,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError([("url", "expected an http:// or https:// URL")])
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ConfigurationError([("secret", "expected at least 16 bytes")])
        self.url, self.secret, self.timeout = url, secret, timeout
        self.headers = dict(headers or {})
        self.clock = clock
        self._opener = urllib.request.build_opener(_NoRedirects)

    def body(self, message: Message) -> bytes:
        """The JSON body sent for *message*."""
        document = {
            "key": message.key,
            "template": message.template,
            "recipient": message.recipient,
            "complaint_id": message.complaint_id,
            "address": message.address,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
            "context": dict(message.context),
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def send(self, message: Message) -> None:
        """POST *message*; raise :class:`DeliveryError` on failure."""
        if not _header_safe(message.key):
            raise DeliveryError(
                f"notification {message.key!r} has a key an HTTP header cannot carry exactly",
                retryable=False,
            )
        body = self.body(message)
        timestamp = str(int(self.clock()))
        signature = sign_webhook(self.secret, timestamp, body, idempotency_key=message.key)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                **self.headers,
                "Content-Type": "application/json; charset=utf-8",
                "X-Iso10002-Timestamp": timestamp,
                "X-Iso10002-Signature": signature,
                "Idempotency-Key": message.key,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            redirect = " (redirects are not followed)" if 300 <= status < 400 else ""
            raise DeliveryError(
                f"webhook answered HTTP {status} for {message.key!r}{redirect}",
                retryable=status in {408, 429} or status >= 500,
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(
                f"webhook delivery of {message.key!r} failed: {type(exc).__name__}"
            ) from None
