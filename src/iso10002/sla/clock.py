"""Pausable SLA clocks: a calculator over recorded facts.

A :class:`SlaClock` holds only facts a complaint records (start, target, closed pause spans, an
open pause, the stop instant, warning thresholds) plus the calendar and any regulator-wide
suspension windows. Every figure is derived from them, so a clock can be rebuilt from storage at
any time and ``pause``/``resume``/``stop``/``retarget`` return new values.

Semantics (see ``docs/sla.md``):

* the *budget* is the business time from the start to the unpaused deadline
  ``target.due(started_at, calendar)``;
* paused time does not count, in business time: each pause (and each suspension window) that
  begins before the current deadline moves the deadline later by the business time it covers;
  a pause that begins at or after the deadline changes nothing (the clock was already due);
* ``status(at)`` describes the clock as it stood at *at*, counting only pauses begun before *at*
  and treating an open pause as lasting until *at*;
* changing the target recomputes everything from the original start with the same pauses, so a
  shorter target can be breached at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from iso10002 import _validate as v
from iso10002.errors import Problem, ValidationError, describe

from ._engine import US, Engine, merge
from .calendar import BusinessCalendar
from .durations import DURATION_TYPES, Duration

__all__ = ["DEFAULT_THRESHOLDS", "ClockStatus", "SlaClock", "SuspensionWindow", "check_thresholds"]

#: Warning thresholds used when none are given: 50 %, 75 % and 90 % of the target.
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 0.75, 0.9)
_WHAT = "SLA clock"
_INF = 1 << 62


def check_thresholds(value: object, path: str = "thresholds") -> list[Problem]:
    """Problems of a thresholds tuple: strictly increasing finite fractions in ``(0, 1]``."""
    if not isinstance(value, tuple):
        return [Problem(path, f"expected a tuple of fractions, got {describe(value)}")]
    for i, f in enumerate(value):
        if not v.is_number(f) or (isinstance(f, float) and not math.isfinite(f)):
            return [Problem(f"{path}[{i}]", f"expected a number, got {describe(f)}")]
        if not 0 < f <= 1:
            return [Problem(f"{path}[{i}]", "expected a fraction in (0, 1]")]
        if i and f <= value[i - 1]:
            return [Problem(f"{path}[{i}]", "thresholds must be strictly increasing")]
    return []


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


@attrs.frozen
class SuspensionWindow:
    """A regulator-wide stop of the clock ``[start, end)`` for the clocks of one preset."""

    start: datetime
    end: datetime
    name: str
    citation: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        if not _aware(self.start) or not _aware(self.end):
            problems.append(Problem("start", "start and end must be timezone-aware datetimes"))
        elif not self.start < self.end:
            problems.append(Problem("end", "must be after start"))
        name: object = self.name
        citation: object = self.citation
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem("name", "expected a non-blank str"))
        if not isinstance(citation, str):
            problems.append(Problem("citation", f"expected a str, got {describe(citation)}"))
        if problems:
            raise ValidationError(problems, what="suspension window")


@attrs.frozen
class ClockStatus:
    """A clock as it stood at one instant."""

    at: datetime
    """The instant described."""
    elapsed: timedelta
    """Business time counted (pauses excluded), up to *at* or the stop."""
    remaining: timedelta
    """Budget minus *elapsed*; negative when over."""
    due_at: datetime
    """The deadline as known at *at* (an open pause counted up to *at*)."""
    fraction_used: float
    """*elapsed* / budget (``1.0`` or ``0.0`` for a zero budget, by whether it is due)."""
    warnings_crossed: tuple[float, ...]
    """The thresholds reached so far."""
    breached: bool
    """Whether the deadline had passed while the clock ran (or it stopped late)."""
    met_on_time: bool | None
    """``None`` while running; else whether it stopped at or before the deadline."""
    paused: bool
    """Whether the clock was paused at *at*."""
    stopped: bool
    """Whether the clock had stopped by *at*."""


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _pauses(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(tuple(p) if isinstance(p, list) else p for p in value)
    return value


@attrs.frozen
class SlaClock:
    """A pausable SLA clock computed from recorded facts (see the module docstring)."""

    calendar: BusinessCalendar
    started_at: datetime
    target: Duration
    pauses: tuple[tuple[datetime, datetime], ...] = attrs.field(
        default=(), converter=_pauses, kw_only=True
    )
    """Closed pause spans ``(paused_at, resumed_at)`` in order."""
    paused_since: datetime | None = attrs.field(default=None, kw_only=True)
    stopped_at: datetime | None = attrs.field(default=None, kw_only=True)
    thresholds: tuple[float, ...] = attrs.field(
        default=DEFAULT_THRESHOLDS, converter=_tuple, kw_only=True
    )
    suspensions: tuple[SuspensionWindow, ...] = attrs.field(
        default=(), converter=_tuple, kw_only=True
    )

    def __attrs_post_init__(self) -> None:  # noqa: C901 - one check per fact of the clock, each a separate message
        problems: list[Problem] = []
        calendar: object = self.calendar
        target: object = self.target
        suspensions: object = self.suspensions
        pauses: object = self.pauses
        if not isinstance(calendar, BusinessCalendar):
            problems.append(
                Problem("calendar", f"expected a BusinessCalendar, got {describe(calendar)}")
            )
        if not _aware(self.started_at):
            problems.append(Problem("started_at", "expected a timezone-aware datetime"))
        if not isinstance(target, DURATION_TYPES):
            problems.append(
                Problem(
                    "target",
                    "expected BusinessTime, BusinessDays, CalendarDays or Weeks, "
                    f"got {describe(target)}",
                )
            )
        problems.extend(check_thresholds(self.thresholds))
        if not isinstance(suspensions, tuple) or not all(
            isinstance(w, SuspensionWindow) for w in suspensions
        ):
            problems.append(Problem("suspensions", "expected a tuple of SuspensionWindow"))
        if problems:
            raise ValidationError(problems, what=_WHAT)
        last = self.started_at
        if not isinstance(pauses, tuple):
            problems.append(Problem("pauses", f"expected a tuple of pairs, got {describe(pauses)}"))
        else:
            for i, span in enumerate(pauses):
                path = f"pauses[{i}]"
                if not isinstance(span, tuple) or len(span) != 2:
                    problems.append(Problem(path, f"expected a pair, got {describe(span)}"))
                    continue
                a, b = span
                if not _aware(a) or not _aware(b):
                    problems.append(Problem(path, "expected two timezone-aware datetimes"))
                    continue
                if a < last:
                    problems.append(
                        Problem(path, "must start at or after the start and the previous pause")
                    )
                if b < a:
                    problems.append(Problem(path, "must not end before it starts"))
                last = max(last, b)
        for name in ("paused_since", "stopped_at"):
            value = getattr(self, name)
            if value is None:
                continue
            if not _aware(value):
                problems.append(Problem(name, "expected None or a timezone-aware datetime"))
            elif value < last:
                problems.append(Problem(name, "must be at or after the start and the last pause"))
        if self.paused_since is not None and self.stopped_at is not None:
            problems.append(Problem("paused_since", "a stopped clock cannot be paused"))
        if problems:
            raise ValidationError(problems, what=_WHAT)

    # ------------------------------------------------------------------ transitions

    def pause(self, at: datetime) -> SlaClock:
        """A copy paused at *at*."""
        self._check_transition(at, "pause")
        if self.paused_since is not None:
            raise ValidationError([("at", "the clock is already paused")], what=_WHAT)
        return attrs.evolve(self, paused_since=at)

    def resume(self, at: datetime) -> SlaClock:
        """A copy resumed at *at*: the open pause becomes a closed span."""
        self._check_transition(at, "resume")
        if self.paused_since is None:
            raise ValidationError([("at", "the clock is not paused")], what=_WHAT)
        if at < self.paused_since:
            raise ValidationError([("at", "must not be before the pause began")], what=_WHAT)
        return attrs.evolve(self, pauses=(*self.pauses, (self.paused_since, at)), paused_since=None)

    def stop(self, at: datetime) -> SlaClock:
        """A copy stopped at *at* (an open pause is closed at *at* first)."""
        self._check_transition(at, "stop")
        clock = self.resume(at) if self.paused_since is not None else self
        return attrs.evolve(clock, stopped_at=at)

    def retarget(self, target: Duration) -> SlaClock:
        """A copy with another target, recomputed from the original start (may breach at once)."""
        return attrs.evolve(self, target=target)

    def _check_transition(self, at: datetime, action: str) -> None:
        if not _aware(at):
            raise ValidationError(
                [("at", f"expected a timezone-aware datetime, got {describe(at)}")], what=_WHAT
            )
        if self.stopped_at is not None:
            raise ValidationError([("at", f"cannot {action} a stopped clock")], what=_WHAT)
        last = max([self.started_at, *(b for _a, b in self.pauses)])
        if at < last:
            raise ValidationError(
                [("at", "must not be before the start or the end of the last pause")], what=_WHAT
            )

    # ------------------------------------------------------------------ computation

    @property
    def paused(self) -> bool:
        """Whether the clock is paused now (an open pause is recorded)."""
        return self.paused_since is not None

    @property
    def stopped(self) -> bool:
        """Whether the clock has stopped."""
        return self.stopped_at is not None

    def _facts(self, horizon: int) -> tuple[Engine, int, int, list[tuple[int, int]]]:
        """Engine, start, unpaused deadline and the merged pause spans clipped to
        ``[start, horizon]`` (an open pause lasting until *horizon*)."""
        engine = self.calendar._engine
        start = engine.to_us(self.started_at, "started_at")
        due0 = max(engine.to_us(self.target.due(self.started_at, self.calendar), "due"), start)
        spans: list[tuple[int, int]] = [
            (engine.to_us(a, "pauses"), engine.to_us(b, "pauses")) for a, b in self.pauses
        ]
        if self.paused_since is not None:
            spans.append((engine.to_us(self.paused_since, "paused_since"), _INF))
        for w in self.suspensions:
            spans.append((engine.to_us(w.start, "suspensions"), engine.to_us(w.end, "suspensions")))
        clipped = [(max(a, start), min(b, horizon)) for a, b in spans]
        return engine, start, due0, merge(clipped)

    @staticmethod
    def _shift(engine: Engine, x: int, spans: Iterable[tuple[int, int]]) -> int | None:
        """Move *x* later by the business time of every span that begins before it."""
        for a, b in spans:
            if a >= x:
                break
            if b >= _INF:
                return None
            paused = engine.elapsed_us(a, b)
            if paused > 0:
                x = engine.add_us(x, paused)
        return x

    def _horizon(self) -> int:
        if self.stopped_at is None:
            return _INF
        return self.calendar._engine.to_us(self.stopped_at, "stopped_at")

    @property
    def due_at(self) -> datetime | None:
        """The deadline given no further pauses; ``None`` while a pause that began before the
        deadline is open (the deadline then depends on when the clock resumes)."""
        return self.schedule()[0]

    def budget(self) -> timedelta:
        """Business time from the start to the unpaused deadline."""
        engine, start, due0, _spans = self._facts(self._horizon())
        return US * engine.elapsed_us(start, due0)

    def warning_instants(self) -> tuple[tuple[float, datetime], ...]:
        """``(threshold, instant)`` for every threshold whose crossing instant is known given no
        further pauses: crossings after the stop, or after an open pause began, are left out."""
        return self.schedule()[1]

    def schedule(self) -> tuple[datetime | None, tuple[tuple[float, datetime], ...]]:
        """:attr:`due_at` and :meth:`warning_instants` together, computed once."""
        horizon = self._horizon()
        engine, start, due0, spans = self._facts(horizon)
        due = self._shift(engine, due0, spans)
        budget = engine.elapsed_us(start, due0)
        out: list[tuple[float, datetime]] = []
        for f in self.thresholds:
            amount = round(f * budget)
            # a zero budget: every warning falls due with the deadline
            first = engine.add_us(start, amount) if amount > 0 else (due0 if budget == 0 else start)
            instant = self._shift(engine, first, spans)
            if instant is None or instant > horizon:
                continue
            out.append((f, engine.to_dt(instant)))
        return None if due is None else engine.to_dt(due), tuple(out)

    def status(self, at: datetime) -> ClockStatus:
        """The clock as it stood at *at* (pauses begun after *at* are not yet known)."""
        engine = self.calendar._engine
        at_us = engine.to_us(at, "at")
        start = engine.to_us(self.started_at, "started_at")
        stop = None if self.stopped_at is None else engine.to_us(self.stopped_at, "stopped_at")
        stopped = stop is not None and at_us >= stop
        t = max(min(at_us, stop) if stop is not None else at_us, start)
        _engine, _start, due0, all_spans = self._facts(t)
        spans = [(a, b) for a, b in all_spans if a < t]
        due = self._shift(engine, due0, spans)
        if due is None:  # pragma: no cover - spans are clipped to t, so none is open-ended
            raise ValidationError([("at", "cannot be computed")], what=_WHAT)
        budget = engine.elapsed_us(start, due0)
        paused_time = sum(engine.elapsed_us(a, b) for a, b in spans)
        elapsed = engine.elapsed_us(start, t) - paused_time
        fraction = elapsed / budget if budget > 0 else float(t >= due)
        if budget > 0:
            crossed = tuple(f for f in self.thresholds if elapsed >= round(f * budget))
        else:  # a zero budget: every warning falls due with the deadline
            crossed = self.thresholds if t >= due else ()
        _engine, _start, _due0, facts = self._facts(_INF)
        paused = any(a <= at_us < b for a, b in facts)
        return ClockStatus(
            at=at,
            elapsed=US * elapsed,
            remaining=US * (budget - elapsed),
            due_at=engine.to_dt(due),
            fraction_used=fraction,
            warnings_crossed=crossed,
            breached=t > due,
            met_on_time=(stop <= due) if stopped and stop is not None else None,
            paused=paused and not stopped,
            stopped=stopped,
        )
