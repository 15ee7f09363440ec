"""Every example runs end to end, as a script in a fresh interpreter and as a module."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quickstart_runs_the_whole_process_on_sqlite(tmp_path: Path) -> None:
    out = run("quickstart", str(tmp_path / "demo.db"))
    assert (tmp_path / "demo.db").exists()
    for line in (
        "CMP-2026-000001: Received (received)",
        "SLA acknowledgement  due Tue 03 Mar 17:30  [running]",
        "sent 'acknowledgement' to complainant",
        "SLA final_response   due Mon 16 Mar 17:30  [paused]",
        "SLA final_response   due Wed 18 Mar 17:30  [running]",
        "sent 'decision' to complainant",
        "The complainant sees: Closed (closed: True)",
    ):
        assert line in out
    complaint = load("quickstart").main(tmp_path / "again.db")
    assert complaint.state == "closed"
    assert complaint.satisfaction is not None and complaint.satisfaction.score == 5


def test_custom_workflow_adds_a_legal_review_stage() -> None:
    out = run("custom_workflow")
    assert "stateDiagram-v2" in out
    assert "internal_review --> legal_review : refer_to_legal" in out
    for line in (
        "CMP-2026-000001: Being checked by our legal team",
        "  may now: withdraw, assign, add_note, classify, legal_approve",
        "m.diaz cannot approve: a P1 complaint needs an approver with the 'senior' role",
        "  step refer_to_legal by r.ito: {'question': 'Are we liable for the second visit?', "
        "'contract': 'SV-2291'}",
        "CMP-2026-000001 is closed; 15 events recorded",
        'GuardParameterError: transitions["legal_approve"].guards[1].params.urgnet: unknown key',
        'UnknownMilestoneError: states["legal_review"].pause[0]: unknown milestone',
        'UnknownStateError: transitions["refer_to_legal"].sources[1]: unknown state or group',
    ):
        assert line in out
    module = load("custom_workflow")
    assert module.main().state == "closed"
    assert len(module.mistakes()) == 3


def test_analysis_simulates_a_quarter_and_prints_the_figures() -> None:
    out = run("analysis", "120")
    for line in ("KPIs at 2026-04-01T00:00:00+00:00: 120 complaints", "Pareto of category"):
        assert line in out
    assert "Recurring issues (Poisson, alpha 0.01, 2 periods)" in out
    assert "Objectives" in out
    report = load("analysis").main(60)
    assert report.total == 60
    ack = report.sla.get("acknowledgement")
    assert ack is not None and ack.on_time.denominator > 0


def test_management_review_writes_the_report_and_the_procedure(tmp_path: Path) -> None:
    out = run("management_review", str(tmp_path / "out"), "120")
    for name in ("management-review-2026-q1.html", "management-review-2026-q1.md"):
        assert (tmp_path / "out" / name).exists()
    assert (tmp_path / "out" / "how-to-complain.md").exists()
    assert "Conformance self-assessment 2026-01-01 to 2026-04-01" in out
    assert "certifies nothing" in out
    review = load("management_review").main(tmp_path / "again", 60)
    assert review.kpis.total == 60
    assert review.conformance.finding("erasure_honoured").figure.denominator >= 1
