"""Regulatory deadline presets, as data, each with its citation and a confidence note.

A preset is a set of milestones (name, duration, day basis, anchor) plus, for some, regulator-wide
suspension windows. The jurisdiction calendar (time zone, business hours, public holidays) is
supplied by the caller: the rules define "business day" by the local public holidays.

Confidence, as in ``ISO10002.md`` section 4: **C** confirmed in a public source, **P** partly
confirmed, **M** from memory; verify **P**/**M** rules against the rule text before relying on them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import attrs

from iso10002.errors import ConfigurationError, Problem, describe

from .calendar import BusinessCalendar
from .clock import DEFAULT_THRESHOLDS, SlaClock, SuspensionWindow
from .durations import DURATION_TYPES, BusinessDays, CalendarDays, Duration, Weeks

__all__ = ["PRESETS", "Anchor", "Milestone", "Preset", "preset", "preset_names"]


class Anchor(enum.Enum):
    """The event a milestone's clock starts from."""

    RECEIPT = "receipt"
    ACKNOWLEDGEMENT = "acknowledgement"
    ESCALATION = "escalation"
    ESCALATION_ACKNOWLEDGEMENT = "escalation_acknowledgement"


@attrs.frozen
class Milestone:
    """One deadline of a preset: *duration* after the *anchor* event."""

    name: str
    duration: Duration
    anchor: Anchor = Anchor.RECEIPT
    note: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        name: object = self.name
        duration: object = self.duration
        anchor: object = self.anchor
        note: object = self.note
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem("name", "expected a non-blank str"))
        if not isinstance(duration, DURATION_TYPES):
            problems.append(Problem("duration", f"expected a duration, got {describe(duration)}"))
        if not isinstance(anchor, Anchor):
            problems.append(Problem("anchor", "expected an Anchor"))
        if not isinstance(note, str):
            problems.append(Problem("note", f"expected a str, got {describe(note)}"))
        if problems:
            raise ConfigurationError(problems, what="preset milestone")

    @property
    def day_basis(self) -> str:
        """``"business days"``, ``"calendar days"`` or ``"business time"``."""
        return self.duration.day_basis


@attrs.frozen
class Preset:
    """A regulator's deadlines: milestones, citation, confidence and suspension windows."""

    name: str
    title: str
    citation: str
    confidence: str
    """``C``, ``P``, ``M`` or a mix such as ``C/P`` (see the module docstring)."""
    confidence_note: str
    milestones: tuple[Milestone, ...]
    suspensions: tuple[SuspensionWindow, ...] = ()

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        names = [m.name for m in self.milestones if isinstance(m, Milestone)]
        if not self.milestones or len(names) != len(self.milestones):
            problems.append(Problem("milestones", "expected a non-empty tuple of Milestone"))
        elif len(set(names)) != len(names):
            problems.append(Problem("milestones", "milestone names must be unique"))
        if not all(isinstance(w, SuspensionWindow) for w in self.suspensions):
            problems.append(Problem("suspensions", "expected a tuple of SuspensionWindow"))
        if problems:
            raise ConfigurationError(problems, what=f"preset {self.name!r}")

    def milestone(self, name: str) -> Milestone:
        """The milestone called *name*; ``ConfigurationError`` listing the names otherwise."""
        for m in self.milestones:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.milestones)
        raise ConfigurationError(
            [("milestone", f"unknown milestone of {self.name} (known: {known})")], what="preset"
        )

    def clock(
        self,
        milestone: str,
        calendar: BusinessCalendar,
        started_at: datetime,
        *,
        thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
    ) -> SlaClock:
        """A running clock for *milestone* started at its anchor instant, carrying the preset's
        suspension windows."""
        m = self.milestone(milestone)
        return SlaClock(
            calendar, started_at, m.duration, thresholds=thresholds, suspensions=self.suspensions
        )

    def deadlines(
        self,
        calendar: BusinessCalendar,
        *,
        receipt: datetime,
        acknowledgement: datetime | None = None,
        escalation: datetime | None = None,
        escalation_acknowledgement: datetime | None = None,
    ) -> dict[str, datetime]:
        """Deadline of every milestone whose anchor instant is given, with the preset's
        suspension windows applied (case-level pauses need a :class:`SlaClock`)."""
        anchors = {
            Anchor.RECEIPT: receipt,
            Anchor.ACKNOWLEDGEMENT: acknowledgement,
            Anchor.ESCALATION: escalation,
            Anchor.ESCALATION_ACKNOWLEDGEMENT: escalation_acknowledgement,
        }
        out: dict[str, datetime] = {}
        for m in self.milestones:
            start = anchors[m.anchor]
            if start is None:
                continue
            due = self.clock(m.name, calendar, start).due_at
            if due is not None:  # pragma: no branch - a fresh clock is never paused
                out[m.name] = due
        return out


