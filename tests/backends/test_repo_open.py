"""open_repository: URL forms, options and refusals; the package's public API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import iso10002.backends
from iso10002.backends import (
    MemoryRepository,
    SqliteRepository,
    open_repository,
)
from iso10002.errors import StorageError, ValidationError
from iso10002.ports import ComplaintRepository, DeliveryLog, Storage
from iso10002.testing.contract import new_complaint


def test_repo_unknown_attribute_of_the_package() -> None:
    with pytest.raises(AttributeError):
        iso10002.backends.NoSuchBackend  # noqa: B018


def test_repo_memory_url() -> None:
    for url in ("memory://", "memory:", "MEMORY://"):
        with open_repository(url) as repo:
            assert isinstance(repo, MemoryRepository)
            assert isinstance(repo, Storage)
            assert isinstance(repo.deliveries, DeliveryLog)
    with pytest.raises(ValidationError):
        open_repository("memory://somewhere")


def test_repo_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_repository("sqlite:///relative.db") as repo:
        assert isinstance(repo, SqliteRepository)
        assert repo.path == "relative.db"
        item = new_complaint(1)
        repo.add(item.complaint, events=item.events)
    assert (tmp_path / "relative.db").exists()
    absolute = tmp_path / "sub" / "absolute.db"
    absolute.parent.mkdir()
    with open_repository(
        f"sqlite:///{absolute}?timeout=2.5&synchronous=normal&cache_size=0"
    ) as repo:
        assert isinstance(repo, SqliteRepository)
        assert repo.path == str(absolute)
    assert absolute.exists()
    with open_repository("sqlite:///:memory:") as repo:
        assert isinstance(repo, SqliteRepository)
        assert repo.path == ":memory:"
        assert isinstance(repo, ComplaintRepository)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://host/x.db",
        "sqlite:///",
        "sqlite:x.db",
        "sqlite:///x.db?timeout=soon",
        "sqlite:///x.db?journal=delete",
        "sqlite:///x.db?synchronous=sometimes",
        "sqlite:///x.db?timeout=-1",
        "sqlite:///x.db?cache_size=-1",
        "sqlite:///x.db?cache_size=lots",
        "mysql://localhost/db",
        "no-scheme",
        "",
    ],
)
def test_repo_bad_urls_are_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as caught:
        open_repository(url)
    assert caught.value.paths[0] in ("url", "timeout", "synchronous", "cache_size")


def test_repo_a_url_must_be_text() -> None:
    with pytest.raises(ValidationError):
        open_repository(b"memory://")  # type: ignore[arg-type]


def test_repo_an_unreachable_sqlite_file_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        open_repository(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


@pytest.mark.postgres
def test_repo_postgres_url_with_a_schema(postgres_url: str, pg_schema: Callable[[], str]) -> None:
    from iso10002.backends.postgres import PostgresRepository

    schema = pg_schema()
    joiner = "&" if "?" in postgres_url else "?"
    with open_repository(f"{postgres_url}{joiner}schema={schema}&connect_timeout=5") as repo:
        assert isinstance(repo, PostgresRepository)
        assert repo.schema == schema
        assert isinstance(repo, Storage)
    alias = postgres_url.replace("postgresql://", "postgres://", 1)
    with open_repository(f"{alias}{joiner}schema={schema}") as repo:
        assert isinstance(repo, PostgresRepository)
    assert iso10002.backends.PostgresRepository is PostgresRepository


@pytest.mark.postgres
def test_repo_postgres_url_without_a_schema_uses_the_default(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``?schema=`` the backend's default schema (``iso10002``) is used."""
    import inspect

    from iso10002.backends import postgres

    calls: list[tuple[str, dict[str, object]]] = []

    def record(conninfo: str, **options: object) -> object:
        calls.append((conninfo, options))
        return MemoryRepository()

    assert inspect.signature(postgres.PostgresRepository).parameters["schema"].default == "iso10002"
    monkeypatch.setattr(postgres, "PostgresRepository", record)
    open_repository("postgresql://u@db.example:5433/complaints?sslmode=disable").close()
    open_repository("postgresql://u@db.example/complaints?cache_size=0&schema=s").close()
    assert calls == [
        ("postgresql://u@db.example:5433/complaints?sslmode=disable", {}),
        ("postgresql://u@db.example/complaints", {"cache_size": 0, "schema": "s"}),
    ]
    with pytest.raises(ValidationError):
        open_repository("postgresql://u@db.example/complaints?cache_size=many")


def test_repo_without_psycopg_postgres_is_a_storage_error() -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None\n"
        "import iso10002.backends as b\n"
        "from iso10002.errors import StorageError\n"
        "try:\n"
        "    b.open_repository('postgresql://localhost/db')\n"
        "except StorageError as exc:\n"
        "    print(exc)\n"
        "m = b.MemoryRepository()\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "pip install iso10002[postgres]" in done.stdout
