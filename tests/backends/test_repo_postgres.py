"""PostgreSQL specifics against the real server: schema handling, atomicity under injected
faults, NUL escaping, SKIP LOCKED claiming across processes, indexes, broken connections.

Skipped (with a reason naming ``ISO10002_TEST_POSTGRES_URL``) when no server is configured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from iso10002 import events as ev
from iso10002.errors import ComplaintNotFound, StorageError, ValidationError
from iso10002.model import Channel, Priority
from iso10002.ports import ComplaintQuery, make_cursor
from iso10002.testing.contract import NUL, SQL, T0, advance, new_complaint

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema(pg_schema: Callable[[], str]) -> str:
    return pg_schema()


@pytest.fixture
def repo(postgres_url: str, schema: str) -> Iterator[Any]:
    from iso10002.backends.postgres import PostgresRepository

    with PostgresRepository(postgres_url, schema=schema) as repository:
        yield repository


@pytest.fixture
def raw(postgres_url: str) -> Iterator[Any]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        yield conn


def test_repo_postgres_schema_is_created_and_recorded(repo: Any, raw: Any, schema: str) -> None:
    from iso10002.backends.postgres import SCHEMA_VERSION

    assert repo.schema == schema
    assert repr(repo) == f"PostgresRepository(schema={schema!r})"
    assert repo.schema_version() == SCHEMA_VERSION == 3
    tables = {
        r[0]
        for r in raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        )
    }
    assert tables == {
        "schema_version",
        "complaints",
        "events",
        "event_counter",
        "complainants",
        "deliveries",
        "consumers",
        "external_references",
        "complaint_facts",
        "complaint_clocks",
    }
    kinds = dict(
        raw.execute(
            "SELECT table_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'payload'",
            (schema,),
        ).fetchall()
    )
    assert kinds == {
        "complaints": "jsonb",
        "events": "jsonb",
        "complainants": "jsonb",
        "deliveries": "text",
    }


def test_repo_postgres_concurrent_first_opens_migrate_once(
    postgres_url: str, schema: str, raw: Any
) -> None:
    from iso10002.backends.postgres import PostgresRepository

    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        try:
            barrier.wait()
            PostgresRepository(postgres_url, schema=schema).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    count = raw.execute(f'SELECT count(*) FROM "{schema}".schema_version').fetchone()[0]
    assert count == 3  # one row per migration, each applied once


def test_repo_postgres_refuses_a_newer_schema(
    postgres_url: str, repo: Any, raw: Any, schema: str
) -> None:
    from iso10002.backends.postgres import PostgresRepository

    raw.execute(f'INSERT INTO "{schema}".schema_version (version) VALUES (99)')
    with pytest.raises(StorageError, match="upgrade iso10002"):
        PostgresRepository(postgres_url, schema=schema)


@pytest.mark.parametrize("name", ["", "1abc", "with space", 'quo"te', "x" * 64, "semi;colon"])
def test_repo_postgres_refuses_bad_schema_names(postgres_url: str, name: str) -> None:
    from iso10002.backends.postgres import PostgresRepository

    with pytest.raises(ValidationError):
        PostgresRepository(postgres_url, schema=name)


def test_repo_postgres_a_failed_save_writes_nothing(repo: Any, raw: Any, schema: str) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    raw.execute(
        f"""CREATE FUNCTION "{schema}".fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$"""
    )
    raw.execute(
        f'CREATE TRIGGER fail_third BEFORE INSERT ON "{schema}".events FOR EACH ROW '
        f'WHEN (NEW.sequence = 3) EXECUTE FUNCTION "{schema}".fail()'
    )
    two, a = advance(item.complaint, ev.ComplaintAssigned, assignee="alice")
    three, b = advance(two, ev.NoteAdded, text="never stored")
    with pytest.raises(StorageError, match="injected failure"):
        repo.save(three, expected_version=1, events=[a, b])
    assert repo.get("c-1") == item.complaint
    assert repo.events("c-1") == list(item.events)
    assert repo.count(ComplaintQuery(assignee="alice")) == 0
    raw.execute(f'DROP TRIGGER fail_third ON "{schema}".events')
    repo.save(two, expected_version=1, events=[a])
    assert [s.position for s in repo.events_since(0)] == [1, 2], "the counter moved on a rollback"


def test_repo_postgres_a_failed_batch_writes_nothing(repo: Any, raw: Any, schema: str) -> None:
    raw.execute(
        f"""CREATE FUNCTION "{schema}".fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$"""
    )
    raw.execute(
        f'CREATE TRIGGER fail_late BEFORE INSERT ON "{schema}".complainants FOR EACH ROW '
        f"WHEN (NEW.id = 'p-40') EXECUTE FUNCTION \"{schema}\".fail()"
    )
    with pytest.raises(StorageError):
        repo.add_many(new_complaint(n) for n in range(50))
    assert repo.count(ComplaintQuery()) == 0
    assert repo.events_since(0) == []
    with pytest.raises(ComplaintNotFound):
        repo.get("c-1")


def test_repo_postgres_nul_is_stored_escaped_and_read_back_exactly(
    repo: Any, raw: Any, schema: str
) -> None:
    item = new_complaint(1, category=NUL + SQL, subject="subject " + NUL)
    repo.add(item.complaint, events=item.events, complainant=item.complainant)
    later, note = advance(item.complaint, ev.NoteAdded, text="\ue000" + NUL + "\\u0000")
    repo.save(later, expected_version=1, events=[note])
    category, payload = raw.execute(
        f'SELECT category, payload::text FROM "{schema}".complaints'
    ).fetchone()
    assert "\x00" not in category
    assert "\\u0000" not in payload.replace("\\\\", "")
    assert json.loads(payload)["classification"]["category"] == category
    assert repo.get("c-1") == later
    assert repo.count(ComplaintQuery(category_prefix=NUL)) == 1
    assert repo.count(ComplaintQuery(category_prefix="\ue000")) == 0


def test_repo_postgres_lone_surrogates_are_refused(repo: Any) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    with pytest.raises(ValidationError, match="surrogates"):  # the model refuses them first
        advance(item.complaint, ev.NoteAdded, text="bad \ud800 text")
    later, note = advance(item.complaint, ev.NoteAdded, text="bad text")
    object.__setattr__(note, "text", "bad \ud800 text")  # past the model: storage refuses too
    with pytest.raises(ValidationError, match="surrogates"):
        repo.save(later, expected_version=1, events=[note])
    assert repo.get("c-1") == item.complaint


FILTERS = {
    "states": ComplaintQuery(states={"received"}),
    "category": ComplaintQuery(category_prefix="billing"),
    "channel": ComplaintQuery(channel=Channel.EMAIL),
    "assignee": ComplaintQuery(assignee="alice"),
    "priority": ComplaintQuery(priority=Priority.P1),
    "received": ComplaintQuery(received_from=T0, received_until=T0 + timedelta(days=1)),
    "overdue": ComplaintQuery(next_sla_before=T0),
    "breached": ComplaintQuery(breached=True),
    "complainant": ComplaintQuery(complainant_id="p-1"),
    "everything": ComplaintQuery(),
    "cursor": ComplaintQuery(cursor=make_cursor(T0, "c-1")),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_repo_postgres_every_filter_is_served_by_an_index(repo: Any, raw: Any, name: str) -> None:
    from iso10002.backends import _sql as q
    from iso10002.backends.postgres import DIALECT

    tail, params = q.page_clause(DIALECT, FILTERS[name])
    with raw.transaction():
        raw.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0] for r in raw.execute(f"EXPLAIN {repo._select_complaint}{tail}", params).fetchall()
        )
    assert "Seq Scan on complaints" not in plan, plan
    assert "complaints_" in plan, plan


def test_repo_postgres_claimers_skip_locked_rows(repo: Any, postgres_url: str, schema: str) -> None:
    log = repo.deliveries
    for key in ("a", "b", "c"):
        log.enqueue(key, {}, available_at=T0)
    with psycopg.connect(postgres_url) as holder:
        holder.execute(f"SELECT key FROM \"{schema}\".deliveries WHERE key = 'a' FOR UPDATE")
        got = log.claim(worker="w", now=T0, limit=10, lease=timedelta(minutes=1))
        assert [d.key for d in got] == ["b", "c"]
        holder.rollback()
    assert [d.key for d in log.claim(worker="w", now=T0, limit=10, lease=timedelta(minutes=1))] == [
        "a"
    ]


CLAIMER = """
import sys
from datetime import datetime, timedelta, timezone
from iso10002.backends import open_repository
url, worker = sys.argv[1], sys.argv[2]
now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
with open_repository(url) as repo:
    while True:
        got = repo.deliveries.claim(worker=worker, now=now, limit=5, lease=timedelta(minutes=5))
        if not got:
            break
        for d in got:
            print(d.key, flush=True)
            repo.deliveries.mark_delivered(d.key, worker=worker, at=now)
