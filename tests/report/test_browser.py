"""The management review as a person sees it: opened in headless Chromium (the system's, driven
by Playwright), it renders, every chart is present and drawn, the console stays quiet and no
request leaves the page. A screenshot is saved under ``.reports/``.

Outside CI the test is skipped when Chromium or Playwright is missing; under ``CI=true`` it fails
instead (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from iso10002.report import ManagementReview

ROOT = Path(__file__).resolve().parents[2]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip() -> tuple[Any, str]:
    """Playwright's sync API and the Chromium executable, or skip (fail under CI)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if chromium is None:
        missing.append("Chromium (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright (pip install playwright)")
    if missing:
        reason = f"the browser test needs {' and '.join(missing)}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; under CI it must run")
        pytest.skip(reason)
    from playwright import sync_api

    assert chromium is not None
    return sync_api, chromium


def test_the_report_renders_in_a_browser_with_its_charts_and_no_requests(
    review: ManagementReview, tmp_path: Path
) -> None:
    sync_api, chromium = _browser_or_skip()
    page_file = review.write(tmp_path)["html"]
    url = page_file.as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="load")
            assert page.title() == review.title
            heading = page.locator("h1").inner_text()
            assert heading == review.title  # the hostile title shows as text
            assert page.evaluate("document.scripts.length") == 0
            charts = page.locator("figure.chart svg")
            assert charts.count() == 7
            for i in range(charts.count()):
                chart = charts.nth(i)
                box = chart.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100, i
                drawn = chart.evaluate("svg => svg.querySelectorAll('path, text').length")
                assert drawn > 10, i
            rows = page.locator("#conformance tbody tr")
            assert rows.count() == len(review.conformance.findings)
            assert page.locator("body").inner_text().count("certifies nothing") == 1
            reports = ROOT / ".reports"
            reports.mkdir(exist_ok=True)
            page.screenshot(path=str(reports / "management-review.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [url]  # the page itself, nothing else
