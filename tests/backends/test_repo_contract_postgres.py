"""The PostgreSQL backend passes the storage contract against the real server.

Every test gets its own schema, dropped afterwards. Skipped (with a reason naming
``ISO10002_TEST_POSTGRES_URL``) when no server is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from iso10002.testing.contract import DeliveryLogContract, RepositoryContract

pytestmark = pytest.mark.postgres


class TestPostgresRepository(RepositoryContract):
    @pytest.fixture
    def repository(self, postgres_url: str, pg_schema: Callable[[], str]) -> Iterator[object]:
        from iso10002.backends.postgres import PostgresRepository

        with PostgresRepository(postgres_url, schema=pg_schema()) as repository:
            yield repository


class TestPostgresDeliveryLog(DeliveryLogContract):
    @pytest.fixture
    def delivery_log(self, postgres_url: str, pg_schema: Callable[[], str]) -> Iterator[object]:
        from iso10002.backends.postgres import PostgresRepository

        with PostgresRepository(postgres_url, schema=pg_schema()) as repository:
            yield repository.deliveries
