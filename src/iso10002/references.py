"""Human-readable complaint references such as ``CMP-2026-000123`` (7.2: a unique identifier)."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

import attrs

from iso10002.errors import ConfigurationError
from iso10002.ports import ComplaintQuery, ComplaintRepository, ReferenceNumbering

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

    def release(self, reference: str) -> None:
        """*reference*, from :meth:`next`, was not stored after all (its complaint was refused)."""
        ...


class YearlyReferences:
    """``PREFIX-YYYY-NNNNNN``: a counter per year of receipt, in UTC.

    The counter continues from the highest number stored for the year (read on the year's first
    reference and after every clash) and counts on in memory. A number whose complaint was not
    stored is given back (:meth:`release`) and drawn again first, so the numbers have no gaps
    unless a process stops between drawing a number and storing its complaint. A given-back
    number can come after a higher one when intakes overlap. When several processes share the
    store, two may pick the same number; storage refuses the second, the service calls
    :meth:`conflict`, and the counter moves past the highest stored number.

    The highest stored number comes from the repository's
    :meth:`~iso10002.ports.ReferenceNumbering.last_reference_number`; a repository without it
    is read through the year's complaints instead.
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
        self._free: dict[int, set[int]] = {}
        self._lock = threading.Lock()

    def _number(self, reference: str) -> tuple[int, int] | None:
        match = re.fullmatch(rf"{self.prefix}-([0-9]{{4}})-([0-9]+)", reference)
        return None if match is None else (int(match.group(1)), int(match.group(2)))

    def _stored(self, year: int) -> int:
        """The highest number stored for *year* (0 if none)."""
        if isinstance(self.repository, ReferenceNumbering):
            return self.repository.last_reference_number(f"{self.prefix}-{year}-") or 0
        highest = 0
        query = ComplaintQuery(
            received_from=datetime(year, 1, 1, tzinfo=timezone.utc),
            received_until=datetime(year + 1, 1, 1, tzinfo=timezone.utc),
            limit=1000,
        )
        while True:
            page = self.repository.query(query)
            for complaint in page.items:
                found = self._number(complaint.reference)
                if found is not None and found[0] == year:
                    highest = max(highest, found[1])
            if page.next_cursor is None:
                return highest
            query = attrs.evolve(query, cursor=page.next_cursor)

    def next(self, received_at: datetime) -> str:
        """The next reference for the year of *received_at*: a given-back number first."""
        year = received_at.astimezone(timezone.utc).year
        with self._lock:
            free = self._free.get(year)
            if free:
                number = min(free)
                free.remove(number)
            else:
                last = self._last.get(year)
                number = (self._stored(year) if last is None else last) + 1
                self._last[year] = number
            return f"{self.prefix}-{year}-{number:0{self.width}d}"

    def conflict(self, reference: str) -> None:
        """Skip past *reference* and past the highest number now stored for its year."""
        found = self._number(reference)
        if found is None:
            return
        year, number = found
        stored = self._stored(year)
        with self._lock:
            self._free.get(year, set()).discard(number)
            self._last[year] = max(self._last.get(year, 0), number, stored)

    def release(self, reference: str) -> None:
        """Take back *reference*'s number, to be drawn again before any new one."""
        found = self._number(reference)
        if found is None:
            return
        year, number = found
        with self._lock:
            last = self._last.get(year, 0)
            if not 0 < number <= last:
                return
            free = self._free.setdefault(year, set())
            free.add(number)
            while last in free:  # the top of the count is free again: count down instead
                free.remove(last)
                last -= 1
            self._last[year] = last
