"""One handler per command: the clause-7 use cases over the wired dependencies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from iso10002 import events as ev
from iso10002.model import Complaint, redacted
from iso10002.ports import ComplaintQuery
from iso10002.sla import clock_events
from iso10002.workflow import fire as fire_transition
from iso10002.workflow import transitions_for

from .commands import Command, ErasePersonalData, Fire, Receive, Sweep
from .receipt import receive
from .sweeper import TickReport, tick

if TYPE_CHECKING:
    from .bootstrap import Dependencies

__all__ = ["HANDLERS", "erase_personal_data", "fire", "resolve_transition", "sweep"]


def fire(command: Fire, deps: Dependencies) -> Complaint:
    """Fire the transition on the stored complaint, with the SLA clock events it implies."""
    who = command.actor

    def step(complaint: Complaint, at: datetime) -> tuple[Complaint, list[ev.Event]]:
        name = command.transition
        if command.event is not None:
            name = resolve_transition(deps, complaint, name, command.event, command.fixed)
        after, events = fire_transition(
            deps.workflow, complaint, name, actor=who, at=at, **command.data
        )
        after, extra = clock_events(deps.workflow, deps.sla, complaint, after, actor=who.id, at=at)
        return after, [*events, *extra]

    return deps.work.change(command.complaint_id, step)


def resolve_transition(
    deps: Dependencies,
    complaint: Complaint,
    name: str,
    event: str | None,
    fixed: Mapping[str, Any] | None = None,
) -> str:
    """The transition that performs the use case *name* on *complaint* in this workflow.

    *name* itself when it can leave the complaint's state; otherwise the one transition that
    can, recording *event* (with *fixed* fields), such as ``review_decide`` for a decision in
    internal review, or a custom workflow's own name for the step. When none or several can,
    *name* is returned and the workflow's refusal names what is allowed.
    """
    found = transitions_for(deps.workflow, complaint.state, event, fixed)
    if name in found or len(found) != 1:
        return name
    return found[0]


def _holds_text(complaint: Complaint) -> bool:
    """Whether erasure has something left to do on *complaint*."""
    return not complaint.personal_data_erased or redacted(complaint) != complaint


def erase_personal_data(command: ErasePersonalData, deps: Dependencies) -> int:
    """Record :class:`~iso10002.events.PersonalDataErased` on each of the complainant's
    complaints that still holds text to erase (which erases it from the complaint), then have
    storage delete the complainant record and erase the same text from the earlier events.
    Returns how many complaints were marked; running it again finishes an interrupted
    erasure."""
    actor = command.actor.id

    def step(complaint: Complaint, at: datetime) -> tuple[Complaint, list[ev.Event]]:
        if not _holds_text(complaint):
            return complaint, []
        recorder = ev.Recorder(complaint, actor=actor, at=at)
        recorder.record(ev.PersonalDataErased)
        return recorder.complaint, recorder.events

    marked = 0
    query = ComplaintQuery(complainant_id=command.complainant_id, limit=500)
    while True:
        page = deps.storage.query(query)
        for complaint in page.items:
            if _holds_text(complaint):
                deps.work.change(complaint.id, step)
                marked += 1
        if page.next_cursor is None:
            break
        query = attrs.evolve(query, cursor=page.next_cursor)
    deps.storage.erase_personal_data(command.complainant_id)
    return marked


def sweep(command: Sweep, deps: Dependencies) -> TickReport:
    """The SLA sweeper at the command's instant (default: the clock's)."""
    at = deps.clock.now() if command.now is None else command.now
    return tick(deps, at, command.batch)


HANDLERS: Mapping[type[Command], Callable[[Any, Dependencies], Any]] = {
    Receive: receive,
    Fire: fire,
    ErasePersonalData: erase_personal_data,
    Sweep: sweep,
}
"""The handler of each command class."""
