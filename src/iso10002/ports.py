"""The ports: interfaces between the domain and the outside world, and the values they exchange.

* :class:`ComplaintRepository` stores complaints beside their events, answers queries, keeps the
  global event log (the outbox) and stores personal data apart so it can be erased.
* :class:`DeliveryLog` records notification deliveries: enqueued once per idempotency key, claimed
  by workers under a lease, marked delivered, retried or dead; plus named consumer positions.
* :class:`BatchSaving` and :class:`ReferenceNumbering` are optional capabilities of a repository
  that the service uses when storage offers them; :class:`FactAggregating` is one that
  :mod:`iso10002.analysis` uses.
* :class:`Storage` is what :func:`iso10002.backends.open_repository` returns: a repository that
  also carries its delivery log as :attr:`Storage.deliveries`.

:func:`provides` and :func:`require_port` check that a value fits a port (any of the protocols
here, or :class:`~iso10002.clock.Clock`, :class:`~iso10002.notify.Notifier`, …) by looking its
members up as a caller would, so a wrapper that delegates through ``__getattr__`` fits on every
supported Python.

Every bundled backend passes :mod:`iso10002.testing.contract`; so must a backend of your own.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Generic, Protocol, runtime_checkable

import attrs

from . import _validate as v
from ._time import from_micros, micros
from .errors import ConfigurationError, ValidationError, describe
from .events import Event
from .model import Channel, Complainant, Complaint, Priority

__all__ = [
    "FACT_DIMENSIONS",
    "BatchSaving",
    "ComplaintQuery",
    "ComplaintRepository",
    "Delivery",
    "DeliveryLog",
    "DeliveryStatus",
    "DueSweeping",
    "FactAggregating",
    "FactFilter",
    "FactTotals",
    "NewComplaint",
    "Page",
    "ReferenceNumbering",
    "Storage",
    "StoredEvent",
    "Update",
    "iter_complaints",
    "make_cursor",
    "port_problem",
    "provides",
    "require_port",
]


def make_cursor(received_at: datetime, complaint_id: str) -> str:
    """The opaque paging cursor that resumes a query after the complaint ``(received_at, id)``."""
    raw = json.dumps([micros(received_at), complaint_id], ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    bad = ValidationError(
        [("cursor", "not a cursor returned by query(); pass Page.next_cursor unchanged")],
        what="ComplaintQuery",
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        raise bad
    try:
        return from_micros(value[0]), value[1]
    except OverflowError:
        raise bad from None


def _states(value: Iterable[str] | None) -> Any:
    if value is None or isinstance(value, (str, frozenset)) or not isinstance(value, Iterable):
        return value  # the validator refuses a bare str or a non-iterable
    return frozenset(value)


def _check_states(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, frozenset) or not all(isinstance(s, str) for s in value):
        v.fail(owner, attribute, f"expected a set of state names, got {describe(value)}")


def _check_cursor(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, str):
        _decode_cursor(value)
    else:
        v.fail(owner, attribute, f"expected a cursor string, got {describe(value)}")


def _check_prefix(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or len(value) > 200:
        v.fail(owner, attribute, f"expected a str of 1 to 200 characters, got {describe(value)}")


def _optional(validator: v.Validator) -> v.Validator:
    return attrs.validators.optional(validator)


@attrs.frozen(kw_only=True)
class ComplaintQuery:
    """Which complaints to list: every given filter must hold (``None`` means "any").

    Results are ordered by ``(received_at, id)``. ``received_from`` is inclusive and
    ``received_until`` exclusive; ``next_sla_before`` keeps complaints whose next SLA instant
    (:attr:`Complaint.next_sla_at`) is strictly before it; ``category_prefix`` is a plain string
    prefix of the category code (``"billing."`` selects the children of ``billing``);
    ``source`` and ``external_id`` match the complaint's
    :class:`~iso10002.model.ExternalReference` (a complaint without one matches neither). ``cursor``
    is :attr:`Page.next_cursor` of the previous page; ``limit`` is the page size.
    """

    states: frozenset[str] | None = attrs.field(
        default=None, converter=_states, validator=_check_states
    )
    category_prefix: str | None = attrs.field(default=None, validator=_check_prefix)
    channel: Channel | None = attrs.field(default=None, validator=_optional(v.enum_(Channel)))
    assignee: str | None = attrs.field(default=None, validator=v.optional_text(200))
    priority: Priority | None = attrs.field(default=None, validator=_optional(v.enum_(Priority)))
    received_from: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    received_until: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    next_sla_before: datetime | None = attrs.field(
        default=None, converter=v.to_utc_or_none, validator=v.aware_or_none
    )
    breached: bool | None = attrs.field(default=None, validator=_optional(v.bool_))
    complainant_id: str | None = attrs.field(default=None, validator=_optional(v.identifier))
    source: str | None = attrs.field(default=None, validator=_optional(v.identifier))
    external_id: str | None = attrs.field(default=None, validator=_optional(v.identifier))
    cursor: str | None = attrs.field(default=None, validator=_check_cursor)
    limit: int = attrs.field(default=100, validator=v.int_range(1, 10_000))

    @property
    def after(self) -> tuple[datetime, str] | None:
        """The ``(received_at, id)`` position the cursor resumes after, or ``None``."""
        return None if self.cursor is None else _decode_cursor(self.cursor)

    def _external_matches(self, complaint: Complaint) -> bool:
        if self.source is None and self.external_id is None:
            return True
        ref = complaint.details.external_reference
        return (
            ref is not None
            and (self.source is None or ref.source == self.source)
            and (self.external_id is None or ref.id == self.external_id)
        )

    def matches(self, complaint: Complaint) -> bool:
        """Whether *complaint* passes every filter (the cursor and limit are not filters)."""
        if self.states is not None and complaint.state not in self.states:
            return False
        if self.category_prefix is not None:
            category = complaint.classification.category
            if category is None or not category.startswith(self.category_prefix):
                return False
        if self.channel is not None and complaint.details.channel is not self.channel:
            return False
        if self.assignee is not None and complaint.assignee != self.assignee:
            return False
        if self.priority is not None and complaint.priority is not self.priority:
            return False
        received = complaint.received_at
        if self.received_from is not None and received < self.received_from:
            return False
        if self.received_until is not None and received >= self.received_until:
            return False
        if self.next_sla_before is not None:
            due = complaint.next_sla_at
            if due is None or due >= self.next_sla_before:
                return False
        if self.breached is not None and complaint.breached is not self.breached:
            return False
        if not self._external_matches(complaint):
            return False
        return self.complainant_id is None or complaint.complainant_id == self.complainant_id


@attrs.frozen
class Page:
    """One page of query results; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[Complaint, ...]
    next_cursor: str | None = None


