"""Decision support: the exploratory design, scenario discovery (PRIM on a store whose answer is known),
the robust policy search (killed with SIGKILL and resumed) and their command-line errors."""

from __future__ import annotations

import html
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from orgsim import labels
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.decision.discovery import Question, discover
from orgsim.sweep.runner import plan
from orgsim.sweep.spec import load_experiment

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
#: PRIM's limits on the synthetic store must lie this close to the true ones (x1 < 0.3, x2 > 0.6)
TOLERANCE = 0.05


def known_store(root: Path, n: int = 600, seed: int = 3) -> Path:
    """A store whose outcome collapses exactly when x1 < 0.3 and x2 > 0.6; x3 and x4 do nothing."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    collapse = (x[:, 0] < 0.3) & (x[:, 1] > 0.6)
    runs = pd.DataFrame({"run_id": [f"synthetic-p{i + 1:03d}-r000" for i in range(n)], "scenario": "synthetic",
                         "point": np.arange(1, n + 1), "replication": 0, "status": "ok",
                         **{f"param:x{j + 1}": x[:, j] for j in range(3)}, "draw:x4": x[:, 3],
                         "cohort_retention": np.where(collapse, 0.2, 0.9) + rng.normal(0, 0.02, n)})
    root.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(root / "runs.parquet")
    spec = {"explore": {"uncertainties": {"parameters": {"x1": {}, "x2": {}}}, "levers": {"x3": {}}}}
    (root / "manifest.json").write_text(json.dumps({"spec": spec}), encoding="utf-8")
    return root


def test_prim_recovers_the_known_box(tmp_path):
    result = discover(known_store(tmp_path / "store"), Question("cohort_retention", 0.5), resamples=20)
    box = result.box.set_index("parameter")
    assert set(box.index) == {"x1", "x2"}, box
    assert np.isnan(box.loc["x1", "low"]) and abs(box.loc["x1", "high"] - 0.3) < TOLERANCE
    assert np.isnan(box.loc["x2", "high"]) and abs(box.loc["x2", "low"] - 0.6) < TOLERANCE
    row = result.peeling.loc[result.chosen]
    assert row["coverage"] > 0.9 and row["density"] > 0.9
    assert (box["reappears"] >= 0.8).all(), box
    assert (box["qp_high"].fillna(box["qp_low"]) < 0.01).all()
    assert list(box["role"]) == ["uncertainty", "uncertainty"]
    assert result.sentence.startswith("In ") and "x1 < 0.3" in result.sentence and "x2 > 0." in result.sentence
    assert set(result.scores["parameter"][:2]) == {"x1", "x2"}, "the feature scores rank the two causes first"


def test_cart_is_the_same_tree_every_time(tmp_path):
    """Seed 0, 600 synthetic runs with x3 a copy of x1, so CART's best splits tie: five runs, one tree."""
    root = known_store(tmp_path / "store")
    runs = pd.read_parquet(root / "runs.parquet")
    runs["param:x3"] = runs["param:x1"]
    runs.to_parquet(root / "runs.parquet")
    trees = {discover(root, Question("cohort_retention", 0.5), resamples=2).cart.to_csv() for _ in range(5)}
    assert len(trees) == 1


