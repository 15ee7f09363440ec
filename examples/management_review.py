"""A quarter of complaints on SQLite, then the management review and the published procedure.

Simulates the first quarter of 2026 (a seeded random stream of complaints handled through
:class:`~iso10002.service.ComplaintsHandling` on a fake clock, stored in SQLite in a temporary
directory), then writes the management review (HTML, Markdown, JSON) and "How to complain"
(HTML, Markdown). Run it with ``python examples/management_review.py [output directory]
[number of complaints]`` (default: a new temporary directory, 600 complaints). Needs the
``report`` extra.
"""

from __future__ import annotations

import heapq
import itertools
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from iso10002 import Assessment, Breadth, Complexity, EscalationKind, Outcome, Priority, Safety
from iso10002.analysis import Objectives, Period
from iso10002.backends import SqliteRepository
from iso10002.report import ExternalBody, ManagementReview, how_to_complain, management_review
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
QUARTER = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
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
            "review_response": {"business_days": 10},
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
                "figure": "durations.closure.calendar.median",
                "at_most": {"days": 14},
            },
            {"name": "Reopen rate", "figure": "rates.reopened", "at_most": 0.05},
            {"name": "Satisfaction", "figure": "satisfaction.mean", "at_least": 3.5},
        ]
    }
)
CHANNELS = {
    "web": "the form at https://bank.example/complain",
    "email": "complaints@bank.example",
    "phone": "0800 000 0000, Monday to Friday 09:00 to 17:30",
    "letter": "Complaints, Example Bank, 1 High Street, London",
}
OMBUDSMAN = ExternalBody(
    "Financial Ombudsman Service",
    "once you have our final response, or 8 weeks after you complained",
    "www.financial-ombudsman.org.uk",
)
CATEGORIES = ["billing.incorrect_charge", "billing.refund", "delivery.late", "quality.defect"]
CATEGORIES += ["communication.no_response", "staff_conduct.attitude"]
CAUSES = ["people.error", "process.design", "system.outage", "supplier"]
PRODUCTS = ["current_account", "credit_card", "mortgage"]
HANDLERS = [Actor(f"h.{name}", roles=frozenset({"handler"})) for name in ("okafor", "ng", "silva")]
MANAGER = Actor("m.diaz", roles=frozenset({"handler", "manager"}))
REVIEWER = Actor("r.ito", roles=frozenset({"handler", "reviewer"}))
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.INVESTIGATION,
    priority=Priority.P3,
)
Step = Callable[[], object]


def lifecycle(
    service: ComplaintsHandling,
    clock: FakeClock,
    rng: random.Random,
    *,
    at: Callable[[datetime, Step], None],
    complainants: list[str],
    count: int,
) -> None:
    """Receive one complaint now and plan its handling with *at*."""
    handler = rng.choice(HANDLERS)
    late_cards = clock.now().month == 3 and rng.random() < 0.3
    complainants.append(f"cust-{rng.randrange(count * 4 // 5)}")
    cid = service.receive(
        {
            "channel": rng.choice(list(CHANNELS)),
            "subject": "Complaint",
            "description": "What went wrong.",
            "category": "delivery.late" if late_cards else rng.choice(CATEGORIES),
            "product": "credit_card" if late_cards else rng.choice(PRODUCTS),
            "complainant_id": complainants[-1],
            "complained_about": ["s.jones"] if rng.random() < 0.1 else [],
        },
        actor="web-form",
    ).id
    t = clock.now() + timedelta(hours=rng.choice([1, 2, 4, 6, 20, 30, 50]))

    def acknowledge() -> None:
        service.acknowledge(cid, actor=handler)
        service.assess(cid, actor=handler, assessment=ASSESSMENT)
        service.start_investigation(cid, actor=handler)

    at(t, acknowledge)
    if rng.random() < 0.05:
        at(t + timedelta(days=2), lambda: service.withdraw(cid, actor=handler))
        return
    t += timedelta(days=rng.choice([3, 5, 8, 12, 15, 20, 40, 60]), hours=rng.randrange(8))
    outcome = rng.choice([Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD])
    review = rng.random() < 0.05
    tell = rng.random() < 0.97  # a few decisions leave out the external options

    def decide() -> None:
        cause = frozenset({rng.choice(CAUSES)})
        service.record_findings(cid, actor=handler, summary="Found it.", root_causes=cause)
        service.decide(cid, actor=handler, outcome=outcome, reasons="Because.")
        service.communicate_decision(cid, actor=handler, external_options_given=tell)
        if review:
            service.escalate(cid, actor=handler, kind=EscalationKind.INTERNAL_REVIEW)
            return
        accepted = tell or rng.random() < 0.9
        service.record_reply(cid, actor=handler, accepted=accepted)
        if accepted or tell:  # 7.9: otherwise the complaint cannot be closed yet
            service.close(cid, actor=handler)

    def review_and_close() -> None:
        service.decide(cid, actor=REVIEWER, outcome=Outcome.UPHELD, reasons="On review.")
        service.communicate_decision(cid, actor=REVIEWER, external_options_given=True)
        service.close(cid, actor=REVIEWER)

    def satisfaction() -> None:
        score = rng.choice([2, 3, 4, 4, 5, 5])
        service.record_satisfaction(cid, actor=handler, score=score)

    at(t, decide)
    if review:
        at(t + timedelta(days=7), review_and_close)
    elif rng.random() < 0.6:
        at(t + timedelta(days=2), satisfaction)


