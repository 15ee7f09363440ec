"""Reliability: concurrent writers lose nothing, and a killed writer leaves no partial save.

* 8 threads (SQLite file) and 8 processes (PostgreSQL) each run 500 read-modify-save cycles on
  the same 20 complaints, retrying on ``ConcurrencyConflict``: every successful save is in the
  log exactly once, with no gaps, and every final version counts the saves.
* A child process saving in a loop is killed with SIGKILL, three times: every complaint still
  equals the fold of its stored events, and no save is half-written.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.errors import ConcurrencyConflict
from iso10002.ports import ComplaintRepository, StoredEvent
from iso10002.testing.contract import advance, new_complaint

COMPLAINTS = 20
WORKERS = 8
CYCLES = 500

CYCLE_WORKER = """
import random, sys
from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.errors import ConcurrencyConflict
from iso10002.testing.contract import advance

url, worker, cycles, complaints = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(worker)
conflicts = 0
with open_repository(url) as repo:
    for n in range(cycles):
        target = f"c-{rng.randrange(complaints)}"
        while True:
            current = repo.get(target)
            new, event = advance(current, ev.NoteAdded, text=f"w{worker}-n{n}")
            try:
                repo.save(new, expected_version=current.version, events=[event])
            except ConcurrencyConflict:
                conflicts += 1
                continue
            break
print(conflicts)
"""

CRASH_WORKER = """
import itertools, sys
from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.testing.contract import advance

url, run = sys.argv[1], sys.argv[2]
with open_repository(url) as repo:
    for n in itertools.count():
        current = repo.get(f"c-{n % 5}")
        one, a = advance(current, ev.NoteAdded, text=f"{run}-{n} first " + "x" * 5000)
        two, b = advance(one, ev.ComplaintAssigned, assignee=f"worker-{run}-{n}")
        three, c = advance(two, ev.NoteAdded, text=f"{run}-{n} last")
        repo.save(three, expected_version=current.version, events=[a, b, c])
        print(n, flush=True)
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def _seed(url: str, count: int) -> None:
    with open_repository(url) as repo:
        repo.add_many([new_complaint(n) for n in range(count)])


def _log(repo: ComplaintRepository) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    while chunk := repo.events_since(out[-1].position if out else 0, 1000):
        out.extend(chunk)
    return out


def _check_no_update_lost(url: str, saves: int) -> None:
    with open_repository(url) as repo:
        log = _log(repo)
        assert [s.position for s in log] == list(range(1, len(log) + 1)), "gaps in the log"
        assert len(log) == COMPLAINTS + saves
        notes = Counter(s.event.text for s in log if isinstance(s.event, ev.NoteAdded))
        assert len(notes) == saves, "a save is missing from the log"
        assert set(notes.values()) == {1}, "a save is in the log twice"
        versions = 0
        for n in range(COMPLAINTS):
            complaint = repo.get(f"c-{n}")
            events = repo.events(complaint.id)
            assert [e.sequence for e in events] == list(range(1, complaint.version + 1))
            assert ev.replay(events) == complaint
            versions += complaint.version - 1
        assert versions == saves, "a final version does not count its saves"


def _check_consistent(url: str) -> int:
    """Every complaint is the fold of its events and every save is whole; return the saves."""
    with open_repository(url) as repo:
        log = _log(repo)
        assert [s.position for s in log] == list(range(1, len(log) + 1))
        saves = 0
        for n in range(5):
            complaint = repo.get(f"c-{n}")
            events = repo.events(complaint.id)
            assert ev.replay(events) == complaint
            assert (complaint.version - 1) % 3 == 0, "a save was half-written"
            saves += (complaint.version - 1) // 3
        assert len(log) == 5 + 3 * saves
        return saves


def _kill_mid_run(url: str, runs: int = 3) -> int:
    for run in range(runs):
        child = subprocess.Popen(
            [sys.executable, "-c", CRASH_WORKER, url, str(run)],
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        assert child.stdout is not None
        target = 20 + 7 * run
        try:
            for line in child.stdout:
                if int(line) >= target:
                    break
            time.sleep(0.003 * run)  # land at different points of a save
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
    return _check_consistent(url)


@pytest.mark.slow
def test_repo_sqlite_eight_threads_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    _seed(url, COMPLAINTS)
    failures: list[BaseException] = []
    # half the threads share one repository object, half open their own on the same file
    shared = open_repository(url)
    own = [open_repository(url) for _ in range(WORKERS // 2)]
    repos = [shared if w % 2 == 0 else own[w // 2] for w in range(WORKERS)]

    def work(worker: int) -> None:
        rng = random.Random(worker)
        repo = repos[worker]
        try:
            for n in range(CYCLES):
                target = f"c-{rng.randrange(COMPLAINTS)}"
                while True:
                    current = repo.get(target)
                    new, event = advance(current, ev.NoteAdded, text=f"w{worker}-n{n}")
                    try:
                        repo.save(new, expected_version=current.version, events=[event])
                    except ConcurrencyConflict:
                        continue
                    break
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for repo in (shared, *own):
        repo.close()
    assert not failures, failures
    _check_no_update_lost(url, WORKERS * CYCLES)


@pytest.mark.slow
@pytest.mark.postgres
def test_repo_postgres_eight_processes_lose_no_update(
    postgres_url: str, pg_schema: Callable[[], str]
) -> None:
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema={pg_schema()}"
    _seed(url, COMPLAINTS)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CYCLE_WORKER, url, str(w), str(CYCLES), str(COMPLAINTS)],
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        for w in range(WORKERS)
    ]
    outputs = [child.communicate(timeout=600)[0] for child in children]
    assert [child.returncode for child in children] == [0] * WORKERS, outputs
    _check_no_update_lost(url, WORKERS * CYCLES)


def test_repo_sqlite_survives_sigkill_mid_save(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    _seed(url, 5)
    assert _kill_mid_run(url) >= 20


@pytest.mark.postgres
def test_repo_postgres_survives_sigkill_mid_save(
    postgres_url: str, pg_schema: Callable[[], str]
) -> None:
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema={pg_schema()}"
    _seed(url, 5)
    assert _kill_mid_run(url) >= 20


def test_repo_sqlite_processes_share_one_file(tmp_path: Path) -> None:
    """Four processes (and so four connections with their own locks) write one file at once."""
    url = f"sqlite:///{tmp_path / 'processes.db'}"
    _seed(url, COMPLAINTS)
    cycles = 60
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CYCLE_WORKER, url, str(w), str(cycles), str(COMPLAINTS)],
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        for w in range(4)
    ]
    outputs = [child.communicate(timeout=600)[0] for child in children]
    assert [child.returncode for child in children] == [0] * 4, outputs
    _check_no_update_lost(url, 4 * cycles)
