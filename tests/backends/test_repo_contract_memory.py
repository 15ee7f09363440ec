"""The in-memory backend passes the storage contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iso10002.backends import MemoryDeliveryLog, MemoryRepository
from iso10002.testing.contract import DeliveryLogContract, RepositoryContract


class TestMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Iterator[MemoryRepository]:
        with MemoryRepository() as repository:
            yield repository


class TestMemoryDeliveryLog(DeliveryLogContract):
    @pytest.fixture
    def delivery_log(self) -> Iterator[MemoryDeliveryLog]:
        with MemoryRepository() as repository:
            yield repository.deliveries
