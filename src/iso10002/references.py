"""Human-readable complaint references such as ``CMP-2026-000123`` (7.2: a unique identifier)."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

from iso10002.errors import ConfigurationError
from iso10002.ports import ComplaintQuery, ComplaintRepository

__all__ = ["ReferenceGenerator", "YearlyReferences"]


@runtime_checkable
class ReferenceGenerator(Protocol):
    """Gives each new complaint a reference; storage enforces uniqueness."""

    def next(self, received_at: datetime) -> str:
        """A reference for a complaint received at *received_at*."""
        ...

    def conflict(self, reference: str) -> None:
        """*reference* turned out to be taken (e.g. by another process); resynchronise."""
        ...


class YearlyReferences:
    """``PREFIX-YYYY-NNNNNN``: a counter per year of receipt, in UTC.

    The counter starts from the number of complaints already stored for the year and counts on
    in memory. When several processes share the store, two may pick the same number; storage
    refuses the second, the service calls :meth:`conflict`, and the counter resynchronises.
    """

    def __init__(self, repository: ComplaintRepository, *, prefix: str = "CMP", width: int = 6):
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", prefix):
            raise ConfigurationError([("prefix", "expected 1 to 10 capital letters or digits")])
        if not 1 <= width <= 12:
            raise ConfigurationError([("width", "expected 1 to 12 digits")])
        self.repository = repository
        self.prefix = prefix
        self.width = width
        self._last: dict[int, int] = {}
        self._lock = threading.Lock()

    def _stored(self, year: int) -> int:
        return self.repository.count(
            ComplaintQuery(
                received_from=datetime(year, 1, 1, tzinfo=timezone.utc),
                received_until=datetime(year + 1, 1, 1, tzinfo=timezone.utc),
            )
        )

    def next(self, received_at: datetime) -> str:
        """The next reference for the year of *received_at*."""
        year = received_at.astimezone(timezone.utc).year
        with self._lock:
            last = self._last.get(year)
            if last is None:
                last = self._stored(year)
            self._last[year] = last + 1
            return f"{self.prefix}-{year}-{last + 1:0{self.width}d}"

    def conflict(self, reference: str) -> None:
        """Skip past *reference* and past what storage now holds for its year."""
        match = re.fullmatch(rf"{self.prefix}-(\d{{4}})-(\d+)", reference)
        if match is None:
            return
        year, number = int(match.group(1)), int(match.group(2))
        stored = self._stored(year)
        with self._lock:
            self._last[year] = max(self._last.get(year, 0), number, stored)
