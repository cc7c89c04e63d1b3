"""orgsim report: HTML and PNGs from a store, the summary's numbers, graceful gaps, one-line errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_analysis import tiny_store
from typer.testing import CliRunner

from orgsim.cli import app

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return tiny_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def report(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_writes_self_contained_html_and_pngs(report):
    text = report.read_text(encoding="utf-8")
    sources = re.findall(r"<img src='([^']*)'", text)
    pngs = sorted(report.parent.glob("report_*.png"))
    assert len(sources) >= 7 and len(pngs) == len(sources)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert not re.search(r"(src|href)=['\"](?!data:)", text), "the report must not load anything from outside"
    assert all(png.read_bytes().startswith(PNG) for png in pngs)
    names = {png.stem.removeprefix("report_") for png in pngs}
    assert {"retention_km", "competing_risks", "headcount", "top_talent_share", "flows", "capability_gap",
            "lever_effects"} <= names


def test_summary_states_retention_with_intervals(report):
    text = report.read_text(encoding="utf-8")
    summary = re.findall(r"<p class='summary'>(.*?)</p>", text)
    lead = summary[0]
    pct = r"\d+\.\d% \(95% CI \d+\.\d%–\d+\.\d%\)"
    assert re.search(rf"retention of the blitz-2025 cohort at meta is {pct} after avocado_failure", lead), lead
    assert re.search(rf"against {pct} after avocado_success", lead), lead
    assert any(re.search(rf"top talent .* still there 52 weeks later is {pct}", s) for s in summary), summary
    points = r"[+-]\d+\.\d pp \(95% CI [+-]\d+\.\d to [+-]\d+\.\d\)"
    assert any(re.search(rf"Paired by replication .* avocado_failure {points}", s) for s in summary), summary
    assert "Two-year retention" in text and "SignalFire 2025" in text


def test_report_without_events_metrics_or_design_degrades_with_notes(store, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(store, bare, ignore=shutil.ignore_patterns("events", "metrics"))
    runs = pd.read_parquet(bare / "runs.parquet")
    runs[runs["point"] == 0].to_parquet(bare / "runs.parquet")
    out = tmp_path / "bare.html"
    result = runner.invoke(app, ["report", str(bare), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "no event log" in text and "no weekly metrics" in text and "no lever effects" in text
    assert "Headline outcomes" in text and "<img" not in text


@pytest.mark.parametrize("make", [
    lambda tmp: tmp / "missing",
    lambda tmp: tmp,
    lambda tmp: (tmp / "runs.parquet").write_text("not parquet") and tmp,
])
def test_bad_directory_exits_2_with_one_line(tmp_path, make):
    result = runner.invoke(app, ["report", str(make(tmp_path)), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert not (tmp_path / "r.html").exists()
