"""The report in a real headless Chromium: every figure loads and the console stays free of errors.

Drives Debian's ``chromium`` through its ``chromedriver`` with Selenium.
Without the browser the test skips on a workstation but fails under CI
(environment variable CI set), so the check cannot silently vanish there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_analysis import tiny_store

from orgsim.report import write_report

BROWSER = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def browser_or_skip() -> None:
    missing = [path for path in (BROWSER, DRIVER) if not os.access(path, os.X_OK)]
    if missing:
        message = f"the browser test needs {' and '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def driver(tmp_path):
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield chrome
    chrome.quit()


def test_report_figures_load_without_console_errors(driver, tmp_path_factory, tmp_path):
    store = tiny_store(tmp_path_factory.getbasetemp())
    docs = Path(__file__).resolve().parent.parent / "docs"  # as `make demo` reports them
    report = write_report(store, tmp_path / "report.html", sensitivity=docs / "sensitivity",
                          discovery=docs / "decision" / "discovery", optimize=docs / "decision" / "optimize")
    driver.get(Path(report.html).resolve().as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);")
    assert len(images) == len(report.figures) >= 8
    assert any(path.stem.endswith("_sobol") for path in report.figures)
    for name in ("tradeoff", "box", "cart", "feature_scores", "pareto", "reevaluation"):  # both decision sections
        assert any(path.stem.endswith(f"_{name}") for path in report.figures), name
    headings = [h.text for h in driver.find_elements("tag name", "h2")]
    assert "When does retention collapse?" in headings and "Policies that hold up" in headings
    assert all(complete and width > 0 and height > 0 for complete, width, height in images), images
    assert driver.title.startswith("orgsim report")
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
