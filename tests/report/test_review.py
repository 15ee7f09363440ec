"""The management review: its contents, its three renderings, escaping of hostile text, and the
message without the ``report`` extra."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from iso10002.analysis import Period
from iso10002.errors import ValidationError
from iso10002.report import ManagementReview, management_review, policy_rows, workflow_rows
from iso10002.sla import SlaPolicy
from iso10002.workflow import small_business_workflow

UTC = timezone.utc
MONTH = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
HOSTILE = '<script>alert("x")</script> {{ 7*7 }} {% if 1 %}\' | # *bold*'

SECTIONS = (
    "kpis",
    "volumes",
    "categories",
    "root-causes",
    "sla",
    "time-to-close",
    "backlog",
    "satisfaction",
    "recurring",
    "conformance",
    "workflow",
    "sla-policy",
)


def test_the_review_holds_every_figure(review: ManagementReview) -> None:
    assert review.kpis.total == 40
    assert review.volumes.every == "day" and len(review.volumes.rows) == 31
    assert review.categories.rows[0].key == "billing"
    assert {r.key for r in review.root_causes.rows} == {"process", HOSTILE, None}  # undecided
    assert sum(review.time_to_close.counts) == review.kpis.rates.decided
    assert review.objectives is not None and len(review.objectives.results) == 2
    ack = review.conformance.finding("acknowledged")
    assert ack.failures == 4  # every tenth complaint was never acknowledged
    assert review.conformance.finding("satisfaction_sought").target == 0.3
    closure = review.kpis.durations.get("closure")
    assert closure is not None and closure.business is not None  # the calendar was given


def test_html_is_one_self_contained_page_with_a_chart_per_section(
    review: ManagementReview,
) -> None:
    page = review.to_html()
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    assert page.count("<svg") == 7
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    # Nothing to fetch: no script, stylesheet link, image, frame or remote URL outside the SVG
    # namespace declarations.
    for tag in ("<script", "<link", "<img", "<iframe", "@import"):
        assert tag not in page.lower()
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page
    remote = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert remote <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, remote
    assert "certifies nothing" in page


def test_hostile_text_is_escaped_everywhere(review: ManagementReview) -> None:
    page = review.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    title = (
        "Review &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; "
        "{{ 7*7 }} {% if 1 %}&#39; | # *bold*"
    )
    assert f"<h1>{title}</h1>" in page
    text = review.to_markdown()
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\| \\# \\*bold\\*" in text
    data = json.loads(review.to_json())
    assert data["title"] == f"Review {HOSTILE}"  # JSON keeps the text as it is


def test_markdown_tables_keep_their_columns(review: ManagementReview) -> None:
    text = review.to_markdown()
    head = "| Category | Complaints | Share | Cumulative |"
    rows = text.split(head)[1].split("\n\n")[0].strip().splitlines()[1:]
    assert rows
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row


def test_json_carries_the_figures_and_the_configuration(review: ManagementReview) -> None:
    data = json.loads(review.to_json())
    assert data["kpis"]["total"] == 40
    assert data["conformance"]["disclaimer"].endswith("certifies nothing.")
    assert [row["name"] for row in data["workflow"]["states"]][:2] == ["received", "acknowledged"]
    assert {
        "rule": "priority in P1",
        "milestone": "final_response",
        "target": "5 business days",
    } in (data["sla_policy"])
    assert data["time_to_close"]["labels"][0] == "< 1d"


def test_write_puts_three_files_in_the_directory(review: ManagementReview, tmp_path: Path) -> None:
    paths = review.write(tmp_path / "out", stem="q1")
    assert sorted(p.name for p in paths.values()) == ["q1.html", "q1.json", "q1.md"]
    assert paths["html"].read_text("utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(ValidationError) as info:
        review.write(tmp_path, stem="../escape")
    assert info.value.paths == ("stem",)


def test_policy_and_workflow_tables(review: ManagementReview) -> None:
    assert isinstance(review.sla_policy, SlaPolicy)
    assert policy_rows(review.sla_policy)[0] == {
        "rule": "default",
        "milestone": "acknowledgement",
        "target": "1 business day",
    }
    rows = workflow_rows(small_business_workflow())
    assert rows[0]["kind"] == "initial" and rows[0]["label"] == "Received"
    assert any(r["kind"] == "terminal" for r in rows)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"period": (MONTH.start, MONTH.end)}, "period"),
        ({"title": ""}, "title"),
        ({"objectives": {"objectives": []}}, "objectives"),
        ({"workflow": "iso10002"}, "workflow"),
        ({"sla_policy": {}}, "sla_policy"),
        ({"conformance": ["x"]}, "conformance"),
        ({"as_of": MONTH.end.replace(tzinfo=None)}, "as_of"),
        ({"calendar": "UTC"}, "calendar"),
    ],
)
def test_bad_arguments_are_refused_by_name(options: dict[str, object], path: str) -> None:
    arguments: dict[str, object] = {"period": MONTH, **options}
    with pytest.raises(ValidationError) as info:
        management_review([], **arguments)  # type: ignore[arg-type]
    assert info.value.paths == (path,)


def test_an_empty_period_still_renders(tmp_path: Path) -> None:
    empty = management_review([], MONTH, as_of=MONTH.end)
    assert empty.kpis.total == 0
    assert empty.to_html().count("<svg") == 7
    assert "No objectives were given." in empty.to_markdown()
    assert "The process runs without an SLA policy." in empty.to_markdown()


def test_importing_the_report_without_the_extra_names_the_extra() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('jinja2', 'matplotlib'):\n"
        "            raise ImportError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "try:\n"
        "    import iso10002.report\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src},
        timeout=60,
    )
    assert "pip install iso10002[report]" in done.stdout
    assert "'report' extra" in done.stdout
