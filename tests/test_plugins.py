"""Mechanisms are plug-ins (orgsim.plugins): a 16th mechanism is one module, one params class and this test.

The dummy below stands for that module. Registered, it runs each week, owns
its state, adds a covariate to the quit hazard, the event log records it and
ODD.md's parameter tables list it; with its β at 0 nothing else in the run
changes, byte for byte.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from orgsim import OrgModel, odd, plugins
from orgsim.plugins import HazardTerms, Mechanism
from orgsim.schema import Switchable, param

WEEKS = 12


class DummyParams(Switchable):
    """M16 dummy: exists only to show what adding a mechanism takes."""

    beta_dummy: float = param(0.0, "log HR per unit skill", "test only", label="Effect of skill on quitting")


def setup(model: OrgModel) -> dict:
    return {"weeks": 0}


def step(model: OrgModel) -> None:
    model.states["dummy"]["weeks"] += 1


def hazard_values(model: OrgModel, slots) -> dict[str, np.ndarray]:
    return {"dummy": model.population.skill[slots].astype(float)}


DUMMY = Mechanism(number=16, block="dummy", params=DummyParams, setup=setup, stage=8.9, step=step,
                  hazard_terms=HazardTerms(hazard_values, betas={"dummy": "beta_dummy"}))


@pytest.fixture
def without_dummy():
    model = OrgModel(make_scenario(scale=0.05), rng=4).run(WEEKS)
    return model.metrics_frame(), model.events_frame()


@pytest.fixture
def dummy():
    plugins.register(DUMMY)
    yield DUMMY
    plugins.unregister(DUMMY)


def test_a_16th_mechanism_runs_is_recorded_and_documented(without_dummy, dummy) -> None:
    model = OrgModel(make_scenario(scale=0.05), rng=4).run(WEEKS)
    assert model.states["dummy"] == {"weeks": WEEKS}, "its step ran once a week on the state its setup made"
    events = model.events_frame()
    assert plugins.covariates()[-1] == "dummy" and list(events.columns)[-2:] == ["dummy", "hazard"]
    quits = events[events["kind"] == "quit"]
    assert len(quits) and np.array_equal(quits["dummy"], quits["skill"])
    assert model.hazard_betas[-1] == ("dummy", 0.0)
    tables = odd.render_parameter_tables()
    assert "#### `mechanisms.dummy` (DummyParams)" in tables and "| `beta_dummy` | Effect of skill on quitting | `0.0` | log HR per unit skill |" in tables
    # with β = 0 the rest of the run is the same
    metrics_before, events_before = without_dummy
    assert model.metrics_frame().equals(metrics_before)
    assert events.drop(columns="dummy").equals(events_before)


def test_a_plug_in_block_is_validated_and_its_beta_used(dummy) -> None:
    scenario = make_scenario(scale=0.05)
    block = plugins.mechanisms_model()
    with pytest.raises(ValueError, match="beta_dummy"):
        block.model_validate({**scenario.mechanisms.model_dump(), "dummy": {"beta_dummy": "high"}})
    mechanisms = block.model_validate({**scenario.mechanisms.model_dump(), "dummy": {"beta_dummy": 1.5}})
    model = OrgModel(scenario.model_copy(update={"mechanisms": mechanisms}), rng=4)
    assert model.params.dummy.beta_dummy == 1.5 and model.hazard_betas[-1] == ("dummy", 1.5)
    from orgsim.mechanisms import attrition

    x = attrition.covariates(model)
    without = {**x, "dummy": np.zeros_like(x["dummy"])}
    np.testing.assert_allclose(attrition.log_hazard_ratio(model, x) - attrition.log_hazard_ratio(model, without),
                               1.5 * model.population.skill)


def test_unregistering_leaves_the_built_in_fifteen(dummy) -> None:
    plugins.unregister(DUMMY)
    assert [m.number for m in plugins.registered()] == list(range(1, 16))
    assert "dummy" not in plugins.covariates() and plugins.mechanisms_model() is plugins.schema.Mechanisms
    plugins.register(DUMMY)
    with pytest.raises(ValueError, match="already registered"):
        plugins.register(DUMMY)
