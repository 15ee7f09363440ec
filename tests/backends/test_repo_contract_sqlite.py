"""The SQLite backend passes the storage contract, on a file and in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iso10002.backends import SqliteDeliveryLog, SqliteRepository
from iso10002.testing.contract import DeliveryLogContract, RepositoryContract


class TestSqliteFileRepository(RepositoryContract):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> Iterator[SqliteRepository]:
        with SqliteRepository(tmp_path / "store.db") as repository:
            yield repository


class TestSqliteFileRepositoryUncached(RepositoryContract):
    # Without the decoded-complaint cache every save writes every column and whole documents,
    # and every read decodes: the paths the cache otherwise shortens.
    @pytest.fixture
    def repository(self, tmp_path: Path) -> Iterator[SqliteRepository]:
        with SqliteRepository(tmp_path / "store.db", cache_size=0) as repository:
            yield repository


class TestSqliteMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Iterator[SqliteRepository]:
        with SqliteRepository(":memory:") as repository:
            yield repository


class TestSqliteFileDeliveryLog(DeliveryLogContract):
    @pytest.fixture
    def delivery_log(self, tmp_path: Path) -> Iterator[SqliteDeliveryLog]:
        with SqliteRepository(tmp_path / "store.db") as repository:
            yield repository.deliveries


class TestSqliteMemoryDeliveryLog(DeliveryLogContract):
    @pytest.fixture
    def delivery_log(self) -> Iterator[SqliteDeliveryLog]:
        with SqliteRepository(":memory:") as repository:
            yield repository.deliveries
