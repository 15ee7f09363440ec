"""Fakes for tests of applications built on iso10002."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from iso10002 import _validate as v
from iso10002.errors import ValidationError

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that stands still until told to move. Thread-safe."""

    def __init__(self, start: datetime) -> None:
        if not isinstance(start, datetime) or start.utcoffset() is None:
            raise ValidationError([("start", "expected an aware datetime")], what="FakeClock")
        self._now: datetime = v.to_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current fake instant (UTC)."""
        with self._lock:
            return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move forward by *by* (not backwards) and return the new instant."""
        if not isinstance(by, timedelta) or by < timedelta(0):
            raise ValidationError([("by", "expected a non-negative timedelta")], what="FakeClock")
        with self._lock:
            self._now += by
            return self._now

    def set(self, to: datetime) -> None:
        """Jump to *to* (aware; not earlier than now)."""
        if not isinstance(to, datetime) or to.utcoffset() is None:
            raise ValidationError([("to", "expected an aware datetime")], what="FakeClock")
        with self._lock:
            if to < self._now:
                raise ValidationError([("to", "a clock does not go backwards")], what="FakeClock")
            self._now = to.astimezone(timezone.utc)