def test_discover_writes_tables_and_figures(tmp_path):
    store = known_store(tmp_path / "store", n=300)
    out = tmp_path / "disc"
    result = runner.invoke(app, ["discover", str(store), "--outcome", "cohort_retention", "--below", "0.5",
                                 "--resamples", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("peeling.csv", "box.csv", "cart.csv", "feature_scores.csv", "discovery.md", "discovery.json",
                 "tradeoff.png", "box.png", "cart.png", "feature_scores.png"):
        assert (out / name).stat().st_size > 0, name
    assert "x1 < 0." in json.loads((out / "discovery.json").read_text())["sentence"]


@pytest.mark.parametrize("args, message", [
    (["--outcome", "cohort_retention"], "--below/--above: give exactly one threshold"),
    (["--outcome", "cohort_retention", "--below", "0.5", "--above", "0.1"], "--below/--above"),
    (["--outcome", "nope", "--below", "0.5"], "--outcome: 'nope' is not a numeric outcome"),
    (["--outcome", "cohort_retention", "--below", "0.01"], "nothing to tell apart"),
    (["--outcome", "cohort_retention", "--below", "0.5", "--scenario", "other"], "--scenario: 'other'"),
])
def test_discover_bad_input_exits_2_with_one_line(tmp_path, args, message):
    store = known_store(tmp_path / "store", n=100)
    result = runner.invoke(app, ["discover", str(store), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_discover_on_a_folder_that_is_no_store_exits_2(tmp_path):
    result = runner.invoke(app, ["discover", str(tmp_path), "--outcome", "cohort_retention", "--below", "0.5"])
    assert result.exit_code == 2 and "no runs.parquet here" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------ the exploratory design

def spec_file(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def exploration(tmp_path: Path, **explore) -> dict:
    return {"name": "explore_test", "scenarios": [str(ROOT / "configs" / "avocado_failure.yaml")], "replications": 1,
            "seed": 5, "set": ["population.scale=0.05"], "explore": {
                "worlds": 4, "policies": 3,
                "uncertainties": {"draws": {"file": str(ROOT / "configs" / "calibrated_accepted.csv")},
                                  "parameters": {"mechanisms.contagion.per_quit": {"low": 0.1, "high": 0.4}}},
                "levers": {"labs.meta.executives.meta_ceo.patience": {"low": 0.1, "high": 0.9}}, **explore}}


def test_worlds_are_crossed_with_policies(tmp_path):
    path = spec_file(tmp_path, "explore", exploration(tmp_path))
    spec, base = load_experiment(path)
    runs = plan(spec, base, path)
    assert len(runs) == 1 + 4 * 3
    design = runs[1:]
    worlds = [design[i:i + 3] for i in range(0, 12, 3)]
    for world in worlds:  # a world keeps its drawn vector and unfitted strength under every policy
        assert len({r.draw.id for r in world}) == 1
        assert len({r.parameters["mechanisms.contagion.per_quit"] for r in world}) == 1
        assert len({r.parameters["labs.meta.executives.meta_ceo.patience"] for r in world}) == 3
        assert world[0].config["mechanisms"]["contagion"]["per_quit"] == world[0].parameters[
            "mechanisms.contagion.per_quit"]
        drawn = world[0].draw.values
        assert world[0].config["labs"]["meta"]["quit_rate"] == pytest.approx(drawn["labs.meta.quit_rate"])
    policies = {tuple(r.parameters["labs.meta.executives.meta_ceo.patience"] for r in w) for w in worlds}
    assert len(policies) == 1, "the same policies in every world"
    strengths = sorted(w[0].parameters["mechanisms.contagion.per_quit"] for w in worlds)
    assert all(0.1 + 0.075 * i <= v < 0.1 + 0.075 * (i + 1) for i, v in enumerate(strengths)), "one per LHS stratum"


@pytest.mark.parametrize("change, field, reason", [
    ({"levers": {"mechanisms.contagion.per_quit": {"low": 0.1, "high": 0.2}}}, "explore",
     "is both an uncertainty and a lever"),
    ({"sampler": "sobol"}, "explore", "a Sobol sample takes a power of two"),
    ({"levers": {"labs.meta.quit_rate": {"low": 0.1, "high": 0.2}}}, "explore.uncertainties.draws.file",
     "labs.meta.quit_rate is both drawn and given a range"),
])
def test_a_bad_exploration_names_its_field(tmp_path, change, field, reason):
    path = spec_file(tmp_path, "explore", exploration(tmp_path, **change))
    with pytest.raises(ConfigError) as exc:
        spec, base = load_experiment(path)
        plan(spec, base, path)
    assert exc.value.field.startswith(field) and reason in exc.value.reason


# ------------------------------------------------------------ the robust search

def optimization(tmp_path: Path, trials: int = 8) -> Path:
    data = exploration(tmp_path, worlds=2, policies=1)
    data.update(name="optimize_test", weeks=30, optimize={
        "trials": trials, "parallel_trials": 2, "startup_trials": 3, "heartbeat_seconds": 2,
        "objectives": [{"outcome": "focal_headcount_end"}, {"outcome": "retention_spend_musd"}],
        "robustness": {"worlds": 1, "seeds": 2, "statistic": "worst"}, "picks": 2, "fresh_draws": 3})
    data["explore"]["levers"]["timeline.post_release_grant.amount_years"] = {"low": 0, "high": 2}
    data["set"].append("timeline.post_release_grant={date: 2025-09-01, kind: retention_grant, lab: meta, "
                       "share: 0.2, amount_years: 0}")
    return spec_file(tmp_path, "optimize", data)


def trial_states(db: Path) -> list[tuple[int, str]]:
    """The trials so far; none while Optuna is still creating its tables (the file exists before they do)."""
    with sqlite3.connect(db) as con:
        try:
            return con.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def test_optimize_killed_mid_search_resumes_without_losing_or_repeating_a_trial(tmp_path):
    spec, out = optimization(tmp_path, trials=10), tmp_path / "opt"
    command = [sys.executable, "-m", "orgsim", "optimize", str(spec), "--out", str(out), "--workers", "1"]
    search = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # kill once some trials are done and others in flight
        time.sleep(0.3)
        states = trial_states(out / "optuna.db") if (out / "optuna.db").is_file() else []
        if sum(s == "COMPLETE" for _, s in states) >= 3 and any(s == "RUNNING" for _, s in states):
            break
    else:
        pytest.fail(f"the search never had trials both done and running: {search.stderr.read()[-500:]!r}")
    os.killpg(search.pid, signal.SIGKILL)
    search.wait()
    before = trial_states(out / "optuna.db")
    running = [n for n, s in before if s == "RUNNING"]
    assert running and not (out / "trials.csv").exists()

    result = runner.invoke(app, ["optimize", str(spec), "--out", str(out), "--workers", "1", "--resume"])
    assert result.exit_code == 0, result.output
    trials = pd.read_csv(out / "trials.csv")
    complete = trials[trials["state"] == "COMPLETE"]
    assert len(complete) == 10, trials[["trial", "state", "retry_of"]]
    assert set(trials.loc[trials["state"] == "FAIL", "trial"]) == set(running), "only the killed trials failed"
    retries = complete["retry_of"].dropna().astype(int)
    assert sorted(retries) == sorted(running), "each killed trial re-run exactly once"
    levers = ["labs.meta.executives.meta_ceo.patience", "timeline.post_release_grant.amount_years"]
    assert not complete.duplicated(levers).any(), "no candidate evaluated twice"
    for number in running:  # the re-run evaluates the killed trial's own levers (if it had drawn them yet)
        killed = trials.loc[trials["trial"] == number, levers].to_numpy(float)
        again = complete.loc[complete["retry_of"] == number, levers].to_numpy(float)
        assert np.isnan(killed).all() or np.allclose(killed, again)
    assert (complete["evaluations"] == 2).all()
    assert complete.loc[complete["policy"] == "status quo", "retention_spend_musd"].tolist() == [0.0]
    reevaluation = pd.read_csv(out / "reevaluation.csv")
    assert reevaluation["n"].eq(3).all() and "status quo" in set(reevaluation["policy"])
    assert set(reevaluation["label"]) == {"Meta researchers at the end (researchers)",
                                          "Money spent on the retention grant (M$)"}
    page = (out / "optimize.md").read_text(encoding="utf-8")  # levers by label, with their paths in the key
    assert "Post release grant (retention grant): grant size" in page
    assert "`timeline.post_release_grant.amount_years`" in page and "Meta CEO: patience under pressure" in page
    assert "Money spent" in result.output  # the outcome's label (its cell may wrap in a 120-column table)
    for name in ("pareto.csv", "pareto.png", "reevaluation.png", "optimize.md"):
        assert (out / name).stat().st_size > 0


def test_optimize_refuses_an_existing_search_and_a_spec_without_levers(tmp_path):
    spec, out = optimization(tmp_path, trials=1), tmp_path / "opt"
    out.mkdir()
    (out / "optuna.db").write_bytes(b"")
    result = runner.invoke(app, ["optimize", str(spec), "--out", str(out)])
    assert result.exit_code == 2 and "already holds a search; use --resume" in result.output
    data = yaml.safe_load(spec.read_text())
    del data["explore"]
    bad = spec_file(tmp_path, "bad", data)
    result = runner.invoke(app, ["optimize", str(bad), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2 and "explore: an optimization needs an explore block with levers" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


# ------------------------------------------------------------ in the report

SHIPPED = ROOT / "docs" / "decision"  # as `make demo` reports them


def test_report_adds_both_decision_sections(tmp_path_factory, tmp_path):
    from test_analysis import tiny_store

    store = tiny_store(tmp_path_factory.getbasetemp())
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out), "--sensitivity",
                                 str(ROOT / "docs" / "sensitivity"), "--discovery", str(SHIPPED / "discovery"),
                                 "--optimize", str(SHIPPED / "optimize")])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '<a class="anchor" href="#discovery">When does retention collapse?</a>' in text
    assert '<a class="anchor" href="#policies">Policies that hold up</a>' in text
    meta = json.loads((SHIPPED / "discovery" / "discovery.json").read_text())
    box = pd.read_csv(SHIPPED / "discovery" / "box.csv")
    assert f"(coverage {meta['coverage']:.2f}, density {meta['density']:.2f})" in text
    for path in box["parameter"]:  # each restricted input named for readers, its path on hover
        assert f"<span class='term' title='{path}'>{html.escape(labels.parameter(path).text)}</span>" in text, path
    assert "The Sobol analysis" in text and "re-evaluated on 30 fresh draws against the status quo" in text
    for name in ("tradeoff", "box", "cart", "feature_scores", "pareto", "reevaluation"):
        assert (tmp_path / f"report_{name}.png").read_bytes().startswith(b"\x89PNG"), name


@pytest.mark.parametrize("option", ["--discovery", "--optimize"])
def test_report_with_a_folder_that_is_not_the_output_exits_2(tmp_path_factory, tmp_path, option):
    from test_analysis import tiny_store

    store = tiny_store(tmp_path_factory.getbasetemp())
    result = runner.invoke(app, ["report", str(store), "--out", str(tmp_path / "r.html"), option, str(tmp_path)])
    assert result.exit_code == 2 and "here; is it the --out folder of `orgsim" in result.output
    assert "Traceback" not in result.output
