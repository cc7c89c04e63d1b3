"""orgsim report: HTML and PNGs from a store, the summary's numbers, graceful gaps, one-line errors."""

from __future__ import annotations

import json
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


def test_report_without_draws_says_intervals_are_seed_noise_only(report):
    assert "Intervals reflect seed noise only" in report.read_text(encoding="utf-8")


def sensitivity_folder(root: Path) -> Path:
    """What `orgsim sensitivity` writes, for two outcomes and four parameters (indices made up, ranked a > b > c > d)."""
    folder = root / "sens"
    folder.mkdir()
    rows = []
    for outcome in ("cohort_retention", "top_talent_retention"):
        for name, st in (("p.a", 0.6), ("p.b", 0.3), ("p.c", 0.2), ("p.d", 0.01)):
            rows.append({"scenario": "avocado_failure", "outcome": outcome, "parameter": name, "S1": st / 2,
                         "S1_low": st / 2 - 0.1, "S1_high": st / 2 + 0.1, "ST": st, "ST_low": st - 0.05,
                         "ST_high": st + 0.05, "points": 60, "points_undefined": 0})
    pd.DataFrame(rows).to_csv(folder / "sobol_indices.csv", index=False)
    (folder / "sensitivity.json").write_text(json.dumps({"runs": 61, "base_samples": 10, "parameters": 4,
                                                         "points": 60, "conf_level": 0.95}), encoding="utf-8")
    return folder


def test_report_adds_the_sensitivity_section(store, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out), "--sensitivity",
                                 str(sensitivity_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Global sensitivity: the three parameters that matter most" in text
    assert ("the three that matter most for top-talent retention are p.a (ST 0.60, 95% CI 0.55 to 0.65), "
            "p.b (ST 0.30, 95% CI 0.25 to 0.35) and p.c (ST 0.20, 95% CI 0.15 to 0.25).") in text
    assert (tmp_path / "report_sobol.png").read_bytes().startswith(PNG)


def test_report_with_a_missing_sensitivity_folder_exits_2(store, tmp_path):
    result = runner.invoke(app, ["report", str(store), "--out", str(tmp_path / "r.html"), "--sensitivity",
                                 str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no sobol_indices.csv here" in result.output
    assert not (tmp_path / "r.html").exists()
