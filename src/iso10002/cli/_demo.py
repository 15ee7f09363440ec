"""``iso10002 demo``: a simulated period of complaints through the whole process."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from iso10002.model import Assessment, Breadth, Complexity, Outcome, Priority, Safety
from iso10002.notify import RecordingNotifier
from iso10002.ports import ComplaintQuery, Storage
from iso10002.service import ComplaintsHandling, PolicyPlanner
from iso10002.sla import BusinessCalendar, SlaPolicy
from iso10002.testing.fakes import FakeClock
from iso10002.workflow import Actor

__all__ = ["simulate"]

_CALENDAR = {
    "timezone": "Europe/London",
    "week": {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}
_POLICY = {
    "default": {
        "acknowledgement": {"business_days": 1},
        "final_response": {"weeks": 8, "to_end_of_day": True},
    },
    "rules": [
        {
            "name": "urgent",
            "when": {"priority": ["P1", "P2"]},
            "targets": {"final_response": {"business_days": 10}},
        }
    ],
}
_CATEGORIES = ("billing", "delivery", "product_quality", "service", "staff_conduct")
_HANDLER = Actor("demo.handler", roles=frozenset({"handler"}))


def simulate(storage: Storage, *, complaints: int = 200, seed: int = 10002) -> dict[str, Any]:
    """Receive *complaints* over 90 days and handle them (some late, some never); return
    what happened. The same *seed* gives the same run."""
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    clock = FakeClock(start)
    sent = RecordingNotifier()
    service = ComplaintsHandling(
        storage,
        sla=PolicyPlanner(BusinessCalendar.from_dict(_CALENDAR), SlaPolicy.from_dict(_POLICY)),
        notifier=sent,
        clock=clock,
    )
    draw = random.Random(seed)
    plans = sorted(
        (start + timedelta(minutes=draw.randrange(90 * 24 * 60)), f"receive-{n}")
        for n in range(complaints)
    )
    closed = 0
    for at, key in plans:
        rng = random.Random(f"{seed}-{key}")  # each complaint's own draws: reruns agree
        clock.set(max(at, clock.now()))
        received = service.receive(
            {
                "channel": rng.choice(["web", "email", "phone", "letter"]),
                "subject": "Demo complaint",
                "description": "A simulated complaint.",
                "name": "Demo Complainant",
                "email": "demo@example.org",
            },
            actor="demo",
            idempotency_key=f"demo-{seed}-{key}",
        )
        if received.version > 5:
            continue  # already handled by an earlier run on this database
        fate = rng.random()
        if fate < 0.1:
            continue  # never handled: the sweeper will find it
        service.acknowledge(received.id, actor=_HANDLER)
        priority = rng.choice(list(Priority))
        service.assess(
            received.id,
            actor=_HANDLER,
            assessment=Assessment(
                impact=rng.randint(1, 4),
                breadth=Breadth.SINGLE,
                safety=Safety.NONE,
                complexity=Complexity.SIMPLE,
                priority=priority,
            ),
        )
        service.classify(received.id, actor=_HANDLER, category=rng.choice(_CATEGORIES))
        service.start_investigation(received.id, actor=_HANDLER)
        if fate < 0.3:
            continue  # still being investigated
        service.decide(
            received.id,
            actor=_HANDLER,
            outcome=rng.choice(list(Outcome)),
            reasons="Simulated decision.",
        )
        service.communicate_decision(received.id, actor=_HANDLER, external_options_given=True)
        service.record_reply(received.id, actor=_HANDLER, accepted=rng.random() < 0.8)
        service.close(received.id, actor=_HANDLER)
        closed += 1
    end = start + timedelta(days=120)
    tick = service.tick(end)
    dispatched = service.dispatch()
    return {
        "complaints": storage.count(ComplaintQuery()),
        "closed": storage.count(ComplaintQuery(states=["closed"])),
        "breached": storage.count(ComplaintQuery(breached=True)),
        "closed_this_run": closed,
        "warnings_recorded": tick.warnings,
        "breaches_recorded": tick.breaches,
        "notifications_sent": dispatched.delivered,
    }
