"""A 16th mechanism is one module (tests/dummy_mechanism.py) and this test: registered, it runs each week on the
state it owns, its hooks hear of every hire and departure, its priced term enters the value of staying (M3), the
event log records it and ODD.md's parameter tables list it; with its price at 0 nothing else changes, byte for
byte."""

from __future__ import annotations

import dummy_mechanism
import numpy as np
import pytest
from conftest import make_scenario

from orgsim import OrgModel, odd
from orgsim.sim import decision, plugins

WEEKS = 12
DUMMY = dummy_mechanism.MECHANISM


@pytest.fixture
def without_dummy():
    model = OrgModel(make_scenario(scale=0.05), rng=4).run(WEEKS)
    return model.metrics_frame(), model.events_frame()


@pytest.fixture
def dummy():
    plugins.register(DUMMY)
    yield DUMMY
    plugins.unregister(DUMMY)


def test_a_16th_mechanism_runs_is_hooked_recorded_and_documented(without_dummy, dummy) -> None:
    model = OrgModel(make_scenario(scale=0.05), rng=4).run(WEEKS)
    tally = model.states["dummy"]
    assert tally.weeks == WEEKS, "its step ran once a week on the state its setup made"
    events = model.events_frame()
    kinds = events["kind"].value_counts()
    assert tally.hired == kinds["hire"] > 0, "on_hire heard of every arrival"
    heard = {kind: tally.left.get(kind, 0) for kind in ("quit", "layoff")}
    assert heard == {"quit": kinds["quit"] + kinds["move"], "layoff": kinds["layoff"]}, "on_leave: every leaver"
    assert heard["quit"] > 0
    assert plugins.covariates()[-1] == "dummy" and list(events.columns)[-2:] == ["dummy", "hazard"]
    quits = events[events["kind"] == "quit"]
    assert len(quits) and np.array_equal(quits["dummy"], quits["skill"])
    assert model.stay_prices[-1] == ("dummy", 0.0)
    tables = odd.render_parameter_tables()
    assert "#### `mechanisms.dummy` (DummyParams)" in tables
    assert "| `price_dummy` | Worth of skill to staying | `0.0` | market pay-years per year per unit skill |" in tables
    # with β = 0 the rest of the run is the same
    metrics_before, events_before = without_dummy
    assert model.metrics_frame().equals(metrics_before)
    assert events.drop(columns="dummy").equals(events_before)


def test_a_plug_in_block_is_validated_and_its_price_used(dummy) -> None:
    scenario = make_scenario(scale=0.05)
    block = plugins.mechanisms_model()
    with pytest.raises(ValueError, match="price_dummy"):
        block.model_validate({**scenario.mechanisms.model_dump(), "dummy": {"price_dummy": "high"}})
    priced = {}
    for price in (0.0, 1.5):
        mechanisms = block.model_validate({**scenario.mechanisms.model_dump(), "dummy": {"price_dummy": price}})
        priced[price] = OrgModel(scenario.model_copy(update={"mechanisms": mechanisms}), rng=4)
    model = priced[1.5]
    assert model.params.dummy.price_dummy == 1.5 and model.stay_prices[-1] == ("dummy", 1.5)

    _, with_dummy = decision.stay_value(model, slice(None))
    _, without = decision.stay_value(priced[0.0], slice(None))
    np.testing.assert_allclose(with_dummy - without, 1.5 * model.population.skill)