def simulate(service: ComplaintsHandling, clock: FakeClock, count: int, seed: int = 10002) -> None:
    """Receive *count* complaints over the quarter and handle them until the quarter ends."""
    rng = random.Random(seed)
    agenda: list[tuple[datetime, int, Step]] = []
    order = itertools.count()
    complainants: list[str] = []

    def at(when: datetime, step: Step) -> None:
        heapq.heappush(agenda, (when, next(order), step))

    def receive() -> None:
        lifecycle(service, clock, rng, at=at, complainants=complainants, count=count)

    span = (QUARTER.end - QUARTER.start).total_seconds()
    for offset in sorted(rng.random() * span for _ in range(count)):
        at(QUARTER.start + timedelta(seconds=int(offset)), receive)
    while agenda:
        when, _, step = heapq.heappop(agenda)
        if when >= QUARTER.end:  # the quarter is over: what is left stays open
            break
        if when > clock.now():
            clock.set(when)
        step()
    # One complainant asked for their personal data to be erased.
    service.erase_personal_data(complainants[0], actor="dpo")


def main(directory: str | Path | None = None, count: int = 600) -> ManagementReview:
    """Simulate *count* complaints on SQLite, write the review and the procedure into
    *directory* (default: a new temporary directory), print the paths, return the review."""
    out = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="review-"))
    clock = FakeClock(QUARTER.start)
    with tempfile.TemporaryDirectory() as tmp, SqliteRepository(Path(tmp) / "q1.db") as storage:
        service = ComplaintsHandling(storage, sla=PolicyPlanner(CALENDAR, POLICY), clock=clock)
        simulate(service, clock, count)
        review = management_review(
            storage,
            QUARTER,
            as_of=QUARTER.end,
            title="Example Bank: complaints management review, Q1 2026",
            objectives=OBJECTIVES,
            workflow=service.workflow,
            sla_policy=POLICY,
            calendar=CALENDAR,
            conformance={"satisfaction_target": 0.5},
        )
    paths = review.write(out, stem="management-review-2026-q1")
    procedure = how_to_complain(
        "Example Bank",
        CHANNELS,
        workflow=service.workflow,
        sla_policy=POLICY,
        external_bodies=[OMBUDSMAN],
    )
    (out / "how-to-complain.html").write_text(procedure.to_html(), encoding="utf-8")
    (out / "how-to-complain.md").write_text(procedure.to_markdown(), encoding="utf-8")
    print(review.conformance, end="\n\n")
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    print(f"procedure: {out / 'how-to-complain.html'}")
    return review


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else None,
        int(sys.argv[2]) if len(sys.argv) > 2 else 600,
    )
