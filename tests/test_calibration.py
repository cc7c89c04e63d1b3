"""Calibration: target statistics, spec validation, a tiny fit that writes its outputs and resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from orgsim import OrgModel, load_scenario
from orgsim.calibration.fit import calibrate, local_draws, stream_seeds
from orgsim.calibration.targets import CalibrationSpec, Target, load_calibration, loss, measure
from orgsim.cli import app
from orgsim.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
runner = CliRunner()


def target(statistic: dict, value: float = 0.5, tolerance: float = 0.1) -> Target:
    return Target.model_validate({"value": value, "tolerance": tolerance, "source": "test", "statistic": statistic})


def events(rows: list[tuple]) -> pd.DataFrame:
    """Hand-built event log: (week, researcher_id, kind, from_lab, to_lab, cohort)."""
    return pd.DataFrame(rows, columns=["week", "researcher_id", "kind", "from_lab", "to_lab", "cohort"])


@pytest.fixture(scope="module")
def half_world():
    return load_scenario(CONFIGS / "baseline.yaml", ["population.scale=0.5"])


# ------------------------------------------------------------------ statistics on hand-built data


def test_two_year_retention_is_signalfires_definition(half_world) -> None:
    log = events([
        (0, 1, "hire", "outside", "meta", "hire-2025"),     # week 0: outside the window (week-104, week] at week 104
        (5, 2, "hire", "outside", "meta", "hire-2025"),     # stays
        (6, 3, "move", "openai", "meta", "blitz-2025"),     # poached in, then quits
        (40, 3, "quit", "meta", "outside", "blitz-2025"),
        (10, 4, "hire", "outside", "meta", "hire-2025"),    # leaves, comes back: counts from the last join
        (20, 4, "move", "meta", "xai", "hire-2025"),
        (60, 4, "move", "xai", "meta", "moved-2026"),
        (30, 5, "hire", "outside", "meta", "hire-2025"),    # laid off
        (50, 5, "layoff", "meta", "outside", "hire-2025"),
        (90, 6, "hire", "outside", "meta", "hire-2027"),    # left after the evaluation week: still there then
        (200, 6, "quit", "meta", "outside", "hire-2027"),
        (12, 7, "hire", "outside", "openai", "hire-2025"),  # another lab
    ])
    stat = target({"kind": "two_year_retention", "lab": "meta", "week": 104}).statistic
    # joined in weeks 1..104: researchers 2, 3, 4, 5, 6; still there: 2, 4, 6
    assert stat.compute(half_world, pd.DataFrame(), log) == pytest.approx(3 / 5)
    at_103 = target({"kind": "two_year_retention", "lab": "meta", "week": 103}).statistic
    assert at_103.compute(half_world, pd.DataFrame(), log) == pytest.approx(4 / 6), "week 103 keeps the week-0 hire"


def test_offer_acceptance_counts_only_the_labs_offers_in_the_window(half_world) -> None:
    log = events(
        [(w, i, "offer", "openai", "meta", "x") for i, w in enumerate([1, 2, 3, 5, 8, 10, 12, 13, 20, 30])]
        + [(2, 0, "accept", "openai", "meta", "x"), (8, 4, "accept", "openai", "meta", "x"),
           (20, 8, "accept", "openai", "meta", "x"),                    # after the window
           (3, 50, "offer", "meta", "openai", "x"), (3, 50, "accept", "meta", "openai", "x")]  # OpenAI's offer
    )
    stat = target({"kind": "offer_acceptance", "lab": "meta", "start": "2025-06-02", "end": "2025-08-31"}).statistic
    end_week = half_world.week_of(stat.end)
    assert end_week == 12
    assert stat.compute(half_world, pd.DataFrame(), log) == pytest.approx(2 / 7)
    none = target({"kind": "offer_acceptance", "lab": "xai", "start": "2025-06-02", "end": "2025-08-31"}).statistic
    assert np.isnan(none.compute(half_world, pd.DataFrame(), log))



def test_offer_acceptance_by_source_and_accepted_offers_count_only_that_source_and_the_moves(half_world) -> None:
    log = events(
        [(1, 0, "offer", "openai", "meta", "x"), (1, 1, "offer", "openai", "meta", "x"),
         (1, 2, "offer", "openai", "meta", "x"), (2, 3, "offer", "deepmind", "meta", "x"),
         (1, 0, "accept", "openai", "meta", "x"), (2, 3, "accept", "deepmind", "meta", "x"),
         (2, 9, "accept", "meta", "openai", "x"),  # OpenAI's hire from Meta
         (20, 5, "accept", "openai", "meta", "x")]  # after the window
    )
    window = {"lab": "meta", "start": "2025-06-02", "end": "2025-08-31"}
    openai = target({"kind": "offer_acceptance", "source": "openai", **window}).statistic
    assert openai.compute(half_world, pd.DataFrame(), log) == pytest.approx(1 / 3)
    accepted = target({"kind": "accepted_offers", **window}).statistic
    assert accepted.compute(half_world, pd.DataFrame(), log) == pytest.approx(2 / 0.5), "full-world units"

def test_counts_are_in_full_world_units(half_world) -> None:
    metrics = pd.DataFrame({
        "week": [10, 11, 11, 21, 21],
        "lab": ["meta", "meta", "openai", "meta", "openai"],
        "metric": ["tracked_cohort", "tracked_cohort", "tracked_cohort", "headcount", "headcount"],
        "value": [18.0, 20.0, 99.0, 1500.0, 1800.0],
    })
    log = events([(1, 1, "hire", "outside", "meta", "acquihire-scale_ai"), (1, 2, "hire", "outside", "meta", "acquihire-scale_ai"),
                  (3, 3, "hire", "outside", "meta", "acquihire-nfdg"), (3, 4, "hire", "outside", "meta", "hire-2025"),
                  (15, 5, "hire", "outside", "meta", "acquihire-later")])
    blitz = target({"kind": "blitz_size", "lab": "meta", "date": "2025-08-18"}).statistic
    assert half_world.week_of(blitz.date) == 11
    assert blitz.compute(half_world, metrics, log) == pytest.approx((20 + 3) / 0.5)
    no_acq = target({"kind": "blitz_size", "lab": "meta", "date": "2025-08-18", "acquihires": False}).statistic
    assert no_acq.compute(half_world, metrics, log) == pytest.approx(40)
    msl = target({"kind": "headcount", "lab": "meta", "date": "2025-10-29"}).statistic
    assert half_world.week_of(msl.date) == 21
    assert msl.compute(half_world, metrics, log) == pytest.approx(3000)


def test_loss_is_sum_of_squared_standardized_errors() -> None:
    targets = {"a": target({"kind": "headcount", "lab": "meta", "date": "2025-10-29"}, 3000, 250),
               "b": target({"kind": "two_year_retention", "lab": "meta", "week": 103}, 0.64, 0.03)}
    assert loss(targets, {"a": 3500, "b": 0.61}) == pytest.approx(4 + 1)
    assert loss(targets, {"a": 3500, "b": float("nan")}) == float("inf")


def test_a_range_costs_nothing_inside_and_margins_beyond_its_edge() -> None:
    """5-30% with a 2 pp margin: 0 at 17%, ((36 - 30) / 2)^2 = 9 at 36%; without a margin the unit is the
    12.5 pp half-width, (6 / 12.5)^2 = 0.23."""
    statistic = {"kind": "voluntary_attrition", "lab": "meta", "start": "2025-06-02", "end": "2026-05-31"}
    strict = Target.model_validate({"low": 0.05, "high": 0.30, "margin": 0.02, "statistic": statistic, "source": "s"})
    loose = Target.model_validate({"low": 0.05, "high": 0.30, "statistic": statistic, "source": "s"})
    assert strict.penalty(0.17) == 0.0 and strict.penalty(0.36) == pytest.approx(9.0)
    assert loose.penalty(0.36) == pytest.approx(0.0576 / 0.25)
    with pytest.raises(ValueError, match="margin applies to a range"):
        Target.model_validate({"value": 0.1, "tolerance": 0.01, "margin": 0.02, "statistic": statistic, "source": "s"})


# ------------------------------------------------------------------ statistics on a small simulated run


def test_statistics_agree_with_the_weekly_counts() -> None:
    scenario = load_scenario(CONFIGS / "baseline.yaml", ["population.scale=0.1"])
    model = OrgModel(scenario, rng=3).run(24)
    metrics, log = model.metrics_frame(), model.events_frame()
    targets = {
        "acc": target({"kind": "offer_acceptance", "lab": "meta", "start": "2025-06-02", "end": "2025-08-31"}),
        "blitz": target({"kind": "blitz_size", "lab": "meta", "date": "2025-08-18"}),
        "msl": target({"kind": "headcount", "lab": "meta", "date": "2025-10-29"}),
        "ret": target({"kind": "two_year_retention", "lab": "openai", "week": 23}),
    }
    got = measure(targets, scenario, metrics, log)
    meta = metrics[(metrics["lab"] == "meta") & (metrics["week"] <= 12)]
    flows = meta.pivot_table(index="week", columns="metric", values="value", observed=True, aggfunc="sum").sum()
    assert flows["offers"] > 0
    assert got["acc"] == pytest.approx(flows["accepts"] / flows["offers"]), "events and weekly flows disagree"
    tracked = metrics[(metrics["lab"] == "meta") & (metrics["metric"] == "tracked_cohort") & (metrics["week"] == 11)]
    acquired = round(8 * 0.1) + round(3 * 0.1)
    assert got["blitz"] == pytest.approx((tracked["value"].iloc[0] + acquired) / 0.1)
    assert got["msl"] == pytest.approx(model.recorder.level(21, model.lab_by_key["meta"].index, "headcount") / 0.1)
    assert 0.5 < got["ret"] <= 1.0


# ------------------------------------------------------------------ the spec


def spec_text(*, trials: int = 2, extra: str = "", params: str | None = None, targets: str | None = None,
              out_config: str = "calibrated.yaml") -> str:
    params = params or """
  labs.meta.quit_rate: {low: 0.1, high: 0.5}
  labs.meta.teams.products.headcount: {low: 1400, high: 2000, integer: true}"""
    targets = targets or """
  msl: {value: 3000, tolerance: 300, source: test, statistic: {kind: headcount, lab: meta, date: 2025-10-29}}
  ret: {value: 0.8, tolerance: 0.05, percent: true, source: test, statistic: {kind: two_year_retention, lab: meta, week: 23}}
  acc: {value: 0.1, tolerance: 0.03, percent: true, source: test,
        statistic: {kind: offer_acceptance, lab: meta, start: 2025-06-02, end: 2025-08-31}}"""
    return f"""