"""


def test_repo_postgres_processes_never_claim_the_same_delivery(
    repo: Any, postgres_url: str, schema: str
) -> None:
    keys = {f"k{n:04d}" for n in range(400)}
    for key in sorted(keys):
        repo.deliveries.enqueue(key, {"n": key}, available_at=T0)
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema={schema}"
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, url, f"worker-{w}"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(4)
    ]
    claimed = [child.communicate(timeout=300)[0].split() for child in children]
    assert [child.returncode for child in children] == [0, 0, 0, 0]
    everything = [key for one in claimed for key in one]
    assert len(everything) == len(set(everything)) == len(keys)
    assert set(everything) == keys
    assert sum(1 for one in claimed if one) >= 2, "only one process got work"


def test_repo_postgres_a_broken_connection_is_replaced(repo: Any, raw: Any) -> None:
    item = new_complaint(1)
    repo.add(item.complaint, events=item.events)
    with repo._pool.connection() as conn:
        pid = conn.info.backend_pid
    raw.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(3):  # the dead connection fails once at most, then is dropped
        try:
            assert repo.get("c-1") == item.complaint
            break
        except StorageError:
            continue
    else:
        pytest.fail("the repository never recovered from a terminated connection")
    assert repo.get("c-1") == item.complaint


def test_repo_postgres_an_unreachable_server_is_a_storage_error() -> None:
    from iso10002.backends.postgres import PostgresRepository

    with pytest.raises(StorageError, match=r"OperationalError.*: Connection refused$"):
        PostgresRepository("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")


def test_repo_postgres_a_refused_login_says_why(postgres_url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from iso10002.backends.postgres import PostgresRepository

    parts = urlsplit(postgres_url)
    wrong = urlunsplit(parts._replace(netloc=f"no_such_role@{parts.hostname}:{parts.port or 5432}"))
    with pytest.raises(StorageError, match='role "no_such_role" does not exist'):
        PostgresRepository(wrong)


def test_repo_postgres_closed_repository_refuses_work(repo: Any) -> None:
    repo.close()
    with pytest.raises(StorageError, match="closed"):
        repo.count(ComplaintQuery())
    repo.close()


def test_repo_postgres_a_connection_left_in_a_transaction_is_not_reused(repo: Any) -> None:
    with repo._pool.connection() as conn:
        conn.execute("BEGIN")
        left = conn
    assert left.closed
    with repo._pool.connection() as conn:
        assert conn is not left
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_repo_postgres_sessions_run_without_jit(repo: Any) -> None:
    """JIT compilation would add milliseconds to every query on a freshly bulk-loaded table."""
    with repo._pool.connection() as conn:
        assert conn.execute("SHOW jit").fetchone()[0] == "off"


def test_repo_postgres_pages_streamed_row_by_row_are_the_same(repo: Any, monkeypatch: Any) -> None:
    """Pages are streamed in chunks where libpq allows it, else row by row: the same pages."""
    from iso10002.backends import postgres

    items = [new_complaint(n, category=NUL + SQL if n % 3 else "staff") for n in range(1, 21)]
    repo.add_many(items)
    later, note = advance(items[4].complaint, ev.NoteAdded, text="\ue000" + NUL)
    repo.save(later, expected_version=1, events=[note])
    queries = [ComplaintQuery(limit=limit) for limit in (1, 7, 8, 9, 50)]
    queries.append(ComplaintQuery(category_prefix=NUL, limit=5))
    chunked = [repo.query(query) for query in queries]
    monkeypatch.setattr(postgres, "_CHUNK", 1)
    assert [repo.query(query) for query in queries] == chunked
    expected = {i.complaint.id: i.complaint for i in items} | {later.id: later}
    for page in chunked:
        assert list(page.items) == [expected[x.id] for x in page.items]


def test_repo_postgres_a_page_failing_to_decode_leaves_the_repository_usable(
    repo: Any, raw: Any, schema: str
) -> None:
    items = [new_complaint(n) for n in range(1, 31)]
    repo.add_many(items)
    raw.execute(f"""UPDATE "{schema}".complaints SET payload = '[]' WHERE id = 'c-3'""")
    with pytest.raises(ValidationError):
        repo.query(ComplaintQuery(limit=20))
    raw.execute(f'UPDATE "{schema}".complaints SET payload = NULL WHERE id = %s', ("c-3",))
    assert list(repo.query(ComplaintQuery(limit=20)).items) == [i.complaint for i in items[:20]]
