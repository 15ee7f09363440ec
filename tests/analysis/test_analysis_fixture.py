"""Figures on 40 complaints built by hand, checked against values worked out in the comments;
bad arguments; an empty repository; JSON and text output; objectives."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from iso10002.analysis import Analysis, Filters, Objectives, Period, Verdict, poisson_upper_tail
from iso10002.backends import MemoryRepository
from iso10002.errors import ConfigurationError, ValidationError
from iso10002.model import (
    Channel,
    Classification,
    Closure,
    Complaint,
    ComplaintDetails,
    Decision,
    Escalation,
    EscalationKind,
    MilestoneClock,
    Outcome,
    Satisfaction,
)

UTC = timezone.utc
H = timedelta(hours=1)
D = timedelta(days=1)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
Q1 = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
OUTCOMES = [Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD]
REMEDIES = {Outcome.UPHELD: ("refund",), Outcome.PARTLY_UPHELD: ("apology",)}


def complaint(i: int) -> Complaint:
    """Complaint *i* (0 to 39) of the fixture; the rules are spelled out per field."""
    received = START + i * D  # 2026-01-05 09:00 + i days: i 0-26 in January, 27-39 in February
    ack = received + (i % 4 + 1) * H if i < 36 else None  # 1 to 4 hours; 36-39 never
    clock = MilestoneClock(
        milestone="acknowledgement",
        started_at=received,
        due_at=received + 3 * H,  # so a 4-hour acknowledgement is late
        stopped_at=ack,
    )
    decisions: tuple[Decision, ...] = ()
    if i < 30:  # decided after 1 to 5 days; outcome by i % 3; remedies by outcome
        outcome = OUTCOMES[i % 3]
        remedies = ("goodwill",) if i == 3 else REMEDIES.get(outcome, ())
        decisions = (
            Decision(
                outcome=outcome,
                reasons="r",
                decided_by="h",
                decided_at=received + (i % 5 + 1) * D,
                remedies=remedies,
            ),
        )
    closure = None
    state = "investigating"
    if i < 24:  # closed a day after the decision
        closure = Closure(at=received + (i % 5 + 2) * D, by="h")
        state = "closed"
    elif i < 30:
        state = "responded"
    elif i >= 36:
        closure = Closure(at=received + D, by="h", withdrawn=True)
        state = "withdrawn"
    escalations: tuple[Escalation, ...] = ()
    if i in (24, 25):
        escalations = (Escalation(EscalationKind.INTERNAL_REVIEW, received + 6 * D, "h"),)
    if i == 2:
        escalations = (Escalation(EscalationKind.EXTERNAL_DISPUTE, received + 9 * D, "h"),)
    satisfaction = None
    if i < 24 and i % 2 == 0:
        satisfaction = Satisfaction(score=i % 5 + 1, at=received + 8 * D)
    return Complaint(
        id=f"c{i:02d}",
        reference=f"CMP-2026-{i:06d}",
        state=state,
        version=1,
        details=ComplaintDetails(
            received_at=received,
            channel=Channel.WEB if i % 2 == 0 else Channel.PHONE,
            complainant_id=f"p{i % 25}",  # p0-p14 complain twice (i and i + 25)
            subject="s",
            description="d",
            product="card" if i < 30 else "loan",
        ),
        classification=Classification(category=["billing", "billing", "delivery", "staff"][i % 4]),
        acknowledged_at=ack,
        clocks=(clock,),
        decisions=decisions,
        escalations=escalations,
        satisfaction=satisfaction,
        closure=closure,
        reopened=1 if i in (0, 1) else 0,
    )


FIXTURE = [complaint(i) for i in range(40)]


@pytest.fixture
def analysis() -> Analysis:
    """The fixture for the first quarter of 2026, judged on 1 March.

    Repositories hold only complaints that are the fold of their events, which these are not;
    the oracle test holds every backend to the same figures as a plain list.
    """
    return Analysis(FIXTURE, filters=Filters(period=Q1), as_of=AS_OF)


def test_counts_and_volumes(analysis: Analysis) -> None:
    assert analysis.count() == 40
    # January holds i = 0..26 (27), February i = 27..39 (13); March is listed, empty.
    months = analysis.volumes(every="month")
    assert [(r.period.isoformat() if r.period else "", r.count) for r in months.rows] == [
        ("2026-01-01", 27),
        ("2026-02-01", 13),
        ("2026-03-01", 0),
    ]
    # billing is i % 4 in {0, 1}: even i came by web, odd by phone (10 each); delivery is
    # i % 4 == 2 (even: web, 10); staff i % 4 == 3 (odd: phone, 10).
    pairs = analysis.volumes(by=("category", "channel"))
    assert [(r.keys, r.count) for r in pairs.rows] == [
        (("billing", "phone"), 10),
        (("billing", "web"), 10),
        (("delivery", "web"), 10),
        (("staff", "phone"), 10),
    ]


def test_pareto_keeps_ties_at_the_cut_off(analysis: Analysis) -> None:
    # billing 20, then delivery and staff tied at 10: top=2 keeps both.
    pareto = analysis.pareto("category", top=2)
    assert [(r.key, r.count, r.share.value, r.cumulative.numerator) for r in pareto.rows] == [
        ("billing", 20, 0.5, 20),
        ("delivery", 10, 0.25, 30),
        ("staff", 10, 0.25, 40),
    ]
    assert pareto.omitted == 0
    # share=0.5 stops at billing (20/40 reaches it); nothing ties with billing.
    half = analysis.pareto("category", share=0.5)
    assert [r.key for r in half.rows] == ["billing"]
    assert (half.omitted, half.omitted_count) == (2, 20)


def test_durations(analysis: Analysis) -> None:
    d = analysis.durations()
    ack = d.get("acknowledgement")
    assert ack is not None
    # 36 acknowledged after (i % 4 + 1) h: 9 each of 1, 2, 3, 4 h. Median of 36: mean of the
    # 18th (2 h) and 19th (3 h) = 2 h 30; p90: the ceil(32.4) = 33rd = 4 h; mean 2.5 h.
    assert (ack.calendar.count, ack.calendar.median, ack.calendar.p90, ack.calendar.mean) == (
        36,
        2.5 * H,
        4 * H,
        2.5 * H,
    )
    assert ack.business is None
    decision = d.get("decision")
    assert decision is not None
    # 30 decided after (i % 5 + 1) days: 6 each of 1..5 d. Median (15th, 16th) = 3 d;
    # p90 = 27th = 5 d; mean = 6 * 15 / 30 = 3 d.
    assert decision.calendar == type(decision.calendar)(30, 3 * D, 5 * D, 3 * D)
    closure = d.get("closure")
    assert closure is not None
    # 24 closed after (i % 5 + 2) days, i < 24: 5 each of 2..5 d and 4 of 6 d (withdrawals
    # left out). Median (12th, 13th) = 4 d; p90 = 22nd = 6 d; mean = 94 / 24 d = 3 d 22 h.
    assert closure.calendar == type(closure.calendar)(24, 4 * D, 6 * D, 3 * D + 22 * H)


def test_sla_compliance(analysis: Analysis) -> None:
    row = analysis.sla().get("acknowledgement")
    assert row is not None
    # Due 3 h after receipt: 27 stopped after 1-3 h (on time), 9 after 4 h (late); 4 never
    # stopped and past due at AS_OF (overdue). On time: 27 / (27 + 9 + 4).
    assert (row.met_on_time, row.met_late, row.open_overdue, row.open_within) == (27, 9, 4, 0)
    assert (row.on_time.numerator, row.on_time.denominator) == (27, 40)
    assert row.overdue_open.value == 1.0


def test_rates(analysis: Analysis) -> None:
    r = analysis.rates()
    # 30 decided, outcome by i % 3: 10 each.
    assert [(x.numerator, x.denominator) for x in (r.upheld, r.partly_upheld, r.not_upheld)] == [
        (10, 30)
    ] * 3
    # Reopened: i 0 and 1, of the 24 closed; withdrawn: i 36-39 of 40; internal review:
    # i 24, 25; external: i 2.
    assert (r.reopened.numerator, r.reopened.denominator) == (2, 24)
    assert (r.withdrawn.numerator, r.withdrawn.denominator) == (4, 40)
    assert (r.internal_review.numerator, r.external_dispute.numerator) == (2, 1)


def test_satisfaction(analysis: Analysis) -> None:
    s = analysis.satisfaction()
    # Even i < 24 answered with i % 5 + 1: i = 0, 2, ..., 22 give 1 3 5 2 4 1 3 5 2 4 1 3.
    assert s.distribution == (3, 2, 3, 2, 2)
    assert s.mean == pytest.approx(34 / 12)
    assert (s.responses.numerator, s.responses.denominator) == (12, 24)


def test_backlog(analysis: Analysis) -> None:
    b = analysis.backlog()
    # Open at 2026-03-01 00:00: i 24-35 (12). i = 24 came on 29 Jan 09:00: 30 d 15 h old;
    # i = 34 on 8 Feb: 20 d 15 h; i = 35 on 9 Feb: 19 d 15 h (the 10-20 d bucket).
    assert b.open == 12
    assert [x.count for x in b.buckets] == [0, 0, 0, 1, 11, 0]
    assert b.oldest == 30 * D + 15 * H
    # On 20 January at noon: received i 0..15, of which closed by then i 0..11 (i 11 came on
    # 16 Jan, closed 18 Jan at i % 5 + 2 = 3 days) — i 12 (17 Jan + 4 d = 21 Jan) on is open.
    early = analysis.backlog(datetime(2026, 1, 20, 12, tzinfo=UTC))
    assert early.open == 4


def test_repeat_complainants(analysis: Analysis) -> None:
    r = analysis.repeat_complainants(top=3)
    # p0..p14 have two complaints (i and i + 25); p15..p24 one.
    assert r.complainants == 25
    assert (r.repeat.numerator, r.repeat.denominator) == (15, 25)
    assert (r.complaints.numerator, r.complaints.denominator) == (30, 40)
    assert [(x.complainant_id, x.count) for x in r.top] == [("p0", 2), ("p1", 2), ("p10", 2)]


def test_remedy_consistency(analysis: Analysis) -> None:
    # (staff, upheld) is i % 4 == 3 and i % 3 == 0 among i < 30: i 3, 15, 27. i 3 got
    # goodwill, the others a refund: consistency 2/3. Every other group is consistent.
    groups = analysis.remedies().groups
    assert [(g.category, g.outcome, g.size) for g in groups] == [("staff", "upheld", 3)]
    assert (groups[0].consistency.numerator, groups[0].consistency.denominator) == (2, 3)
    assert [(s.remedies, s.complaint_ids) for s in groups[0].remedy_sets] == [
        (("refund",), ("c15", "c27")),
        (("goodwill",), ("c03",)),
    ]


def test_kpis_dump_to_json_and_print(analysis: Analysis) -> None:
    report = analysis.kpis()
    data = report.to_dict()
    text = json.dumps(data)
    assert '"numerator": 27, "denominator": 40, "value": 0.675' in text
    assert data["durations"]["rows"][0]["calendar"]["median"] == 9000.0
    shown = str(report)
    assert "67.5 % (27/40)" in shown
    assert "acknowledgement" in shown
    figures = report.figures()
    assert figures["sla.acknowledgement.on_time"] == 0.675
    assert figures["durations.closure.calendar.median"] == 4 * D


def test_recurring_issues_against_a_poisson_baseline() -> None:
    week = Period(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    complaints: list[Complaint] = []

    def add(category: str, product: str, at: datetime) -> None:
        n = len(complaints)
        c = FIXTURE[0]
        complaints.append(
            Complaint(
                id=f"r{n:03d}",
                reference=f"R-{n}",
                state="received",
                version=1,
                details=ComplaintDetails(
                    received_at=at,
                    channel=Channel.WEB,
                    complainant_id=f"k{n}",
                    subject="s",
                    description="d",
                    product=product,
                ),
                classification=Classification(category=category),
                clocks=c.clocks[:0],
            )
        )

    for back in range(1, 5):  # four baseline weeks before 2 March
        start = week.start - back * 7 * D
        add("billing", "card", start + H)  # once a week
        add("delivery", "card", start + H)  # twice a week
        add("delivery", "card", start + 2 * H)
    for n in range(6):  # this week: billing/card six times, delivery/card three
        add("billing", "card", week.start + n * H)
    for n in range(3):
        add("delivery", "card", week.start + n * H)
    add("staff", "loan", week.start)  # new, but fewer than min_count
    add("staff", "loan", week.start + H)
    a = Analysis(complaints, filters=Filters(period=week), as_of=AS_OF)
    found = a.recurring(by=("category", "product"), baseline_periods=4, alpha=0.01)
    # billing/card: baseline (1, 1, 1, 1), mean 1; P(X >= 6 | 1) = 1 - e^-1 (1 + 1 + 1/2 + 1/6
    # + 1/24 + 1/120) = 0.000594 < 0.01: flagged. delivery/card: mean 2, count 3;
    # P(X >= 3 | 2) = 1 - 5 e^-2 = 0.323: not flagged. staff/loan: 2 < min_count 3.
    assert [(i.keys, i.count, i.baseline_counts) for i in found.issues] == [
        (("billing", "card"), 6, (1, 1, 1, 1))
    ]
    assert found.issues[0].p_value == pytest.approx(0.000594184817, rel=1e-6)
    assert len(found.issues[0].complaint_ids) == 6
    assert poisson_upper_tail(3, 2.0) == pytest.approx(1 - 5 * 2.718281828459045**-2)
    assert poisson_upper_tail(0, 0.0) == 1.0
    assert poisson_upper_tail(1, 0.0) == 0.0
    assert "billing" in str(found)


def test_an_empty_repository_gives_zero_counts_and_no_rates() -> None:
    a = Analysis(MemoryRepository(), as_of=AS_OF)
    report = a.kpis()
    assert report.total == 0
    assert report.rates.upheld.value is None and report.rates.upheld.denominator == 0
    assert report.satisfaction.mean is None and report.satisfaction.responses.value is None
    assert report.backlog.open == 0 and report.backlog.oldest is None
    assert report.sla.rows == ()
    assert all(r.calendar.median is None for r in report.durations.rows)
    assert a.pareto("category").rows == ()
    assert a.volumes().rows[0].count == 0
    assert a.remedies().groups == ()
    json.dumps(report.to_dict())
    assert "- (0/0)" in str(report)


NAIVE = datetime(2026, 1, 1)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda a: a.pareto("colour"), "dimension"),
        (lambda a: a.volumes(by=("category", "size")), "by[1]"),
        (lambda a: a.volumes(by=("category", "channel", "team")), "by"),
        (lambda a: a.volumes(by="category"), "by"),
        (lambda a: a.volumes(every="year"), "every"),
        (lambda a: a.backlog(NAIVE), "at"),
        (lambda a: a.pareto("category", top=0), "top"),
        (lambda a: a.recurring(), "filters.period"),
        (lambda a: a.remedies(min_size=1), "min_size"),
    ],
)
def test_bad_arguments_name_the_argument(call: object, path: str) -> None:
    a = Analysis(FIXTURE, as_of=AS_OF)
    with pytest.raises(ValidationError) as raised:
        call(a)  # type: ignore[operator]
    assert raised.value.paths == (path,)


def test_bad_construction_names_the_argument() -> None:
    with pytest.raises(ValidationError) as raised:
        Period(AS_OF, AS_OF)
    assert raised.value.paths == ("end",)
    assert "empty" in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        Period(NAIVE, AS_OF)
    assert raised.value.paths == ("start",)
    with pytest.raises(ValidationError) as raised:
        Analysis(FIXTURE, as_of=NAIVE)
    assert raised.value.paths == ("as_of",)
    with pytest.raises(ValidationError) as raised:
        Analysis(iter(FIXTURE))
    assert raised.value.paths == ("source",)
    with pytest.raises(ValidationError) as raised:
        Analysis(FIXTURE, filters={"states": ["closed"]})  # type: ignore[arg-type]
    assert raised.value.paths == ("filters",)
    with pytest.raises(ValidationError) as raised:
        Filters(states="closed")
    assert raised.value.paths == ("states",)


def test_filters_narrow_every_figure() -> None:
    a = Analysis(FIXTURE, filters=Filters(product="loan", states={"withdrawn"}), as_of=AS_OF)
    # loan is i >= 30; withdrawn is i >= 36.
    assert a.count() == 4
    b = Analysis(FIXTURE, filters=Filters(category_prefix="bill", channel=Channel.WEB))
    assert b.count() == 10


POLICY = {
    "objectives": [
        {"name": "Acknowledged on time", "figure": "sla.acknowledgement.on_time", "at_least": 0.95},
        {
            "name": "Time to close",
            "figure": "durations.closure.calendar.median",
            "at_most": {"days": 10},
        },
        {"name": "Reopen rate", "figure": "rates.reopened", "at_most": 0.05},
        {"name": "Satisfaction", "figure": "satisfaction.mean", "at_least": 4},
        {
            "name": "Business time to close",
            "figure": "durations.closure.business.median",
            "at_most": {"hours": 85},
        },
    ]
}


def test_objectives_are_evaluated_for_a_period() -> None:
    objectives = Objectives.from_dict(POLICY)
    assert Objectives.from_dict(objectives.to_dict()) == objectives
    report = objectives.evaluate(Analysis(FIXTURE, filters=Filters(period=Q1), as_of=AS_OF))
    got = {r.name: (r.value, r.verdict) for r in report.results}
    # Hand-worked in test_analysis_fixture: on time 27/40, median closure 4 days, reopened 2/24,
    # mean satisfaction 34/12; no calendar was given, so no business time: no data.
    assert got == {
        "Acknowledged on time": (0.675, Verdict.MISSED),
        "Time to close": (timedelta(days=4), Verdict.MET),
        "Reopen rate": (pytest.approx(2 / 24), Verdict.MISSED),
        "Satisfaction": (pytest.approx(34 / 12), Verdict.MISSED),
        "Business time to close": (None, Verdict.NO_DATA),
    }
    first = report.results[0]
    assert first.rate is not None and (first.rate.numerator, first.rate.denominator) == (27, 40)
    assert not report.met
    assert report.period_start == Q1.start
    json.dumps(report.to_dict())
    assert "67.5 % (27/40)" in str(report)


@pytest.mark.parametrize(
    ("objective", "path"),
    [
        ({"name": "x", "figure": "rates.happiness", "at_least": 1}, "objectives[0].figure"),
        ({"name": "x", "figure": "rates.reopened"}, "objectives[0].at_least"),
        ({"name": "x", "figure": "rates.reopened", "at_most": "5%"}, "objectives[0].at_most"),
        (
            {"name": "x", "figure": "durations.closure.calendar.p90", "at_most": 3},
            "objectives[0].at_most",
        ),
        ({"name": "", "figure": "rates.reopened", "at_most": 0.1}, "objectives[0].name"),
        ({"name": "x", "figure": "total", "at_most": 1, "when": 2}, "objectives[0].when"),
    ],
)
def test_bad_objectives_name_the_key(objective: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Objectives.from_dict({"objectives": [objective]})
    assert raised.value.paths == (path,)
