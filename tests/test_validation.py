"""Validation: spec errors, a tiny validation that writes its table (a pass and a fail), resume, the shipped spec."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from orgsim.calibration.targets import load_calibration
from orgsim.cli import app
from orgsim.config import ConfigError, load_scenario
from orgsim.sweep.runner import FAIL_ENV
from orgsim.validation import Fact, load_validation, run_validation

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
SPEC = ROOT / "experiments" / "validation.yaml"
runner = CliRunner()

FACTS = """
  headcount_meta:
    label: Meta headcount, Oct 2025
    scenario: baseline
    statistic: {kind: headcount, lab: meta, date: 2025-10-29}
    low: 100
    high: 100000
    source: a bound any run meets
  headcount_wrong:
    label: Meta headcount, wrong on purpose
    scenario: baseline
    statistic: {kind: headcount, lab: meta, date: 2025-10-29}
    value: 10
    tolerance: 1
    source: a fact no run meets
  march_slow_beats_fast:
    label: slow socialization beats fast (p2 = 0.9)
    statistic: {kind: march_contrast, a: {p1: 0.1, p2: 0.9}, b: {p1: 0.9, p2: 0.9}, runs: 40, seed: 1}
    low: 0
    high: 2
    check: interval
    source: March (1991), Figure 1
"""


def write_spec(tmp_path: Path, facts: str = FACTS, head: str = "", name: str = "validation.yaml") -> Path:
    """A tiny validation: the baseline at scale 0.03 for 24 weeks, two seeds, and ``facts``."""
    defaults = f"""name: tiny_validation
