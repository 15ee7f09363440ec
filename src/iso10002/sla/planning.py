"""SLA planning: the clock events a complaint's move implies under a planner (pure).

:func:`clock_events` is what the service records beside each workflow step: clocks that start,
stop, pause, resume or take new targets, and breaches a late stop reveals. A
:class:`SlaPlanner` computes deadlines; :class:`PolicyPlanner` is one from an
:class:`~iso10002.sla.SlaPolicy` on a :class:`~iso10002.sla.BusinessCalendar`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, tzinfo
from typing import Protocol, runtime_checkable

import attrs

from iso10002 import events as ev
from iso10002.errors import ConfigurationError, describe
from iso10002.model import Complaint, MilestoneClock, MilestoneStatus
from iso10002.workflow import WorkflowDefinition, sla_effects

from .calendar import BusinessCalendar
from .clock import SlaClock, SuspensionWindow
from .policy import MILESTONES, SlaPolicy
from .presets import Preset, preset

__all__ = ["PolicyPlanner", "PresetPlanner", "SlaPlan", "SlaPlanner", "clock_events"]

Warnings = tuple[tuple[float, datetime], ...]
"""Warning thresholds and the instants they are reached."""


def _wrong_types(given: dict[str, object], kinds: dict[str, type]) -> list[tuple[str, str]]:
    return [
        (name, f"expected {kinds[name].__name__}, got {describe(value)}")
        for name, value in given.items()
        if not isinstance(value, kinds[name])
    ]


@attrs.frozen
class SlaPlan:
    """When a clock falls due and when each warning threshold is crossed."""

    due_at: datetime | None
    warnings: Warnings = ()


@runtime_checkable
class SlaPlanner(Protocol):
    """Computes SLA deadlines: what the service asks whenever a clock starts, resumes or may
    need a new target."""

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        """The plan for *milestone* on *complaint*, given the clock's recorded facts (start and
        pauses); ``None`` when no target applies to this complaint."""
        ...


class PolicyPlanner:
    """An :class:`SlaPlanner` from an :class:`~iso10002.sla.SlaPolicy` on a business calendar.

    The rule is chosen by the complaint's priority, channel, category and segment. Milestones
    the policy does not know (or sets no target for) get no clock. *suspensions* are
    regulator-wide windows during which every clock stands still (e.g. a preset's).

    Whether a milestone's clock stops while the complaint waits for the complainant is the
    policy's rule, not the workflow's: *pause_while_waiting* is ``True`` (every milestone
    pauses where the workflow waits), ``False`` (none does) or the names of those that do.
    """

    def __init__(
        self,
        calendar: BusinessCalendar,
        policy: SlaPolicy,
        *,
        suspensions: Sequence[SuspensionWindow] = (),
        pause_while_waiting: bool | Collection[str] = True,
    ) -> None:
        given: dict[str, object] = {"calendar": calendar, "policy": policy}
        problems = _wrong_types(given, {"calendar": BusinessCalendar, "policy": SlaPolicy})
        if not isinstance(pause_while_waiting, bool) and (
            isinstance(pause_while_waiting, str)
            or not isinstance(pause_while_waiting, Collection)
            or not all(isinstance(m, str) for m in pause_while_waiting)
        ):
            problems.append(
                ("pause_while_waiting", "expected True, False or a collection of milestone names")
            )
        if problems:
            raise ConfigurationError(problems, what="PolicyPlanner")
        self.calendar = calendar
        self.policy = policy
        self.suspensions = tuple(suspensions)
        self.pause_while_waiting = (
            pause_while_waiting
            if isinstance(pause_while_waiting, bool)
            else frozenset(pause_while_waiting)
        )

    @classmethod
    def from_preset(cls, name: str, calendar: BusinessCalendar) -> PresetPlanner:
        """A planner running the regulatory preset *name* (see
        :func:`~iso10002.sla.preset_names`) on *calendar*, the jurisdiction's."""
        return PresetPlanner(preset(name), calendar)

    def pauses(self, complaint: Complaint, milestone: str) -> bool:
        """Whether *milestone*'s clock stops while *complaint* waits for the complainant."""
        rule = self.pause_while_waiting
        return rule if isinstance(rule, bool) else milestone in rule

    @property
    def zone(self) -> tzinfo:
        """The calendar's time zone (used for dates shown to complainants)."""
        return self.calendar.tz

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        """Due and warning instants for *milestone*, or ``None`` without a target."""
        if milestone not in MILESTONES:
            return None
        priority = complaint.priority
        target = self.policy.target_for(
            milestone,
            priority=None if priority is None else priority.value,
            channel=complaint.details.channel.value,
            category=complaint.classification.category,
            segment=complaint.details.segment,
        )
        if target is None:
            return None
        sla_clock = SlaClock(
            self.calendar,
            clock.started_at,
            target.duration,
            pauses=clock.pauses,
            paused_since=clock.paused_since,
            thresholds=target.thresholds,
            suspensions=self.suspensions,
        )
        due_at, warnings = sla_clock.schedule()
        return SlaPlan(due_at=due_at, warnings=warnings)


class PresetPlanner:
    """An :class:`SlaPlanner` running a regulatory :class:`~iso10002.sla.Preset` on the
    jurisdiction's calendar: each milestone the preset names gets the preset's deadline from
    the instant the workflow starts its clock, with the preset's suspension windows.

    No preset's rule stops the clock while waiting for the complainant (the rules give more
    time in other ways: see the presets' notes), so :meth:`pauses` is always false.
    """

    def __init__(self, preset: Preset, calendar: BusinessCalendar) -> None:
        given: dict[str, object] = {"preset": preset, "calendar": calendar}
        problems = _wrong_types(given, {"preset": Preset, "calendar": BusinessCalendar})
        if problems:
            raise ConfigurationError(problems, what="PresetPlanner")
        self.preset = preset
        self.calendar = calendar
        self._names = frozenset(m.name for m in preset.milestones)

    @property
    def zone(self) -> tzinfo:
        """The calendar's time zone (used for dates shown to complainants)."""
        return self.calendar.tz

    def plan(self, complaint: Complaint, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        """The preset's deadline for *milestone*, or ``None`` when the preset has none."""
        if milestone not in self._names:
            return None
        found = self.preset.milestone(milestone)
        sla_clock = SlaClock(
            self.calendar,
            clock.started_at,
            found.duration,
            pauses=clock.pauses,
            paused_since=clock.paused_since,
            suspensions=self.preset.suspensions,
        )
        due_at, warnings = sla_clock.schedule()
        return SlaPlan(due_at=due_at, warnings=warnings)

    def pauses(self, complaint: Complaint, milestone: str) -> bool:
        """Never: the preset's clocks run while the complaint waits for the complainant."""
        return False


def _pauses(planner: SlaPlanner | None, complaint: Complaint, milestone: str) -> bool:
    """Whether *planner* stops *milestone* while waiting; planners that do not say follow the
    workflow."""
    decide = getattr(planner, "pauses", None)
    return True if decide is None else bool(decide(complaint, milestone))


class _Move:
    """The clock events of one move, recorded as each kind of effect is worked out."""

    def __init__(self, planner: SlaPlanner | None, after: Complaint, actor: str, at: datetime):
        self.planner = planner
        self.at = at
        self.recorder = ev.Recorder(after, actor=actor, at=at)

    def plan(self, milestone: str, clock: MilestoneClock) -> SlaPlan | None:
        if self.planner is None:
            return None
        return self.planner.plan(self.recorder.complaint, milestone, clock)

    def running(self, milestone: str) -> MilestoneClock | None:
        clock = self.recorder.complaint.clock(milestone)
        return clock if clock is not None and clock.stopped_at is None else None

    def notice_breach(self, clock: MilestoneClock) -> None:
        if clock.breached_at is None and clock.status(self.at) is MilestoneStatus.OVERDUE:
            self.recorder.record(ev.SlaBreached, milestone=clock.milestone, due_at=clock.due_at)

    def stop(self, milestones: Sequence[str], *, cancelled: bool) -> None:
        for milestone in milestones:
            clock = self.running(milestone)
            if clock is not None:
                self.notice_breach(clock)
                self.recorder.record(ev.SlaClockStopped, milestone=milestone, cancelled=cancelled)

    def start(self, milestones: Sequence[str]) -> None:
        for milestone in milestones:
            planned = self.plan(milestone, MilestoneClock(milestone=milestone, started_at=self.at))
            if planned is not None:
                self.recorder.record(
                    ev.SlaClockStarted,
                    milestone=milestone,
                    due_at=planned.due_at,
                    warnings=planned.warnings,
                )

    def pause(self, milestones: Sequence[str]) -> None:
        for milestone in milestones:
            clock = self.running(milestone)
            if (
                clock is not None
                and clock.paused_since is None
                and _pauses(self.planner, self.recorder.complaint, milestone)
            ):
                self.notice_breach(clock)
                self.recorder.record(ev.SlaClockPaused, milestone=milestone)

    def resume(self, milestones: Sequence[str]) -> None:
        for milestone in milestones:
            clock = self.running(milestone)
            if clock is None or clock.paused_since is None:
                continue
            if clock.breached_at is not None:  # the recorded breach stands
                planned: SlaPlan | None = SlaPlan(due_at=clock.due_at, warnings=clock.warnings)
            else:
                pauses = (*clock.pauses, (clock.paused_since, self.at))
                resumed = attrs.evolve(clock, pauses=pauses, paused_since=None)
                planned = self.plan(milestone, resumed)
            self.recorder.record(
                ev.SlaClockResumed,
                milestone=milestone,
                due_at=None if planned is None else planned.due_at,
                warnings=() if planned is None else planned.warnings,
            )

    def retarget(self, started: Sequence[str]) -> None:
        """New targets for running clocks not past their due instant (a breach is a fact,
        recorded or not yet: a later, laxer target does not move it). The new deadline counts
        from the original start and may already have passed; the next sweep then records it."""
        for clock in self.recorder.complaint.clocks:
            if (
                not clock.running
                or clock.status(self.at) is not MilestoneStatus.RUNNING
                or clock.milestone in started
            ):
                continue
            planned = self.plan(clock.milestone, clock)
            if planned is not None and (planned.due_at, planned.warnings) != (
                clock.due_at,
                clock.warnings,
            ):
                self.recorder.record(
                    ev.SlaClockRetargeted,
                    milestone=clock.milestone,
                    due_at=planned.due_at,
                    warnings=planned.warnings,
                )


def clock_events(
    workflow: WorkflowDefinition,
    planner: SlaPlanner | None,
    before: Complaint,
    after: Complaint,
    *,
    actor: str,
    at: datetime,
    start_state: bool = False,
) -> tuple[Complaint, list[ev.Event]]:
    """The SlaClock* events a move from *before* to *after* implies under *workflow* and
    *planner* (no clocks without one), and *after* with them applied; *start_state* for a
    complaint just received, whose initial state starts its clocks.

    A clock this move stops or pauses after its due instant is breached: the breach is
    recorded first (``SlaBreached`` at the due instant, noticed *at*), unless already
    recorded. A clock already past its due instant keeps it when the targets change; the
    sweeper records its breach. Whether a clock pauses is the planner's rule (``pauses``).
    """
    move = _Move(planner, after, actor, at)
    started: Sequence[str] = ()
    if start_state:
        started = workflow.state(after.state).start
        move.start(started)
    elif before.state != after.state:
        effects = sla_effects(workflow, before.state, after.state)
        closure = after.closure
        cancelled = (
            closure is not None
            and closure is not before.closure
            and (closure.withdrawn or closure.reason == "out_of_scope")
        )
        move.stop(effects.stop, cancelled=cancelled)
        started = effects.start
        move.start(started)
        move.pause(effects.pause)
        move.resume(effects.resume)
    if (before.assessment, before.classification) != (after.assessment, after.classification):
        move.retarget(started)
    return move.recorder.complaint, move.recorder.events
