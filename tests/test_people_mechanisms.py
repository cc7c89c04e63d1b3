"""M1-M5, M13, M14: every people mechanism switches off cleanly and moves outcomes the way docs/ODD.md §7 says.

Two kinds of test:

* unit tests on a freshly built world (``fresh()``: baseline at scale 0.1,
  nothing run yet), where population arrays are set by hand and one mechanism
  function is called; most are exact (a hazard ratio equals exp(beta * dx))
  or paired (same seed, same random draws, one knob changed), so they are
  deterministic and cannot pass by luck;
* whole runs of the baseline at scale 0.1 (1,680 researchers at the start, ~2,400 at the end, 135 weeks,
  about a second each), cached per (seed, overrides) so several tests share
  them. Their tolerances are stated next to each assertion with the figures
  measured when the test was written.

Heavier checks over many seeds are marked ``slow``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from scipy.special import expit, logit

from orgsim import OrgModel
from orgsim.mechanisms import attrition, contagion, counteroffers, entry, finance, mission, offers
from orgsim.schema import MissionChange, RetentionGrant
from orgsim.sim import decision, derived, matching, transitions

SCALE = 0.1
SEEDS = (1, 2, 3)


# --------------------------------------------------------------------------- helpers


def fresh(seed: int = 1, scale: float = SCALE, **overrides) -> OrgModel:
    """A baseline world at week 0, built but not stepped (no dated event has fired)."""
    return OrgModel(make_scenario("baseline", scale, **overrides), rng=seed)


def log_odds(x: dict[str, np.ndarray]) -> np.ndarray:
    """The log odds of leaving this week behind ``x["hazard"]`` (= σ(log odds))."""
    return logit(x["hazard"])


@dataclass
class Run:
    model: OrgModel
    events: pd.DataFrame
    risk: dict[str, np.ndarray] = field(default_factory=dict)  # one row per researcher-week at risk of quitting
    choices: dict[str, np.ndarray] = field(default_factory=dict)  # one row per voluntary leaver


def _tracked(model: OrgModel, weeks: int | None) -> tuple[dict, dict]:
    """Run ``model`` recording M3's weekly risk set and the leavers' destination choices.

    ``attrition.decide`` runs once a week, when everyone's logged terms are
    those M3 weighs, and ``destinations`` receives exactly this week's
    voluntary leavers; wrapping both gives the at-risk population, who decided
    to leave (the same per-researcher draw M3 makes) and who left, without
    re-implementing the decision.
    """
    real_decide, real_destinations = attrition.decide, attrition.destinations
    weeks_rows: list[dict] = []
    leavers: list[dict] = []

    def decide(m, risk):
        pop, x = m.population, decision.covariates(m)
        draw = m.streams.per_researcher("attrition", m.week, pop.uid)
        weeks_rows.append({
            "week": np.full(len(pop), m.week), "lab": pop.lab.astype(np.int64),
            "tenure": m.week - pop.hire_week, "to_vest": derived.weeks_to_vest(m),
            "interval": m.lab_vesting[pop.lab, 1], "cliff_passed": m.week - pop.hire_week >= m.lab_vesting[pop.lab, 0],
            **{k: x[k].copy() for k in ("morale_gap", "forfeit", "match", "alternative", "pay_here", "amenity")},
            "capital": x["tenure"].copy(),
            "decided": (draw < x["hazard"]) & (pop.leaving_week < 0),
            "left": np.zeros(len(pop), dtype=bool),
        })
        return real_decide(m, risk)

    def destinations(m, alternatives, slots):
        dest = real_destinations(m, alternatives, slots)
        weeks_rows[-1]["left"][slots] = True
        leavers.append({"safety": m.population.safety_pref[slots].copy(), "dest": dest.copy(),
                        "from": m.population.lab[slots].astype(np.int64)})
        return dest

    attrition.decide, attrition.destinations = decide, destinations
    try:
        model.run(weeks)
    finally:
        attrition.decide, attrition.destinations = real_decide, real_destinations
    cat = lambda rows: {k: np.concatenate([r[k] for r in rows]) for k in rows[0]} if rows else {}  # noqa: E731
    return cat(weeks_rows), cat(leavers)


@functools.cache
def _run(seed: int, overrides: tuple, track: bool, weeks: int | None) -> Run:
    model = OrgModel(make_scenario("baseline", SCALE, **dict(overrides)), rng=seed)
    risk, choices = _tracked(model, weeks) if track else ({}, {})
    if not track:
        model.run(weeks)
    return Run(model, model.events_frame(), risk, choices)


def whole_run(seed: int = 1, *, weeks: int | None = None, **overrides) -> Run:
    """Baseline at scale 0.1 to the horizon (or ``weeks``), cached for the module.

    Runs of the unmodified baseline also record the risk set and destination
    choices (one run serves several tests).
    """
    return _run(seed, tuple(sorted(overrides.items())), not overrides, weeks)


def off(name: str) -> dict:
    return {f"mechanisms.{name}.enabled": False}


def kinds(events: pd.DataFrame) -> pd.Series:
    return events["kind"].value_counts()


def voluntary_departures(events: pd.DataFrame) -> int:
    """Quits plus moves made in M3 (a move with an ``accept`` the same week came from an offer)."""
    acc = events[events.kind == "accept"]
    accepted = set(zip(acc.week, acc.researcher_id, strict=True))
    moves = events[events.kind == "move"]
    from_offers = sum((w, r) in accepted for w, r in zip(moves.week, moves.researcher_id, strict=True))
    return int((events.kind == "quit").sum() + len(moves) - from_offers)


# --------------------------------------------------------------------------- (a) every switch


def _offers_off(run: Run) -> None:
    k = kinds(run.events)
    for kind in ("offer", "accept", "decline", "counter"):
        assert k.get(kind, 0) == 0, f"M1 off but {k.get(kind)} {kind} events"
    assert k.get("move", 0) > 0, "M3 moves should still happen with M1 off"


def _counteroffers_off(run: Run) -> None:
    k = kinds(run.events)
    assert k.get("counter", 0) == 0 and k.get("accept", 0) > 0
    assert (run.model.population.countered_week == -1).all()
    assert (run.events["countered"].fillna(0) == 0).all()


def _attrition_off(run: Run) -> None:
    ev = run.events
    assert kinds(ev).get("quit", 0) == 0, "M3 off but researchers quit"
    assert voluntary_departures(ev) == 0, "M3 off but moves without an accepted offer"
    assert kinds(ev).get("layoff", 0) > 0  # layoffs (M7) are not voluntary and still happen


def _contagion_off(run: Run) -> None:
    assert not run.model.states["contagion"].level.any()
    assert (run.events["contagion"].dropna() == 0).all()


def _vesting_off(run: Run) -> None:
    departures = run.events[run.events.kind.isin(["quit", "move"])]
    assert len(departures) > 0
    assert (departures["forfeit"] == 0).all(), "M5 off: nothing vests, so nothing is forfeited (no sign-on bonus)"
    assert (run.model.population.leaving_week == -1).all(), "M5 off: no leaver waits for a vest"


def _mission_off(run: Run) -> None:
    model = run.model
    fit = derived.mission_fit(model, model.population.lab.astype(np.int64))
    assert (fit == 0.5).all(), "M13 off: every fit is the constant 0.5"


def _entry_off(run: Run) -> None:
    hires = run.events[run.events.kind == "hire"]
    cohorts = hires["cohort"].astype(str)
    assert cohorts.str.startswith("acquihire-").all(), f"M14 off but hires in cohorts {set(cohorts)}"
    # at scale 0.1 the Scale AI stake brings round(0.8) = 1 researcher, NFDG round(0.3) = 0
    assert len(hires) == 1


OFF_CHECKS = {
    "offers": _offers_off, "counteroffers": _counteroffers_off, "attrition": _attrition_off,
    "contagion": _contagion_off, "vesting": _vesting_off, "mission": _mission_off, "entry": _entry_off,
}


@pytest.mark.parametrize("name", list(OFF_CHECKS))
def test_mechanism_switches_off_and_model_runs_to_horizon(name: str) -> None:
    run = whole_run(1, **off(name))
    model = run.model
    assert model.week == model.spec.weeks == 135 and not model.running
    assert model.metrics_frame()["week"].max() == model.spec.weeks - 1
    assert len(model.population) > 0
    OFF_CHECKS[name](run)


# --------------------------------------------------------------------------- M1 offers


def _blitz_offers(premium: float, cap_musd: float, *, counter: bool, make_whole: bool = True, seed: int = 1,
                  scale: float = 0.2):
    """Meta offers every rival researcher above the 0.9 skill quantile, in a fresh world.

    Built from the same seed with no other draw before, so the acceptance
    uniforms are identical across calls: a paired comparison.
    """
    m = fresh(seed, scale, **{"mechanisms.counteroffers.enabled": counter, "mechanisms.offers.make_whole": make_whole})
    meta = m.lab_by_key["meta"]
    targets = offers.pick_targets(m, meta, 10**6, 0.9)  # k > eligible: no random draw
    terms = {"premium": premium, "cap_k": cap_musd * 1000 / 4, "touch": 0.0, "team": None, "cohort": "test"}
    annual, makewhole = offers.package(m, meta, targets, terms)
    p_accept = expit(offers.offer_gain(m, targets, meta.index, annual, makewhole, 0.0))
    uids = m.population.uid[targets].copy()
    offers.make_offers(m, meta, targets, terms)
    ev = m.events_frame()
    accepted = set(ev.researcher_id[ev.kind == "accept"])
    countered = set(ev.researcher_id[ev.kind == "counter"])
    return uids, p_accept, accepted, countered


def test_offer_gain_rises_with_package_size_by_the_pay_gained() -> None:
    """The log odds of accepting rise by (extra annual pay) / (market pay · decision scale), exactly."""
    m = fresh()
    meta = m.lab_by_key["meta"]
    targets = offers.pick_targets(m, meta, 10**6, 0.9)
    current = derived.current_comp(m, targets)
    makewhole = derived.forfeited(m, targets)
    gains = [offers.offer_gain(m, targets, meta.index, current * f, makewhole, 0.0) for f in (1.0, 1.5, 3.0, 6.0)]
    assert all((b > a).all() for a, b in zip(gains, gains[1:], strict=False))
    market = derived.market_comp(m, m.population.skill[targets])
    np.testing.assert_allclose(gains[2] - gains[1], 1.5 * current / market / m.params.attrition.decision_scale)


def test_bigger_premium_wins_more_acceptances() -> None:
    """Counteroffers off, blitz cap ($300M/4y), seed 1, scale 0.2: n = 265 targets.

    Paired draws, so the set accepting the bigger offer contains the set
    accepting the smaller one; the mean acceptance probability must rise by
    more than half and the accepted count by more than 3.
    """
    uids, p_low, acc_low, _ = _blitz_offers(1.5, 300, counter=False)
    _, p_high, acc_high, _ = _blitz_offers(3.0, 300, counter=False)
    assert len(uids) > 200
    assert (p_high >= p_low).all()
    assert p_high.mean() > 1.5 * p_low.mean(), (p_low.mean(), p_high.mean())
    assert acc_low <= acc_high, "a target who accepted 1.5x refused 3x"
    assert len(acc_high) > len(acc_low) + 3, (len(acc_low), len(acc_high))


def test_higher_cap_wins_more_acceptances() -> None:
    """Premium 3x, cap $2M vs $300M over four years (seed 1, n = 265): a $2M cap buys out almost nobody."""
    _, p_capped, acc_capped, _ = _blitz_offers(3.0, 2, counter=False)
    _, p_open, acc_open, _ = _blitz_offers(3.0, 300, counter=False)
    assert p_open.mean() > 5 * p_capped.mean(), (p_capped.mean(), p_open.mean())
    assert acc_capped <= acc_open and len(acc_open) > len(acc_capped)


def test_make_whole_offers_win_the_handcuffed() -> None:
    """Same targets and draws (seed 1, n = 265), blitz terms: a make-whole grant raises acceptance, and most for
    those forfeiting most (the buy-out is worth the forfeit over the horizon, in market pay-years)."""
    _, p_whole, acc_whole, _ = _blitz_offers(3.0, 300, counter=False)
    _, p_bare, acc_bare, _ = _blitz_offers(3.0, 300, counter=False, make_whole=False)
    assert (p_whole >= p_bare - 1e-12).all() and p_whole.mean() > 1.3 * p_bare.mean(), (p_whole.mean(), p_bare.mean())
    assert acc_bare <= acc_whole
    m = fresh(1, 0.2)
    meta = m.lab_by_key["meta"]
    targets = offers.pick_targets(m, meta, 10**6, 0.9)
    terms = {"premium": 3.0, "cap_k": 300 * 1000 / 4}
    annual, _ = offers.package(m, meta, targets, terms)
    uncapped = annual == np.maximum(derived.current_comp(m, targets),
                                    3.0 * derived.lab_comp(m, np.full(len(targets), meta.index), m.population.skill[targets]))
    assert uncapped.mean() > 0.9  # for the stars at the top, buying out the forfeit leaves less of the cap for pay
    held = derived.forfeited(m, targets) / derived.market_comp(m, m.population.skill[targets])
    lift = logit(p_whole) - logit(p_bare)
    np.testing.assert_allclose(lift[uncapped], (held / m.params.attrition.horizon_years
                                                / m.params.attrition.decision_scale)[uncapped], rtol=1e-9)


def test_offers_off_no_offer_events_and_whole_run_offer_flows() -> None:
    on, no = whole_run(1), whole_run(1, **off("offers"))
    # seed 1, 135 weeks: measured 237 offers, 14 moves after counteroffers
    assert kinds(on.events).get("offer", 0) > 50 and kinds(on.events).get("accept", 0) > 0
    metrics = no.model.metrics_frame()
    assert metrics.loc[metrics.metric.isin(["offers", "accepts", "counters"]), "value"].sum() == 0


# --------------------------------------------------------------------------- M2 counteroffers


def test_counteroffers_keep_some_acceptors_paired() -> None:
    """Same targets, same draws, blitz terms (premium 3x, cap $300M), seed 1, n = 265.

    Measured: 36 accept without counteroffers; with them 32 are countered and
    stay, 4 move. Every countered or moving researcher had accepted.
    """
    _, _, acc_off, _ = _blitz_offers(3.0, 300, counter=False)
    _, _, acc_on, countered = _blitz_offers(3.0, 300, counter=True)
    assert len(countered) > 0
    assert acc_on < acc_off, "counteroffers should stop some moves"
    assert acc_on | countered == acc_off and not acc_on & countered


def test_counteroffers_happen_in_whole_runs() -> None:
    """Counter events occur in whole runs with M2 on and never with it off (seeds 1-8, scale 0.2, 135 weeks).

    Measured 4 counters in the 8 runs: only stars accepting a rival's offer are countered, and the blitz's
    make-whole packages exceed most incumbents' caps. The causal size of the effect is the paired test above;
    whole runs differ in every later draw, so only presence is asserted here.
    """
    def counters(**overrides) -> int:
        total = 0
        for seed in range(1, 9):
            model = OrgModel(make_scenario("baseline", 0.2, **overrides), rng=seed).run()
            total += int((model.events_frame().kind == "counter").sum())
        return total

    assert counters() >= 1
    assert counters(**off("counteroffers")) == 0


def test_countered_researchers_have_higher_hazard() -> None:
    """A counter lowers the value of staying by ``price_countered``: the log odds rise by -price / s (0.5)."""
    m = fresh()
    slots = np.arange(len(m.population))
    before = log_odds(decision.covariates(m))
    m.population.countered_week[slots[::2]] = 0
    after = log_odds(decision.covariates(m))
    shift = -m.params.counteroffers.price_countered / m.params.attrition.decision_scale
    np.testing.assert_allclose((after - before)[::2], shift, atol=1e-9)
    np.testing.assert_allclose((after - before)[1::2], 0.0, atol=1e-12)


def _retention(m: OrgModel, amount_k: float = 2000.0, share: float = 0.33):
    lab = m.lab_by_key["openai"]
    members = np.flatnonzero(m.population.lab == lab.index)
    top = members[np.argsort(-m.population.skill[members], kind="stable")[: int(round(share * len(members)))]]
    rest = np.setdiff1d(members, top)
    value = lambda s: derived.unvested_value(m, s)  # noqa: E731  (k$ at today's price)
    before = decision.covariates(m)
    v_top, v_rest = value(top), value(rest)
    counteroffers.retention_grant(m, RetentionGrant(kind="retention_grant", date=m.date, lab="openai",
                                                    share=share, amount_k=amount_k))
    after = decision.covariates(m)
    return top, rest, before, after, v_top, value(top), v_rest, value(rest)


def test_retention_grant_adds_unvested_equity_and_lowers_hazard_of_top_share() -> None:
    """OpenAI's Aug 2025 grant: top third by skill, +$2M unvested each (seed 1, scale 0.1: 99 of 300)."""
    m = fresh()
    top, rest, before, after, v_top0, v_top1, v_rest0, v_rest1 = _retention(m)
    assert len(top) == 99 and len(rest) == 201
    np.testing.assert_allclose(v_top1, v_top0 + 2000.0)
    np.testing.assert_allclose(v_rest1, v_rest0)
    assert (after["forfeit"][top] > before["forfeit"][top]).all()
    assert (after["hazard"][top] < before["hazard"][top]).all()
    np.testing.assert_allclose(after["hazard"][rest], before["hazard"][rest])
    # $2M more to forfeit, spread over the horizon, in market pay-years: the log odds fall by at most that
    market = derived.market_comp(m, m.population.skill[top])
    p = m.params.attrition
    fall = log_odds(before)[top] - log_odds(after)[top]
    assert (fall <= 2000.0 / market / p.horizon_years / p.decision_scale + 1e-9).all()


