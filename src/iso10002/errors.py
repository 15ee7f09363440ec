"""Every error the library raises, one tree under :class:`Iso10002Error`.

Each subclass also derives from the builtin a caller would naturally catch, so code that already
handles ``ValueError`` or ``LookupError`` keeps working::

    Iso10002Error
    ├── ValidationError (ValueError)            bad input data; lists every problem found
    ├── ConfigurationError (ValueError)         bad configuration: calendars, SLA policies, presets
    │   └── DefinitionError                     bad workflow definition or taxonomy
    │       ├── UnknownStateError               a transition names a state that is not declared
    │       ├── UnreachableStateError           a state no transition leads to
    │       ├── DeadEndStateError               a non-terminal state with no way to a terminal one
    │       ├── AmbiguousTransitionError        two transitions share a name and a source state
    │       ├── UnknownGuardError               a guard name that is not registered
    │       ├── GuardParameterError             a guard given parameters it does not accept
    │       └── TaxonomyError                   duplicate codes, cycles, missing parents
    ├── WorkflowError
    │   └── TransitionNotAllowed                the transition cannot fire from this state
    │       └── GuardRejected                   a guard said no, and why
    ├── NotFoundError (LookupError)
    │   └── ComplaintNotFound                   no complaint with that id or reference
    ├── DuplicateError (ValueError)             an id, reference or key is already taken
    │   └── IdempotencyConflict                 a key reused for a different submission
    ├── ConcurrencyConflict                     saved with a stale version
    └── AdapterError                            a backend or channel failed
        ├── StorageError                        the storage backend failed
        └── DeliveryError                       a notification channel failed to deliver

Messages name the field or key that was wrong and what is accepted. They never repeat input
values that may hold personal data: they describe a bad value by its type and size instead.
An error keeps at most :data:`MAX_PROBLEMS` problems and its message lists at most
:data:`SHOWN_PROBLEMS` of them, so hostile input cannot make a huge error.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "MAX_PROBLEMS",
    "SHOWN_PROBLEMS",
    "AdapterError",
    "AmbiguousTransitionError",
    "ComplaintNotFound",
    "ConcurrencyConflict",
    "ConfigurationError",
    "DeadEndStateError",
    "DefinitionError",
    "DeliveryError",
    "DuplicateError",
    "GuardParameterError",
    "GuardRejected",
    "IdempotencyConflict",
    "Iso10002Error",
    "NotFoundError",
    "Problem",
    "StorageError",
    "TaxonomyError",
    "TransitionNotAllowed",
    "UnknownGuardError",
    "UnknownStateError",
    "UnreachableStateError",
    "ValidationError",
    "WorkflowError",
    "describe",
]


MAX_PROBLEMS = 100
"""The most problems one error keeps; validation stops collecting after that many."""

SHOWN_PROBLEMS = 20
"""The most problems one error message lists (the rest are counted)."""


def describe(value: object) -> str:
    """Describe *value* by type (and size) without showing it; safe to put in any message."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    return f"a value of type {type(value).__name__}"


@attrs.frozen
class Problem:
    """One thing wrong with an input: where (a dotted path, ``""`` for the whole) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class Iso10002Error(Exception):
    """Base class of every error raised by :mod:`iso10002`."""


class _Problems(Iso10002Error):
    """An error that carries every problem found in one input."""

    problems: tuple[Problem, ...]

    def __init__(
        self, problems: Iterable[Problem | tuple[str, str]] | str, *, what: str = ""
    ) -> None:
        if isinstance(problems, str):
            found: tuple[Problem, ...] = (Problem("", problems),)
        else:
            found = tuple(p if isinstance(p, Problem) else Problem(*p) for p in problems)
        if not found:
            found = (Problem("", "invalid input"),)
        self.problems = found[:MAX_PROBLEMS]
        self.what = what
        super().__init__(self._render(truncated=len(found) > MAX_PROBLEMS))

    def _render(self, *, truncated: bool) -> str:
        head = f"invalid {self.what}" if self.what else "invalid input"
        if len(self.problems) == 1:
            return f"{head}: {self.problems[0]}"
        count = f"at least {len(self.problems)}" if truncated else str(len(self.problems))
        lines = [f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(self.problems) - SHOWN_PROBLEMS} more")
        return f"{head} ({count} problems):\n" + "\n".join(lines)

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths of the problems, in the order found."""
        return tuple(p.path for p in self.problems)


