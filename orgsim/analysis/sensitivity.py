"""Sobol indices (SALib) of headline outcomes over a sweep's Sobol design.

The sweep ran the N·(D+2) points SALib's Sobol sampler drew (second-order
indices off), each on the same seeds (common random numbers); an outcome is
averaged over a point's replications, so the indices describe the seed-averaged
response. Seed noise that averaging leaves in is part of the variance: it
inflates total-order indices and leaves the first-order ones summing below 1.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.analysis.summaries import StoreError
from orgsim.sweep import design as designs
from orgsim.sweep.spec import Design


class SensitivityError(ValueError):
    """The store cannot give Sobol indices (not a Sobol design, or points missing)."""


def point_means(runs: pd.DataFrame, scenario: str, outcome: str, expected: int) -> np.ndarray:
    """The outcome averaged over replications at design points 1..``expected``, in design order."""
    ok = runs[(runs["scenario"] == scenario) & (runs["point"] > 0) & (runs["status"] == "ok")]
    means = ok.groupby("point")[outcome].mean().reindex(range(1, expected + 1))
    missing = int(means.index.difference(ok["point"].unique()).size)
    if missing:
        raise SensitivityError(f"{scenario}: {missing} of {expected} design points have no finished run "
                               "(resume the sweep first)")
    return means.to_numpy(float)


def sobol_indices(runs: pd.DataFrame, design: Design, scenario: str, outcomes: list[str], *,
                  resamples: int = 1000, conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """First- and total-order indices with bootstrap intervals, one row per outcome and parameter.

    An outcome that is undefined at some points (e.g. an empty cohort) is left out: SALib's estimator
    needs every point; ``points_undefined`` in the result says how many were.
    """
    from SALib.analyze import sobol

    if design.kind != "sobol":
        raise SensitivityError(f"the design is {design.kind!r}; Sobol indices need a design of kind 'sobol'")
    problem = designs.problem(design)
    expected = design.samples * (problem["num_vars"] + 2)
    rows = []
    for outcome in outcomes:
        y = point_means(runs, scenario, outcome, expected)
        undefined = int(np.isnan(y).sum())
        if undefined:
            rows.append({"scenario": scenario, "outcome": outcome, "parameter": None, "points_undefined": undefined})
            continue
        with warnings.catch_warnings():  # a constant outcome divides by zero variance: reported as NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sobol.analyze(problem, y, calc_second_order=False, num_resamples=resamples,
                                   conf_level=conf_level, seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append({
                "scenario": scenario, "outcome": outcome, "parameter": name,
                "S1": result["S1"][j], "S1_low": result["S1"][j] - result["S1_conf"][j],
                "S1_high": result["S1"][j] + result["S1_conf"][j],
                "ST": result["ST"][j], "ST_low": result["ST"][j] - result["ST_conf"][j],
                "ST_high": result["ST"][j] + result["ST_conf"][j],
                "points": expected, "points_undefined": 0, "outcome_mean": float(y.mean()),
                "outcome_sd": float(y.std(ddof=1)),
            })
    return pd.DataFrame(rows)


def ranking(indices: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The parameters of one outcome from the most to the least influential (by total-order index)."""
    part = indices[(indices["outcome"] == outcome) & indices["parameter"].notna()]
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
