"""Who fires a transition: an id (recorded on the events) and the roles they hold."""

from __future__ import annotations

import attrs

from iso10002 import _validate as v

__all__ = ["Actor"]


@attrs.frozen
class Actor:
    """A person or system acting on a complaint; ``id`` is recorded as the events' ``actor``."""

    id: str = attrs.field(validator=v.identifier)
    roles: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.frozen_set, validator=v.text_set(100)
    )
