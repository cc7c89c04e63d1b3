"""Labs and executives decide in their mechanisms' functions, called through Mesa's AgentSet in config order."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario

from orgsim import OrgModel
from orgsim.config import scenario_from_dict
from orgsim.mechanisms import entry, executives, offers, releases
from orgsim.sim import transitions
from orgsim.sim.agents import Executive
from orgsim.sim.lab import Lab

LEVERS = ("reorg", "blitz", "layoffs", "leadership_change")


def small(**overrides) -> OrgModel:
    return OrgModel(make_scenario(scale=0.05, **overrides), rng=2)


def only(lever: str) -> dict[str, float]:
    return {name: float(name == lever) for name in LEVERS}


@pytest.mark.parametrize(("module", "decision"), [(executives, "review_leadership"), (offers, "recruit"),
                                                   (releases, "ship_if_due"), (entry, "backfill")])
def test_every_lab_takes_each_weekly_decision_once_in_config_order(monkeypatch, module, decision: str) -> None:
    model = small()
    calls: list[str] = []
    method = getattr(module, decision)

    def spy(lab: Lab, *args):
        calls.append(lab.key)
        return method(lab, *args)

    monkeypatch.setattr(module, decision, spy)
    model.run(2)
    assert list(model.lab_agents) == model.labs, "Mesa's AgentSet holds the labs in config order"
    assert calls == [lab.key for lab in model.labs] * 2


def test_ceos_review_and_the_executives_below_endure(monkeypatch) -> None:
    model = small()
    reviewed, endured = [], []
    review, endure = executives.review, executives.endure
    monkeypatch.setattr(executives, "review", lambda e, setbacks: (reviewed.append(e.key), review(e, setbacks)))
    monkeypatch.setattr(executives, "endure", lambda e, boss: (endured.append((e.key, boss)), endure(e, boss)))
    executives.step(model)
    assert reviewed == [lab.ceo.key for lab in model.labs if lab.ceo is not None]
    assert endured == [(e.key, lab.ceo.micromanagement if lab.ceo else 0.0)
                       for lab in model.labs for e in lab.executives if e.role != "ceo"]


def test_a_leadership_change_replaces_the_worst_fit_before_the_others_endure(monkeypatch) -> None:
    """Meta's CEO under pressure with only that lever: the executive with the most friction leaves (outsider),
    and the successor, not the leaver, bears this week's friction."""
    model = small(**{"mechanisms.executives.action_weights": only("leadership_change")})
    meta, ceo = model.focal, model.focal.ceo
    ceo.pressure = 10.0
    leaver = max((e for e in meta.executives if e is not ceo), key=lambda e: e.friction)
    endured: list[Executive] = []
    endure = executives.endure
    monkeypatch.setattr(executives, "endure", lambda e, boss: (endured.append(e), endure(e, boss)))
    executives.step(model)
    successor = meta.executives[-1]
    assert model.decisions == [(0, "meta", "leadership_change")]
    assert not leaver.active and successor.key == f"{leaver.key}-successor-w0" and not successor.insider
    assert successor in endured and leaver not in endured
    assert ceo.last_action_week == 0 and ceo.pressure < 10.0


def test_a_ceo_without_levers_or_below_threshold_does_nothing() -> None:
    zero = small(**{"mechanisms.executives.action_weights": dict.fromkeys(LEVERS, 0.0)})
    zero.focal.ceo.pressure = 10.0
    assert executives.under_pressure(zero, zero.focal.ceo) and executives.choose_lever(zero.focal.ceo) is None
    executives.step(zero)
    assert zero.decisions == [] and zero.focal.ceo.last_action_week < 0
    calm = small(**{"mechanisms.executives.action_weights": only("reorg")})
    threshold = calm.params.executives.threshold * (0.5 + calm.focal.ceo.patience)
    calm.focal.ceo.pressure = 0.99 * threshold
    assert not executives.under_pressure(calm, calm.focal.ceo)
    calm.focal.ceo.pressure = 1.01 * threshold
    assert executives.under_pressure(calm, calm.focal.ceo) and executives.choose_lever(calm.focal.ceo) == "reorg"


def test_a_lab_ships_on_its_cadence_only() -> None:
    model = small()
    lab = next(lab for lab in model.labs if lab.spec.release_every_weeks)
    every = lab.spec.release_every_weeks
    last = model.states["releases"].last_week
    last[lab.index] = model.week - every + 1
    releases.ship_if_due(lab)
    assert not [r for r in model.release_log if r["lab"] == lab.key]
    last[lab.index] = model.week - every
    releases.ship_if_due(lab)
    assert [r["model"] for r in model.release_log if r["lab"] == lab.key] == [f"{lab.key}-w0"]
    assert last[lab.index] == model.week


def test_a_frozen_lab_neither_recruits_nor_backfills() -> None:
    model = small()
    meta = model.focal
    meta.frozen_until = model.spec.weeks
    before = model.headcounts()[meta.index]
    offers.recruit(meta)
    sizes = np.zeros(len(model.team_names))
    assert entry.backfill(meta, sizes, model.team_targets() + 100) == []
    assert model.headcounts()[meta.index] == before and not model.recorder.flows[0, meta.index].any()
    meta.frozen_until = -1
    transitions.hire(model, entry.backfill(meta, sizes, model.team_targets() + 100))
    assert model.headcounts()[meta.index] > before


def test_the_rush_is_the_ceos_call(monkeypatch) -> None:
    """A dated release with pull_forward_weeks lands early only if the CEO is under pressure then."""
    timeline = {"rushed": {"date": "2025-07-14", "kind": "release", "lab": "meta", "model": "rushed",
                           "pull_forward_weeks": 2}}
    for pressured in (False, True):
        model = small(timeline=timeline)
        monkeypatch.setitem(model.actions, "under_pressure", lambda model, ceo, p=pressured: p)
        model.run(7)
        landed = [r["week"] for r in model.release_log if r["model"] == "rushed"]
        assert landed == ([4] if pressured else [6]), (pressured, landed)


def test_labs_without_executives_still_take_their_decisions() -> None:
    """No Executive agent at all (Mesa then has no AgentSet of that type): the leadership review is a no-op."""
    data = make_scenario(scale=0.05).model_dump(mode="json")
    for lab in data["labs"].values():
        lab["executives"] = {}
    data["timeline"] = {k: {**v, "executive": None} if v["kind"] == "acquihire" else v
                        for k, v in data["timeline"].items() if v["kind"] != "executive_exit"}
    model = OrgModel(scenario_from_dict(data), rng=2).run(6)
    assert Executive not in model.agents_by_type and model.week == 6
    assert model.decisions == [] and model.recorder.flows[:6].sum() > 0
