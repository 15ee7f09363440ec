"""The clock port: where "now" comes from. The domain never reads the wall clock itself."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Gives the current instant as an aware datetime."""

    def now(self) -> datetime:
        """The current instant (timezone-aware)."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """``datetime.now(timezone.utc)``."""
        return datetime.now(timezone.utc)