@attrs.frozen
class StoredEvent:
    """An event at its ``position`` in the global log (1, 2, 3, … in commit order, no gaps)."""

    position: int
    event: Event


@attrs.frozen
class NewComplaint:
    """One item for :meth:`ComplaintRepository.add_many`: the arguments of ``add``."""

    complaint: Complaint
    events: Sequence[Event]
    complainant: Complainant | None = None


@attrs.frozen
class Update:
    """One item for :meth:`BatchSaving.save_many`: the arguments of ``save``."""

    complaint: Complaint
    expected_version: int
    events: Sequence[Event]


class DeliveryStatus(str, enum.Enum):
    """Where a delivery stands: waiting, leased to a worker, done, or given up."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    DEAD = "dead"


@attrs.frozen(kw_only=True)
class Delivery:
    """A notification to deliver at least once, identified by its idempotency ``key``.

    ``attempts`` counts claims. A claimed delivery whose lease has expired can be claimed again.
    """

    key: str
    payload: dict[str, Any]
    attempts: int
    status: DeliveryStatus
    last_error: str | None
    available_at: datetime
    claimed_by: str | None
    lease_until: datetime | None
    delivered_at: datetime | None


@runtime_checkable
class ComplaintRepository(Protocol):
    """Complaints stored beside their events; personal data stored apart.

    Writes are atomic: a call that raises has written nothing.
    """

    def add(
        self,
        complaint: Complaint,
        *,
        events: Sequence[Event],
        complainant: Complainant | None = None,
    ) -> None:
        """Store a new *complaint* with its *events* (sequences ``1..version``).

        *complainant* (when given) is stored, or replaces the stored record with the same id.
        Raises :class:`~iso10002.errors.DuplicateError` when the id or reference is taken and
        :class:`~iso10002.errors.ValidationError` when the events do not fold into *complaint*.
        """
        ...

    def add_many(self, items: Iterable[NewComplaint]) -> int:
        """Store many new complaints in one transaction (all or none); return how many."""
        ...

    def get(self, complaint_id: str) -> Complaint:
        """The complaint with this id; :class:`~iso10002.errors.ComplaintNotFound` if none."""
        ...

    def get_by_reference(self, reference: str) -> Complaint:
        """The complaint with this reference; ``ComplaintNotFound(by="reference")`` if none."""
        ...

    def get_complainant(self, complainant_id: str) -> Complainant | None:
        """The complainant record, or ``None`` if never stored or erased."""
        ...

    def save(self, complaint: Complaint, *, expected_version: int, events: Sequence[Event]) -> None:
        """Store *complaint* and append *events* (sequences ``expected_version + 1 ..
        complaint.version``) atomically.

        Raises :class:`~iso10002.errors.ConcurrencyConflict` unless the stored version is
        *expected_version*, and :class:`~iso10002.errors.ValidationError` for bad events.
        """
        ...

    def query(self, query: ComplaintQuery) -> Page:
        """One page of the complaints matching *query*, ordered by ``(received_at, id)``."""
        ...

    def count(self, query: ComplaintQuery) -> int:
        """How many complaints match *query* (its cursor and limit are ignored)."""
        ...

    def events(self, complaint_id: str) -> list[Event]:
        """The complaint's events in sequence order; ``ComplaintNotFound`` if none."""
        ...

    def events_since(self, position: int, limit: int = 1000) -> list[StoredEvent]:
        """Up to *limit* events of the global log after *position*, in order."""
        ...

    def erase_personal_data(self, complainant_id: str) -> bool:
        """Delete the complainant record; return whether one existed.

        Complaints, events, counts and statistics are unchanged: they hold no personal data.
        """
        ...

    def close(self) -> None:
        """Release connections; further calls raise :class:`~iso10002.errors.StorageError`."""
        ...

    def __enter__(self) -> ComplaintRepository: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class BatchSaving(Protocol):
    """Optional capability of a repository: many saves in one transaction.

    The SLA sweeper uses it when storage offers it; every bundled backend does.
    """

    def save_many(self, updates: Sequence[Update]) -> None:
        """Apply every update as :meth:`ComplaintRepository.save` would, all or none.

        Raises :class:`~iso10002.errors.ConcurrencyConflict` (writing nothing) if any update's
        stored version is not its ``expected_version``, and
        :class:`~iso10002.errors.ValidationError` for bad events or a complaint updated twice.
        """
        ...