name: tiny_calibration
scenario: {CONFIGS / 'baseline.yaml'}
set: [population.scale=0.03]
weeks: 24
seed: 5
replications: 2
trials: {trials}
optimizer: {{startup_trials: 2}}
refine: {{top: 1, replications: 1}}
verify: {{replications: 2}}
output: {{config: {out_config}, extends: {CONFIGS / 'world_2025.yaml'}}}
{extra}
parameters:{params}
targets:{targets}
"""


def write_spec(tmp_path: Path, text: str, name: str = "calibration.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_spec_validates() -> None:
    spec, _ = load_calibration(ROOT / "experiments" / "calibration.yaml")
    assert len(spec.targets) >= 9 and len(spec.parameters) >= 8
    assert spec.verify.replications >= 30 and 1.0 in spec.verify.scales
    for name in ("anthropic", "deepmind", "openai", "meta"):
        t = spec.targets[f"ret2y_{name}"]
        assert t.tolerance == 0.03 and t.statistic.kind == "two_year_retention" and t.statistic.week == 103


BAD_SPECS = {
    "unknown key": ({"extra": "trails: 3"}, "trails", "unknown key"),
    "no such parameter": ({"params": "\n  labs.meta.quitrate: {low: 0.1, high: 0.5}"},
                          "parameters.labs.meta.quitrate", "no such field"),
    "invalid bound": ({"params": "\n  labs.meta.quit_rate: {low: 0.1, high: 3}"},
                      "parameters.labs.meta.quit_rate", "bound 3.0 is invalid"),
    "not a number": ({"params": "\n  labs.meta.name: {low: 0.1, high: 3}"}, "parameters.labs.meta.name", "is not a number"),
    "empty range": ({"params": "\n  labs.meta.quit_rate: {low: 0.5, high: 0.1}"}, "parameters.labs.meta.quit_rate", "must be below"),
    "unknown lab": ({"targets": "\n  x: {value: 1, tolerance: 1, source: s, statistic: {kind: headcount, lab: nvidia, date: 2025-10-29}}"},
                    "targets.x.statistic.lab", "no lab 'nvidia'"),
    "date outside": ({"targets": "\n  x: {value: 1, tolerance: 1, source: s, statistic: {kind: headcount, lab: meta, date: 2024-10-29}}"},
                     "targets.x.statistic.date", "outside the horizon"),
    "too few weeks": ({"targets": "\n  x: {value: 1, tolerance: 1, source: s, statistic: {kind: two_year_retention, lab: meta, week: 103}}"},
                      "targets.x.statistic", "needs 104 simulated weeks, the spec runs 24"),
    "zero tolerance": ({"targets": "\n  x: {value: 1, tolerance: 0, source: s, statistic: {kind: headcount, lab: meta, date: 2025-10-29}}"},
                       "targets.x.tolerance", "greater than 0"),
    "unknown statistic": ({"targets": "\n  x: {value: 1, tolerance: 1, source: s, statistic: {kind: vibes, lab: meta}}"},
                          "targets.x.statistic", "does not match any of the expected tags"),
    "untracked cohort": ({"targets": "\n  x: {value: 1, tolerance: 1, source: s, statistic: {kind: blitz_size, lab: meta, date: 2025-08-18, cohort: poached-2025}}"},
                         "targets.x.statistic.cohort", "only the scenario's outcomes.cohort"),
    "no source": ({"targets": "\n  x: {value: 1, tolerance: 1, statistic: {kind: headcount, lab: meta, date: 2025-10-29}}"},
                  "targets.x.source", "Field required"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_gives_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    kwargs, field, reason = BAD_SPECS[case]
    path = write_spec(tmp_path, spec_text(**kwargs))
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "out"), "--executor", "serial"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert str(path) in lines[0] and field in lines[0] and reason in lines[0], lines[0]
    assert not (tmp_path / "out").exists(), "bad input writes nothing"


def test_missing_scenario_and_bad_options(tmp_path: Path) -> None:
    path = write_spec(tmp_path, spec_text().replace(str(CONFIGS / "baseline.yaml"), "nowhere.yaml"))
    result = runner.invoke(app, ["calibrate", str(path), "--executor", "serial"])
    assert result.exit_code == 2 and "scenario: scenario file 'nowhere.yaml' not found" in result.output
    good = write_spec(tmp_path, spec_text(), "good.yaml")
    result = runner.invoke(app, ["calibrate", str(good), "--executor", "threads"])
    assert result.exit_code == 2 and "--executor" in result.output


# ------------------------------------------------------------------ a tiny calibration: outputs and resume


def complete_trials(out: Path) -> list:
    study = optuna.load_study(study_name="tiny_calibration", storage=f"sqlite:///{out / 'optuna.db'}")
    return [t for t in study.trials if t.state.name == "COMPLETE"]


def test_tiny_calibration_writes_outputs_and_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    path = write_spec(tmp_path, spec_text(trials=2))
    out = tmp_path / "out"
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(out), "--executor", "serial"])
    assert result.exit_code == 0, result.output
    for name in ("fit.json", "fit_table.csv", "fit_table.md", "trials.csv", "loss.png", "params.png", "manifest.json",
                 "refine.json"):
        assert (out / name).is_file(), name
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = complete_trials(out)
    assert [t.number for t in first] == [0, 1]

    # the written config: extends the world, sets only the fitted parameters, says how it was made
    written = tmp_path / "calibrated.yaml"
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# Calibrated parameters: written by `orgsim calibrate`")
    data = yaml.safe_load(text)
    assert set(data) == {"extends", "labs"} and set(data["labs"]["meta"]) == {"quit_rate", "teams"}
    leaf = {line.split(":")[0].strip(): line for line in text.splitlines() if "#" in line and not line.startswith("#")}
    assert "bounds 0.1 to 0.5" in leaf["quit_rate"] and "bounds 1400 to 2000" in leaf["headcount"], "each value's own uncertainty"
    fit = json.loads((out / "fit.json").read_text())
    assert isinstance(fit["fitted"]["labs.meta.teams.products.headcount"], int)
    scenario = load_scenario(written)
    assert scenario.labs["meta"].quit_rate == fit["fitted"]["labs.meta.quit_rate"]
    table = pd.read_csv(out / "fit_table.csv")
    assert list(table["target"]) == ["msl", "ret", "acc"] and (table["seeds"] == 2).all()
    # the accepted vectors beside the config, in the form sweeps draw from (parameter_draws)
    accepted = pd.read_csv(tmp_path / "calibrated_accepted.csv")
    assert list(accepted.columns) == ["trial", "loss", "labs.meta.quit_rate", "labs.meta.teams.products.headcount"]
    assert len(accepted) == fit["uncertainty"][0]["n"] and accepted["loss"].is_monotonic_increasing
    assert set(accepted["trial"]) <= {t.number for t in first}

    # without --resume the folder is refused; a changed search is refused too
    again = runner.invoke(app, ["calibrate", str(path), "--out", str(out), "--executor", "serial"])
    assert again.exit_code == 2 and "use --resume" in again.output
    changed = write_spec(tmp_path, spec_text(trials=2).replace("value: 3000", "value: 2900"), "changed.yaml")
    refused = runner.invoke(app, ["calibrate", str(changed), "--out", str(out), "--executor", "serial", "--resume"])
    assert refused.exit_code == 2 and "targets" in refused.output and "cannot resume" in refused.output

    # a kill in the middle of trial 2: the trial is left RUNNING with its candidate drawn
    study = optuna.load_study(study_name="tiny_calibration", storage=f"sqlite:///{out / 'optuna.db'}")
    inflight = study.ask()
    inflight.suggest_float("labs.meta.quit_rate", 0.1, 0.5)
    inflight.suggest_int("labs.meta.teams.products.headcount", 1400, 2000)
    killed_params = dict(inflight.params)

    resumed = calibrate(path, out, executor_kind="serial", resume=True, trials=4)
    assert resumed.requeued == [2]
    trials = optuna.load_study(study_name="tiny_calibration", storage=f"sqlite:///{out / 'optuna.db'}").trials
    states = {t.number: t.state.name for t in trials}
    assert states == {0: "COMPLETE", 1: "COMPLETE", 2: "FAIL", 3: "COMPLETE", 4: "COMPLETE"}
    done = complete_trials(out)
    assert len(done) == 4, "exactly the trials asked for"
    assert [t.params for t in done[:2]] == [t.params for t in first], "earlier trials are kept as they were"
    assert done[2].params == killed_params, "the interrupted candidate is re-run"
    assert optuna.storages.RetryHeartbeatStaleTrialCallback.retry_history(done[2]) == [2]
    assert len({tuple(sorted(t.params.items())) for t in done}) == 4, "no candidate evaluated twice"
    csv = pd.read_csv(out / "trials.csv")
    assert len(csv) == 5 and csv["trial"].is_unique
    assert csv.set_index("trial").loc[2, "interrupted"] and csv.set_index("trial").loc[3, "rerun_of"] == 2
    # nothing more to do: a second resume runs no trial and keeps the verification
    third = calibrate(path, out, executor_kind="serial", resume=True, trials=4)
    assert third.trials_run == 0 and third.trials_done == 4


def test_the_local_phase_draws_around_the_best_within_the_bounds() -> None:
    """Each draw lies within a tenth of each range around the centre (a log range on its log scale), inside the
    bounds, whole where the parameter is an integer; the same spec draws the same."""
    spec = CalibrationSpec.model_validate(
        {**yaml.safe_load(spec_text()), "optimizer": {"local": {"trials": 200, "spread": 0.1}}, "parameters": {
            "a": {"low": 0.1, "high": 0.5}, "b": {"low": 1400, "high": 2000, "integer": True},
            "c": {"low": 1000, "high": 100000, "log": True}}}
    )
    center = {"a": 0.12, "b": 1700, "c": 10000}
    draws = pd.DataFrame(local_draws(spec, center))
    assert len(draws) == 200 and draws.equals(pd.DataFrame(local_draws(spec, center)))
    assert draws["a"].between(0.1, 0.16).all() and draws["a"].min() < 0.11, "clipped at the bound, not shifted"
    assert draws["b"].between(1640, 1760).all() and (draws["b"] % 1 == 0).all()
    assert np.log(draws["c"] / 10000).abs().max() <= 0.1 * np.log(100) + 1e-12
    assert draws["c"].max() > 10000 * np.exp(0.3) and draws["c"].min() < 10000 * np.exp(-0.3), "fills the box"


def test_the_local_phase_runs_after_the_search_and_once(tmp_path: Path) -> None:
    """Its candidates are queued around the search's best, marked in trials.csv, and not queued again on a
    resume."""
    text = spec_text(trials=2).replace("optimizer: {startup_trials: 2}", "optimizer: {startup_trials: 2, local: {trials: 2}}")
    path = write_spec(tmp_path, text)
    out = tmp_path / "out"
    first = calibrate(path, out, executor_kind="serial", write_config_file=False)
    assert first.trials_done == 4
    csv = pd.read_csv(out / "trials.csv")
    assert list(csv["phase"]) == ["search", "search", "local", "local"]
    study = optuna.load_study(study_name="tiny_calibration", storage=f"sqlite:///{out / 'optuna.db'}")
    center = study.user_attrs["local_center"]
    assert center == min(study.trials[:2], key=lambda t: t.value).params
    spec, _ = load_calibration(path)
    assert [t.params for t in study.trials[2:]] == local_draws(spec, center)
    again = calibrate(path, out, executor_kind="serial", resume=True, write_config_file=False)
    assert again.trials_run == 0 and len(pd.read_csv(out / "trials.csv")) == 4


def test_search_seeds_are_common_and_streams_differ() -> None:
    assert stream_seeds(5, 0, 3) == stream_seeds(5, 0, 3)
    assert len(set(stream_seeds(5, 0, 4) + stream_seeds(5, 1, 4) + stream_seeds(5, 2, 4))) == 12


def test_failing_runs_stop_the_calibration_with_exit_1(tmp_path: Path, monkeypatch) -> None:
    from orgsim.sweep.runner import FAIL_ENV

    path = write_spec(tmp_path, spec_text(trials=3, extra="optimizer: {startup_trials: 2, max_failed_in_a_row: 2}").replace(
        "optimizer: {startup_trials: 2}\n", "", 1))
    monkeypatch.setenv(FAIL_ENV, "t*-r001")
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "out"), "--executor", "serial"])
    assert result.exit_code == 1, result.output
    assert "2 trials in a row failed" in result.output and "test failure injected" in result.output


# ------------------------------------------------------------------ the shipped calibration


def test_baseline_uses_the_calibrated_values() -> None:
    """configs/baseline.yaml -> calibrated.yaml -> world_2025.yaml, and nothing below shadows a fitted value."""
    calibrated = CONFIGS / "calibrated.yaml"
    data = yaml.safe_load(calibrated.read_text(encoding="utf-8"))
    assert data.pop("extends") == "world_2025.yaml"
    assert yaml.safe_load((CONFIGS / "baseline.yaml").read_text(encoding="utf-8"))["extends"] == "calibrated.yaml"
    spec, _ = load_calibration(ROOT / "experiments" / "calibration.yaml")
    resolved = load_scenario(CONFIGS / "baseline.yaml").model_dump(mode="json")
    for name in spec.parameters:
        written, got = data, resolved
        for key in name.split("."):
            written, got = written[key], got[key]
        assert got == written, f"{name}: baseline resolves {got}, calibrated.yaml says {written}"
    for path in ("avocado_success", "avocado_failure", "avocado_delayed"):
        assert load_scenario(CONFIGS / f"{path}.yaml").labs["meta"].quit_rate == data["labs"]["meta"]["quit_rate"]
    assert "/work" not in calibrated.read_text() and "/tmp" not in calibrated.read_text()


@pytest.mark.slow
def test_sigkill_mid_search_then_resume(tmp_path: Path) -> None:
    """Kill the calibration (driver and workers) while a trial is in flight; --resume finishes with no trial lost."""
    path = write_spec(tmp_path, spec_text(trials=6).replace("replications: 2\n", "replications: 4\n", 1))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "orgsim", "calibrate", str(path), "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if (out / "optuna.db").exists():
            try:
                if len(complete_trials(out)) >= 2:
                    break
            except Exception:  # the study may not exist yet
                pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(complete_trials(out))
    assert 2 <= before < 6
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(out), "--workers", "2", "--resume"])
    assert result.exit_code == 0, result.output
    done = complete_trials(out)
    assert len(done) == 6 and len({tuple(sorted(t.params.items())) for t in done}) == 6
    assert (tmp_path / "calibrated.yaml").is_file()


def test_config_error_for_missing_spec(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_calibration(tmp_path / "nope.yaml")
