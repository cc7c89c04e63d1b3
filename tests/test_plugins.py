"""Mechanisms are plug-ins (orgsim.sim.plugins): a 16th mechanism is one module, one params class and this test.

The dummy below stands for that module. Registered, it runs each week, owns
its state, adds a priced term to the value of staying (M3), the event log
records it and ODD.md's parameter tables list it; with its price at 0
nothing else in the run changes, byte for byte.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
from conftest import CONFIGS, make_scenario
from pydantic import Field

from orgsim import OrgModel, load_scenario, odd
from orgsim.config import ConfigError
from orgsim.schema import EventBase, Scenario, Switchable, param
from orgsim.sim import decision, plugins
from orgsim.sim.plugins import RELEASES, Handler, Mechanism, StayTerms

WEEKS = 12


class DummyParams(Switchable):
    """M16 dummy: exists only to show what adding a mechanism takes."""

    price_dummy: float = param(0.0, "market pay-years per year per unit skill", "test only",
                               label="Worth of skill to staying")


def setup(model: OrgModel) -> dict:
    return {"weeks": 0}


def step(model: OrgModel) -> None:
    model.states["dummy"]["weeks"] += 1


def stay_values(model: OrgModel, slots) -> dict[str, np.ndarray]:
    return {"dummy": model.population.skill[slots].astype(float)}


DUMMY = Mechanism(number=16, block="dummy", params=DummyParams, setup=setup, stage=8.9, step=step,
                  stay_terms=StayTerms(stay_values, prices={"dummy": "price_dummy"}))


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


def test_unregistering_leaves_the_built_in_fifteen(dummy) -> None:
    plugins.unregister(DUMMY)
    assert [m.number for m in plugins.registered()] == list(range(1, 16))
    assert "dummy" not in plugins.covariates() and plugins.mechanisms_model() is plugins.schema.Mechanisms
    plugins.register(DUMMY)
    with pytest.raises(ValueError, match="already registered"):
        plugins.register(DUMMY)


# ---------------------------------------------------------------- a plug-in that brings its own timeline event kind

class Pulse(EventBase):
    """A test-only dated event: the pulse mechanism's own kind, validated like any other."""

    kind: Literal["pulse"]
    strength: float = Field(1.0, ge=0)


class PulseParams(Switchable):
    """M17 pulse: a plug-in with its own timeline event kind."""

    gain: float = param(1.0, "morale per unit strength", "test only")


def apply_pulse(model: OrgModel, event: Pulse) -> None:
    this_week = [key for week, key in model.fired if week == model.week]
    model.states["pulse"].append((model.week, this_week, event.strength))


PULSE = Mechanism(number=17, block="pulse", params=PulseParams, setup=lambda model: [],
                  handlers={"pulse": Handler(apply_pulse, RELEASES)}, events=(Pulse,))


@pytest.fixture
def pulse():
    plugins.register(PULSE)
    yield PULSE
    plugins.unregister(PULSE)


def pulse_config(tmp_path, event: str, block: str = "") -> str:
    path = tmp_path / "pulse.yaml"
    path.write_text(f"extends: {CONFIGS / 'baseline.yaml'}\npopulation: {{scale: 0.05}}\n{block}"
                    f"timeline:\n  beat: {event}\n", encoding="utf-8")
    return path


def test_a_plug_in_event_kind_is_read_from_yaml_scheduled_and_documented(pulse, tmp_path) -> None:
    """Dated the week of the hiring freeze (HIGH) and the August split (DEFAULT), the pulse (LOW) runs after both."""
    path = pulse_config(tmp_path, "{date: 2025-08-20, kind: pulse, lab: meta, strength: 2.5}",
                        "mechanisms: {pulse: {gain: 0.5}}\n")
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario) and scenario.timeline["beat"].strength == 2.5
    model = OrgModel(scenario, rng=1).run(13)
    assert model.params.pulse.gain == 0.5
    assert model.states["pulse"] == [(11, ["hiring_freeze", "august_split"], 2.5)]
    tables = odd.render_parameter_tables()
    assert "kind `pulse` (Pulse)" in tables and "at Mesa priority `LOW`" in tables.split("kind `pulse`")[1]


def test_a_plug_in_event_is_refused_like_any_other(pulse, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"timeline\.beat\.strength"):
        load_scenario(pulse_config(tmp_path, "{date: 2025-08-20, kind: pulse, lab: meta, strength: -1}"))
    with pytest.raises(ConfigError, match="'pulse'"):
        load_scenario(pulse_config(tmp_path, "{date: 2025-08-20, kind: pulsar, lab: meta}"))
    plugins.unregister(PULSE)
    assert plugins.scenario_model() is Scenario, "without plug-ins the schema's own Scenario, error messages and all"
    with pytest.raises(ConfigError, match="does not match any of the expected tags"):
        load_scenario(pulse_config(tmp_path, "{date: 2025-08-20, kind: pulse, lab: meta}"))
    plugins.register(PULSE)


def test_an_event_kind_needs_its_own_name_and_handler() -> None:
    class Freeze2(EventBase):
        kind: Literal["freeze"]

    clash = Mechanism(number=18, block="clash", params=PulseParams, events=(Freeze2,),
                      handlers={"freeze": Handler(apply_pulse, RELEASES)})
    orphan = Mechanism(number=18, block="orphan", params=PulseParams, events=(Pulse,))
    for mechanism in (clash, orphan):
        with pytest.raises(ValueError, match="needs a handler of its own and a new name"):
            plugins.register(mechanism)
    assert 18 not in [m.number for m in plugins.registered()]
