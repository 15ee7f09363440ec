"""A month of complaints, some with hostile text, and its management review."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest

from iso10002 import Assessment, Breadth, Complexity, Outcome, Priority, Safety
from iso10002.analysis import Objectives, Period
from iso10002.backends import MemoryRepository
from iso10002.report import ManagementReview, management_review
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

UTC = timezone.utc
MONTH = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
HOSTILE = '<script>alert("x")</script> {{ 7*7 }} {% if 1 %}\' | # *bold*'
"""Text that breaks HTML, Jinja2 and Markdown tables unless escaped."""
CALENDAR = BusinessCalendar.from_dict(
    {
        "timezone": "UTC",
        "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
POLICY = SlaPolicy.from_dict(
    {
        "default": {"acknowledgement": {"business_days": 1}, "final_response": {"weeks": 8}},
        "rules": [
            {"when": {"priority": ["P1"]}, "targets": {"final_response": {"business_days": 5}}}
        ],
    }
)
OBJECTIVES = Objectives.from_dict(
    {
        "objectives": [
            {"name": HOSTILE, "figure": "sla.acknowledgement.on_time", "at_least": 0.95},
            {
                "name": "Median time to close",
                "figure": "durations.closure.calendar.median",
                "at_most": {"days": 10},
            },
        ]
    }
)
HANDLER = Actor("h.okafor", roles=frozenset({"handler"}))
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.SIMPLE,
    priority=Priority.P3,
)
CATEGORIES = ["billing", "delivery", HOSTILE, "billing", "staff"]


def fill(storage: MemoryRepository, clock: FakeClock, count: int = 40) -> None:
    """*count* complaints over January: most handled and closed, some left open."""
    service = ComplaintsHandling(storage, clock=clock, sla=PolicyPlanner(CALENDAR, POLICY))
    agenda: list[tuple[datetime, int, Callable[[], object]]] = []
    order = itertools.count()

    def at(when: datetime, step: Callable[[], object]) -> None:
        heapq.heappush(agenda, (when, next(order), step))

    def lifecycle(n: int) -> None:
        complaint = service.receive(
            {
                "channel": "web",
                "subject": HOSTILE,
                "description": HOSTILE,
                "category": CATEGORIES[n % len(CATEGORIES)],
                "product": HOSTILE if n % 7 == 0 else "card",
                "name": "Customer",
                "email": f"c{n}@example.org",
            },
            actor="web-form",
        )
        if n % 10 == 9:
            return  # never acknowledged
        cid = complaint.id
        t = clock.now() + timedelta(hours=2 + n % 30)

        def acknowledge() -> None:
            service.acknowledge(cid, actor=HANDLER)
            service.assess(cid, actor=HANDLER, assessment=ASSESSMENT)
            service.start_investigation(cid, actor=HANDLER)

        at(t, acknowledge)
        if n % 4 == 3:
            return  # still under investigation

        def decide() -> None:
            causes = frozenset({HOSTILE if n % 2 else "process"})
            service.record_findings(cid, actor=HANDLER, summary=HOSTILE, root_causes=causes)
            service.decide(
                cid, actor=HANDLER, outcome=Outcome.UPHELD, reasons=HOSTILE, remedies=("apology",)
            )
            service.communicate_decision(cid, actor=HANDLER, external_options_given=True)
            service.record_reply(cid, actor=HANDLER, accepted=True)
            service.close(cid, actor=HANDLER)
            if n % 3 == 0:
                service.record_satisfaction(cid, actor=HANDLER, score=1 + n % 5, comment=HOSTILE)

        at(t + timedelta(days=1 + n % 12), decide)

    for n in range(count):
        at(MONTH.start + timedelta(hours=9 + 17 * n), lambda n=n: lifecycle(n))  # type: ignore[misc]
    while agenda:
        when, _, step = heapq.heappop(agenda)
        if when > clock.now():
            clock.set(when)
        step()


@pytest.fixture(scope="session")
def review() -> Iterator[ManagementReview]:
    """The management review of the hostile month."""
    clock = FakeClock(MONTH.start)
    with MemoryRepository() as storage:
        fill(storage, clock)
        yield management_review(
            storage,
            MONTH,
            as_of=MONTH.end + timedelta(days=3),
            title=f"Review {HOSTILE}",
            objectives=OBJECTIVES,
            sla_policy=POLICY,
            calendar=CALENDAR,
            conformance={"satisfaction_target": 0.3},
        )
