"""One worked example per regulatory preset, with real dates and that year's public holidays.

Each calendar is Monday to Friday 09:00-17:00 in the jurisdiction's zone with the public holidays
of the ``holidays`` package; the expected dates are counted by hand in the comments.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from iso10002.errors import ConfigurationError
from iso10002.sla import (
    PRESETS,
    Anchor,
    BusinessCalendar,
    BusinessDays,
    Milestone,
    Preset,
    Weeks,
    preset,
    preset_names,
)

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def office(zone: str, country: str, subdiv: str | None = None) -> BusinessCalendar:
    base = BusinessCalendar.from_dict({"timezone": zone, "week": WEEKDAYS})
    return base.with_holidays_from(country, range(2023, 2027), subdiv=subdiv)


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


LONDON = "Europe/London"


@pytest.fixture(scope="module")
def england() -> BusinessCalendar:
    return office(LONDON, "GB", "ENG")


def test_uk_fca_srs(england: BusinessCalendar) -> None:
    """DISP 1.5: resolved by close of business on the third business day after receipt."""
    received = at(LONDON, 2025, 12, 19, 16, 30)  # Friday
    due = preset("uk_fca_srs").deadlines(england, receipt=received)
    # Mon 22 (1), Tue 23 (2), Wed 24 (3); Christmas and Boxing Day follow
    assert due == {"resolution": at(LONDON, 2025, 12, 24, 17)}


def test_uk_fca(england: BusinessCalendar) -> None:
    """DISP 1.6.2R: final or holding response by the end of eight weeks after receipt."""
    received = at(LONDON, 2025, 3, 3, 10)
    # calendar weeks: Good Friday and Easter Monday 2025 do not move it
    assert preset("uk_fca").deadlines(england, receipt=received) == {
        "final_response": at(LONDON, 2025, 4, 29)  # the end of Monday 28 April
    }


def test_uk_fca_psd(england: BusinessCalendar) -> None:
    """DISP 1.6.2AR: 15 business days, 35 in exceptional cases."""
    received = at(LONDON, 2025, 4, 15, 11)  # Tuesday before Easter
    due = preset("uk_fca_psd").deadlines(england, receipt=received)
    # 16 (1), 17 (2), [Good Friday 18, Easter Monday 21], 22-25 (3-6), 28-30 Apr and 1-2 May
    # (7-11), [Early May bank holiday 5 May], 6-9 May (12-15)
    assert due["final_response"] == at(LONDON, 2025, 5, 9, 17)
    assert due["holding_response"] == at(LONDON, 2025, 5, 9, 17)
    # 12-16 May (16-20), 19-23 (21-25), [Spring bank holiday 26 May], 27-30 (26-29),
    # 2-6 June (30-34), 9 June (35)
    assert due["final_response_exceptional"] == at(LONDON, 2025, 6, 9, 17)


def test_uk_fca_motor() -> None:
    """DISP App 5.2: the 8-week clock does not run from 11 January 2024 to 31 May 2026."""
    calendar = BusinessCalendar.continuous(LONDON)
    received = at(LONDON, 2023, 12, 1, 10)
    due = preset("uk_fca_motor").deadlines(calendar, receipt=received)
    # unpaused: the end of Friday 26 January 2024; 16 days were left on 11 January 2024
    assert preset("uk_fca").deadlines(calendar, receipt=received) == {
        "final_response": at(LONDON, 2024, 1, 27)
    }
    assert due == {"final_response": at(LONDON, 2026, 6, 17)}


def test_eu_psd2() -> None:
    """PSD2 Art. 101(2): 15 business days (Germany, national holidays)."""
    berlin = "Europe/Berlin"
    calendar = office(berlin, "DE")
    due = preset("eu_psd2").deadlines(calendar, receipt=at(berlin, 2025, 12, 15, 9))
    # 16-19 Dec (1-4), 22-24 (5-7), [25, 26], 29-31 (8-10), [1 Jan], 2 Jan (11), 5-8 Jan (12-15)
    assert due["final_response"] == at(berlin, 2026, 1, 8, 17)


def test_us_cfpb() -> None:
    """CFPB Company Portal Manual: 15 days to respond, final response within 60 days."""
    ny = "America/New_York"
    calendar = office(ny, "US")
    due = preset("us_cfpb").deadlines(calendar, receipt=at(ny, 2025, 11, 20, 14))
    # calendar days: Thanksgiving (27 Nov) and Christmas do not count differently
    assert due == {
        "holding_response": at(ny, 2025, 12, 6),  # the end of Friday 5 December
        "final_response": at(ny, 2026, 1, 20),  # the end of Monday 19 January
    }


def test_au_rg271_and_its_variants() -> None:
    """ASIC RG 271: acknowledge within one business day; IDR response in 30 / 21 / 45 days."""
    sydney = "Australia/Sydney"
    calendar = office(sydney, "AU", "NSW")
    received = at(sydney, 2025, 12, 24, 10)
    # Christmas Day and Boxing Day, then the weekend: Monday 29 December
    ack = at(sydney, 2025, 12, 29, 17)
    assert preset("au_rg271").deadlines(calendar, receipt=received) == {
        "acknowledgement": ack,
        "final_response": at(sydney, 2026, 1, 24),  # the end of Friday 23 January
    }
    hardship = preset("au_rg271_hardship").deadlines(calendar, receipt=received)
    assert hardship["final_response"] == at(sydney, 2026, 1, 15)  # the end of 14 January
    superannuation = preset("au_rg271_super").deadlines(calendar, receipt=received)
    assert superannuation["final_response"] == at(sydney, 2026, 2, 8)  # the end of 7 February


def test_sg_fa() -> None:
    """Financial Advisers (Complaints Handling and Resolution) Regulations 2021, reg 5(3)."""
    sg = "Asia/Singapore"
    calendar = office(sg, "SG")
    due = preset("sg_fa").deadlines(calendar, receipt=at(sg, 2025, 10, 16, 15))
    # Fri 17 (1), [Deepavali, Monday 20 October], Tue 21 (2)
    assert due["acknowledgement"] == at(sg, 2025, 10, 21, 17)
    # 17, 21-24, 27-31 Oct, 3-7, 10-14 Nov: the 20th business day is Friday 14 November
    assert due["final_response"] == at(sg, 2025, 11, 14, 17)


def test_uk_housing(england: BusinessCalendar) -> None:
    """Housing Ombudsman Complaint Handling Code 2024: 5 and 10, then 5 and 20 working days."""
    due = preset("uk_housing").deadlines(
        england,
        receipt=at(LONDON, 2025, 5, 19, 10),
        acknowledgement=at(LONDON, 2025, 5, 21, 11),
        escalation=at(LONDON, 2025, 8, 20, 15),
        escalation_acknowledgement=at(LONDON, 2025, 8, 27, 9),
    )
    assert due == {
        # 20-23 May (1-4), [Spring bank holiday 26 May], 27 May (5)
        "stage1_acknowledgement": at(LONDON, 2025, 5, 27, 17),
        # from the acknowledgement: 22, 23, 27-30 May, 2-5 June (10)
        "stage1_response": at(LONDON, 2025, 6, 5, 17),
        # 21, 22 Aug, [Summer bank holiday 25 Aug], 26-28 Aug (5)
        "stage2_acknowledgement": at(LONDON, 2025, 8, 28, 17),
        # from the escalation acknowledgement: 28, 29 Aug, 1-24 Sept (20)
        "stage2_response": at(LONDON, 2025, 9, 24, 17),
    }
    assert preset("uk_housing").deadlines(england, receipt=at(LONDON, 2025, 5, 19, 10)) == {
        "stage1_acknowledgement": at(LONDON, 2025, 5, 27, 17)
    }


def test_ie_cbi() -> None:
    """CBI Consumer Protection Code 2012, provision 10.9: 5, 20 and 40 business days."""
    dublin = "Europe/Dublin"
    calendar = office(dublin, "IE")
    due = preset("ie_cbi").deadlines(calendar, receipt=at(dublin, 2025, 10, 20, 12))
    assert due == {
        # 21-24 Oct (1-4), [October bank holiday 27 Oct], 28 Oct (5)
        "acknowledgement": at(dublin, 2025, 10, 28, 17),
        "update": at(dublin, 2025, 11, 18, 17),
        "final_response": at(dublin, 2025, 12, 16, 17),
    }


# ---------------------------------------------------------------------- the preset data


def test_every_preset_is_cited_and_rated() -> None:
    assert preset_names() == tuple(sorted(PRESETS))
    assert set(PRESETS) == {
        "uk_fca",
        "uk_fca_srs",
        "uk_fca_psd",
        "uk_fca_motor",
        "eu_psd2",
        "us_cfpb",
        "au_rg271",
        "au_rg271_hardship",
        "au_rg271_super",
        "sg_fa",
        "uk_housing",
        "ie_cbi",
    }
    for p in PRESETS.values():
        assert p.citation and p.title and p.confidence_note
        assert set(p.confidence.split("/")) <= {"C", "P", "M"}
        for m in p.milestones:
            assert m.day_basis in ("business days", "calendar days")


def test_unknown_presets_list_the_known_names() -> None:
    with pytest.raises(ConfigurationError) as info:
        preset("uk_fsa")
    assert "uk_fca_srs" in str(info.value)
    with pytest.raises(ConfigurationError):
        preset(None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="final_response"):
        preset("uk_fca").milestone("acknowledgement")


def test_a_preset_clock_carries_the_suspension_windows() -> None:
    motor = preset("uk_fca_motor")
    clock = motor.clock(
        "final_response", BusinessCalendar.continuous(LONDON), at(LONDON, 2024, 1, 2)
    )
    assert clock.suspensions == motor.suspensions
    assert clock.status(at(LONDON, 2025, 1, 1)).paused


def test_bad_presets() -> None:
    with pytest.raises(ConfigurationError):
        Milestone("", "8 weeks", "receipt", 5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Preset("x", "x", "x", "C", "x", ())
    twice = Milestone("final_response", Weeks(8))
    with pytest.raises(ConfigurationError, match="unique"):
        Preset("x", "x", "x", "C", "x", (twice, twice))
    with pytest.raises(ConfigurationError):
        Preset("x", "x", "x", "C", "x", (twice,), ("2024",))  # type: ignore[arg-type]
    assert Milestone("ack", BusinessDays(1), Anchor.ESCALATION).anchor is Anchor.ESCALATION
