"""Synthetic truth: simulate the targets at known parameter values, fit them, recover the values.

If the calibration cannot find parameters it was handed, its fit to the
public facts means nothing. The truth is three parameters that the real fit
also estimates, each pinned mainly by one statistic: Meta's quit rate by its
voluntary attrition over the first 38 weeks, the status-quo pull by the acceptance of
Meta's offers, Meta's recruiting capacity by the number it approaches. The
"observed" targets are the means of 24 runs at the truth (seeds of their
own, not the fit's); the fit is the real driver (`calibrate`) on other seeds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from orgsim import OrgModel, load_scenario
from orgsim.calibration.fit import calibrate
from orgsim.calibration.targets import Target, measure

ROOT = Path(__file__).resolve().parent.parent
SCALE, WEEKS = 0.5, 40
# Meta's recruiting capacity sits near the real fit (1.68) and within the calibration's bounds (1-6): at 4.5
# (this test's earlier truth) Meta's package budget, scaled with the world since M11's fix, binds first, so more
# capacity buys no more approaches and the data cannot tell 4.5 from 6.8 (measured: fit 5.9, accepted 4.4-6.8)
TRUTH = {"labs.meta.quit_rate": 0.22, "mechanisms.offers.status_quo": -3.0, "labs.meta.hiring.recruit_capacity": 2.0}
BOUNDS = {"labs.meta.quit_rate": (0.1, 0.45), "mechanisms.offers.status_quo": (-4.5, -2.0),
          "labs.meta.hiring.recruit_capacity": (1.0, 6.0)}
STATISTICS = {
    "churn_meta": {"kind": "voluntary_attrition", "lab": "meta", "start": "2025-06-02", "end": "2026-02-22"},
    "acceptance": {"kind": "offer_acceptance", "lab": "meta", "start": "2025-06-02", "end": "2025-08-31"},
    "approaches": {"kind": "approaches", "lab": "meta", "start": "2025-06-02", "end": "2025-08-17"},
}


def observed(seeds: range) -> pd.DataFrame:
    """The statistics of runs at the true values: the synthetic "facts"."""
    placeholder = {name: Target.model_validate({"value": 0, "tolerance": 1, "source": "synthetic", "statistic": s})
                   for name, s in STATISTICS.items()}
    overrides = [f"population.scale={SCALE}", *(f"{k}={v}" for k, v in TRUTH.items())]
    scenario = load_scenario(ROOT / "configs" / "baseline.yaml", overrides)
    rows = []
    for seed in seeds:
        model = OrgModel(scenario, rng=seed).run(WEEKS)
        rows.append(measure(placeholder, scenario, model.metrics_frame(), model.events_frame()))
    return pd.DataFrame(rows)


@dataclass
class Recovered:
    """The fit of the synthetic truth, its accepted set, and a line of figures for the assertions."""

    fitted: dict[str, float]
    accepted: pd.DataFrame  # per parameter: q05, q95
    report: str


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> Recovered:
    """The real driver on the synthetic facts, run once for the tests below.

    Sizes: truth data 24 seeds (10_001-10_024); fit 100 TPE trials x 6 seeds at scale 0.5, 40 weeks;
    tolerances = 2 standard errors of a 6-seed mean at the truth, so a candidate is accepted when it is
    statistically indistinguishable from the truth. (At scale 0.25 with 4 seeds the acceptance rate was
    too noisy to separate the status-quo pull from the recruiting capacity: both act on the blitz
    budget, and the accepted set missed the true status quo.)
    """
    tmp_path = tmp_path_factory.mktemp("recovery")
    data = observed(range(10_001, 10_025))
    targets = {
        name: {"value": float(data[name].mean()), "tolerance": float(2 * data[name].std(ddof=1) / np.sqrt(6)),
               "source": "synthetic truth", "statistic": STATISTICS[name]}
        for name in STATISTICS
    }
    spec = {
        "name": "synthetic_truth", "scenario": str(ROOT / "configs" / "baseline.yaml"),
        "set": [f"population.scale={SCALE}"], "weeks": WEEKS, "seed": 7, "replications": 6, "trials": 100,
        "optimizer": {"startup_trials": 15}, "uncertainty": {"accept_loss": 3, "min_accepted": 5, "top_k": 8},
        "refine": {"top": 3, "replications": 8}, "verify": {"replications": 4}, "predictive": {"draws": 0},
        "output": {"config": str(tmp_path / "fit.yaml")},
        "parameters": {k: {"low": lo, "high": hi} for k, (lo, hi) in BOUNDS.items()},
        "targets": targets,
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    started = dt.datetime.now()
    result = calibrate(path, tmp_path / "out", executor_kind="process", workers=2)
    seconds = (dt.datetime.now() - started).total_seconds()
    accepted = result.uncertainty.set_index("parameter")
    report = "; ".join(f"{k}: truth {TRUTH[k]:g}, fit {result.fitted[k]:.4g}, accepted {accepted.loc[k, 'q05']:.4g} "
                       f"to {accepted.loc[k, 'q95']:.4g}" for k in TRUTH) + f" ({result.method}; {seconds:.0f} s)"
    print(report)
    return Recovered(dict(result.fitted), accepted, report)


@pytest.mark.slow
def test_accepted_set_covers_the_truth(recovered: Recovered) -> None:
    """Every true value lies within the accepted set's 5-95% range."""
    for name, truth in TRUTH.items():
        assert recovered.accepted.loc[name, "q05"] <= truth <= recovered.accepted.loc[name, "q95"], recovered.report


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["labs.meta.quit_rate", "mechanisms.offers.status_quo", "labs.meta.hiring.recruit_capacity"],
)
def test_fit_lands_near_the_truth(recovered: Recovered, name: str) -> None:
    """The fitted value within 15% of the parameter's bounds of the truth."""
    lo, hi = BOUNDS[name]
    assert abs(recovered.fitted[name] - TRUTH[name]) <= 0.15 * (hi - lo), recovered.report
