"""A quarter of complaints through the ISO 10002 process, then the clause 8 figures.

Simulates the first quarter of 2026 (a seeded random stream of complaints handled through
:class:`~iso10002.service.ComplaintsHandling` on a fake clock), then prints the KPIs, a Pareto of
categories, the monthly volumes, recurring issues and the objectives. Run it with
``python examples/analysis.py [number of complaints]`` (default 300).
"""

from __future__ import annotations

import heapq
import random
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from iso10002 import Assessment, Breadth, Complexity, EscalationKind, Outcome, Priority, Safety
from iso10002.analysis import Analysis, Filters, KpiReport, Objectives, Period
from iso10002.backends import MemoryRepository
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.taxonomy import default_taxonomy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/London",
        "week": {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-01-01", "2026-04-03", "2026-04-06"],
    }
)
POLICY = SlaPolicy.from_dict(
    {
        "default": {
            "acknowledgement": {"business_days": 1},
            "final_response": {"weeks": 8, "to_end_of_day": True},
        }
    }
)
OBJECTIVES = Objectives.from_dict(
    {
        "objectives": [
            {
                "name": "Acknowledged on time",
                "figure": "sla.acknowledgement.on_time",
                "at_least": 0.95,
            },
            {
                "name": "Final response on time",
                "figure": "sla.final_response.on_time",
                "at_least": 0.9,
            },
            {
                "name": "Median time to close",
                "figure": "durations.closure.business.median",
                "at_most": {"hours": 85},  # ten business days of 8.5 hours
            },
            {"name": "Reopen rate", "figure": "rates.reopened", "at_most": 0.05},
            {"name": "Satisfaction", "figure": "satisfaction.mean", "at_least": 3.5},
        ]
    }
)
QUARTER = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
CATEGORIES = ["billing.incorrect_charge", "billing.refund", "delivery.late", "quality.defect"]
CATEGORIES += ["communication.no_response", "staff_conduct.attitude"]
PRODUCTS = ["current_account", "credit_card", "mortgage"]
HANDLER = Actor("h.okafor", roles=frozenset({"handler"}))
MANAGER = Actor("m.diaz", roles=frozenset({"handler", "manager"}))
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.INVESTIGATION,
    priority=Priority.P3,
)

Step = Callable[[], object]


def simulate(service: ComplaintsHandling, clock: FakeClock, count: int, seed: int = 10002) -> None:  # noqa: C901 - a simulation reads best as one loop
    """Receive *count* complaints over the quarter and handle them until the quarter ends."""
    rng = random.Random(seed)
    agenda: list[tuple[datetime, int, Step]] = []
    order = 0

    def at(when: datetime, step: Step) -> None:
        nonlocal order
        order += 1
        heapq.heappush(agenda, (when, order, step))

    def lifecycle(n: int, received: datetime) -> None:
        # Complaints about late delivery of credit cards cluster in March: a recurring issue.
        late_cards = received.month == 3 and rng.random() < 0.3
        category = "delivery.late" if late_cards else rng.choice(CATEGORIES)
        data = {
            "channel": rng.choice(["web", "email", "phone", "letter"]),
            "subject": "Complaint",
            "description": "What went wrong.",
            "category": category,
            "product": "credit_card" if late_cards else rng.choice(PRODUCTS),
            "segment": rng.choice(["retail", "business"]),
            # One complainant in five has complained before.
            "complainant_id": f"cust-{rng.randrange(count * 4 // 5)}",
        }
        cid = service.receive(data, actor="web-form").id
        t = received + timedelta(hours=rng.choice([1, 2, 4, 6, 20, 30, 50]))

        def acknowledge() -> None:
            service.acknowledge(cid, actor=HANDLER)
            service.assess(cid, actor=HANDLER, assessment=ASSESSMENT)
            service.start_investigation(cid, actor=HANDLER)

        at(t, acknowledge)
        if rng.random() < 0.06:
            at(t + timedelta(days=2), lambda: service.withdraw(cid, actor=HANDLER))
            return
        t += timedelta(days=rng.choice([3, 5, 8, 12, 15, 20, 40, 60]), hours=rng.randrange(8))
        outcome = rng.choice([Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD])
        remedies = {
            Outcome.UPHELD: ("refund", "apology"),
            Outcome.PARTLY_UPHELD: ("apology",),
            Outcome.NOT_UPHELD: ("explanation",),
        }[outcome]
        if outcome is Outcome.UPHELD and rng.random() < 0.1:
            remedies = ("goodwill",)

        external = rng.random() < 0.03

        def decide_and_close() -> None:
            service.record_findings(
                cid,
                actor=HANDLER,
                summary="Found the cause.",
                root_causes=frozenset({rng.choice(["people.error", "process.design", "system"])}),
            )
            service.decide(
                cid, actor=HANDLER, outcome=outcome, reasons="Because.", remedies=remedies
            )
            service.communicate_decision(cid, actor=HANDLER, external_options_given=True)
            if external:  # the complainant takes it to the ombudsman
                service.record_reply(cid, actor=HANDLER, accepted=False)
                service.escalate(cid, actor=MANAGER, kind=EscalationKind.EXTERNAL_DISPUTE)
                return
            service.record_reply(cid, actor=HANDLER, accepted=rng.random() < 0.85)
            service.close(cid, actor=HANDLER)

        at(t, decide_and_close)
        if external:
            return
        if rng.random() < 0.5:
            score = rng.choice([2, 3, 4, 4, 5, 5])
            at(
                t + timedelta(days=2),
                lambda: service.record_satisfaction(cid, actor=HANDLER, score=score),
            )
        if rng.random() < 0.04:

            def reopen() -> None:
                service.reopen(cid, actor=MANAGER)
                service.start_investigation(cid, actor=HANDLER)

            at(t + timedelta(days=3), reopen)
            at(t + timedelta(days=6), decide_and_close)

    span = (QUARTER.end - QUARTER.start).total_seconds()
    for n, offset in enumerate(sorted(rng.random() * span for _ in range(count))):
        received = QUARTER.start + timedelta(seconds=int(offset))
        at(received, lambda n=n, received=received: lifecycle(n, received))  # type: ignore[misc]
    while agenda:
        when, _, step = heapq.heappop(agenda)
        if when >= QUARTER.end:  # the quarter is over: what is left stays open
            break
        if when > clock.now():
            clock.set(when)
        step()


def main(count: int = 300) -> KpiReport:
    """Simulate *count* complaints, print the figures, return the KPI report."""
    clock = FakeClock(QUARTER.start)
    with MemoryRepository() as storage:
        service = ComplaintsHandling(
            storage,
            sla=PolicyPlanner(CALENDAR, POLICY),
            categories=default_taxonomy("categories"),
            clock=clock,
        )
        simulate(service, clock, count)
        analysis = Analysis(
            storage, filters=Filters(period=QUARTER), as_of=QUARTER.end, calendar=CALENDAR
        )
        report = analysis.kpis()
        print(report, end="\n\n")
        print(analysis.pareto("category", share=0.8), end="\n\n")
        print(analysis.volumes(every="month", by=("product",)), end="\n\n")
        march = Analysis(
            storage,
            filters=Filters(period=Period(datetime(2026, 3, 1, tzinfo=UTC), QUARTER.end)),
            as_of=QUARTER.end,
        )
        print(march.recurring(by=("category", "product"), baseline_periods=2), end="\n\n")
        print(analysis.remedies(below=0.95), end="\n\n")
        print(OBJECTIVES.evaluate(report))
        return report


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
