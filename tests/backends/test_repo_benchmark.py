"""The repository benchmark still runs (at a toy size; figures are not asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "repository_bench.py"


def _run(tmp_path: Path, backends: str, extra: dict[str, str]) -> str:
    src = str(BENCH.parents[1] / "src")
    env = dict(os.environ, ISO10002_BENCH_DIR=str(tmp_path), **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    args = ["--size", "400", "--ingest", "100", "--rounds", "1", "--backends", backends]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    return done.stdout


def test_repo_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    out = _run(tmp_path, "sqlite", {})
    assert "| SQLite |" in out
    assert list(tmp_path.iterdir()) == []  # the work directory is removed


@pytest.mark.postgres
def test_repo_benchmark_runs_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    out = _run(tmp_path, "postgres", {"ISO10002_BENCH_POSTGRES_URL": postgres_url})
    assert "| PostgreSQL |" in out