def test_retention_grant_keeps_existing_unvested_value_after_a_price_move() -> None:
    """Folding the grant in must not re-price the old unvested equity at the grant price (bug fixed here)."""
    m = fresh()
    finance.jump(m, m.lab_by_key["openai"], np.log(2.0))  # the valuation doubles before the grant
    *_, v_top0, v_top1, _, _ = _retention(m)
    np.testing.assert_allclose(v_top1, v_top0 + 2000.0)


def test_retention_grant_fires_from_timeline_only_with_m2_on() -> None:
    week = make_scenario("baseline", SCALE).week_of(pd.Timestamp("2025-08-04").date())
    shares = []
    for enabled in (True, False):
        m = fresh(**{"mechanisms.counteroffers.enabled": enabled})
        m.run(week + 1)
        at_openai = m.population.lab == m.lab_by_key["openai"].index
        shares.append(float(np.mean(m.population.grant_week[at_openai] == week)))
    # the top third with M2 on (plus the odd hire or move that week), ~0 off
    assert shares[0] > 0.28 and shares[1] < 0.05, shares


# --------------------------------------------------------------------------- M3 attrition


def test_match_beliefs_spread_with_tenure_as_learning_predicts() -> None:
    """Jovanovic learning: the belief's variance across newcomers is match_sd² · n / (n + k) after n weeks.

    1,000 newcomers at Meta FAIR (seed 1, scale 0.1) learn for 26 weeks with
    nobody leaving (M3's signals only); tolerance: 15% on the variance
    (its sampling sd is about 4.5% at n = 1,000).
    """
    m = fresh()
    fair = m.team_index[("meta", "fair")]
    slots = transitions.hire(m, [transitions.arrivals(m, m.lab_by_key["meta"].index, fair, np.ones(1000), "test")])
    p = m.params.attrition
    for weeks in (1, 13, 26):
        while m.week - int(m.population.hire_week[slots[0]]) < weeks:
            m.time += 1.0
            matching.learn(m)
        spread = matching.belief(m, slots).var()
        expected = p.match_sd**2 * weeks / (weeks + p.match_learning_weeks)
        assert abs(spread / expected - 1) < 0.15, (weeks, spread, expected)


