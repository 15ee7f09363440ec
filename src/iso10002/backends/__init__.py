"""Storage backends, opened from a URL by :func:`open_repository`.

* ``memory://``: :class:`MemoryRepository` (kept in memory, lost on close);
* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: :class:`SqliteRepository`
  on a file, created if missing; ``sqlite:///:memory:``: the same, in memory;
* ``postgresql://user@host:5432/db?schema=name`` (or ``postgres://``):
  :class:`~iso10002.backends.postgres.PostgresRepository`.

Every backend returned is a :class:`~iso10002.ports.Storage`: a
:class:`~iso10002.ports.ComplaintRepository` whose ``deliveries`` attribute is its
:class:`~iso10002.ports.DeliveryLog`. SQLite URLs accept ``?timeout=<seconds>`` and
``?synchronous=FULL|NORMAL``; PostgreSQL URLs accept ``?schema=<name>`` (default ``iso10002``)
and pass every other parameter to libpq; both accept ``?cache_size=<complaints>`` (decoded
complaints kept, default 2048; 0 turns the cache off). The PostgreSQL backend needs the
``postgres`` extra; its classes are reached as ``iso10002.backends.PostgresRepository`` (imported
on first use) and are left out of ``__all__``, so that ``from iso10002.backends import *`` works
without the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from iso10002 import _validate as v
from iso10002.errors import ValidationError
from iso10002.ports import Storage, iter_complaints

from ._common import paginate, validate_batch, validate_new, validate_save
from .memory import MemoryDeliveryLog, MemoryRepository
from .sqlite import SqliteDeliveryLog, SqliteRepository

if TYPE_CHECKING:
    from .postgres import PostgresDeliveryLog as PostgresDeliveryLog
    from .postgres import PostgresRepository as PostgresRepository

__all__ = [
    "MemoryDeliveryLog",
    "MemoryRepository",
    "SqliteDeliveryLog",
    "SqliteRepository",
    "iter_complaints",
    "open_repository",
    "paginate",
    "validate_batch",
    "validate_new",
    "validate_save",
]

_SCHEMES = "memory://, sqlite:///<path>, sqlite:///:memory:, postgresql://…"


def __getattr__(name: str) -> Any:
    if name in ("PostgresRepository", "PostgresDeliveryLog"):
        from . import postgres

        return getattr(postgres, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _bad_url(message: str) -> ValidationError:
    return ValidationError([("url", f"{message}; accepted: {_SCHEMES}")], what="repository URL")


def _int(value: str, key: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _bad_url(f"{key} must be a whole number") from None


def _sqlite(url: str) -> SqliteRepository:
    parts = urlsplit(url)
    if parts.netloc:
        raise _bad_url("a SQLite URL has no host: write sqlite:///path.db")
    rest = url[len("sqlite:") :]
    path = rest[len("///") :].split("?", 1)[0]
    if not rest.startswith("///") or not path:
        raise _bad_url("a SQLite URL needs a path: sqlite:///path.db or sqlite:///:memory:")
    options: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "timeout":
            try:
                options["timeout"] = float(value)
            except ValueError:
                raise _bad_url("timeout must be a number of seconds") from None
        elif key == "synchronous":
            options["synchronous"] = value
        elif key == "cache_size":
            options["cache_size"] = _int(value, key)
        else:
            raise _bad_url(
                f"unknown SQLite URL parameter {key!r} (timeout, synchronous, cache_size)"
            )
    return SqliteRepository(path, **options)


def _postgres(url: str) -> Storage:
    parts = urlsplit(url)
    schema = None
    options: dict[str, Any] = {}
    rest = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        elif key == "cache_size":
            options["cache_size"] = _int(value, key)
        else:
            rest.append((key, value))
    conninfo = urlunsplit(parts._replace(query=urlencode(rest)))
    from .postgres import PostgresRepository

    if schema is not None:
        options["schema"] = schema
    return PostgresRepository(conninfo, **options)


def open_repository(url: str) -> Storage:
    """Open (creating or migrating as needed) the storage at *url*; see the module docstring.

    Raises :class:`~iso10002.errors.ValidationError` for a malformed URL and
    :class:`~iso10002.errors.StorageError` when the store cannot be opened.
    """
    if not isinstance(url, str):
        raise _bad_url("expected a str")
    if len(url) > 10_000 or "\x00" in url or v.has_surrogate(url):
        raise _bad_url("expected at most 10,000 characters, valid Unicode, no NUL")
    try:
        urlsplit(url)
    except ValueError:
        raise _bad_url("malformed URL (e.g. an unclosed [ in the host)") from None
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        if url[len("memory:") :].strip("/"):
            raise _bad_url("a memory URL takes nothing after memory://")
        return MemoryRepository()
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme in ("postgresql", "postgres"):
        return _postgres(url)
    raise _bad_url("unknown scheme")
