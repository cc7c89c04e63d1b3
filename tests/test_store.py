"""A self-describing store: runs carry their config digest, revision and outcome settings; resume refuses a mix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from orgsim import analysis
from orgsim.cli import app
from orgsim.sweep import run_sweep
from orgsim.sweep.store import Store

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
runner = CliRunner()


def sweep_of(tmp_path: Path, scenario_extra: str = "", spec_extra: str = "") -> tuple[Path, Path]:
    """A tiny sweep of a scenario file of its own (extending the failure scenario): the spec and the scenario."""
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(f"extends: {CONFIGS / 'avocado_failure.yaml'}\nname: mine\n{scenario_extra}", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: store_test\nscenarios: [mine.yaml]\nreplications: 4\nseed: 3\nweeks: 20\n"
                    f"set: [population.scale=0.03]\nbatch_size: 2\n{spec_extra}", encoding="utf-8")
    return spec, scenario


def drop_two(out: Path) -> None:
    for record in sorted((out / "runs").glob("*.json"))[:2]:
        record.unlink()


def test_records_carry_digest_revision_and_settings(tmp_path: Path) -> None:
    spec, _ = sweep_of(tmp_path)
    out = tmp_path / "out"
    assert run_sweep(spec, out, executor_kind="serial").all_ok
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["config_digest"].nunique() == 1 and runs["code_revision"].notna().all()
    assert (runs["outcomes.retention_weeks"] == 52).all() and (runs["focal_lab"] == "meta").all()
    stored = Store(out).config(runs["config_digest"].iloc[0])
    assert stored["name"] == "mine" and stored["population"]["scale"] == 0.03
    assert len(list((out / "configs").glob("*.json"))) == 1  # stored once, not once per run


def test_resume_after_a_scenario_change_is_refused_naming_field_and_file(tmp_path: Path) -> None:
    """Drop two runs, switch attrition off in the scenario, resume: exit 2, and the store is left as it was."""
    spec, scenario = sweep_of(tmp_path)
    out = tmp_path / "out"
    assert run_sweep(spec, out, executor_kind="serial").all_ok
    drop_two(out)
    before = sorted(p.name for p in (out / "runs").glob("*.json"))
    scenario.write_text(scenario.read_text(encoding="utf-8") + "mechanisms: {attrition: {enabled: false}}\n",
                        encoding="utf-8")
    result = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--executor", "serial", "--resume"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "mechanisms.attrition.enabled" in lines[0] and "mine.yaml" in lines[0] and "2 finished run" in lines[0]
    assert sorted(p.name for p in (out / "runs").glob("*.json")) == before
    assert len(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"]) == 1


def test_resume_without_a_change_reruns_what_is_missing_and_appends_a_session(tmp_path: Path) -> None:
    spec, _ = sweep_of(tmp_path)
    out = tmp_path / "out"
    assert run_sweep(spec, out, executor_kind="serial").all_ok
    first = pd.read_parquet(out / "runs.parquet").drop(columns="duration_s")
    drop_two(out)
    result = run_sweep(spec, out, executor_kind="serial", resume=True)
    assert result.all_ok and result.skipped == 2 and result.ok == 2
    sessions = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"]
    assert [s["runs_to_simulate"] for s in sessions] == [4, 2]
    assert all(s["git_revision"] and s["finished"] for s in sessions)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet").drop(columns="duration_s"), first)


def test_report_reads_the_window_from_the_stored_configs(tmp_path: Path) -> None:
    """A store made with outcomes.retention_weeks=13 is reported as 13 weeks, not the schema's 52."""
    from orgsim.report import write_report

    spec, _ = sweep_of(tmp_path, scenario_extra="outcomes: {retention_weeks: 13, cohort: blitz-2025}\n")
    out = tmp_path / "out"
    assert run_sweep(spec, out, executor_kind="serial").all_ok
    assert analysis.load(out).settings.retention_weeks == 13
    page = write_report(out, tmp_path / "report.html").html.read_text(encoding="utf-8")
    assert "13 weeks after the release" in page and "52 weeks after the release" not in page


def test_a_store_mixing_outcome_settings_is_refused(tmp_path: Path) -> None:
    spec, _ = sweep_of(tmp_path, spec_extra="design: {kind: grid, parameters: {outcomes.retention_weeks: [13, 26]}}\n")
    out = tmp_path / "out"
    assert run_sweep(spec, out, executor_kind="serial").all_ok
    result = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "outcomes.retention_weeks" in result.output
