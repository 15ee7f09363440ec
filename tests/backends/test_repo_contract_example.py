"""The example backend of ``examples/custom_backend.py`` passes the contract, and survives reopen,
a torn last line and erasure (the personal data leaves the file)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from iso10002 import events as ev
from iso10002.errors import StorageError
from iso10002.model import redacted
from iso10002.ports import ComplaintQuery
from iso10002.testing.contract import RepositoryContract, advance, new_complaint

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_backend.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("custom_backend_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _example()


class TestJsonLinesRepository(RepositoryContract):
    concurrency = (4, 10)

    @pytest.fixture
    def repository(self, tmp_path: Path) -> Iterator[Any]:
        with example.JsonLinesRepository(tmp_path / "complaints.jsonl") as repository:
            yield repository


def test_repo_example_reopens_with_everything(tmp_path: Path) -> None:
    path = tmp_path / "complaints.jsonl"
    item = new_complaint(1)
    with example.JsonLinesRepository(path) as repo:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
        later, note = advance(item.complaint, ev.NoteAdded, text="n")
        repo.save(later, expected_version=1, events=[note])
        log = repo.events_since(0)
    with example.JsonLinesRepository(path) as repo:
        assert repo.get("c-1") == later
        assert repo.get_complainant("p-1") == item.complainant
        assert repo.events_since(0) == log


def test_repo_example_ignores_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "complaints.jsonl"
    item = new_complaint(1)
    with example.JsonLinesRepository(path) as repo:
        repo.add(item.complaint, events=item.events)
    with path.open("a", encoding="utf-8") as journal:
        journal.write('{"events": [{"type": "NoteAdd')  # a crash mid-write
    with example.JsonLinesRepository(path) as repo:
        assert repo.get("c-1") == item.complaint
        second = new_complaint(2)
        repo.add(second.complaint, events=second.events)
    with example.JsonLinesRepository(path) as repo:
        assert repo.count(ComplaintQuery()) == 2


def test_repo_example_erasure_removes_the_data_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "complaints.jsonl"
    item = new_complaint(1, complainant_name="Zebedee Uniquename")
    with example.JsonLinesRepository(path) as repo:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
        assert "Zebedee" in path.read_text(encoding="utf-8")
        assert repo.erase_personal_data("p-1") is True
        assert "Zebedee" not in path.read_text(encoding="utf-8")
    with example.JsonLinesRepository(path) as repo:
        assert repo.get_complainant("p-1") is None
        assert repo.get("c-1") == redacted(item.complaint)


def test_repo_example_write_failures_are_storage_errors(tmp_path: Path) -> None:
    path = tmp_path / "complaints.jsonl"
    item = new_complaint(1)
    with example.JsonLinesRepository(path) as repo:
        repo.add(item.complaint, events=item.events, complainant=item.complainant)
        path.unlink()
        path.mkdir()  # the journal is now a directory: appends and rewrites fail
        second = new_complaint(2)
        with pytest.raises(StorageError):
            repo.add(second.complaint, events=second.events)
        with pytest.raises(StorageError):
            repo.erase_personal_data("p-1")
        assert repo.get_complainant("p-1") == item.complainant  # a failed erasure changes nothing


def test_repo_example_runs_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "demo.jsonl")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "REF-1: version 2" in done.stdout
