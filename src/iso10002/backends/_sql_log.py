"""The delivery log both SQL backends share: everything but claiming."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from iso10002.errors import NotFoundError
from iso10002.ports import Delivery, DeliveryStatus

from . import _common as c
from ._sql import DELIVERY_COLUMNS, Dialect

__all__ = ["Session", "SqlDeliveryLog"]

Session = Callable[[], AbstractContextManager[Any]]
"""Opens a read or a write session: a context manager giving a connection with ``execute``."""


class SqlDeliveryLog:
    """A delivery log in the SQL tables ``deliveries`` and ``consumers`` (under *prefix*, e.g.
    a schema): everything but :meth:`claim`, which each backend does its own way."""

    def __init__(self, dialect: Dialect, read: Session, write: Session, prefix: str = "") -> None:
        self._dialect = dialect
        self._read = read
        self._write = write
        p = dialect.placeholder
        self._p = p
        self._deliveries = f"{prefix}deliveries"
        self._consumers = f"{prefix}consumers"
        self._select = f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {self._deliveries}"

    def delivery(self, row: Sequence[Any]) -> Delivery:
        """The delivery a row of :data:`DELIVERY_COLUMNS` holds."""
        time, text = self._dialect.read_time, self._dialect.read_text
        return Delivery(
            key=row[0],
            payload=c.load_payload(row[1]),
            attempts=int(row[2]),
            status=DeliveryStatus(row[3]),
            last_error=None if row[4] is None else text(row[4]),
            available_at=time(row[5]),
            claimed_by=row[6],
            lease_until=None if row[7] is None else time(row[7]),
            delivered_at=None if row[8] is None else time(row[8]),
        )

    def enqueue(self, key: str, payload: dict[str, Any], *, available_at: datetime) -> bool:
        """Record a delivery; ``False`` if *key* is already recorded."""
        c.check_name("key", key)
        text = c.payload_json(payload)
        at = self._dialect.time(c.check_aware("available_at", available_at))
        p = self._p
        with self._write() as conn:
            inserted = conn.execute(
                f"INSERT INTO {self._deliveries} (key, payload, attempts, status, available_at) "
                f"VALUES ({p}, {p}, 0, 'pending', {p}) ON CONFLICT (key) DO NOTHING",
                (key, text, at),
            )
            return bool(inserted.rowcount > 0)

    def _exists(self, conn: Any, key: str) -> None:
        found = conn.execute(
            f"SELECT 1 FROM {self._deliveries} WHERE key = {self._p}", (key,)
        ).fetchone()
        if found is None:
            raise NotFoundError("no delivery with that key")

    def mark_delivered(self, key: str, *, worker: str, at: datetime) -> bool:
        """Record the delivery; ``False`` if it was already delivered."""
        c.check_name("key", key)
        c.check_name("worker", worker)
        when = self._dialect.time(c.check_aware("at", at))
        p = self._p
        with self._write() as conn:
            updated = conn.execute(
                f"UPDATE {self._deliveries} SET status = 'delivered', delivered_at = {p}, "
                f"claimed_by = {p}, lease_until = NULL WHERE key = {p} AND status <> 'delivered'",
                (when, worker, key),
            ).rowcount
            if updated == 0:
                self._exists(conn, key)
            return bool(updated > 0)

    def mark_failed(
        self, key: str, *, worker: str, error: str, retry_at: datetime, dead: bool = False
    ) -> bool:
        """Record a failed attempt by the claim holder; ``False`` if *worker* holds no claim."""
        c.check_name("key", key)
        c.check_name("worker", worker)
        c.check_error(error)
        when = self._dialect.time(c.check_aware("retry_at", retry_at))
        c.check_bool("dead", dead)
        p = self._p
        with self._write() as conn:
            updated = conn.execute(
                f"UPDATE {self._deliveries} SET status = {p}, last_error = {p}, "
                f"available_at = {p}, claimed_by = NULL, lease_until = NULL "
                f"WHERE key = {p} AND status = 'claimed' AND claimed_by = {p}",
                ("dead" if dead else "pending", self._dialect.text(error), when, key, worker),
            ).rowcount
            if updated == 0:
                self._exists(conn, key)
            return bool(updated > 0)

    def get(self, key: str) -> Delivery | None:
        """The delivery with this key, or ``None``."""
        c.check_text_key("key", key)
        with self._read() as conn:
            row = conn.execute(
                f"{self._select} WHERE key = {self._p}", (self._dialect.text(key),)
            ).fetchone()
        return None if row is None else self.delivery(row)

    def dead_letters(self) -> list[Delivery]:
        """Every dead delivery, ordered by key."""
        with self._read() as conn:
            rows = conn.execute(f"{self._select} WHERE status = 'dead' ORDER BY key").fetchall()
        return [self.delivery(r) for r in rows]

    def position(self, name: str) -> int:
        """The stored position of consumer *name* (0 if never set)."""
        c.check_name("name", name)
        with self._read() as conn:
            row = conn.execute(
                f"SELECT position FROM {self._consumers} WHERE name = {self._p}", (name,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def set_position(self, name: str, position: int) -> None:
        """Store the position of consumer *name*."""
        c.check_name("name", name)
        c.check_positive_int("position", position, low=0)
        p = self._p
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO {self._consumers} (name, position) VALUES ({p}, {p}) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (name, position),
            )
