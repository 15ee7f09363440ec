"""The workflow benchmark still runs (a smoke run: it times nothing and asserts no speed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "workflow_bench.py"


def test_the_benchmark_runs_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("statemachine")
    pytest.importorskip("transitions")
    spec = importlib.util.spec_from_file_location("workflow_bench", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--quick"]) == 0
    table = capsys.readouterr().out
    for library in ("iso10002.workflow", "python-statemachine", "transitions"):
        assert f"| {library} |" in table
