"""orgsim.ema: an EMA Workbench model over config paths, its results as a store, orgsim discover on it."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from orgsim import analysis
from orgsim.cli import app
from orgsim.labels import LabelError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # EMA Workbench announces its optional parallel back ends on import
    from ema_workbench import ReplicatorModel, perform_experiments

from orgsim import ema  # noqa: E402

UNCERTAINTIES = {"mechanisms.contagion.per_quit": (0.1, 0.6), "mechanisms.reorgs.morale_drop": (0.0, 0.3)}
LEVERS = {"mechanisms.reorgs.reassign_share": (0.1, 0.6)}


@pytest.fixture(scope="module")
def explored():
    model = ema.model("avocado_failure", outcomes=["focal_headcount_end", "focal_top_talent_share_end"], weeks=30,
                      uncertainties=UNCERTAINTIES, levers=LEVERS, settings={"population.scale": 0.05})
    experiments, outcomes = perform_experiments(model, scenarios=8, policies=2)
    return model, experiments, outcomes


def test_parameters_are_config_paths_with_labels_and_units(explored):
    model, experiments, outcomes = explored
    contagion = model.uncertainties["mechanisms__contagion__per_quit"]
    assert (contagion.path, contagion.variable_name) == ("mechanisms.contagion.per_quit",
                                                        ["mechanisms.contagion.per_quit"])
    assert (contagion.label, contagion.unit) == ("Further quits set off by a quit", "further quits per quit")
    assert model.outcomes["focal_headcount_end"].unit == "researchers"
    assert len(experiments) == 16 and outcomes["focal_headcount_end"].shape == (16,)
    assert experiments["mechanisms__reorgs__reassign_share"].nunique() == 2  # two policies
    with pytest.raises(LabelError, match="mechanisms.contagion.nope"):
        ema.model("baseline", uncertainties={"mechanisms.contagion.nope": (0, 1)})


def test_seeds_make_a_replicator_model():
    # EMA Workbench registers each outcome name with one class per process: an ArrayOutcome here, so another
    # outcome than the scalar ones of the fixture
    model = ema.model("baseline", outcomes=["capability_gap_end"], weeks=2, settings={"population.scale": 0.05},
                      uncertainties={"mechanisms.contagion.per_quit": (0.1, 0.6)}, seeds=[4, 5])
    assert isinstance(model, ReplicatorModel)
    experiments, outcomes = perform_experiments(model, scenarios=2)
    runs = analysis.runs_from_ema(experiments, outcomes, model)
    assert runs[["point", "seed"]].values.tolist() == [[1, 4], [1, 5], [2, 4], [2, 5]]


def test_results_go_to_a_store_and_back(explored):
    model, experiments, outcomes = explored
    runs = analysis.runs_from_ema(experiments, outcomes, model)
    assert len(runs) == 16 and set(runs["scenario"]) == {"avocado_failure"}
    assert {f"param:{p}" for p in [*UNCERTAINTIES, *LEVERS]} <= set(runs.columns)
    back, values = analysis.ema_from_runs(runs)
    for name in ("mechanisms__contagion__per_quit", "mechanisms__reorgs__reassign_share"):
        np.testing.assert_allclose(back[name].to_numpy(), experiments[name].to_numpy())
    np.testing.assert_allclose(values["focal_headcount_end"], outcomes["focal_headcount_end"])


def test_discover_runs_on_an_ema_store(explored, tmp_path):
    model, experiments, outcomes = explored
    store = analysis.write_store(analysis.runs_from_ema(experiments, outcomes, model), tmp_path / "ema", model)
    threshold = float(np.median(outcomes["focal_headcount_end"])) + 0.5
    result = CliRunner().invoke(app, ["discover", str(store), "--outcome", "focal_headcount_end",
                                      "--below", str(threshold), "--resamples", "5"])
    assert result.exit_code == 0, result.output
    found = json.loads((store / "discovery" / "discovery.json").read_text())
    assert (found["outcome"], found["runs"], found["collapsed"]) == ("focal_headcount_end", 16,
                                                                     int((outcomes["focal_headcount_end"] < threshold).sum()))
    assert found["inputs"] == {"mechanisms.contagion.per_quit": "uncertainty", "mechanisms.reorgs.morale_drop": "uncertainty",
                               "mechanisms.reorgs.reassign_share": "lever"}  # the roles the EMA model declared