@runtime_checkable
class DueSweeping(Protocol):
    """Optional capability of a repository: sweepers that share the due complaints.

    Several SLA sweepers (processes or hosts) can run at once; each takes complaints no other
    sweeper holds, so adding sweepers adds throughput instead of conflicts. The PostgreSQL
    backend offers it (``FOR UPDATE SKIP LOCKED``).
    """

    def sweep_due(
        self,
        before: datetime,
        *,
        limit: int,
        step: Callable[[Complaint], Update | None],
        after: tuple[datetime, str] | None = None,
    ) -> tuple[int, tuple[datetime, str] | None]:
        """In one transaction: lock up to *limit* complaints whose next SLA instant is before
        *before* (and, with *after*, whose ``(next SLA instant, id)`` comes after it) and that
        no other transaction holds, skipping those; save the update *step* returns for each.

        Returns how many were examined and the ``(next SLA instant, id)`` of the last one, to
        pass as *after* for the next batch (``None`` when none were examined). If saving
        fails, nothing is written.
        """
        ...


FACT_DIMENSIONS: Final = (
    "category",
    "channel",
    "outcome",
    "priority",
    "product",
    "segment",
    "state",
    "team",
)
"""The single-valued dimensions :meth:`FactAggregating.fact_counts` groups by."""


@attrs.frozen(kw_only=True)
class FactFilter:
    """Which complaints a :class:`FactAggregating` aggregate counts; ``None`` means "any".

    Receipt in ``[received_from, received_until)``, state in ``states``, category starting with
    ``category_prefix`` (a plain string prefix), and the channel, product, team and segment
    equal to those given: every given filter must hold.
    """

    received_from: datetime | None = None
    received_until: datetime | None = None
    states: frozenset[str] | None = None
    category_prefix: str | None = None
    channel: Channel | None = None
    product: str | None = None
    team: str | None = None
    segment: str | None = None


@attrs.frozen(kw_only=True)
class FactTotals:
    """Counts over the selected complaints (see :meth:`FactAggregating.fact_totals`)."""

    total: int
    """Complaints selected."""
    decided: int
    """With at least one decision."""
    ever_closed: int
    """Closed at least once: reopened, or closed and not withdrawn."""
    reopened: int
    """Reopened at least once."""
    withdrawn: int
    """Whose latest closure is a withdrawal."""
    internal_review: int
    """With an internal-review escalation."""
    external_dispute: int
    """With an external-dispute escalation."""
    scores: tuple[int, int, int, int, int]
    """Satisfaction scores 1 to 5 of the complaints closed at least once."""


