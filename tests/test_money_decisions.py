"""Leaving, staying and accepting an offer are one decision in money (M1, M3, M5, M8).

Unit tests on a freshly built baseline world (scale 0.1, seed 1, nothing run
yet): researchers' arrays are set by hand and the decision read off, so the
figures are exact, not sampled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from scipy.optimize import brentq
from scipy.special import expit

from orgsim import OrgModel
from orgsim.mechanisms import executives, offers
from orgsim.sim import decision, derived

UNVESTED_MUSD = (0, 1, 10, 50, 200)
MARKET_PAY_MUSD = (5, 15)
FIELDS = ("skill", "hire_week", "team", "team_since", "morale", "base_k", "equity_k", "grant_week", "grant_price",
          "ladder_price", "prefs", "safety_pref", "openness_pref", "insider", "signon_k", "signon_week", "match",
          "match_sum", "cohort", "prev_lab")


def twins(m: OrgModel, lab: str, market_musd: float, n: int) -> np.ndarray:
    """``n`` identical researchers at ``lab``, hired this week, whose market pay is ``market_musd`` a year and who
    are paid exactly that: copies of one researcher, skill set so the market's pay curve gives the figure."""
    pop = m.population
    members = np.flatnonzero(pop.lab == m.lab_by_key[lab].index)[:n]
    skill = brentq(lambda s: derived.market_comp(m, np.array([s]))[0] - market_musd * 1000, 1.0, 1e4)
    for field in FIELDS:
        getattr(pop, field)[members] = getattr(pop, field)[members[0]]
    pop.skill[members] = skill
    derived.price_arrivals(m, members)  # the pay their new skill commands, as at arrival
    pop.hire_week[members] = pop.grant_week[members] = pop.team_since[members] = m.week
    pop.match_sum[members] = 0.0
    share = m.lab_pay[members, 1] / m.lab_pay[members, :2].sum(axis=1)
    pop.base_k[members], pop.equity_k[members] = market_musd * 1000 * (1 - share), market_musd * 1000 * share
    return members


def economics_table() -> pd.DataFrame:
    """The weekly probability of leaving Meta for identical researchers holding different sums unvested.

    Without an offer it is M3's weekly probability; with a make-whole offer in
    hand (OpenAI offers 1.5x their pay and buys out what they would forfeit)
    it is the probability of accepting it (M1).
    """
    rows = []
    for market in MARKET_PAY_MUSD:
        m = OrgModel(make_scenario("baseline", 0.1), rng=1)
        slots = twins(m, "meta", market, len(UNVESTED_MUSD))
        m.population.grant_k[slots] = np.array(UNVESTED_MUSD) * 1000.0   # nothing vested at hire, no refresh yet
        np.testing.assert_allclose(derived.forfeited(m, slots), np.array(UNVESTED_MUSD) * 1000.0)
        stay = decision.covariates(m, slots)["hazard"]
        openai = m.lab_by_key["openai"]
        terms = {"premium": 1.5, "cap_k": 1e9, "touch": 0.0}
        annual, makewhole = offers.package(m, openai, slots, terms)
        accept = expit(offers.offer_gain(m, slots, openai.index, annual, makewhole, 0.0))
        for i, unvested in enumerate(UNVESTED_MUSD):
            rows.append({"market pay ($M/yr)": market, "unvested ($M)": unvested, "no offer": stay[i],
                         "make-whole offer": accept[i]})
    return pd.DataFrame(rows)


def test_the_economics_of_leaving() -> None:
    """Handcuffs bind in money, and a rival who makes the target whole unlocks them.

    Without an offer the weekly probability falls as unvested value rises,
    and at $200M it is at most 1/20 of the $0 case; with a make-whole offer
    in hand the unvested amount no longer matters.
    """
    table = economics_table()
    print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.5f}"))
    for market, rows in table.groupby("market pay ($M/yr)"):
        no_offer, offer = rows["no offer"].to_numpy(), rows["make-whole offer"].to_numpy()
        assert (np.diff(no_offer) < 0).all(), (market, no_offer)
        assert no_offer[-1] <= no_offer[0] / 20, (market, no_offer)
        np.testing.assert_allclose(offer, offer[0], rtol=1e-9)


