"""Run several scenarios over several seeds and compare their headline outcomes.

Until full sweeps exist this is the quick way to answer "who stays after an
Avocado success or failure": every scenario runs with the same seeds (common
random numbers), and each outcome is shown as a mean with a 95% t-interval.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from orgsim.config import load_scenario
from orgsim.model import OrgModel

OUTCOMES = {
    "cohort_retention": "cohort retention after release",
    "focal_top_talent_share_end": "focal top-talent share at end",
    "focal_headcount_end": "focal headcount at end",
}


def run_one(path: str, overrides: tuple[str, ...], seed: int) -> dict:
    scenario = load_scenario(path, list(overrides))
    model = OrgModel(scenario, rng=seed).run()
    return {"scenario": scenario.name, "seed": seed, **model.headline().as_dict()}


def mean_ci(values: pd.Series) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval (NaNs dropped)."""
    x = values.dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    if len(x) == 1:
        return (x[0], np.nan, np.nan)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return (x.mean(), x.mean() - half, x.mean() + half)


def compare(paths: list[Path], seeds: list[int], overrides: list[str] | None = None, workers: int | None = None,
            progress=None) -> pd.DataFrame:
    """One row per scenario and seed, rows in (scenario, seed) order whatever the completion order."""
    jobs = [(str(p), tuple(overrides or []), s) for p in paths for s in seeds]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    rows = []
    # spawn: forking a process that already runs threads (numpy, rich) can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        for future in as_completed(futures):
            rows.append(future.result())
            if progress:
                progress()
    names = [load_scenario(p).name for p in paths]
    frame = pd.DataFrame(rows)
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=list(dict.fromkeys(names)))
    return frame.sort_values(["scenario", "seed"], kind="stable").reset_index(drop=True)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and outcome: mean, 95% interval, and the number of seeds."""
    records = []
    for scenario, group in frame.groupby("scenario", observed=True):
        for column in OUTCOMES:
            mean, lo, hi = mean_ci(group[column])
            records.append({"scenario": scenario, "outcome": column, "mean": mean, "ci_low": lo, "ci_high": hi,
                            "seeds": int(group[column].notna().sum())})
    return pd.DataFrame(records)