@runtime_checkable
class FactAggregating(Protocol):
    """Optional capability of a repository: clause 8 aggregates over a read model that storage
    keeps current on every write, so the figures need no complaint decoded.

    :class:`iso10002.analysis.Analysis` uses it when storage offers it; the SQLite and
    PostgreSQL backends do. Every answer must equal what folding the selected complaints gives
    (the analysis tests hold the bundled backends to it). Instants are aware; durations are
    whole microseconds.
    """

    def fact_counts(
        self, filters: FactFilter, by: Sequence[str], *, daily: bool = False
    ) -> list[tuple[date | None, tuple[str | None, ...], int]]:
        """Complaint counts grouped by the receipt day in UTC (with *daily*, else ``None``)
        and by the values of the dimensions *by* (names from :data:`FACT_DIMENSIONS`;
        ``outcome`` is the latest decision's, ``priority`` the latest assessment's)."""
        ...

    def fact_totals(self, filters: FactFilter) -> FactTotals:
        """Outcome-independent counts and satisfaction scores of the selected complaints."""
        ...

    def fact_durations(self, filters: FactFilter) -> tuple[list[int], list[int], list[int]]:
        """Calendar durations from receipt to acknowledgement, to the first decision and to
        closure (not withdrawal), for the complaints that reached each, in any order."""
        ...

    def clock_counts(
        self, filters: FactFilter, as_of: datetime
    ) -> dict[str, tuple[int, int, int, int, int]]:
        """Per milestone, the SLA clocks started by *as_of*: met on time, met late, open
        overdue, open within, untargeted (as ``Analysis.sla`` defines them)."""
        ...

    def backlog_counts(
        self, filters: FactFilter, at: datetime, limits: Sequence[timedelta]
    ) -> tuple[list[int], datetime | None]:
        """The complaints open at *at* (received by then, latest closure not by then) per age
        bucket of the increasing *limits* (``len(limits) + 1`` counts), and the earliest
        receipt among them."""
        ...

    def complainant_counts(self, filters: FactFilter) -> tuple[int, dict[str, int]]:
        """How many distinct complainants the selected complaints have, and the complaint
        count of each complainant with more than one."""
        ...


@runtime_checkable
class ReferenceNumbering(Protocol):
    """Optional capability of a repository: the highest number stored under a reference prefix.

    :class:`~iso10002.references.YearlyReferences` uses it to continue a year's numbering from
    what storage holds; every bundled backend offers it.
    """

    def last_reference_number(self, prefix: str) -> int | None:
        """The greatest *n* such that a stored reference is *prefix* followed by *n* in ASCII
        decimal digits (leading zeros allowed); ``None`` when no reference has that form.

        *prefix* must be a str of 1 to 200 characters
        (:class:`~iso10002.errors.ValidationError` otherwise).
        """
        ...


