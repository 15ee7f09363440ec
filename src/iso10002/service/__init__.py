"""The clause-7 process of ISO 10002 over the ports: commands, handlers, a unit of work.

:class:`ComplaintsHandling` is the façade: one method per use case. Underneath, each use case
is a command (:mod:`~iso10002.service.commands`, frozen values) run by its handler
(:mod:`~iso10002.service.handlers`) with the dependencies :func:`bootstrap` wired and checked.
The :class:`UnitOfWork` loads the complaint, lets the handler's step ask the workflow engine for
the events and add the SLA clock events the move implies (:func:`iso10002.sla.clock_events`),
and saves the complaint with the version it was loaded at. When another writer got there first
(a :class:`~iso10002.errors.ConcurrencyConflict`) the step runs again on the fresh complaint,
after the :class:`RetryPolicy`'s wait; the workflow checks are repeated each time, so a retry
never does something the new state forbids. A command that raises has written nothing.

Notifications are not sent by commands: the :class:`~iso10002.notify.OutboxDispatcher` derives
them from the stored events (:meth:`ComplaintsHandling.dispatch`), so a crash between saving and
sending loses nothing. :meth:`ComplaintsHandling.tick` is the SLA sweeper
(:mod:`~iso10002.service.sweeper`).
"""

from __future__ import annotations

from iso10002.sla import PolicyPlanner, SlaPlan, SlaPlanner

from .bootstrap import Dependencies, DispatcherOptions, bootstrap
from .commands import Command, ErasePersonalData, Fire, Receive, Sweep, as_actor
from .facade import ComplaintsHandling
from .handlers import HANDLERS, erase_personal_data, fire, resolve_transition, sweep
from .receipt import receive
from .status import (
    ComplainantStatus,
    status_by_reference,
    status_for_complainant,
    status_of,
    status_token,
)
from .sweeper import EscalationPolicy, TickReport, tick
from .unit_of_work import RetryPolicy, Step, UnitOfWork

__all__ = [
    "HANDLERS",
    "Command",
    "ComplainantStatus",
    "ComplaintsHandling",
    "Dependencies",
    "DispatcherOptions",
    "ErasePersonalData",
    "EscalationPolicy",
    "Fire",
    "PolicyPlanner",
    "Receive",
    "RetryPolicy",
    "SlaPlan",
    "SlaPlanner",
    "Step",
    "Sweep",
    "TickReport",
    "UnitOfWork",
    "as_actor",
    "bootstrap",
    "erase_personal_data",
    "fire",
    "receive",
    "resolve_transition",
    "status_by_reference",
    "status_for_complainant",
    "status_of",
    "status_token",
    "sweep",
    "tick",
]