def test_realized_quit_rate_by_tenure_rises_then_falls() -> None:
    """Whole run seed 1: decisions to leave per researcher-week by tenure band.

    With no hump of its own, the hazard rises over the first months as
    newcomers learn bad matches, and falls after, as those who stay are the
    good matches and accumulate firm-specific capital (Farber 1994).
    Tolerance: the 2-6 month band 15% above the first month and above the
    second year; six years on, below half of the second year.
    """
    risk = whole_run(1).risk
    rate = lambda lo, hi: risk["decided"][(risk["tenure"] >= lo) & (risk["tenure"] < hi)].mean()  # noqa: E731
    first, months, year, long = rate(0, 4), rate(8, 26), rate(52, 104), rate(312, 10**6)
    assert months > 1.15 * first and months > 1.15 * year, (first, months, year)
    assert long < 0.5 * year, (year, long)


def test_lower_morale_raises_hazard_exactly() -> None:
    """The log odds of leaving move by -price_morale · Δmorale / s: 0.9 -> 0.3 adds 2 · 0.6 / 1 = 1.2."""
    m = fresh()
    m.population.morale = 0.9
    high = log_odds(decision.covariates(m))
    m.population.morale = 0.3
    low = log_odds(decision.covariates(m))
    p = m.params.attrition
    np.testing.assert_allclose(low - high, p.price_morale * 0.6 / p.decision_scale, rtol=1e-6)