_LONDON = ZoneInfo("Europe/London")

_FCA_8_WEEKS = Milestone(
    "final_response",
    Weeks(8, to_end_of_day=True),
    note="final response, or a holding response giving reasons and the right to refer to the "
    "Financial Ombudsman Service, by the end of eight weeks after receipt (DISP 1.6.2R)",
)
_PSD_MILESTONES = (
    Milestone("final_response", BusinessDays(15), note="reply on paper or another durable medium"),
    Milestone(
        "holding_response",
        BusinessDays(15),
        note="exceptional cases only: a holding reply giving the reasons for the delay and the "
        "date of the final reply",
    ),
    Milestone(
        "final_response_exceptional",
        BusinessDays(35),
        note="exceptional cases only: the final reply at the latest",
    ),
)
_AU_ACK = Milestone(
    "acknowledgement",
    BusinessDays(1),
    note="within 24 hours or one business day of receipt, or as soon as practicable",
)

_ALL = (
    Preset(
        "uk_fca",
        "UK FCA: final or holding response within 8 weeks",
        "FCA Handbook DISP 1.6.1R, 1.6.2R, 2.8.2R",
        "C",
        "Acknowledgement must be prompt (DISP 1.6.1R) and has no fixed period. 'By the end of "
        "eight weeks after its receipt' is modelled as the end of the local day 8 weeks after "
        "the day of receipt; the period ends early if the complainant accepts in writing "
        "(DISP 1.6.4R).",
        (_FCA_8_WEEKS,),
    ),
    Preset(
        "uk_fca_srs",
        "UK FCA: summary resolution by close of the 3rd business day",
        "FCA Handbook DISP 1.5",
        "C",
        "A complaint resolved by close of business on the third business day following the day "
        "of receipt may be closed with a summary resolution communication. Business day: not a "
        "weekend day or a UK bank holiday in the relevant part of the UK.",
        (Milestone("resolution", BusinessDays(3), note="summary resolution communication"),),
    ),
    Preset(
        "uk_fca_psd",
        "UK FCA: payment services and e-money complaints, 15 business days (35 exceptional)",
        "FCA Handbook DISP 1.6.2AR",
        "C",
        "Final reply by the end of 15 business days after receipt; in exceptional situations "
        "beyond the firm's control a holding reply by then and the final reply within 35 "
        "business days.",
        _PSD_MILESTONES,
    ),
    Preset(
        "uk_fca_motor",
        "UK FCA: motor finance complaints, 8-week clock suspended",
        "FCA Handbook DISP App 5.2",
        "C/P",
        "As uk_fca, with the 8-week period not running from 11 January 2024 to 31 May 2026 "
        "(current text; the end date has moved before). The window is modelled as "
        "[2024-01-11 00:00, 2026-06-01 00:00) Europe/London and applied like a pause, in the "
        "calendar's business time.",
        (_FCA_8_WEEKS,),
        (
            SuspensionWindow(
                datetime(2024, 1, 11, tzinfo=_LONDON),
                datetime(2026, 6, 1, tzinfo=_LONDON),
                "FCA motor finance complaints pause",
                "FCA Handbook DISP App 5.2",
            ),
        ),
    ),
    Preset(
        "eu_psd2",
        "EU PSD2: 15 business days (35 in exceptional situations)",
        "Directive (EU) 2015/2366 (PSD2) Art. 101(2)-(3)",
        "C",
        "Reply within 15 business days of receipt; in exceptional situations beyond the payment "
        "service provider's control a holding reply with reasons and a date, and the final "
        "reply within 35 business days. Member states may set shorter periods.",
        _PSD_MILESTONES,
    ),
    Preset(
        "us_cfpb",
        "US CFPB complaint portal: response in 15 days, final response within 60",
        "CFPB Company Portal Manual",
        "C",
        "Calendar days from the day the CFPB sends the complaint to the company; the 15-day "
        "response may say the complaint is in progress. Modelled as the end of the local day.",
        (
            Milestone("holding_response", CalendarDays(15, to_end_of_day=True)),
            Milestone("final_response", CalendarDays(60, to_end_of_day=True)),
        ),
    ),
    Preset(
        "au_rg271",
        "Australia ASIC RG 271: acknowledge in 1 business day, IDR response in 30 days",
        "ASIC RG 271; ASIC Corporations, Credit and Superannuation (Internal Dispute Resolution) "
        "Instrument 2020/98",
        "C",
        "IDR response within 30 calendar days of receipt (end of the local day), or an IDR delay "
        "notification before then giving reasons and the right to go to AFCA.",
        (_AU_ACK, Milestone("final_response", CalendarDays(30, to_end_of_day=True))),
    ),
    Preset(
        "au_rg271_hardship",
        "Australia ASIC RG 271: credit default notices and hardship requests, 21 days",
        "ASIC RG 271 (credit complaints about default notices and hardship requests)",
        "C/M",
        "IDR response within 21 calendar days for complaints about a default notice or a "
        "hardship or postponement request; verify against the current text of RG 271.",
        (_AU_ACK, Milestone("final_response", CalendarDays(21, to_end_of_day=True))),
    ),
    Preset(
        "au_rg271_super",
        "Australia ASIC RG 271: superannuation trustees, 45 days",
        "ASIC RG 271 (superannuation trustee complaints)",
        "C/M",
        "IDR response within 45 calendar days for complaints to superannuation trustees (death "
        "benefit distribution objections have their own 90-day rule, not modelled here).",
        (_AU_ACK, Milestone("final_response", CalendarDays(45, to_end_of_day=True))),
    ),
    Preset(
        "sg_fa",
        "Singapore financial advisers: acknowledge in 2 business days, resolve in 20",
        "Financial Advisers (Complaints Handling and Resolution) Regulations 2021, reg 5(3)",
        "C",
        "Written acknowledgement within 2 business days; final response within 20 business "
        "days, or by then a written explanation of the delay.",
        (
            Milestone("acknowledgement", BusinessDays(2)),
            Milestone("final_response", BusinessDays(20)),
        ),
    ),
    Preset(
        "uk_housing",
        "UK Housing Ombudsman Complaint Handling Code: 5/10 and 5/20 working days",
        "Housing Ombudsman Complaint Handling Code 2024 (statutory)",
        "C",
        "Stage 1: acknowledge within 5 working days of receipt, respond within 10 working days "
        "of the acknowledgement; stage 2: acknowledge within 5 working days of the escalation "
        "request, respond within 20 working days of that acknowledgement. Extensions with "
        "reasons (stage 1 up to 10, stage 2 up to 20 further working days) are not modelled (P).",
        (
            Milestone("stage1_acknowledgement", BusinessDays(5)),
            Milestone("stage1_response", BusinessDays(10), Anchor.ACKNOWLEDGEMENT),
            Milestone("stage2_acknowledgement", BusinessDays(5), Anchor.ESCALATION),
            Milestone("stage2_response", BusinessDays(20), Anchor.ESCALATION_ACKNOWLEDGEMENT),
        ),
    ),
    Preset(
        "ie_cbi",
        "Ireland CBI Consumer Protection Code: acknowledge in 5 business days, resolve in 40",
        "Central Bank of Ireland Consumer Protection Code 2012, provision 10.9",
        "P",
        "Written acknowledgement within 5 business days; updates at intervals of not more than "
        "20 business days (the first one is modelled); resolution within 40 business days, "
        "else the expected date and the right to refer to the FSPO. The revised Code (from 24 "
        "March 2026) keeps 40 business days.",
        (
            Milestone("acknowledgement", BusinessDays(5)),
            Milestone("update", BusinessDays(20), note="repeats every 20 business days"),
            Milestone("final_response", BusinessDays(40)),
        ),
    ),
)

#: Every preset by name.
PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _ALL})


def preset_names() -> tuple[str, ...]:
    """The names of the bundled presets, sorted."""
    return tuple(sorted(PRESETS))


def preset(name: str) -> Preset:
    """The preset called *name*; ``ConfigurationError`` listing the known names otherwise."""
    found = PRESETS.get(name) if isinstance(name, str) else None
    if found is None:
        raise ConfigurationError(
            [("name", f"unknown preset (known: {', '.join(preset_names())})")], what="SLA preset"
        )
    return found