def test_without_make_whole_the_forfeit_weighs_on_the_offer() -> None:
    """The same offer without the buy-out: each $ unvested lowers the log odds of accepting by 1 / (M · H · s)."""
    m = OrgModel(make_scenario("baseline", 0.1, **{"mechanisms.offers.make_whole": False}), rng=1)
    slots = twins(m, "meta", 5, len(UNVESTED_MUSD))
    m.population.grant_k[slots] = np.array(UNVESTED_MUSD) * 1000.0
    openai = m.lab_by_key["openai"]
    annual, makewhole = offers.package(m, openai, slots, {"premium": 1.5, "cap_k": 1e9})
    assert (makewhole == 0).all()
    gain = offers.offer_gain(m, slots, openai.index, annual, makewhole, 0.0)
    p = m.params.attrition
    np.testing.assert_allclose(gain - gain[0], -np.array(UNVESTED_MUSD) / 5 / p.horizon_years / p.decision_scale)


def test_an_offer_is_made_whole_within_the_cap() -> None:
    """The buy-out comes first and the annual pay gets what the four-year cap leaves."""
    m = OrgModel(make_scenario("baseline", 0.1), rng=1)
    slots = twins(m, "meta", 5, 2)
    m.population.grant_k[slots] = [10_000.0, 90_000.0]           # $10M and $90M unvested
    openai = m.lab_by_key["openai"]
    annual, makewhole = offers.package(m, openai, slots, {"premium": 2.0, "cap_k": 100_000 / 4})   # $100M cap
    np.testing.assert_allclose(makewhole, [10_000.0, 90_000.0])
    own_pay = derived.lab_comp(m, np.full(1, openai.index), m.population.skill[slots[:1]])[0]
    assert 2.0 * own_pay > 5_000.0, "the premium on OpenAI's own pay beats the $5M they earn"
    # 2 x OpenAI's pay at their skill, within the $90M left; the rest of the cap, $10M / 4
    np.testing.assert_allclose(annual, [2.0 * own_pay, 2_500.0])


@pytest.mark.parametrize("package_musd, expected_below", [(0.0, 1.0), (200.0, 0.01)])
def test_an_executive_weighs_the_package_against_friction(package_musd: float, expected_below: float) -> None:
    """At full friction the weekly exit odds are exit_hazard / (1 - exit_hazard); $200M unvested on $10M market pay
    divides them by e^(20 / H / s) = e^5 (148)."""
    scenario = make_scenario("baseline", 0.05)
    m = OrgModel(scenario, rng=1)
    lab = m.lab_by_key["meta"]
    executive = m.world.add_executive(lab, "test_caio", "chief_ai_officer", [lab.team_ids[0]], insider=False,
                                      friction=1.0, unvested_musd=package_musd, pay_musd=10.0)
    p = m.params.executives
    odds = executives.exit_probability(executive) / (1 - executives.exit_probability(executive))
    bare = p.exit_hazard / (1 - p.exit_hazard)
    held = package_musd / 10.0 / m.params.attrition.horizon_years / m.params.attrition.decision_scale
    assert odds == pytest.approx(bare * np.exp(-held), rel=1e-9)
    assert executives.exit_probability(executive) <= expected_below * p.exit_hazard + 1e-12


@pytest.mark.parametrize(
    "overrides",
    [{}, {"mechanisms.mission.enabled": False}, {"mechanisms.vesting.enabled": False}],
    ids=["all-on", "mission-off", "vesting-off"],
)
def test_the_bound_on_the_odds_of_leaving_holds_for_everyone(overrides) -> None:
    """M3 values exactly only those whose draw falls below the hazard at its upper bound
    (``decision.leave_odds_bound``), so the bound must be at least everyone's exact log odds, every week, with
    blitzes, moves and a failed release behind them (avocado_failure, 40 weeks, seed 3), and within a few
    logit units of them, or nothing would be saved."""
    m = OrgModel(make_scenario("avocado_failure", 0.1, **overrides), rng=3)
    gaps = []
    for _ in range(40):
        m.run(1)
        forfeit = derived.forfeited(m)
        v = decision.values(m)
        exact = decision.leave_odds(m, v)
        bound = decision.leave_odds_bound(m, v.stay, forfeit)
        assert (bound >= exact).all(), (bound - exact).min()
        gaps.append(np.median(bound - exact))
    assert np.median(gaps) < 2.0, np.median(gaps)  # measured: about 0.8