def test_morale_shock_raises_quits_in_whole_run() -> None:
    """Morale cut by 0.4 after calibration, 13 weeks, scale 0.1, seeds 1-3 pooled.

    Configured: the log odds rise by 2 · 0.4 = 0.8 (x2.2) at the shock, fading
    as morale recovers at 5%/week. Tolerance: pooled ratio > 1.3.
    """
    counts = {0.0: 0, 0.4: 0}
    for seed in SEEDS:
        for drop in counts:
            m = fresh(seed)
            m.population.morale -= drop
            counts[drop] += voluntary_departures(m.run(13).events_frame())
    assert counts[0.4] > 1.3 * counts[0.0], counts


def _logit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton steps; coefficients and standard errors."""
    b = np.zeros(X.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-X @ b))
        hessian = X.T @ (X * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian, X.T @ (y - p))
        b += step
        if np.abs(step).max() < 1e-10:
            break
    return b, np.sqrt(np.diag(np.linalg.inv(hessian)))


def _fit_prices(seed: int, weeks: int = 26, scale: float = 0.2):
    """Logit of deciding to leave on the logged terms, with lab dummies: the decision's prices, recovered.

    log odds = a_L + (alternative − pay_here − amenity − match − Σ price · x) / s (the alternatives' inclusive
    value is net of what leaving for each forfeits), so the coefficient on the morale gap is −price_morale / s,
    on the match belief −1 / s and on the alternatives' value net of pay and amenities here 1 / s.
    """
    m = fresh(seed, scale, **off("contagion"))  # contagion's term moves with the departures themselves
    m.population.morale = np.random.default_rng(seed).uniform(0.1, 1.0, len(m.population))
    risk, _ = _tracked(m, weeks)
    y = risk["decided"].astype(float)
    labs = [(risk["lab"] == k).astype(float) for k in range(1, len(m.labs))]
    net = risk["alternative"] - risk["pay_here"] - risk["amenity"]
    X = np.column_stack([np.ones(len(y)), risk["morale_gap"], risk["match"], net, risk["capital"], *labs])
    b, se = _logit(X, y)
    p = m.params.attrition
    truth = np.array([-p.price_morale, -1.0, 1.0]) / p.decision_scale
    return b[1:4], se[1:4], truth, int(y.sum())


def test_logistic_regression_recovers_the_prices() -> None:
    """Weekly decisions to leave vs. the at-risk population, seed 1, scale 0.2, 26 weeks.

    Morale is spread uniform(0.1, 1) after calibration so it varies within
    labs; regressors: the morale gap, the match belief, the alternatives'
    value net of pay and amenities here, firm-specific capital, lab dummies.
    Tolerance: 2.5 standard errors.
    """
    b, se, truth, decided = _fit_prices(1)
    assert decided > 250
    assert np.sign(b).tolist() == np.sign(truth).tolist(), b
    assert (np.abs(b - truth) < 2.5 * se).all(), (b, se, truth)


@pytest.mark.slow
def test_logistic_regression_recovers_prices_over_seeds() -> None:
    """Seeds 1-10: the mean estimate lies within 2 standard errors of the configured prices (+0.05)."""
    fits = [_fit_prices(seed) for seed in range(1, 11)]
    truth = fits[0][2]
    b = np.mean([f[0] for f in fits], axis=0)
    se = np.sqrt(np.mean([f[1] ** 2 for f in fits], axis=0) / len(fits))
    assert (np.abs(b - truth) < 2.0 * se + 0.05).all(), (b, se, truth)


# --------------------------------------------------------------------------- M4 contagion


def _team_with_stars(m: OrgModel) -> tuple[int, np.ndarray, np.ndarray]:
    tiers = derived.star_tier(m)
    team = int(np.argmax(np.bincount(m.population.team[tiers == 1], minlength=len(m.team_names))))
    members = np.flatnonzero(m.population.team == team)
    return team, members[tiers[members] == 1], members[tiers[members] == 0]


def _next_week(m: OrgModel, weeks: int = 1) -> None:
    """Bring the exposure to a later week, leaving the rest of the model where it is."""
    m.states["contagion"].at(m.states["contagion"].week + weeks)


@pytest.mark.parametrize("leaver_is_star", [True, False])
def test_departure_raises_teammates_hazard_more_in_same_tier(leaver_is_star: bool) -> None:
    m = fresh()
    p = m.params.contagion
    team, stars, others = _team_with_stars(m)
    assert len(stars) >= 3 and len(others) >= 30
    leaver = stars[:1] if leaver_is_star else others[:1]
    outsiders = np.flatnonzero(m.population.team != team)
    assert not contagion.excess(m).any()
    odds_before = log_odds(decision.covariates(m))
    contagion.departure(m, leaver, "quit")
    assert not contagion.excess(m).any(), "a departure is felt from the next week on"
    _next_week(m)
    ex = contagion.excess(m)
    assert (ex[outsiders] == 0).all()
    same, other = (stars, others) if leaver_is_star else (others, stars)
    assert (ex[same] > 0).all() and (ex[other] > 0).all()
    # one excess per (team, tier); stars follow stars: the leaver's tier gets `similarity` (2x) the other's
    assert np.ptp(ex[same]) == 0 and np.ptp(ex[other]) == 0
    np.testing.assert_allclose(ex[same][0] / ex[other][0], p.similarity)
    # sized to induce per_quit = 0.23 further quits among those who stay: 1/spread of it in the
    # first week, then a geometric fade (sum = spread_weeks weeks of the first)
    stayers = np.setdiff1d(np.r_[stars, others], leaver)
    np.testing.assert_allclose(ex[stayers].sum() * p.spread_weeks, p.per_quit)
    # priced at -s, the excess raises the odds by (1 + excess / the lab's weekly quit rate)
    odds_after = log_odds(decision.covariates(m))
    members = np.r_[stars, others]
    reference = m.labs[int(m.population.lab[members[0]])].quit_rate / 52.0
    np.testing.assert_allclose(odds_after[members] - odds_before[members],
                               -p.price / m.params.attrition.decision_scale * np.log1p(ex[members] / reference))
    np.testing.assert_allclose(odds_after[outsiders], odds_before[outsiders])


def test_layoffs_weigh_more_and_saturate() -> None:
    """One layoff weighs per_layoff / per_quit as much as one quit; a mass layoff hits the cap.

    The cap is set to the schema default (0.004/week): at the fitted 0.0007 one layoff already saturates.
    """
    m = fresh(**{"mechanisms.contagion.max_weekly": 0.004})
    p = m.params.contagion
    team, stars, others = _team_with_stars(m)
    contagion.departure(m, others[:1], "quit")
    _next_week(m)
    one_quit = contagion.excess(m, others[1:2])[0]
    m.states["contagion"] = contagion.setup(m)
    contagion.departure(m, others[:1], "layoff")
    _next_week(m)
    np.testing.assert_allclose(contagion.excess(m, others[1:2])[0] / one_quit, p.per_layoff / p.per_quit)
    m.states["contagion"] = contagion.setup(m)
    contagion.departure(m, others[: len(others) // 2], "layoff")  # a mass layoff of half the team
    _next_week(m)
    assert np.isclose(contagion.excess(m, others).max(), p.max_weekly)


def test_contagion_exposure_decays() -> None:
    m = fresh()
    p = m.params.contagion
    _, stars, others = _team_with_stars(m)
    contagion.departure(m, stars[:1], "quit")
    _next_week(m)
    start = contagion.excess(m, others).copy()
    for _ in range(8):
        _next_week(m)
    np.testing.assert_allclose(contagion.excess(m, others), start * (1 - 1 / p.spread_weeks) ** 8)  # 34% left
    _next_week(m, 44)
    assert (contagion.excess(m, others) < 0.01 * start).all()


# the stage of the week each kind of departure happens at (docs/ODD.md §3); M3 reads the excess at stage 5
DEPARTURE_STAGES = {"layoff (dated)": 1, "layoff (executive)": 3, "move": 4, "quit": 5}


def exposure_weeks(kind: str, weeks: int = 300) -> float:
    """Exposure one departure of ``kind`` gives its team, summed where M3 reads it, in weeks of its designed rate.

    Only the departure and the read run, in the weekly order; the cap is lifted.
    The designed rate is per_<k> / spread_weeks a week, fading so that it
    induces per_<k> quits in all: spread_weeks exposure-weeks.
    """
    m = fresh(**{"mechanisms.contagion.max_weekly": 1.0})
    p = m.params.contagion
    _, _, others = _team_with_stars(m)
    leaver = others[:1]
    total = 0.0
    for week in range(weeks):
        m.time = week
        for stage in (1, 3, 4, 5):
            if stage == 5:
                total += contagion.excess(m).sum()
            if week == 0 and DEPARTURE_STAGES[kind] == stage:
                if kind == "move":
                    to = (int(m.population.lab[leaver[0]]) + 1) % len(m.labs)
                    transitions.move(m, leaver, np.array([to]), np.array([500.0]), "moved-test")
                else:
                    transitions.depart(m, leaver, kind.split()[0])
    weight = p.per_layoff if kind.startswith("layoff") else p.per_quit
    return total / (weight / p.spread_weeks)


@pytest.mark.parametrize("kind", DEPARTURE_STAGES)
def test_exposure_weeks_per_departure_equal_the_designed_spread(kind: str) -> None:
    """Measured 8.000 exposure-weeks for every kind (spread_weeks 8); before exposure carried its week,
    layoffs and moves, read the same week undecayed, gave 9.143 (+14%) and quits 8.000."""
    assert exposure_weeks(kind) == pytest.approx(fresh().params.contagion.spread_weeks, rel=1e-9)


def test_contagion_off_gives_zero_excess() -> None:
    m = fresh(**off("contagion"))
    _, stars, _ = _team_with_stars(m)
    contagion.departure(m, stars[:5], "layoff")
    _next_week(m)
    assert not m.states["contagion"].level.any() and not contagion.excess(m).any()


def test_contagion_raises_voluntary_departures_in_whole_run() -> None:
    """Seeds 1-3, 135 weeks, scale 0.1: measured 2,329 voluntary departures with M4, 2,209 without (x1.054;
    x1.098, 1.020 and 1.050 by seed).

    The fitted saturation (max_weekly 0.00055, at the foot of its range: the churn targets want little
    contagion) caps the excess at 2.9 points a year over quit rates of 12-37% a year, so the rise is
    bounded near x1.1-1.2. Tolerance: ratio in [1.02, 1.25] (common random numbers: the seeds' ratios
    spread by about 0.04).
    """
    with_m4 = sum(voluntary_departures(whole_run(seed).events) for seed in (1, 2, 3))
    without = sum(voluntary_departures(whole_run(seed, **off("contagion")).events) for seed in (1, 2, 3))
    assert 1.02 * without < with_m4 < 1.25 * without, (with_m4, without)


# --------------------------------------------------------------------------- M5 vesting


def test_more_unvested_equity_lowers_hazard_by_the_money_forfeited() -> None:
    """Doubling every grant raises what leaving forfeits; the log odds fall, by at most Δforfeit / (H · s): the
    whole rise counts against leaving for the outside, and against a rival only beyond what it buys out."""
    m = fresh()
    x0 = decision.covariates(m)
    held = np.flatnonzero(x0["forfeit"] > 0)
    assert len(held) > 0.9 * len(m.population)
    m.population.grant_k[held] *= 2.0
    x1 = decision.covariates(m)
    grew = held[x1["forfeit"][held] > x0["forfeit"][held]]
    assert len(grew) > 0.3 * len(held)  # those whose new-hire grant is not fully vested
    p = m.params.attrition
    fall = log_odds(x0)[grew] - log_odds(x1)[grew]
    bound = (x1["forfeit"][grew] - x0["forfeit"][grew]) / p.horizon_years / p.decision_scale
    assert (fall > 0).all() and (fall <= bound + 1e-9).all()
    assert (fall > 0.5 * bound).mean() > 0.5   # most leavers would go outside, where nothing is bought out


def test_refresh_ladder_keeps_long_tenured_handcuffed_only_with_m5_on() -> None:
    """Five years in, a four-year grant vesting quarterly has vested, and the yearly refreshes hold 1.5-2.5 years
    of equity pay unvested; with M5 off nothing is unvested."""
    for enabled in (True, False):
        m = fresh(**{"mechanisms.vesting.enabled": enabled})
        pop = m.population
        slots = np.flatnonzero((m.week - pop.hire_week >= 5 * 52) & (pop.lab == m.lab_by_key["meta"].index))
        assert len(slots) > 20
        years = derived.forfeited(m, slots) / pop.equity_k[slots]   # at the start, price = grant price
        if enabled:
            assert (years >= 1.5 - 1e-9).all() and (years <= 2.5 + 1e-9).all(), (years.min(), years.max())
        else:
            assert (years == 0).all()


def test_a_decided_leaver_waits_for_a_close_vest() -> None:
    """Everyone past the cliff decides to leave this week (hazard 1): those whose next vest is at most
    ``max_wait_weeks`` away wait for it and leave the week it lands; the others leave now."""
    m = fresh()
    pop = m.population
    x = decision.covariates(m)
    x["hazard"] = np.ones(len(pop))
    wait = derived.weeks_to_vest(m)
    close = (wait <= m.params.vesting.max_wait_weeks) & (x["forfeit"] > 0)
    assert 0.1 < close.mean() < 0.5, close.mean()   # about 3 of every 13 weeks of a quarterly schedule
    everyone = np.arange(len(pop))
    draw = m.streams.per_researcher("attrition", m.week, pop.uid)
    leaving = attrition.decide(m, attrition.Risk(everyone, draw, decision.values(m), x))
    np.testing.assert_array_equal(np.sort(leaving), np.flatnonzero(~close))
    np.testing.assert_array_equal(pop.leaving_week[close], m.week + wait[close])
    m.time += float(m.params.vesting.max_wait_weeks)   # a few weeks on, nobody new decides
    x["hazard"] = np.zeros(len(pop))
    due = attrition.decide(m, attrition.Risk(everyone, draw, decision.values(m), x))
    np.testing.assert_array_equal(due, np.flatnonzero(close & (pop.leaving_week <= m.week)))


def test_quits_spike_after_vesting_dates_in_whole_run() -> None:
    """Seed 1, 135 weeks, researchers past their cliff: weekly rate of leaving inside vs outside the 4 weeks after
    a vest. Decided leavers within three weeks of a vest wait for it (M5's evidence: quits rise 88-239% just after
    vesting). Tolerance: ratio in [1.5, 4]."""
    risk = whole_run(1).risk
    past_cliff = risk["cliff_passed"] & np.isfinite(risk["to_vest"])
    since = risk["interval"] - risk["to_vest"]               # weeks since the last quarterly vest
    inside = past_cliff & (since >= 0) & (since < 4)
    outside = past_cliff & (since >= 4)
    assert risk["left"][inside].sum() > 100
    ratio = risk["left"][inside].mean() / risk["left"][outside].mean()
    assert 1.5 < ratio < 4.0, ratio


def test_share_price_drop_lowers_unvested_value_and_raises_hazard() -> None:
    m = fresh()
    meta = m.lab_by_key["meta"]
    at_meta = m.population.lab == meta.index
    x0, value0 = decision.covariates(m), derived.unvested_value(m)
    finance.jump(m, meta, np.log(0.83))  # about -17%, as over November 2025
    x1, value1 = decision.covariates(m), derived.unvested_value(m)
    np.testing.assert_allclose(value1[at_meta], 0.83 * value0[at_meta])
    np.testing.assert_allclose(x1["forfeit"][~at_meta], x0["forfeit"][~at_meta])
    held = at_meta & (x0["forfeit"] > 0)
    assert (x1["forfeit"][held] < x0["forfeit"][held]).all()
    assert held.sum() > 100 and (x1["hazard"][held] > x0["hazard"][held]).all()


# --------------------------------------------------------------------------- M13 mission


def _destinations_with_safety(safety: float, enabled: bool) -> tuple[OrgModel, np.ndarray]:
    """Every non-Anthropic researcher leaves, with all vacancies wide open (seed 5: identical draws per call)."""
    m = fresh(5, **{"mechanisms.mission.enabled": enabled})
    m.team_target = m.team_target * 10  # room everywhere, so the walk-in cap does not bind
    leavers = np.flatnonzero(m.population.lab != m.lab_by_key["anthropic"].index)
    m.population.safety_pref[leavers] = safety
    m.fits.arrive(m, leavers)  # the stored mission fits follow the new ideals, as at a hire
    return m, attrition.destinations(m, decision.values(m, leavers).alternatives, leavers)


def test_safety_minded_leavers_choose_anthropic() -> None:
    """n = 1,530 leavers, seed 5.

    Measured share choosing Anthropic: 21.6% at safety 0.9 vs 10.3% at 0.1
    (xAI, safety 0.1: 7.6% vs 14.7%). Tolerance: Anthropic share > 1.5x.
    """
    m, high = _destinations_with_safety(0.9, True)
    _, low = _destinations_with_safety(0.1, True)
    anthropic, xai = m.lab_by_key["anthropic"].index, m.lab_by_key["xai"].index
    share_high, share_low = (high == anthropic).mean(), (low == anthropic).mean()
    assert share_high > 1.5 * share_low, (share_high, share_low)
    assert (high == xai).mean() < (low == xai).mean()  # xAI (safety 0.1) the other way round
    # with M13 off, safety preferences play no part: identical choices from identical draws
    _, high_off = _destinations_with_safety(0.9, False)
    _, low_off = _destinations_with_safety(0.1, False)
    np.testing.assert_array_equal(high_off, low_off)


def test_safety_minded_targets_value_anthropic_offers_more() -> None:
    for enabled in (True, False):
        m = fresh(**{"mechanisms.mission.enabled": enabled})
        anthropic = m.lab_by_key["anthropic"].index
        targets = np.flatnonzero(m.population.lab != anthropic)
        current, makewhole = derived.current_comp(m, targets), derived.forfeited(m, targets)
        gain = {}
        for s in (0.9, 0.1):
            m.population.safety_pref[targets] = s
            m.fits.arrive(m, targets)  # the stored mission fits follow the new ideals, as at a hire
            gain[s] = offers.offer_gain(m, targets, anthropic, 1.5 * current, makewhole, 0.0)
        if enabled:
            assert (gain[0.9] > gain[0.1]).all()
        else:
            np.testing.assert_allclose(gain[0.9], gain[0.1])


def test_movers_into_anthropic_are_more_safety_minded_in_whole_runs() -> None:
    """Voluntary leavers' mean safety preference by destination, seeds 1-5 pooled, 135 weeks, scale 0.1.

    Measured: 0.531 into Anthropic vs 0.429 into the other labs (+0.10,
    n = 125 vs 741; se of the difference 0.023). Tolerance: > +0.05 (about two se). Ideals
    are sorted toward each lab's profile at hire and mission fit is weighted
    by each person's mission preference in the destination choice (M13).
    """
    safety, dest = [], []
    for seed in (1, 2, 3, 4, 5):
        run = whole_run(seed)
        safety.append(run.choices["safety"])
        dest.append(run.choices["dest"])
    safety, dest = np.concatenate(safety), np.concatenate(dest)
    anthropic = whole_run(1).model.lab_by_key["anthropic"].index
    into_a, into_other = safety[dest == anthropic], safety[(dest >= 0) & (dest != anthropic)]
    assert len(into_a) > 60, len(into_a)
    assert into_a.mean() - into_other.mean() > 0.05, (into_a.mean(), into_other.mean(), len(into_a), len(into_other))


def test_mission_change_moves_fit_and_off_keeps_fit_constant() -> None:
    """Meta ships closed weights (openness 0.8 -> 0.2): open-science researchers lose fit, others gain."""
    m = fresh()
    pop = m.population
    at_meta = np.flatnonzero(pop.lab == m.lab_by_key["meta"].index)
    before = derived.mission_fit(m, pop.lab[at_meta], at_meta)
    mission.change(m, MissionChange(kind="mission_change", date=m.date, lab="meta", openness=0.2))
    after = derived.mission_fit(m, pop.lab[at_meta], at_meta)
    open_minded, closed_minded = pop.openness_pref[at_meta] > 0.8, pop.openness_pref[at_meta] < 0.45
    assert open_minded.sum() > 10 and closed_minded.sum() > 10
    assert (after[open_minded] < before[open_minded]).all() and (after[closed_minded] > before[closed_minded]).all()

    m = fresh(**off("mission"))
    profile = m.lab_mission.copy()
    mission.change(m, MissionChange(kind="mission_change", date=m.date, lab="meta", openness=0.2))
    np.testing.assert_array_equal(m.lab_mission, profile)
    assert (derived.mission_fit(m, m.population.lab.astype(np.int64)) == 0.5).all()


# --------------------------------------------------------------------------- M14 entry


def test_backfill_fills_vacancies_but_not_during_a_freeze() -> None:
    """50 open positions in Meta FAIR, ten weekly passes at 8%/week: expect 50 * (1 - 0.92^10) = 28 hires."""
    m = fresh()
    meta, fair = m.lab_by_key["meta"], m.team_index[("meta", "fair")]
    m.team_target[fair] += 50
    start = np.bincount(m.population.team, minlength=len(m.team_names))
    for _ in range(10):
        entry.step(m)
    hired = np.bincount(m.population.team, minlength=len(m.team_names)) - start
    assert 18 <= hired[fair] <= 40, hired[fair]  # binomial sd ~ 3.5 around 28
    assert hired.sum() == hired[fair], "teams at their target should not hire"
    assert (kinds(m.events_frame()).get("hire", 0)) == hired[fair]

    m.team_target[fair] += 50
    meta.frozen_until = m.week + 52
    assert m.vacancies()[meta.index] == 0
    size = len(m.population)
    for _ in range(10):
        entry.step(m)
    assert len(m.population) == size, "backfill during a hiring freeze"


def test_freeze_stops_hires_in_whole_run() -> None:
    """Baseline seed 1: Meta's freeze (2025-08-18 to 2025-12-31) stops hires and walk-ins; backfill resumes after."""
    run = whole_run(1)
    scenario = run.model.spec
    start, end = (scenario.week_of(pd.Timestamp(d).date()) for d in ("2025-08-18", "2025-12-31"))
    ev = run.events
    into_meta = ev[(ev.to_lab == "meta") & ev.kind.isin(["hire", "move"])]
    during = into_meta[(into_meta.week >= start) & (into_meta.week <= end)]
    after = into_meta[(into_meta.week > end) & (into_meta.week <= end + 26) & (into_meta.kind == "hire")]
    assert len(during) == 0, during.kind.value_counts().to_dict()
    assert len(after) > 10, len(after)  # measured: 0 during, 156 in the 26 weeks after (layoffs left ~60 vacancies)


def test_entry_off_shrinks_the_labs() -> None:
    """Seed 1, 135 weeks: measured 2,411 researchers at the end with backfill, 1,384 without."""
    on, no = whole_run(1), whole_run(1, **off("entry"))
    assert len(no.model.population) < 0.75 * len(on.model.population)
