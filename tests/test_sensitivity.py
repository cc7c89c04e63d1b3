"""Global sensitivity: the Sobol estimator on a known function, and `orgsim sensitivity` end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from orgsim.analysis import metamodel_indices, ranking, sobol_indices
from orgsim.cli import app
from orgsim.sweep import design as designs
from orgsim.sweep.runner import FAIL_ENV
from orgsim.sweep.spec import Design

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PNG = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()


def test_indices_of_a_known_function() -> None:
    """y = 2 x1 + x2 + x1 x3 on [0, 1]^4 (x4 inert), N = 1024, seed 3, 1000 bootstrap resamples.

    The partial variances are in closed form (e.g. Var E[y | x1] = 2.5² / 12); the total variance
    comes from 400k Monte Carlo points. S1 and ST must be within 0.05 of the truth, ST's interval
    must cover it, and x4's indices must be within 0.02 of 0.
    """
    design = Design(kind="sobol", samples=1024, parameters={f"x{i}": {"low": 0, "high": 1} for i in range(1, 5)})
    points = designs.points(design, seed=3)
    y = 2 * points["x1"] + points["x2"] + points["x1"] * points["x3"]
    runs = pd.DataFrame({"scenario": "s", "point": np.arange(1, len(points) + 1), "status": "ok", "y": y})
    got = sobol_indices(runs, design, "s", ["y"], seed=3).set_index("parameter")

    rng = np.random.default_rng(0)
    x = rng.random((400_000, 3))
    f = lambda a: 2 * a[:, 0] + a[:, 1] + a[:, 0] * a[:, 2]  # noqa: E731
    var = f(x).var()
    # first order: Var(E[y | x_i]); total: E[Var(y | x_~i)], both in closed form for this polynomial
    s1 = {"x1": (2.5 ** 2) / 12 / var, "x2": (1 / 12) / var, "x3": (0.5 ** 2) / 12 / var}
    st = {"x1": (1 / 12) * (4 + 2 * 0.5 * 2 + 1 / 3) / var, "x2": (1 / 12) / var, "x3": (1 / 12) * (1 / 3) / var}
    for name in ("x1", "x2", "x3"):
        assert got.loc[name, "S1"] == pytest.approx(s1[name], abs=0.05), name
        assert got.loc[name, "ST"] == pytest.approx(st[name], abs=0.05), name
        assert got.loc[name, "ST_low"] <= st[name] <= got.loc[name, "ST_high"], name
    assert abs(got.loc["x4", "S1"]) < 0.02 and abs(got.loc["x4", "ST"]) < 0.02
    assert list(ranking(got.reset_index(), "y")["parameter"][:3]) == ["x1", "x2", "x3"]


def spec(tmp_path: Path, kind: str = "sobol") -> Path:
    """3 parameters, N = 2: 2 x (3 + 2) = 10 design points plus point 0, at scale 0.05 for 94 weeks."""
    ranges = ("{labs.meta.quit_rate: {low: 0.15, high: 0.25}, mechanisms.contagion.per_quit: {low: 0.1, high: 0.4},"
              " timeline.post_release_grant.amount_years: {low: 0, high: 2}}")
    path = tmp_path / "sens.yaml"
    path.write_text(f"""
name: tiny_sensitivity
scenarios: [{CONFIGS / 'avocado_failure.yaml'}]
replications: 1
seed: 5
weeks: 94
set:
  - population.scale=0.05
  - "timeline.post_release_grant={{date: 2026-03-23, kind: retention_grant, lab: meta, share: 0.2, amount_years: 0}}"
