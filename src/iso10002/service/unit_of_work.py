"""The unit of work: load a complaint, change it, save it with its events, retry on conflict."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from iso10002 import _validate as v
from iso10002 import events as ev
from iso10002.clock import Clock
from iso10002.errors import ConcurrencyConflict
from iso10002.model import Complaint
from iso10002.ports import ComplaintRepository

__all__ = ["RetryPolicy", "Step", "UnitOfWork"]

Step = Callable[[Complaint, datetime], tuple[Complaint, Sequence[ev.Event]]]
"""A change of one complaint at an instant: the complaint after it, and the events that say so
(none: nothing to save)."""


@attrs.frozen
class RetryPolicy:
    """How often a command is run again after a :class:`ConcurrencyConflict`, and how long it
    waits first.

    Before attempt *n* + 1 the command sleeps a random time between 0 and
    ``min(max_delay, first_delay * 2 ** (n - 1))`` seconds ("full jitter"), so that writers who
    collided do not collide again in step. ``first_delay=0`` retries at once.
    """

    attempts: int = attrs.field(default=8, validator=v.int_range(1, 100))
    first_delay: float = attrs.field(default=0.002, validator=v.number_range(0, 60))
    max_delay: float = attrs.field(default=0.25, validator=v.number_range(0, 600))
    sleep: Callable[[float], object] = attrs.field(
        default=time.sleep, eq=False, repr=False, validator=v.callable_
    )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt *attempt* (1 for the first)."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** min(attempt - 1, 30))
        return random.uniform(0.0, ceiling)


@attrs.frozen
class UnitOfWork:
    """Runs a change of one stored complaint as one atomic save.

    The complaint is loaded, the step runs at the clock's instant, and the result is saved with
    the version it was loaded at. When another writer got there first the step runs again on the
    fresh complaint, after :attr:`retry`'s wait, so a retry never does something the new state
    forbids. A step that raises has written nothing. Notifications are not sent here: the
    outbox derives them from the stored events.
    """

    storage: ComplaintRepository
    clock: Clock
    retry: RetryPolicy = RetryPolicy()

    def change(self, complaint_id: str, step: Step) -> Complaint:
        """Apply *step* to the stored complaint *complaint_id*; return the complaint saved (or
        the one loaded, when the step recorded nothing)."""
        for attempt in range(1, self.retry.attempts + 1):
            complaint = self.storage.get(complaint_id)
            at = self.clock.now()
            after, events = step(complaint, at)
            if not events:
                return complaint
            try:
                self.storage.save(after, expected_version=complaint.version, events=events)
            except ConcurrencyConflict:
                if attempt == self.retry.attempts:
                    raise
                self.retry.sleep(self.retry.delay(attempt))
                continue
            return after
        raise AssertionError("unreachable")  # pragma: no cover
