"""The in-memory backend passes the storage contract, also behind a wrapper that delegates."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from iso10002.backends import MemoryDeliveryLog, MemoryRepository
from iso10002.ports import BatchSaving, ComplaintRepository, DeliveryLog, provides
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


class Delegating:
    """A wrapper (metrics, tracing, retries) that forwards every attribute to what it wraps.

    ``with`` looks ``__enter__`` and ``__exit__`` up on the type, so those are spelled out.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __enter__(self) -> Delegating:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inner.close()


class TestDelegatingRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Iterator[ComplaintRepository]:
        with Delegating(MemoryRepository()) as repository:
            assert provides(repository, BatchSaving)  # so the save_many tests run too
            yield repository


class TestDelegatingDeliveryLog(DeliveryLogContract):
    @pytest.fixture
    def delivery_log(self) -> Iterator[DeliveryLog]:
        with MemoryRepository() as repository:
            yield Delegating(repository.deliveries)
