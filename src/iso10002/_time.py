"""Instants as integers: microseconds since the Unix epoch, in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["EPOCH", "MICROSECOND", "from_micros", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
"""The Unix epoch, aware, in UTC."""
MICROSECOND = timedelta(microseconds=1)
"""One microsecond."""


def micros(at: datetime) -> int:
    """Microseconds since the Unix epoch (UTC) of the aware datetime *at*."""
    return (at - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    """The UTC datetime *value* microseconds after the Unix epoch."""
    return EPOCH + value * MICROSECOND