scenarios: [{CONFIGS / 'baseline.yaml'}]
replications: 2
seed: 5
weeks: 24
set: [population.scale=0.03]
"""
    given = {line.split(":")[0] for line in head.splitlines() if line and not line.startswith(" ")}
    kept = "".join(line + "\n" for line in defaults.splitlines() if line.split(":")[0] not in given)
    text = f"""
{kept}{head}
facts:
{facts}
"""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_fact(body: str) -> str:
    return "  f:\n" + "".join(f"    {line}\n" for line in body.strip().splitlines()) + "    source: s\n"


# ------------------------------------------------------------------ spec errors


@pytest.mark.parametrize(("facts", "head", "field", "reason"), [
    (one_fact("scenario: baseline\nstatistic: {kind: headcounts, lab: meta, date: 2025-10-29}\nvalue: 1\ntolerance: 1"),
     "", "facts.f.statistic", "does not match any of the expected tags"),
    (one_fact("statistic: {kind: headcount, lab: meta, date: 2025-10-29}\nvalue: 1\ntolerance: 1"),
     "", "facts.f", "scenario"),
    (one_fact("scenario: baseline\nstatistic: {kind: march_contrast, a: {p1: 0.1, p2: 0.9}, b: {p1: 0.9, p2: 0.9}}"
              "\nlow: 0\nhigh: 2"), "", "facts.f", "drop scenario"),
    (one_fact("scenario: history\nstatistic: {kind: headcount, lab: meta, date: 2025-10-29}\nvalue: 1\ntolerance: 1"),
     "", "facts.f.scenario", "no scenario 'history'"),
    (one_fact("scenario: baseline\nstatistic: {kind: headcount, lab: nolab, date: 2025-10-29}\nvalue: 1\ntolerance: 1"),
     "", "facts.f.statistic.lab", "no lab 'nolab'"),
    (one_fact("scenario: baseline\nstatistic: {kind: headcount, lab: meta, date: 2031-01-01}\nvalue: 1\ntolerance: 1"),
     "", "facts.f.statistic.date", "outside"),
    (one_fact("scenario: baseline\nstatistic: {kind: headcount, lab: meta, date: 2026-10-29}\nvalue: 1\ntolerance: 1"),
     "", "facts.f.statistic", "needs 74 simulated weeks, the spec runs 24"),
    (one_fact("scenario: baseline\nstatistic: {kind: headcount, lab: meta, date: 2025-10-29}\nlow: 3\nhigh: 1"),
     "", "facts.f", "low (3) must be below high (1)"),
    (one_fact("statistic: {kind: march_contrast, a: {p1: 1.5, p2: 0.9}, b: {p1: 0.9, p2: 0.9}}\nlow: 0\nhigh: 2"),
     "", "facts.f.statistic.a.p1", "less than or equal to 1"),
    (one_fact("scenario: baseline\nstatistic: {kind: in_post, lab: meta, team: nope, start: 2025-06-12, end: 2025-12-31}"
              "\nlow: 0.5\nhigh: 1"), "", "facts.f.statistic.team", "no team 'nope' at meta"),
    (one_fact("scenario: baseline\nstatistic: {kind: release_outcome, lab: openai, outcome: partial, start: 2026-04-01,"
              " end: 2026-04-30}\nlow: 0.5\nhigh: 1"), "weeks: 60", "facts.f.statistic.lab", "focal lab's release only"),
    (FACTS, "bogus: 1", "bogus", "unknown key"),
    (FACTS, "scenarios: [missing.yaml]", "scenarios[0]", "not found"),
])
def test_bad_specs_are_one_error_line_with_exit_2(tmp_path, facts, head, field, reason) -> None:
    path = write_spec(tmp_path, facts, head)
    if head.startswith("scenarios"):  # replace the scenarios line instead of adding a second one
        text = path.read_text(encoding="utf-8").replace(f"scenarios: [{CONFIGS / 'baseline.yaml'}]\n", "")
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_validation(path)
    assert caught.value.field.startswith(field) and reason in caught.value.reason, str(caught.value)
    result = runner.invoke(app, ["validation", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and str(path) in lines[0]


# ------------------------------------------------------------------ the validation's own statistics


def fact(statistic: dict, scenario: str | None = "history_2026") -> Fact:
    return Fact.model_validate({"low": 0.5, "high": 1.0, "source": "test", "scenario": scenario, "statistic": statistic})


def test_in_post_is_one_until_the_posts_executive_leaves() -> None:
    history = load_scenario(CONFIGS / "history_2026.yaml", ["population.scale=0.1"])
    stat = fact({"kind": "in_post", "lab": "meta", "team": "tbd_lab", "start": "2025-06-12", "end": "2026-12-31"}).statistic
    log = pd.DataFrame([(3, "executive_exit", "meta", "outside", "meta/fair"),       # another post
                        (4, "quit", "meta", "outside", "meta/tbd_lab"),               # a researcher, not the executive
                        (90, "executive_exit", "meta", "outside", "meta/tbd_lab")],   # after the window
                       columns=["week", "kind", "from_lab", "to_lab", "team"])
    assert stat.compute(history, pd.DataFrame(), log) == 1.0
    log.loc[2, "week"] = 40
    assert stat.compute(history, pd.DataFrame(), log) == 0.0


def test_release_outcome_reads_the_headline() -> None:
    history = load_scenario(CONFIGS / "history_2026.yaml", ["population.scale=0.1"])
    stat = fact({"kind": "release_outcome", "lab": "meta", "outcome": "partial",
                 "start": "2026-04-01", "end": "2026-04-30"}).statistic
    april = history.week_of(dt.date(2026, 4, 8))
    assert stat.from_record(history, {"release_week": april, "release_outcome": "partial"}) == 1.0
    assert stat.from_record(history, {"release_week": april, "release_outcome": "failure"}) == 0.0
    assert stat.from_record(history, {"release_week": april + 8, "release_outcome": "partial"}) == 0.0
    assert stat.from_record(history, {"release_week": float("nan"), "release_outcome": "none"}) == 0.0


def test_bounds_pass_up_to_rounding_and_interval_checks_the_whole_interval() -> None:
    bounded = fact({"kind": "headcount", "lab": "meta", "date": "2025-10-29"}, "baseline")
    bounded = bounded.model_copy(update={"value": 0.95, "tolerance": (1.0 - 0.9) / 2})
    assert bounded.passes(1.0, 1.0, 1.0) and bounded.passes(0.9, 0.9, 0.9) and not bounded.passes(0.89, 0.8, 0.95)
    strict = Fact.model_validate({"low": 0, "high": 2, "source": "t", "check": "interval", "statistic": {
        "kind": "march_contrast", "a": {"p1": 0.1, "p2": 0.9}, "b": {"p1": 0.9, "p2": 0.9}}})
    assert strict.passes(0.2, 0.1, 0.3) and not strict.passes(0.2, -0.01, 0.41) and not strict.passes(0.2, float("nan"), 0.3)


# ------------------------------------------------------------------ a tiny validation


def test_tiny_validation_writes_table_with_a_pass_and_a_fail(tmp_path: Path) -> None:
    path, out, doc = write_spec(tmp_path), tmp_path / "out", tmp_path / "VALIDATION.md"
    result = runner.invoke(app, ["validation", str(path), "--out", str(out), "--executor", "serial", "--doc", str(doc)])
    assert result.exit_code == 0, result.output
    assert "2 of 3 facts pass" in result.stdout and "FAIL" in result.stdout and "pass" in result.stdout
    table = pd.read_csv(out / "validation.csv").set_index("fact")
    assert list(table.index) == ["headcount_meta", "headcount_wrong", "march_slow_beats_fast"]
    assert table["passed"].to_dict() == {"headcount_meta": True, "headcount_wrong": False, "march_slow_beats_fast": True}
    assert (table.loc[["headcount_meta", "headcount_wrong"], "runs"] == 2).all()
    assert table.loc["march_slow_beats_fast", "runs"] == 40
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    values = pd.read_csv(out / "values.csv")
    assert len(values) == 2 + 2 + 40
    md = (out / "validation.md").read_text(encoding="utf-8")
    assert "| Meta headcount, wrong on purpose | baseline | 10 | ±1 |" in md and "**FAIL**" in md
    page = doc.read_text(encoding="utf-8")
    assert "**2 of 3 facts pass.**" in page and "## What fails" in page and "wrong on purpose" in page.split("## What fails")[1]
    assert str(tmp_path) not in page  # the page names no path of this machine


def test_failed_runs_are_reported_and_resume_completes_the_same_table(tmp_path: Path, monkeypatch) -> None:
    """A run that fails is left out (and named, exit 1); ``--resume`` reruns only it and the table matches a clean run."""
    path = write_spec(tmp_path)
    clean = run_validation(path, tmp_path / "clean", executor_kind="serial")
    assert clean.simulated == clean.runs == 2 + 2 and not clean.failed

    monkeypatch.setenv(FAIL_ENV, "*-r001")
    out = tmp_path / "out"
    result = runner.invoke(app, ["validation", str(path), "--out", str(out), "--executor", "serial"])
    assert result.exit_code == 1 and "baseline-p000-r001" in result.stderr
    partial = pd.read_csv(out / "validation.csv").set_index("fact")
    assert partial.loc["headcount_meta", "runs"] == 1  # the failed run is not counted

    monkeypatch.delenv(FAIL_ENV)
    next(iter((out / "march").glob("cell-*.json"))).unlink()  # as if killed before that cell was stored
    again = run_validation(path, out, executor_kind="serial", resume=True)
    assert again.simulated == 2 and not again.failed  # the failed run and the lost cell
    assert (out / "validation.csv").read_bytes() == (tmp_path / "clean" / "validation.csv").read_bytes()
    with pytest.raises(ConfigError, match="already holds a validation"):
        run_validation(path, out, executor_kind="serial")


def test_sigkill_then_resume_gives_the_same_table(tmp_path: Path) -> None:
    """Kill a validation with SIGKILL part-way; ``--resume`` finishes it with the table of a clean run."""
    path = write_spec(tmp_path, head="replications: 8")
    run_validation(path, tmp_path / "reference", executor_kind="serial")
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "orgsim", "validation", str(path), "--out", str(out), "--executor", "serial"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "sweep" / "runs").glob("*.json"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "sweep" / "runs").glob("*.json")))
    assert 3 <= done < 8 and not (out / "validation.csv").exists(), f"kill should land part-way ({done} of 8 runs)"
    result = runner.invoke(app, ["validation", str(path), "--out", str(out), "--resume", "--executor", "serial"])
    assert result.exit_code == 0, result.output
    for name in ("validation.csv", "values.csv"):
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name


def test_changed_facts_are_remeasured_on_resume_without_running(tmp_path: Path) -> None:
    path = write_spec(tmp_path)
    run_validation(path, tmp_path / "out", executor_kind="serial")
    write_spec(tmp_path, FACTS.replace("value: 10\n", "value: 3000\n").replace("tolerance: 1\n", "tolerance: 2900\n"))
    again = run_validation(path, tmp_path / "out", executor_kind="serial", resume=True)
    assert again.simulated == 0 and again.passed == 3


# ------------------------------------------------------------------ the shipped spec


def test_shipped_spec_loads_and_never_repeats_a_calibration_target() -> None:
    """Validation facts must be facts the fit never sees: no statistic of the calibration's on its scenario."""
    spec, _, _ = load_validation(SPEC)
    calibration, cbase = load_calibration(ROOT / "experiments" / "calibration.yaml")
    fitted_on = load_scenario(cbase / calibration.scenario).name
    fitted = {t.statistic.model_dump_json() for t in calibration.targets.values()}
    for name, fact in spec.facts.items():
        assert fact.source.strip(), name
        if fact.scenario == fitted_on:
            assert fact.statistic.model_dump_json() not in fitted, f"{name} is a calibration target"


def test_validation_page_lists_every_fact_of_the_spec() -> None:
    page = (ROOT / "docs" / "VALIDATION.md").read_text(encoding="utf-8")
    spec, _, _ = load_validation(SPEC)
    for name, fact in spec.facts.items():
        assert f"`{name}`" in page and (fact.label or name) in page, f"docs/VALIDATION.md is stale: {name} missing"