design: {{kind: {kind}, samples: 2, parameters: {ranges if kind == 'sobol' else '{labs.meta.quit_rate: [0.2]}'}}}
outputs: {{metrics: false, events: false}}
outcomes: [top_talent_retention, focal_top_talent_share_end, capability_gap_end]
""", encoding="utf-8")
    return path


def test_sensitivity_writes_indices_and_resumes_after_failed_runs(tmp_path: Path, monkeypatch) -> None:
    path, out = spec(tmp_path), tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV, "*-p004-*")
    first = runner.invoke(app, ["sensitivity", str(path), "--out", str(out), "--executor", "serial"])
    assert first.exit_code == 1 and "avocado_failure-p004-r000" in first.output
    assert not (out / "sobol_indices.csv").exists(), "no indices while a design point is missing"
    monkeypatch.delenv(FAIL_ENV)
    again = runner.invoke(app, ["sensitivity", str(path), "--out", str(out), "--executor", "serial", "--resume",
                                "--resamples", "50"])
    assert again.exit_code == 0, again.output
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 11 and runs["run_id"].is_unique and (runs["status"] == "ok").all()
    indices = pd.read_csv(out / "sobol_indices.csv")
    assert set(indices["outcome"]) == {"top_talent_retention", "focal_top_talent_share_end", "capability_gap_end"}
    assert set(indices["method"]) == {"metamodel", "direct"}
    for key, rows in indices.groupby(["method", "outcome"]):  # all 3 parameters, or one row: undefined somewhere
        undefined = rows["points_undefined"].max()
        assert (len(rows) == 3 and undefined == 0) or (len(rows) == 1 and rows["parameter"].isna().all()), key
    defined = indices.dropna(subset=["S1"])
    assert set(defined["outcome"]) >= {"focal_top_talent_share_end", "capability_gap_end"}
    assert defined.loc[defined["method"] == "metamodel", "explained"].notna().all()
    assert defined["points"].eq(10).all()
    assert (defined["S1_low"] <= defined["S1"]).all() and (defined["ST"] <= defined["ST_high"]).all()
    assert (out / "sobol.png").read_bytes().startswith(PNG)
    page = (out / "sobol_indices.md").read_text(encoding="utf-8")
    assert "| 1 | " in page and "| `timeline.post_release_grant.amount_years` |" in page  # label, then the path
    assert "Post release grant (retention grant): grant size" in page and "Meta: voluntary quit rate" in again.output
    assert "(capability_gap_end, avocado_failure)" in again.output


def test_sensitivity_refuses_a_design_that_is_not_sobol(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sensitivity", str(spec(tmp_path, "grid")), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "design.kind: is 'grid'; a sensitivity analysis needs 'sobol'" in result.output
    assert not (tmp_path / "o").exists()


def test_metamodel_indices_see_through_seed_noise() -> None:
    """y = 2 x1 + x2 + x1 x3 + noise (sd 1, about twice the signal's sd), N = 256 (1,536 runs), seed 4.

    The direct estimator drowns in the noise (x4, inert, gets a total index far from 0); the
    metamodel (degree 2 chosen by cross-validation) must give S1 and ST within 0.06 of the exact
    values, an interval covering each, x4 below 0.03, and an explained share within 0.1 of the
    true signal share Var(f) / (Var(f) + 1).
    """
    design = Design(kind="sobol", samples=256, parameters={f"x{i}": {"low": 0, "high": 1} for i in range(1, 5)})
    points = designs.points(design, seed=4)
    signal = 2 * points["x1"] + points["x2"] + points["x1"] * points["x3"]
    y = signal + np.random.default_rng(4).normal(0, 1, len(points))
    runs = pd.DataFrame({"scenario": "s", "point": np.arange(1, len(points) + 1), "status": "ok", "y": y,
                         **{f"param:{c}": points[c] for c in points.columns}})
    direct = sobol_indices(runs, design, "s", ["y"], seed=4).set_index("parameter")
    assert direct.loc["x4", "ST"] > 0.2, "single noisy runs make an inert parameter look important"
    got = metamodel_indices(runs, design, "s", ["y"], seed=4, resamples=300).set_index("parameter")
    var = (2.5 ** 2 + 1 + 0.5 ** 2) / 12 + (1 / 12) ** 2  # Var of 2x1 + x2 + x1x3 on the unit cube
    s1 = {"x1": 2.5 ** 2 / 12 / var, "x2": 1 / 12 / var, "x3": 0.5 ** 2 / 12 / var}
    st = {"x1": s1["x1"] + (1 / 12) ** 2 / var, "x2": s1["x2"], "x3": s1["x3"] + (1 / 12) ** 2 / var}
    for name in s1:
        assert got.loc[name, "S1"] == pytest.approx(s1[name], abs=0.06), name
        assert got.loc[name, "ST"] == pytest.approx(st[name], abs=0.06), name
        assert got.loc[name, "S1_low"] <= s1[name] <= got.loc[name, "S1_high"], name
    assert got.loc["x4", "ST"] < 0.03
    assert got["explained"].iloc[0] == pytest.approx(var / (var + 1), abs=0.1)


def test_an_index_bound_that_rounds_to_zero_reads_as_zero() -> None:
    """A total-order interval from -0.004 prints as [0.00, ...], not [-0.00, ...] (docs/sensitivity printed one)."""
    from orgsim.sobol import markdown

    indices = pd.DataFrame([{
        "method": "direct", "scenario": "s", "outcome": "cohort_retention", "parameter": "labs.meta.quit_rate",
        "points_undefined": 0, "S1": 0.04, "S1_low": -0.03, "S1_high": 0.11, "ST": 0.01, "ST_low": -0.004,
        "ST_high": 0.03,
    }])
    row = next(line for line in markdown(indices).splitlines() if "labs.meta.quit_rate" in line)
    assert row.endswith("| 0.04 [-0.03, 0.11] | 0.01 [0.00, 0.03] |"), row
