"""M1 offers and poaching: rival labs approach stars and targets accept by logit.

Each week a recruiting lab approaches up to its capacity of rival
researchers above its skill threshold, best first (with noise), skipping
anyone approached recently. The package beats current pay by a premium up to
the lab's cap; the target compares utilities (pay, mission fit, compute per
researcher, prestige, stability, trust, former colleagues there, the CEO's
personal touch) against switching costs (unvested equity, claw-backs,
embeddedness) and a status-quo constant. The money at stake in leaving
is the same forfeit term as in M3 (unvested equity at today's price plus
claw-back, log(1 + forfeited / market pay)): an offer must beat it. Evidence: 45 OpenAI researchers
courted in a month, 4 moved; ~100 approached, >= 10 hired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import derived, schema, transitions
from orgsim.mechanisms import counteroffers
from orgsim.plugins import TERMS, Handler, Mechanism
from orgsim.population import PREFERENCES

if TYPE_CHECKING:
    from orgsim.lab import Lab
    from orgsim.model import OrgModel
    from orgsim.schema import Blitz

MONEY, MISSION, COMPUTE, PRESTIGE, STABILITY = (PREFERENCES.index(k) for k in PREFERENCES)


def start_blitz(model: OrgModel, event: Blitz) -> None:
    """Timeline handler: a hiring blitz raises capacity, cap and premium until ``until``."""
    lab = model.lab_by_key[event.lab]
    lab.blitz = event
    lab.blitz_until = model.config.week_of(event.until)


def recruiting_terms(model: OrgModel, lab: Lab) -> dict[str, float] | None:
    """This week's intensity, capacity, cap, premium, threshold and touch; None if not recruiting."""
    hiring = lab.spec.hiring
    if lab.hiring_frozen:
        return None
    blitz = lab.blitz if lab.blitz is not None and model.week <= lab.blitz_until else None
    terms = {
        "intensity": hiring.poaching_intensity, "capacity": hiring.recruit_capacity,
        "cap_k": hiring.package_cap_musd * 1000 / 4, "premium": hiring.package_premium,
        "quantile": hiring.target_quantile, "touch": 0.0, "team": None, "cohort": f"poached-{model.year}",
    }
    if blitz is not None:
        terms.update(intensity=blitz.intensity, capacity=hiring.recruit_capacity * blitz.capacity_multiplier,
                     touch=model.params.offers.personal_touch if blitz.personal_touch else 0.0,
                     cohort=blitz.cohort, team=model.team_index.get((lab.key, blitz.team)))
        if blitz.package_cap_musd:
            terms["cap_k"] = blitz.package_cap_musd * 1000 / 4
        if blitz.package_premium:
            terms["premium"] = blitz.package_premium
        if blitz.target_quantile is not None:
            terms["quantile"] = blitz.target_quantile
    terms["capacity"] *= terms["intensity"] * model.scale * model.budget_room(lab)
    return terms if terms["capacity"] > 0 else None


def utility_gain(model: OrgModel, slots: np.ndarray, lab: int, offer_k: np.ndarray, current_k: np.ndarray,
                 touch: float) -> np.ndarray:
    """Utility of accepting minus staying, per target."""
    p, pop = model.params.offers, model.population
    w = pop.prefs[slots]
    own = pop.lab[slots].astype(np.int64)
    there = np.full(len(slots), lab)
    prestige, stability, trust = (derived.lab_array(model, a) for a in ("prestige", "stability", "trust"))
    compute = model.compute_per_researcher()
    colleagues = derived.former_colleagues(model)[lab, own]
    team_years = (model.week - pop.team_since[slots]) / 52.0
    gain = (
        w[:, MONEY] * p.beta_money * np.log(offer_k / np.maximum(current_k, 1.0))
        + w[:, MISSION] * p.beta_mission * (derived.mission_fit(model, there, slots) - derived.mission_fit(model, own, slots))
        + w[:, MISSION] * p.beta_trust * (trust[lab] - trust[own])
        + w[:, COMPUTE] * p.beta_compute * np.log(compute[lab] / compute[own])
        + w[:, PRESTIGE] * p.beta_prestige * (prestige[lab] - prestige[own])
        + w[:, STABILITY] * p.beta_stability * (stability[lab] - stability[own])
        + p.beta_colleagues * np.log1p(colleagues)
        + touch + p.status_quo
    )
    gain -= p.beta_forfeit * derived.forfeit_term(model, slots)
    gain -= p.beta_embeddedness * np.log1p(team_years)
    return gain


def pick_targets(model: OrgModel, lab: Lab, k: int, quantile: float) -> np.ndarray:
    """The best rival researchers above the threshold not approached recently (noisy top-k).

    A recruiter ranks by skill and by where people work: its ``source_weights``
    multiply the odds of approaching someone at each rival (Meta's
    summer-2025 lists leaned on OpenAI).
    """
    pop = model.population
    eligible = (
        (pop.lab != lab.index)
        & (pop.skill >= derived.skill_quantile(model, quantile))
        & (model.week - pop.approached_week >= model.params.offers.cooldown_weeks)
    )
    idx = np.flatnonzero(eligible)
    if len(idx) <= k:
        return idx
    weights = np.array([lab.spec.hiring.source_weights.get(other.key, 1.0) for other in model.labs])
    key = np.log(pop.skill[idx]) + np.log(weights[pop.lab[idx]]) + model.stream("offers").gumbel(size=len(idx))
    return idx[np.argpartition(-key, k)[:k]]


def step(model: OrgModel) -> None:
    """Each lab recruits in turn (:meth:`Lab.recruit <orgsim.lab.Lab.recruit>`), in config order."""
    if model.params.offers.enabled:
        model.lab_agents.do("recruit")


def make_offers(model: OrgModel, lab: Lab, targets: np.ndarray, terms: dict) -> None:
    pop, rec = model.population, model.recorder
    own = pop.lab[targets].astype(np.int64)
    current = derived.current_comp(model, targets)
    fair = derived.lab_comp(model, np.full(len(targets), lab.index), pop.skill[targets])
    offer = np.minimum(np.maximum(current * terms["premium"], fair), max(terms["cap_k"], 1.0))
    pop.approached_week[targets] = model.week
    rec.event("offer", targets, own, lab.index)
    rec.count("offers", lab.index, len(targets))
    p_accept = _sigmoid(utility_gain(model, targets, lab.index, offer, current, terms["touch"]))
    accept = model.stream("offers").random(len(targets)) < p_accept
    rec.event("decline", targets[~accept], own[~accept], lab.index)
    stay = counteroffers.respond(model, lab, targets[accept], offer[accept], terms["touch"], p_accept[accept])
    movers = targets[accept][~stay]
    offer_movers = offer[accept][~stay]
    rec.event("accept", movers, own[accept][~stay], lab.index)
    rec.count("accepts", lab.index, len(movers))
    rec.count("pay_spent_musd", lab.index, offer_movers.sum() * 4 / 1000)
    lab.comp_spent += float(offer_movers.sum() * 4 / 1000)
    signon = lab.spec.pay.signon_k
    transitions.move(model, movers, np.full(len(movers), lab.index), offer_movers, terms["cohort"],
                     team=terms["team"], signon_k=signon)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


MECHANISM = Mechanism(number=1, block="offers", params=schema.OffersParams, stage=4.0, step=step,
                      handlers={"blitz": Handler(start_blitz, TERMS)})
