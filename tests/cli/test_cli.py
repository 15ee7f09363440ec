"""The ``iso10002`` command, end to end in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")

CFPB = (
    "Date received,Issue,Submitted via,Date sent to company,Company response to consumer,"
    "Complaint ID\r\n"
    "2023-01-03,Billing,Web,2023-01-04,Closed with explanation,1\r\n"
    "2023-01-05,Fees,Phone,2023-01-06,In progress,2\r\n"
    "2023-02-30,Fees,Phone,2023-01-06,In progress,3\r\n"
)


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("ISO10002_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "iso10002", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands_and_exit_codes(tmp_path: Path) -> None:
    done = run(tmp_path, "--help")
    assert done.returncode == 0
    for command in ("import", "export", "tick", "dispatch", "sla", "workflow", "erase", "demo"):
        assert command in done.stdout
    assert "exit codes" in done.stdout
    assert run(tmp_path, "import", "--help").returncode == 0
    assert run(tmp_path, "nope").returncode == 2


def test_import_export_restore_round_trip(tmp_path: Path) -> None:
    (tmp_path / "cfpb.csv").write_text(CFPB, encoding="utf-8", newline="")
    done = run(
        tmp_path,
        "import",
        "cfpb.csv",
        "--preset",
        "cfpb",
        "--json",
        "--as-of",
        "2024-01-01T00:00:00+00:00",
    )
    assert done.returncode == 1, done.stderr  # one row rejected
    report = json.loads(done.stdout)
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 2, 1)
    assert (tmp_path / "iso10002.db").exists()  # the default database, in the cwd
    rejects = (tmp_path / "cfpb.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects == [
        "line,column,problem",
        "4,Date received,not a date-time in the format '%Y-%m-%d'",
    ]
    again = run(
        tmp_path,
        "import",
        "cfpb.csv",
        "--preset",
        "cfpb",
        "--json",
        "--as-of",
        "2024-01-01T00:00:00+00:00",
    )
    assert json.loads(again.stdout)["unchanged"] == 2
    assert run(tmp_path, "export", "out.jsonl").returncode == 0
    first = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    restored = run(tmp_path, "--db", other, "import", "out.jsonl", "--format", "export", "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["imported"] == 2
    assert run(tmp_path, "--db", other, "export", "again.jsonl").returncode == 0
    assert (tmp_path / "again.jsonl").read_text(encoding="utf-8") == first
    csv_out = run(tmp_path, "export", "-", "--format", "csv", "--columns", "reference,state")
    assert csv_out.stdout.splitlines() == ["reference,state", "CFPB-1,closed", "CFPB-2,received"]
    # Imported history notifies nobody; the sweep as of the import date adds nothing.
    tick = run(tmp_path, "tick", "--now", "2024-01-01T00:00:00+00:00", "--json")
    assert json.loads(tick.stdout) == {"examined": 0, "warnings": 0, "breaches": 0}
    dispatch = run(tmp_path, "dispatch", "--json")
    assert json.loads(dispatch.stdout)["collected"] == 0
    assert "\x1b[" not in done.stderr + again.stderr  # no progress bar when piped


def test_bad_input_exit_codes(tmp_path: Path) -> None:
    assert run(tmp_path, "import", "missing.csv", "--preset", "cfpb").returncode == 5
    (tmp_path / "m.json").write_text('{"source": "x", "fields": {}}', encoding="utf-8")
    (tmp_path / "a.csv").write_text("a\n1\n", encoding="utf-8")
    bad = run(tmp_path, "import", "a.csv", "--mapping", "m.json")
    assert bad.returncode == 3
    assert "fields.external_id" in bad.stderr
    assert run(tmp_path, "tick", "--now", "2024-01-01T00:00:00").returncode == 2  # naive
    assert (
        run(
            tmp_path, "sla", "due", "--preset", "nope", "--received", "2026-01-05T09:00:00+00:00"
        ).returncode
        == 3
    )


def test_sla_due_workflow_and_erase(tmp_path: Path) -> None:
    due = run(
        tmp_path,
        "sla",
        "due",
        "--preset",
        "uk_fca",
        "--received",
        "2026-03-02T10:00:00+00:00",
        "--timezone",
        "Europe/London",
        "--json",
    )
    assert json.loads(due.stdout)["due"] == {"final_response": "2026-04-28T00:00:00+01:00"}
    valid = run(tmp_path, "workflow", "validate", "--json")
    assert json.loads(valid.stdout)["valid"] is True
    diagram = run(tmp_path, "workflow", "diagram", "--format", "dot")
    assert diagram.stdout.startswith("digraph")
    assert run(tmp_path, "erase", "nobody", "--json").returncode == 0


@pytest.mark.slow
def test_demo(tmp_path: Path) -> None:
    done = run(tmp_path, "demo", "--complaints", "30", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["complaints"] == 30
    assert summary["closed"] > 0
    rerun = run(tmp_path, "demo", "--complaints", "30", "--json")  # idempotent on the same file
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["complaints"] == 30
