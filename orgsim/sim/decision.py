"""The leaving decision in money (M3's engine), shared by every mechanism that makes people choose.

A researcher weighs the value of staying against the alternatives on one
money scale, market pay-years per year (the market's pay for their skill,
:func:`orgsim.sim.derived.market_comp`, is 1):

* staying: pay here, the lab's amenities (mission fit, trust, prestige,
  stability, compute, vision, release momentum, each priced) and the priced
  terms the mechanisms declare (:class:`~orgsim.sim.plugins.StayTerms`: the
  morale shock, firm-specific experience, layoffs, a manager's exit,
  colleagues leaving, ...), plus the learned match (:mod:`orgsim.sim.matching`);
* every rival lab: its pay curve, its amenities, former colleagues there,
  and the odds of a walk-in being taken (``rival_constant``);
* a start-up (more for stars, who raise money on their name) and the
  outside market.

Each alternative is valued net of what leaving for it forfeits (M5), spread
over ``horizon_years``: a rival buys out a walk-in's forfeit up to its
package cap, the outside buys out nothing. Staying and the alternatives form
a nested logit (the option value of staying, Stock & Wise 1990, with logit
taste shocks) of scale s = ``decision_scale``, ν s among the alternatives::

    IV = ν s · ln Σ_j e^(ṽ_j / ν s),   P(leave) = σ((IV - v_stay) / s - a_L),   P(j | leave) ∝ e^(ṽ_j / ν s)

a_L is set once at the start (:func:`calibrate`) so that each lab's mean
weekly probability is its annual ``quit_rate`` / 52. An offer (M1) or a
counteroffer (M2) is weighed on the same scale (:func:`offer_odds`). Its
parameters are M3's block, ``model.params.attrition``; who decides each week
is M3's (:mod:`orgsim.mechanisms.attrition`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from orgsim.sim import derived, matching
from orgsim.sim.plugins import Slots
from orgsim.sim.population import PREFERENCES

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel

MISSION, COMPUTE, PRESTIGE, STABILITY = (PREFERENCES.index(k) for k in PREFERENCES)
#: candidates of the initial staff valued at a time (:func:`persistent_odds`)
CHUNK = 4096


def amenities(model: OrgModel, slots: Slots, labs: np.ndarray | None = None) -> np.ndarray:
    """What working at ``labs`` (n; None: every lab, n x labs) is worth to each researcher beyond pay, in market
    pay-years a year.

    Each lab trait is priced (``attrition.price_*``) relative to a neutral lab
    (fit, prestige, trust and vision 0.5, full stability, no momentum, the
    market's compute per researcher) and weighted by the researcher's
    preference for it (relative to pay, the numeraire), so mission-driven
    people sort by mission (M13).
    """
    p, pop = model.params.attrition, model.population
    w = pop.prefs[slots]
    if labs is None:
        w = w[:, None, :]  # every lab: the lab traits broadcast over the researchers

    def at(values: np.ndarray) -> np.ndarray:
        return values if labs is None else values[labs]

    prestige, stability, trust, vision, momentum, compute = lab_traits(model)
    return (
        p.price_mission * w[..., MISSION] * (derived.mission_fit(model, labs, slots) - 0.5)
        + p.price_trust * w[..., MISSION] * (at(trust) - 0.5)
        + p.price_prestige * w[..., PRESTIGE] * (at(prestige) - 0.5)
        + p.price_stability * w[..., STABILITY] * (at(stability) - 1.0)
        + p.price_compute * w[..., COMPUTE] * at(compute)
        + p.price_vision * (at(vision) - 0.5)
        + p.price_momentum * at(momentum)
    )


def lab_traits(model: OrgModel) -> tuple[np.ndarray, ...]:
    """Each lab's prestige, stability, trust, vision, momentum and log compute per researcher relative to the
    labs' mean: the traits :func:`amenities` prices."""
    prestige, stability, trust, vision, momentum = derived.lab_arrays(
        model, "prestige", "stability", "trust", "vision", "momentum"
    )
    compute = model.compute_per_researcher()
    compute = np.log(np.maximum(compute, 1e-12) / max(float(np.mean(compute)), 1e-12))
    return prestige, stability, trust, vision, momentum, compute


@dataclasses.dataclass
class Values:
    """The leaving decision of some researchers: its terms (as logged) and the value of each alternative."""

    terms: dict[str, np.ndarray]
    stay: np.ndarray  # (n,) v_stay
    alternatives: np.ndarray  # (n, labs + 2) ṽ_j net of the forfeit: the labs (-inf for one's own), start-up, market


def stay_value(
    model: OrgModel, slots: Slots, forfeit: np.ndarray | None = None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The logged terms of staying and v_stay (market pay-years a year); ``forfeit``: what leaving forfeits (k$),
    if already known."""
    pop = model.population
    labs = pop.lab[slots].astype(np.int64)
    market = pop.market_k[slots]
    forfeit = derived.forfeited(model, slots) if forfeit is None else forfeit
    terms = {
        "pay_here": derived.current_comp(model, slots) / market,
        "amenity": amenities(model, slots, labs),
        "match": matching.belief(model, slots),
        "forfeit": forfeit / market,
    }
    stay = terms["pay_here"] + terms["amenity"] + terms["match"]
    for _, declared in model.value_mechanisms:
        terms.update(declared.values(model, slots))
    for name, price in model.stay_prices:
        stay = stay + price * terms[name]
    return terms, stay


def buyout(
    model: OrgModel, slots: Slots, labs: np.ndarray | None = None, forfeit: np.ndarray | None = None
) -> np.ndarray:
    """What a rival lab ``labs`` (n; None: every lab, n x labs) buys out of a walk-in's forfeit (k$): the forfeit,
    up to what its package cap leaves after four years of its pay at their skill (hiring practice, as for M1's
    offers)."""
    forfeit = derived.forfeited(model, slots) if forfeit is None else forfeit
    cap = np.array([lab.spec.hiring.package_cap_musd * 1000.0 for lab in model.labs])
    if labs is None:
        pay, cap, forfeit = derived.pay_at(model, slots), cap[None, :], forfeit[:, None]
    else:
        pay, cap = derived.pay_at(model, slots)[np.arange(len(labs)), labs], cap[labs]
    return np.minimum(forfeit, np.maximum(cap - 4.0 * pay, 0.0))


def alternatives(model: OrgModel, slots: Slots = slice(None), forfeit: np.ndarray | None = None) -> np.ndarray:
    """v_j of every alternative for ``slots`` (n x labs + 2), net of what leaving for it forfeits: the rival labs,
    a start-up, the outside market.

    A rival lab buys out a walk-in's forfeit up to its package cap
    (:func:`buyout`), so only the rest is lost; a start-up or the market
    buys out nothing. Every rival lab counts, open or not this week: labs
    hire all the time, and ``rival_constant`` is a walk-in's odds of being
    taken; whether the lab has a vacancy decides where a leaver lands
    (:func:`destinations`), not whether leaving is worth it. One's own lab
    is no alternative (-inf).
    """
    p, pop = model.params.attrition, model.population
    own = pop.lab[slots].astype(np.int64)
    n = len(own)
    market = pop.market_k[slots]
    pay = derived.pay_at(model, slots) / market[:, None]
    colleagues = derived.former_colleagues(model)[:, own].T
    forfeit = derived.forfeited(model, slots) if forfeit is None else forfeit
    lost = np.column_stack([(forfeit[:, None] - buyout(model, slots, forfeit=forfeit)), forfeit, forfeit])
    labs = (
        pay
        + amenities(model, slots)
        + p.price_colleagues * colleagues
        + p.nest_scale * p.decision_scale * p.rival_constant
    )
    star = derived.star_tier(model, slots)
    values_ = np.concatenate(
        [labs, np.column_stack([p.startup_value + p.startup_star_premium * star, np.full(n, p.market_value)])], axis=1
    )
    values_ -= lost / market[:, None] / p.horizon_years
    values_[np.arange(n), own] = -np.inf  # one's own lab (own < n_labs): one element a row, not an n x labs mask
    return values_


def values(model: OrgModel, slots: Slots = slice(None)) -> Values:
    """Staying and every alternative valued for ``slots``."""
    forfeit = derived.forfeited(model, slots)
    terms, stay = stay_value(model, slots, forfeit)
    return Values(terms, stay, alternatives(model, slots, forfeit))


def inclusive_value(model: OrgModel, alternatives_: np.ndarray) -> np.ndarray:
    """What leaving is worth: nest_scale · s · ln Σ_j e^(v_j / (nest_scale · s)), the v_j net of the forfeit."""
    p = model.params.attrition
    nest = p.nest_scale * p.decision_scale
    return nest * derived.logsumexp_rows(alternatives_ / nest)


def leave_odds_bound(model: OrgModel, stay: np.ndarray, forfeit: np.ndarray, slots: Slots = slice(None)) -> np.ndarray:
    """An upper bound on the :func:`leave_odds` of ``slots`` (``stay``: their v_stay, ``forfeit``: what leaving
    forfeits them, k$), from passes over the researchers alone, none over researchers x labs.

    Each term of a rival lab's value is taken at its best over the labs, the
    walk-in's loss at the least any lab leaves (the forfeit less the largest
    package cap), and the inclusive value at the best alternative plus
    ν s ln(number of alternatives), which bounds a log-sum-exp. The terms are
    rounded as :func:`alternatives` rounds them and rounding is monotone, so
    the bound holds in floating point too, up to the log-sum-exp's own last
    digits, which the margin covers. M3 values exactly only those whose draw
    falls below the hazard at this bound (:mod:`orgsim.mechanisms.attrition`).
    """
    return LeaveBound(model)(stay, forfeit, slots)


class LeaveBound:
    """:func:`leave_odds_bound` with what it reads of the labs taken once, for the blocks of researchers of a
    week's pass."""

    def __init__(self, model: OrgModel):
        p = self.p = model.params.attrition
        self.model = model
        prestige, stability, trust, vision, momentum, compute = lab_traits(model)

        def over_labs(trait: np.ndarray) -> tuple[float, float]:
            return trait.max(), trait.min()

        self.fit = None if model.params.mission.enabled else over_labs(derived.mission_fit(model, None) - 0.5)
        self.trust, self.prestige = over_labs(trust - 0.5), over_labs(prestige - 0.5)
        self.stability, self.compute = over_labs(stability - 1.0), over_labs(compute)
        self.vision, self.momentum = (p.price_vision * (vision - 0.5)).max(), (p.price_momentum * momentum).max()
        self.colleagues = (p.price_colleagues * derived.former_colleagues(model)).max(axis=0)
        self.cap = max(max(lab.spec.hiring.package_cap_musd * 1000.0 for lab in model.labs), 0.0)

    def __call__(self, stay: np.ndarray, forfeit: np.ndarray, slots: Slots = slice(None)) -> np.ndarray:
        model, p, pop = self.model, self.p, self.model.population
        market = pop.market_k[slots]
        w = pop.prefs[slots]

        def best(weight: np.ndarray, high: np.ndarray | float, low: np.ndarray | float) -> np.ndarray:
            """max over labs of weight x trait, for a weight per researcher, from the trait's highest and lowest."""
            return np.maximum(weight * high, weight * low)

        fit: tuple[np.ndarray | float, ...]
        if self.fit is None:
            fit_high, fit_low = model.fits.range(model)
            fit = (fit_high[slots] - 0.5, fit_low[slots] - 0.5)
        else:
            fit = self.fit
        amenity = (
            best(p.price_mission * w[:, MISSION], *fit)
            + best(p.price_trust * w[:, MISSION], *self.trust)
            + best(p.price_prestige * w[:, PRESTIGE], *self.prestige)
            + best(p.price_stability * w[:, STABILITY], *self.stability)
            + best(p.price_compute * w[:, COMPUTE], *self.compute)
            + self.vision
            + self.momentum
        )
        colleagues = self.colleagues[pop.lab[slots].astype(np.int64)]
        rival = (
            pop.pay_best[slots] / market + amenity + colleagues + p.nest_scale * p.decision_scale * p.rival_constant
        ) - np.maximum(forfeit - self.cap, 0.0) / market / p.horizon_years
        outside = forfeit / market / p.horizon_years
        startup = p.startup_value + p.startup_star_premium * derived.star_tier(model, slots) - outside
        best_alternative = np.maximum(np.maximum(rival, startup), p.market_value - outside)
        nest = p.nest_scale * p.decision_scale
        iv = best_alternative + nest * np.log(len(model.labs) + 1.0)
        odds = (iv - stay) / p.decision_scale
        return odds + 1e-9 * (1.0 + np.abs(iv) + np.abs(stay)) / p.decision_scale


def persistent_odds(model: OrgModel) -> np.ndarray:
    """Everyone's log odds of leaving from what does not change with tenure (pay, amenities, alternatives), up to
    each lab's constant: how long each kind of researcher stays, for the staff a lab starts with
    (:mod:`orgsim.sim.world`)."""
    pop, scale = model.population, model.params.attrition.decision_scale
    odds = np.empty(len(pop))
    for start in range(0, len(pop), CHUNK):  # each row's odds are its own: pieces keep the (n x labs) temporaries small
        rows = slice(start, start + CHUNK)
        here = derived.current_comp(model, rows) / pop.market_k[rows] + amenities(
            model, rows, pop.lab[rows].astype(np.int64)
        )
        odds[rows] = (inclusive_value(model, alternatives(model, rows)) - here) / scale
    return odds


def leave_odds(model: OrgModel, v: Values, iv: np.ndarray | None = None) -> np.ndarray:
    """IV − u_stay without a_L: the log odds of leaving this week before the lab's constant (``iv``: the
    inclusive value, if already known)."""
    iv = inclusive_value(model, v.alternatives) if iv is None else iv
    return (iv - v.stay) / model.params.attrition.decision_scale


def covariates(model: OrgModel, slots: Slots = slice(None)) -> dict[str, np.ndarray]:
    """Every logged term of the decision for ``slots``, the alternatives' inclusive value and the weekly hazard."""
    return logged(model, values(model, slots), model.population.lab[slots].astype(np.int64))


def logged(model: OrgModel, v: Values, labs: np.ndarray) -> dict[str, np.ndarray]:
    """The terms as the event log keeps them, the inclusive value of leaving and the weekly hazard."""
    iv = inclusive_value(model, v.alternatives)
    odds = leave_odds(model, v, iv)
    x = dict(v.terms)
    x["alternative"] = iv
    x["hazard"] = expit(odds - model.leave_constant[labs])
    return x


def calibrate(model: OrgModel) -> np.ndarray:
    """a_L per lab, so each lab's mean weekly probability of leaving at the start is its quit_rate / 52."""
    labs = model.population.lab.astype(np.int64)
    odds = np.empty(len(labs))
    for start in range(0, len(labs), CHUNK):  # row by row as one pass would give them, without its n x labs peak
        rows = np.arange(start, min(start + CHUNK, len(labs)))
        odds[rows] = leave_odds(model, values(model, rows))
    target = derived.lab_array(model, "quit_rate") / 52.0
    low, high = np.full(len(model.labs), -50.0), np.full(len(model.labs), 50.0)
    counts = np.maximum(np.bincount(labs, minlength=len(model.labs)), 1)
    for _ in range(60):
        mid = 0.5 * (low + high)
        mean = np.bincount(labs, weights=expit(odds - mid[labs]), minlength=len(model.labs)) / counts
        low, high = np.where(mean > target, mid, low), np.where(mean > target, high, mid)
    return 0.5 * (low + high)


def offer_odds(
    model: OrgModel,
    slots: np.ndarray,
    lab: int,
    annual_k: np.ndarray,
    makewhole_k: np.ndarray,
    touch: float,
    status_quo: float,
    pay_here_k: np.ndarray | None = None,
) -> np.ndarray:
    """Log odds of accepting: (v_offer + (make-whole − forfeited) / H − v_stay) / s + status_quo.

    ``pay_here_k`` replaces current pay in the value of staying (a counteroffer, M2).
    """
    p, pop = model.params.attrition, model.population
    market = pop.market_k[slots]
    terms, stay = stay_value(model, slots)
    if pay_here_k is not None:
        stay = stay + (pay_here_k - derived.current_comp(model, slots)) / market
    colleagues = derived.former_colleagues(model)[lab, pop.lab[slots].astype(np.int64)]
    offer = (
        annual_k / market + amenities(model, slots, np.full(len(slots), lab)) + p.price_colleagues * colleagues + touch
    )
    whole = (makewhole_k / market - terms["forfeit"]) / p.horizon_years
    return (offer + whole - stay) / p.decision_scale + status_quo