@runtime_checkable
class DeliveryLog(Protocol):
    """Notification deliveries and consumer positions (the outbox's bookkeeping).

    Every datetime must be timezone-aware; they come back in UTC.
    """

    def enqueue(self, key: str, payload: dict[str, Any], *, available_at: datetime) -> bool:
        """Record a delivery; ``False`` (and no change) if *key* is already recorded.

        *payload* must be JSON-safe (dicts, lists, str, int, finite float, bool, None).
        """
        ...

    def claim(self, *, worker: str, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Lease up to *limit* due deliveries to *worker* until ``now + lease``.

        Due means pending with ``available_at <= now``, or claimed with an expired lease.
        Oldest ``available_at`` first (then key). No two workers hold the same delivery.
        """
        ...

    def mark_delivered(self, key: str, *, worker: str, at: datetime) -> bool:
        """Record that *worker* delivered *key*; ``False`` if it was already delivered.

        Raises :class:`~iso10002.errors.NotFoundError` for an unknown key.
        """
        ...

    def mark_failed(
        self, key: str, *, worker: str, error: str, retry_at: datetime, dead: bool = False
    ) -> bool:
        """Record a failed attempt by the worker holding the claim.

        The delivery becomes pending again at *retry_at*, or dead when *dead*. Returns ``False``
        (and changes nothing) if *worker* does not hold the claim. ``NotFoundError`` if unknown.
        """
        ...

    def get(self, key: str) -> Delivery | None:
        """The delivery with this key, or ``None``."""
        ...

    def dead_letters(self) -> list[Delivery]:
        """Every dead delivery, ordered by key."""
        ...

    def position(self, name: str) -> int:
        """The stored position of consumer *name* (``0`` if never set)."""
        ...

    def set_position(self, name: str, position: int) -> None:
        """Store the position (``>= 0``) of consumer *name*."""
        ...


@runtime_checkable
class Storage(ComplaintRepository, Protocol):
    """A complaint repository together with its delivery log, sharing one store."""

    @property
    def deliveries(self) -> DeliveryLog:
        """The delivery log kept in the same store."""
        ...

    def __enter__(self) -> Storage: ...


# What `typing` does not count as protocol members, in every version from 3.10 on: its own
# bookkeeping and the attributes every class has.
_NOT_MEMBERS = frozenset(
    {
        "_MutableMapping__marker",
        "__abstractmethods__",
        "__annotate__",
        "__annotate_func__",
        "__annotations__",
        "__annotations_cache__",
        "__callable_proto_members_only__",
        "__class_getitem__",
        "__dict__",
        "__doc__",
        "__final__",
        "__firstlineno__",
        "__init__",
        "__match_args__",
        "__module__",
        "__new__",
        "__non_callable_proto_members__",
        "__orig_bases__",
        "__orig_class__",
        "__parameters__",
        "__protocol_attrs__",
        "__qualname__",
        "__slots__",
        "__static_attributes__",
        "__subclasshook__",
        "__type_params__",
        "__weakref__",
        "_is_protocol",
        "_is_runtime_protocol",
    }
)


@functools.cache
def _members(protocol: type) -> tuple[tuple[str, bool], ...]:
    """The protocol's members, sorted, each with whether it must be callable (a method)."""
    if not getattr(protocol, "_is_protocol", False) or protocol is Protocol:
        raise TypeError(f"expected a typing.Protocol class, got {describe(protocol)}")
    names: set[str] = set()
    for base in protocol.__mro__:
        if base in (object, Protocol, Generic) or not base.__dict__.get("_is_protocol", False):
            continue
        declared = [*base.__dict__, *inspect.get_annotations(base)]
        names.update(n for n in declared if n not in _NOT_MEMBERS and not n.startswith("_abc_"))
    return tuple((name, callable(getattr(protocol, name, None))) for name in sorted(names))


def port_problem(value: object, protocol: type) -> str | None:
    """Why *value* does not fit *protocol* (its missing or uncallable members), or ``None``
    when it does; see :func:`provides`."""
    expected = f"expected {protocol.__name__}, got {describe(value)}"
    if value is None:
        return expected
    missing: list[str] = []
    uncallable: list[str] = []
    for name, method in _members(protocol):
        try:
            member = getattr(value, name)
        except AttributeError:
            missing.append(name)
            continue
        if method and not callable(member):
            uncallable.append(name)
    found = []
    if missing:
        found.append(f"missing {', '.join(missing)}")
    if uncallable:
        found.append(f"not callable: {', '.join(uncallable)}")
    return f"{expected} ({'; '.join(found)})" if found else None


def provides(value: object, protocol: type) -> bool:
    """Whether *value* has every member of the ``typing.Protocol`` class *protocol*.

    Members are looked up with plain attribute access, as the code that uses *value* will, so a
    wrapper that delegates to another object through ``__getattr__`` (adding metrics, tracing or
    retries) fits. Methods must be callable. Unlike ``isinstance`` against a runtime-checkable
    protocol, whose lookup changed in Python 3.12, the answer is the same on every Python the
    package supports. Signatures are not checked (``isinstance`` does not check them either).
    Raises ``TypeError`` when *protocol* is not a protocol class.
    """
    return port_problem(value, protocol) is None


def require_port(name: str, value: object, protocol: type, *, what: str = "") -> None:
    """Raise :class:`~iso10002.errors.ConfigurationError` unless :func:`provides` holds.

    The error's problem is at path *name* and lists the members *value* is missing (or has but
    cannot call); *what* names the configuration being checked, as in the error's other uses.
    """
    problem = port_problem(value, protocol)
    if problem is not None:
        raise ConfigurationError([(name, problem)], what=what)


def iter_complaints(
    repository: ComplaintRepository,
    query: ComplaintQuery | None = None,
    *,
    page_size: int = 1000,
) -> Iterator[Complaint]:
    """Every complaint matching *query*, in query order, fetched a page at a time."""
    current = attrs.evolve(query or ComplaintQuery(), cursor=None, limit=page_size)
    while True:
        page = repository.query(current)
        yield from page.items
        if page.next_cursor is None:
            return
        current = attrs.evolve(current, cursor=page.next_cursor)
