"""Notifications: templates, channels and the outbox dispatcher."""

from __future__ import annotations

from iso10002.notify.channels import (
    SIGNATURE_VERSION,
    CallbackNotifier,
    LoggingNotifier,
    Notifier,
    RecordingNotifier,
    RoutingNotifier,
    SmtpNotifier,
    WebhookNotifier,
    sign_webhook,
    verify_webhook,
)
from iso10002.notify.message import DEFAULT_TEMPLATES, Message, Notification, Template, TemplateSet
from iso10002.notify.outbox import (
    DEFAULT_RULES,
    DispatchReport,
    NotificationRule,
    OutboxDispatcher,
    Recipients,
    derive,
)

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_TEMPLATES",
    "SIGNATURE_VERSION",
    "CallbackNotifier",
    "DispatchReport",
    "LoggingNotifier",
    "Message",
    "Notification",
    "NotificationRule",
    "Notifier",
    "OutboxDispatcher",
    "Recipients",
    "RecordingNotifier",
    "RoutingNotifier",
    "SmtpNotifier",
    "Template",
    "TemplateSet",
    "WebhookNotifier",
    "derive",
    "sign_webhook",
    "verify_webhook",
]
