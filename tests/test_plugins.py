"""Mechanisms are plug-ins (orgsim.sim.plugins): registering and unregistering, and a plug-in's own event kind."""

from __future__ import annotations

from typing import Literal

import dummy_mechanism
import pytest
from conftest import CONFIGS
from pydantic import Field

from orgsim import OrgModel, load_scenario, odd
from orgsim.config import ConfigError
from orgsim.schema import EventBase, Scenario, Switchable, param
from orgsim.sim import plugins
from orgsim.sim.plugins import RELEASES, Handler, Mechanism

DUMMY = dummy_mechanism.MECHANISM


@pytest.fixture
def dummy():
    plugins.register(DUMMY)
    yield DUMMY
    plugins.unregister(DUMMY)


def test_unregistering_leaves_the_built_in_fifteen(dummy) -> None:
    plugins.unregister(DUMMY)
    assert [m.number for m in plugins.registered()] == list(range(1, 16))
    assert "dummy" not in plugins.covariates() and "dummy" not in plugins.mechanisms_model().model_fields
    assert "dummy" not in plugins.scenario_model().model_fields["mechanisms"].annotation.model_fields
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
    timeline = plugins.scenario_model().model_fields["timeline"].annotation
    assert timeline == Scenario.model_fields["timeline"].annotation, "without plug-ins the schema's own event kinds"
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
