"""Service-level arithmetic: business calendars, durations, policies, clocks and presets.

* :class:`BusinessCalendar`: opening hours in an IANA time zone, holidays and closures, with
  ``add``/``elapsed``/``is_open``/``next_open``/``next_close`` and business-day arithmetic, each
  costing the same whatever the span;
* durations :class:`BusinessTime`, :class:`BusinessDays`, :class:`CalendarDays`, :class:`Weeks`;
* :class:`SlaPolicy`: targets per milestone chosen by priority, channel, category and segment;
* :class:`SlaClock`: a pausable clock computed from recorded facts;
* :mod:`iso10002.sla.presets`: regulatory deadlines with their citations;
* :func:`deadline_day` and :func:`describe_deadline`: the one way a deadline is shown to people;
* :func:`clock_events` and :class:`PolicyPlanner`: the clock events a complaint's move implies.

The semantics are documented with examples in ``docs/sla.md``.
"""

from __future__ import annotations

from .calendar import (
    WEEKDAYS,
    BusinessCalendar,
    Closure,
    EasterHoliday,
    FixedHoliday,
    Holiday,
    OpeningInterval,
    RecurringHoliday,
)
from .clock import DEFAULT_THRESHOLDS, ClockStatus, SlaClock, SuspensionWindow
from .deadlines import deadline_day, describe_deadline
from .durations import (
    BusinessDays,
    BusinessTime,
    CalendarDays,
    Duration,
    Weeks,
    duration_from_dict,
    duration_to_dict,
)
from .planning import PolicyPlanner, PresetPlanner, SlaPlan, SlaPlanner, clock_events
from .policy import MILESTONES, PRIORITIES, Rule, SlaPolicy, Target
from .presets import PRESETS, Anchor, Milestone, Preset, preset, preset_names

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MILESTONES",
    "PRESETS",
    "PRIORITIES",
    "WEEKDAYS",
    "Anchor",
    "BusinessCalendar",
    "BusinessDays",
    "BusinessTime",
    "CalendarDays",
    "ClockStatus",
    "Closure",
    "Duration",
    "EasterHoliday",
    "FixedHoliday",
    "Holiday",
    "Milestone",
    "OpeningInterval",
    "PolicyPlanner",
    "Preset",
    "PresetPlanner",
    "RecurringHoliday",
    "Rule",
    "SlaClock",
    "SlaPlan",
    "SlaPlanner",
    "SlaPolicy",
    "SuspensionWindow",
    "Target",
    "Weeks",
    "clock_events",
    "deadline_day",
    "describe_deadline",
    "duration_from_dict",
    "duration_to_dict",
    "preset",
    "preset_names",
]
