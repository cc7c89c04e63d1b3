"""M13 shapes the lab-to-lab flow matrix: with it on, movers join labs whose mission is closer to the one they left."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_scenario

from orgsim import OrgModel
from orgsim.analysis.flows import flow_counts, mission_distance


@pytest.mark.slow
def test_mission_sorting_moves_flows_toward_similar_labs() -> None:
    """Baseline, seeds 1-3, scale 0.5, 104 weeks, M13 on against off.

    Measured at full scale (5 seeds): mission distance 0.52 on against 0.56 off, and Meta's movers to
    Anthropic 10 a year against 28. Required here: distance lower by at least 0.015 and fewer Meta
    movers to Anthropic.
    """
    frames = []
    for on in (True, False):
        for seed in (1, 2, 3):
            scenario = make_scenario("baseline", 0.5, **{"mechanisms.mission.enabled": on})
            events = OrgModel(scenario, rng=seed, run_id=f"{on}-{seed}").run(104).events_frame()
            events["scenario"] = "on" if on else "off"
            frames.append(events)
    events = pd.concat(frames, ignore_index=True)
    events["run_id"], events["scenario"] = events["run_id"].astype("category"), events["scenario"].astype("category")
    flows = flow_counts(events)
    profiles = {key: (lab.mission.safety, lab.mission.openness) for key, lab in scenario.labs.items()}
    distance = mission_distance(flows, profiles)
    meta_to_anthropic = flows[(flows["from_lab"] == "meta") & (flows["to_lab"] == "anthropic")].groupby(
        "scenario", observed=True)["value"].sum()
    assert distance["on"] < distance["off"] - 0.015, distance
    assert meta_to_anthropic["on"] < meta_to_anthropic["off"], meta_to_anthropic