class ValidationError(_Problems, ValueError):
    """Input data is invalid; :attr:`problems` lists every problem, not only the first."""


class ConfigurationError(_Problems, ValueError):
    """A configuration (calendar, SLA policy, preset, …) is invalid; the message names the key."""


class DefinitionError(ConfigurationError):
    """A workflow definition or a taxonomy is invalid."""


class UnknownStateError(DefinitionError):
    """A definition refers to a state it does not declare."""


class UnreachableStateError(DefinitionError):
    """A declared state cannot be reached from the initial state."""


class DeadEndStateError(DefinitionError):
    """A non-terminal state from which no terminal state can be reached."""


class AmbiguousTransitionError(DefinitionError):
    """Two transitions with the same name leave the same state."""


class UnknownGuardError(DefinitionError):
    """A definition names a guard that is not registered."""


class GuardParameterError(DefinitionError):
    """A guard is given parameters it does not accept."""


class TaxonomyError(DefinitionError):
    """A taxonomy is invalid: duplicate codes, cycles, missing parents, bad replacements."""


class WorkflowError(Iso10002Error):
    """Base class of workflow refusals."""


class TransitionNotAllowed(WorkflowError):
    """*transition* cannot fire while the complaint is in *state*; *reason* says why."""

    def __init__(self, transition: str, state: str, reason: str) -> None:
        self.transition = transition
        self.state = state
        self.reason = reason
        super().__init__(f"transition {transition!r} is not allowed in state {state!r}: {reason}")


class GuardRejected(TransitionNotAllowed):
    """The guard *guard* refused the transition; *reason* says why."""

    def __init__(self, guard: str, reason: str, *, transition: str = "", state: str = "") -> None:
        self.guard = guard
        super().__init__(transition, state, reason)
        self.args = (
            f"guard {guard!r} rejected transition {transition!r} in state {state!r}: {reason}",
        )

    def __str__(self) -> str:
        return str(self.args[0])


class NotFoundError(Iso10002Error, LookupError):
    """Something looked up does not exist."""


class ComplaintNotFound(NotFoundError):
    """No complaint has the given id or reference.

    The message names only what was looked up (``by``), never the key, which is whatever the
    caller was given (a reference typed by the public, say); the key stays in :attr:`key`.
    """

    def __init__(self, key: str, *, by: str = "id") -> None:
        self.key = key
        self.by = by
        super().__init__(f"no complaint with that {by}")


class DuplicateError(Iso10002Error, ValueError):
    """An id, reference or idempotency key is already in use."""


class IdempotencyConflict(DuplicateError):
    """An idempotency key was already used for a submission with different content.

    The message says only that; it shows nothing of the earlier submission.
    """


class ConcurrencyConflict(Iso10002Error):
    """A save expected *expected* as the stored version but found *actual*; reload and retry."""

    def __init__(self, complaint_id: str, expected: int, actual: int | None) -> None:
        self.complaint_id = complaint_id
        self.expected = expected
        self.actual = actual
        found = "no stored complaint" if actual is None else f"version {actual}"
        super().__init__(
            f"complaint {complaint_id!r} was saved with expected version {expected}, "
            f"but storage holds {found}; reload it and retry"
        )


class AdapterError(Iso10002Error):
    """A backend or channel adapter failed."""


class StorageError(AdapterError):
    """The storage backend failed or is misconfigured."""


class DeliveryError(AdapterError):
    """A notification channel could not deliver; *retryable* says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)
