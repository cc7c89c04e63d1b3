"""Sobol indices (SALib) of headline outcomes over a sweep's Sobol design, two ways.

The sweep ran the N·(D+2) points SALib's Sobol sampler drew (second-order
indices off), each on the same seeds (common random numbers).

- ``direct``: SALib's estimator on the outcome at each point (averaged over
  the point's replications). With one noisy run per point, seed noise is part
  of the variance: it inflates every total-order index toward 1 and leaves
  the first-order ones near 0, so these say little about the parameters.
- ``metamodel``: a polynomial fitted to all design runs (the degree chosen
  by cross-validation, :mod:`orgsim.analysis.metamodel`) stands for the mean
  response; its indices are exact functions of its coefficients (polynomial
  chaos). They are shares of the variance of the *expected* outcome;
  ``explained`` (the metamodel's cross-validated R²) says how much of the
  run-to-run variance that is, the rest being seed noise. Intervals: the
  design runs are bootstrapped and the metamodel refitted (percentiles).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.analysis import metamodel
from orgsim.analysis.summaries import StoreError
from orgsim.extras import require
from orgsim.sweep import design as designs
from orgsim.sweep.spec import Design


class SensitivityError(ValueError):
    """The store cannot give Sobol indices (not a Sobol design, or points missing)."""


def _require_sobol(design: Design) -> None:
    if design.kind != "sobol":
        raise SensitivityError(f"the design is {design.kind!r}; Sobol indices need a design of kind 'sobol'")


def point_means(runs: pd.DataFrame, scenario: str, outcome: str, expected: int) -> np.ndarray:
    """The outcome averaged over replications at design points 1..``expected``, in design order."""
    ok = runs[(runs["scenario"] == scenario) & (runs["point"] > 0) & (runs["status"] == "ok")]
    means = ok.groupby("point")[outcome].mean().reindex(range(1, expected + 1))
    missing = int(means.index.difference(ok["point"].unique()).size)
    if missing:
        raise SensitivityError(
            f"{scenario}: {missing} of {expected} design points have no finished run (resume the sweep first)"
        )
    return means.to_numpy(float)


def sobol_indices(
    runs: pd.DataFrame,
    design: Design,
    scenario: str,
    outcomes: list[str],
    *,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Direct estimates: first- and total-order indices with bootstrap intervals, one row per outcome and parameter.

    An outcome that is undefined at some points (e.g. an empty cohort) is left out: SALib's estimator
    needs every point; ``points_undefined`` in the result says how many were.
    """
    sobol = require("SALib.analyze.sobol", "Sobol indices (SALib)")

    _require_sobol(design)
    problem = designs.problem(design)
    expected = design.samples * (problem["num_vars"] + 2)
    rows = []
    for outcome in outcomes:
        y = point_means(runs, scenario, outcome, expected)
        undefined = int(np.isnan(y).sum())
        if undefined:
            rows.append(
                {
                    "method": "direct",
                    "scenario": scenario,
                    "outcome": outcome,
                    "parameter": None,
                    "points_undefined": undefined,
                }
            )
            continue
        with warnings.catch_warnings():  # a constant outcome divides by zero variance: reported as NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sobol.analyze(
                problem, y, calc_second_order=False, num_resamples=resamples, conf_level=conf_level, seed=seed
            )
        for j, name in enumerate(problem["names"]):
            rows.append(
                {
                    "method": "direct",
                    "scenario": scenario,
                    "outcome": outcome,
                    "parameter": name,
                    "S1": result["S1"][j],
                    "S1_low": result["S1"][j] - result["S1_conf"][j],
                    "S1_high": result["S1"][j] + result["S1_conf"][j],
                    "ST": result["ST"][j],
                    "ST_low": result["ST"][j] - result["ST_conf"][j],
                    "ST_high": result["ST"][j] + result["ST_conf"][j],
                    "points": expected,
                    "points_undefined": 0,
                    "outcome_mean": float(y.mean()),
                    "outcome_sd": float(y.std(ddof=1)),
                }
            )
    return pd.DataFrame(rows)


def unit_design(runs: pd.DataFrame, design: Design, scenario: str, expected: int) -> np.ndarray:
    """The design points 1..``expected`` (one row each, design order) on the unit cube."""
    points = runs[(runs["scenario"] == scenario) & (runs["point"] > 0)].groupby("point").first()
    problem = designs.problem(design)
    x = points.reindex(range(1, expected + 1))[[f"param:{n}" for n in problem["names"]]].to_numpy(float)
    low, high = np.array(problem["bounds"]).T
    return (x - low) / (high - low)


def metamodel_indices(
    runs: pd.DataFrame,
    design: Design,
    scenario: str,
    outcomes: list[str],
    *,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Indices of the metamodel of each outcome's mean response, with intervals from bootstrapping the runs."""
    _require_sobol(design)
    d = len(design.parameters)
    expected = design.samples * (d + 2)
    x = unit_design(runs, design, scenario, expected)
    rng = np.random.default_rng(seed)
    tail = (1 - conf_level) / 2
    rows = []
    for outcome in outcomes:
        y = point_means(runs, scenario, outcome, expected)
        undefined = int(np.isnan(y).sum())
        if undefined or np.ptp(y) == 0:
            rows.append(
                {
                    "method": "metamodel",
                    "scenario": scenario,
                    "outcome": outcome,
                    "parameter": None,
                    "points_undefined": undefined,
                }
            )
            continue
        fitted = metamodel.choose(x, y, seed)
        s1, st = fitted.sobol()
        boot = np.array(
            [
                metamodel.Polynomial.fit(x[i], y[i], fitted.degree).sobol()
                for i in (rng.integers(0, len(y), len(y)) for _ in range(resamples))
            ]
        )
        low, high = np.quantile(boot, [tail, 1 - tail], axis=0)  # (2 orders, d) each
        for j, name in enumerate(design.parameters):
            rows.append(
                {
                    "method": "metamodel",
                    "scenario": scenario,
                    "outcome": outcome,
                    "parameter": name,
                    "S1": s1[j],
                    "S1_low": low[0, j],
                    "S1_high": high[0, j],
                    "ST": st[j],
                    "ST_low": low[1, j],
                    "ST_high": high[1, j],
                    "points": expected,
                    "points_undefined": 0,
                    "outcome_mean": float(y.mean()),
                    "outcome_sd": float(y.std(ddof=1)),
                    "metamodel_degree": fitted.degree,
                    "explained": fitted.cv_r2,
                }
            )
    return pd.DataFrame(rows)


def ranking(indices: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The parameters of one outcome from the most to the least influential (by total-order index)."""
    part = indices[(indices["outcome"] == outcome) & indices["parameter"].notna()]
    if "method" in part and (part["method"] == "metamodel").any():  # the noise-robust estimate when there is one
        part = part[part["method"] == "metamodel"]
    return part.sort_values("ST", ascending=False).reset_index(drop=True)


def read_sensitivity(directory: str | Path) -> tuple[pd.DataFrame, dict]:
    """The indices and the description ``orgsim sensitivity`` wrote in ``directory``."""
    directory = Path(directory)
    files = {name: directory / name for name in ("sobol_indices.csv", "sensitivity.json")}
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing:
        raise StoreError(f"{directory}: no {missing[0]} here; is it the --out folder of `orgsim sensitivity`?")
    try:
        return pd.read_csv(files["sobol_indices.csv"]), json.loads(files["sensitivity.json"].read_text("utf-8"))
    except (ValueError, OSError) as exc:
        raise StoreError(f"{directory}: unreadable sensitivity output ({exc})") from None
