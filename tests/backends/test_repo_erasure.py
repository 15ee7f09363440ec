"""Erasure leaves the erased name, e-mail and phone nowhere in the store: not in the SQLite file
or its write-ahead log, not in any PostgreSQL column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from iso10002 import events as ev
from iso10002.backends import SqliteRepository
from iso10002.model import redacted
from iso10002.ports import ComplaintRepository
from iso10002.service import ComplaintsHandling
from iso10002.testing.contract import CANARY, canary_history


def _fill(repository: ComplaintRepository) -> None:
    """Complaints c-1 (every text holds the canary), c-2 (just received) of person p-1."""
    item, later = canary_history(1)
    repository.add(item.complaint, events=item.events, complainant=item.complainant)
    repository.save(ev.replay(later, item.complaint), expected_version=1, events=later)
    fresh, _ = canary_history(2)
    repository.add(fresh.complaint, events=fresh.events, complainant=fresh.complainant)


def _found(data: bytes) -> list[str]:
    return [secret for secret in CANARY if secret.encode() in data]


def _files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_sqlite_file_and_wal_hold_no_erased_data(tmp_path: Path) -> None:
    path = tmp_path / "complaints.db"
    with SqliteRepository(path) as repository:
        _fill(repository)
        before = repository.get("c-1")
        assert _found(_files(path)) == list(CANARY)
        service = ComplaintsHandling(repository)
        assert service.erase_personal_data("p-1", actor="dpo") == 2
        # Still open: the WAL, the free pages and the rewritten pages hold nothing.
        assert _found(_files(path)) == []
        after = repository.get("c-1")
        assert after.personal_data_erased
        assert after.version == before.version + 1
        assert ev.replay(repository.events("c-1")[:-1]) == redacted(before)
    assert _found(_files(path)) == []


def test_sqlite_repository_erasure_alone_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "complaints.db"
    with SqliteRepository(path) as repository:
        _fill(repository)
        assert repository.erase_personal_data("p-1") is True
        assert _found(_files(path)) == []


@pytest.mark.postgres
def test_postgres_columns_hold_no_erased_data(
    postgres_url: str, pg_schema: Callable[[], str]
) -> None:
    import psycopg

    from iso10002.backends.postgres import PostgresRepository

    schema = pg_schema()

    def everything() -> str:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            columns = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND data_type IN ('text', 'jsonb', 'character varying')",
                (schema,),
            ).fetchall()
            assert {t for t, _ in columns} >= {"complaints", "events", "complainants"}
            texts = []
            for table, column in columns:
                rows = conn.execute(f'SELECT "{column}"::text FROM "{schema}"."{table}"').fetchall()
                texts += [r[0] for r in rows if r[0] is not None]
            return "\n".join(texts)

    with PostgresRepository(postgres_url, schema=schema) as repository:
        _fill(repository)
        assert all(secret in everything() for secret in CANARY)
        assert ComplaintsHandling(repository).erase_personal_data("p-1", actor="dpo") == 2
        found = everything()
        assert [secret for secret in CANARY if secret in found] == []
        repository.vacuum()
        repository.vacuum(full=True)
        assert repository.get("c-1").personal_data_erased
