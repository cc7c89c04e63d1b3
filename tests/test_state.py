"""Each piece of state has one owner: M10's codes and M8's reading of M9's logs are their mechanisms' own
``setup`` state, and the week's skill quantiles live exactly as long as the week."""

from __future__ import annotations

import numpy as np
from conftest import make_scenario

from orgsim import OrgModel
from orgsim.mechanisms import executives, learning
from orgsim.sim import derived, transitions


def small(**overrides) -> OrgModel:
    return OrgModel(make_scenario(scale=0.05, **overrides), rng=5)


def test_the_week_quantiles_hold_for_the_week_and_renew_with_it() -> None:
    """40 stars hired mid-week do not move this week's 90% threshold; at the start of the next week (its dated
    events, before its step) the threshold is the market's again, not last week's."""
    model = small()
    q = 0.9
    before = derived.skill_quantile(model, q)
    assert before == derived.market_quantile(model, q)
    transitions.hire(model, [transitions.arrivals(model, model.focal.index, model.focal.team_ids[0], np.full(40, 50.0),
                                                 "stars")])
    assert derived.market_quantile(model, q) > before
    assert derived.skill_quantile(model, q) == before, "fixed within the week"
    model.time = 1.0  # the start of week 1: its dated events run now
    assert derived.skill_quantile(model, q) == derived.market_quantile(model, q) > before


def test_the_top_talent_threshold_is_the_start_one_for_the_whole_run() -> None:
    model = small()
    start = derived.market_quantile(model, model.spec.outcomes.top_quantile)
    model.run(8)
    assert model.star_threshold == start


def test_learning_owns_its_codes() -> None:
    model = small()
    state = model.states["learning"]
    assert isinstance(state, learning.Codes) and not hasattr(model, "lab_code") and not hasattr(model, "reality")
    assert state.code.shape == (len(model.labs), model.params.learning.dimensions)
    np.testing.assert_array_equal(learning.lab_knowledge(model), learning.knowledge(state.code, state.reality))
    state.code[:] = 0  # forget everything: the weekly step must learn into this state again
    learning.step(model)
    assert model.states["learning"] is state and np.count_nonzero(state.code) > 0


def test_setbacks_are_m9_logs_read_once_by_m8() -> None:
    """A failed dated release and a slip in week 0 are read by the CEOs in week 0's review, and only then."""
    model = small()
    model.release_log.append({"week": 0, "lab": "meta", "model": "flop", "outcome": "failure"})
    model.slip_log.append({"week": 0, "lab": "openai", "model": "late", "delay_weeks": 2})
    read = executives.read_setbacks(model)
    assert read[model.focal.index] == 1.0 and read[model.lab_by_key["openai"].index] == 0.5 and read.sum() == 1.5
    assert not executives.read_setbacks(model).any()
    assert (model.states["executives"].releases_read, model.states["executives"].slips_read) == (1, 1)
    assert not hasattr(model.focal, "failures")


def test_stored_facts_of_each_researcher_follow_their_causes() -> None:
    """What the week's decision reads from the population's stored columns equals what the model's functions
    compute afresh: the market's pay and the best lab's pay at a researcher's skill, and the mission fit with
    every lab (computed for the rows asked for) and the stored best and worst, also after a lab changes its
    profile and after new arrivals (the best and worst are recomputed when a profile changes)."""
    model = small()
    pop = model.population

    def fresh_fits() -> np.ndarray:
        return np.stack([derived._fit(model, np.full(len(pop), lab)) for lab in range(len(model.labs))], 1)

    np.testing.assert_array_equal(derived.mission_fit(model, None), fresh_fits())
    np.testing.assert_array_equal(pop.fit_high, fresh_fits().max(axis=1))
    np.testing.assert_array_equal(pop.fit_low, fresh_fits().min(axis=1))
    np.testing.assert_array_equal(pop.market_k, derived.market_comp(model, pop.skill))
    labs = np.repeat(np.arange(len(model.labs)), len(pop)).reshape(len(model.labs), -1).T
    every_lab = derived.lab_comp(model, labs.ravel(), np.repeat(pop.skill, len(model.labs))).reshape(labs.shape)
    np.testing.assert_array_equal(derived.pay_at(model), every_lab)
    np.testing.assert_array_equal(pop.pay_best, every_lab.max(axis=1))
    before = derived.mission_fit(model, None)[:, model.focal.index].copy()
    model.lab_mission[model.focal.index] = [0.9, 0.9, 0.1]  # e.g. a mission_change event
    transitions.hire(model, [transitions.arrivals(model, model.focal.index, model.focal.team_ids[0], np.ones(5), "x")])
    after = derived.mission_fit(model, None)
    assert (after[: len(before), model.focal.index] != before).any(), "the fits follow the new profile"
    np.testing.assert_array_equal(after, fresh_fits())
    np.testing.assert_array_equal(pop.fit_high, fresh_fits().max(axis=1))
