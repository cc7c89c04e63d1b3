"""M1 offers and poaching: rival labs approach stars with make-whole packages; targets decide in money.

Each week a recruiting lab approaches up to its capacity of rival
researchers above its skill threshold, best first (with noise), skipping
anyone approached recently. The package makes the target whole: a buy-out
grant replaces the unvested equity and claw-back they would forfeit, and the
annual pay is the lab's own pay for their skill raised by a premium (at least
what they earn now), the whole within the lab's cap. The
target weighs it as M3 weighs any alternative, in market pay-years a year:
the offer's pay, the rival's amenities, former colleagues there and the CEO's
personal touch, against the value of staying; the make-whole grant cancels
what leaving forfeits, so a rival who wants a handcuffed star must pay for
the handcuffs. Evidence: 45 OpenAI researchers courted in a month, 4 moved;
~100 approached, >= 10 hired.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import expit

from orgsim.schema import Switchable, param
from orgsim.sim import decision, derived, plugins, transitions
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import Blitz
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class OffersParams(Switchable):
    """M1 offers and poaching: make-whole packages, accepted by the same decision in money as M3."""

    make_whole: bool = param(
        True,
        "flag",
        "standard practice when tech firms hire away senior people: a buy-out "
        "grant replaces the unvested equity and claw-backs the target forfeits (press on Meta's "
        "2025 offers)",
        label="Offers make targets whole",
    )
    status_quo: float = param(
        -2.5, "logit units", "calibrated: 45 courted, 4 moved (press)", label="Pull of staying put against an offer"
    )
    personal_touch: float = param(
        0.3,
        "market pay-years per year",
        "assumption: the CEO's personal outreach (press) is worth as much to a target as 30% more pay",
        ge=0,
        label="Worth of the CEO's personal outreach",
    )
    cooldown_weeks: int = param(
        8,
        "weeks",
        "a declined target is approached again within months: one $1.5B offer of the 2025 blitz was declined and "
        "accepted later (press); two months is an assumption",
        ge=0,
        label="Wait before re-approaching a target",
    )


@dataclasses.dataclass
class Blitzes:
    """M1's state: each lab's running hiring blitz (None when there is none) and the last week it runs."""

    blitz: list[Blitz | None]
    until: list[int]
    #: (week, population version, quantile) -> the slots at or above the week's skill quantile
    above: dict[tuple[int, int, float], np.ndarray] = dataclasses.field(default_factory=dict)


def setup(model: OrgModel) -> Blitzes:
    return Blitzes([None] * len(model.labs), [-1] * len(model.labs))


def above(model: OrgModel, quantile: float) -> np.ndarray:
    """The slots at or above the week's skill quantile, ascending; every recruiter of the week reads them, and
    they hold until someone arrives or leaves (moves keep slots and skill)."""
    cache = model.states["offers"].above
    key = (model.week, model.population.version, quantile)
    if key not in cache:
        for stale in [k for k in cache if k[:2] != key[:2]]:
            del cache[stale]
        cache[key] = np.flatnonzero(model.population.skill >= derived.skill_quantile(model, quantile))
    return cache[key]


def start_blitz(model: OrgModel, event: Blitz) -> None:
    """Timeline handler: a hiring blitz raises capacity, cap and premium until ``until``."""
    blitz(model, model.lab_by_key[event.lab], event, model.spec.week_of(event.until))


def blitz(model: OrgModel, lab: Lab, event: Blitz | None, until: int = -1) -> None:
    """Start ``event`` at ``lab`` until week ``until`` (the action a CEO's lever takes, M8), or end the running
    one (None: a hiring freeze)."""
    state = model.states["offers"]
    state.blitz[lab.index], state.until[lab.index] = event, until


def recruiting_terms(model: OrgModel, lab: Lab) -> dict[str, Any] | None:
    """This week's intensity, capacity, cap, premium, threshold and touch; None if not recruiting."""
    hiring = lab.spec.hiring
    if lab.hiring_frozen:
        return None
    state = model.states["offers"]
    running = state.blitz[lab.index]
    blitz = running if running is not None and model.week <= state.until[lab.index] else None
    terms: dict[str, Any] = {
        "intensity": hiring.poaching_intensity,
        "capacity": hiring.recruit_capacity,
        "cap_k": hiring.package_cap_musd * 1000 / 4,
        "premium": hiring.package_premium,
        "quantile": hiring.target_quantile,
        "touch": 0.0,
        "team": None,
        "cohort": f"poached-{model.year}",
    }
    if blitz is not None:
        terms.update(
            intensity=blitz.intensity,
            capacity=hiring.recruit_capacity * blitz.capacity_multiplier,
            touch=model.params.offers.personal_touch if blitz.personal_touch else 0.0,
            cohort=blitz.cohort,
            team=model.team_index.get((lab.key, blitz.team)),
        )
        if blitz.package_cap_musd:
            terms["cap_k"] = blitz.package_cap_musd * 1000 / 4
        if blitz.package_premium:
            terms["premium"] = blitz.package_premium
        if blitz.target_quantile is not None:
            terms["quantile"] = blitz.target_quantile
    terms["capacity"] *= terms["intensity"] * model.scale * plugins.act(model, "budget_room", lab, default=1.0)
    return terms if terms["capacity"] > 0 else None


def offer_gain(
    model: OrgModel, slots: np.ndarray, lab: int, annual_k: np.ndarray, makewhole_k: np.ndarray, touch: float
) -> np.ndarray:
    """Log odds that ``slots`` accept lab ``lab``'s offer (:func:`orgsim.sim.decision.offer_odds`, with M1's
    status-quo bias)."""
    return decision.offer_odds(model, slots, lab, annual_k, makewhole_k, touch, model.params.offers.status_quo)


def pick_targets(model: OrgModel, lab: Lab, k: int, quantile: float) -> np.ndarray:
    """The best rival researchers above the threshold not approached recently (noisy top-k).

    A recruiter ranks by skill and by where people work: its ``source_weights``
    multiply the odds of approaching someone at each rival (Meta's
    summer-2025 lists leaned on OpenAI).
    """
    pop = model.population
    idx = above(model, quantile)
    idx = idx[
        (pop.lab[idx] != lab.index) & (model.week - pop.approached_week[idx] >= model.params.offers.cooldown_weeks)
    ]
    if len(idx) <= k:
        return idx
    weights = np.array([lab.spec.hiring.source_weights.get(other.key, 1.0) for other in model.labs])
    key = np.log(pop.skill[idx]) + np.log(weights[pop.lab[idx]]) + model.stream("offers").gumbel(size=len(idx))
    return idx[np.argpartition(-key, k)[:k]]


def step(model: OrgModel) -> None:
    """Each lab recruits in turn (:func:`recruit`), in config order."""
    if model.params.offers.enabled:
        model.lab_agents.do(recruit)


def recruit(lab: Lab) -> None:
    """On this week's terms (policy, or a running blitz), a lab approaches a Poisson number of rivals' best; offer."""
    model = lab.model
    terms = recruiting_terms(model, lab)
    if terms is None:
        return
    approaches = int(model.stream("offers").poisson(terms["capacity"]))
    targets = pick_targets(model, lab, approaches, terms["quantile"])
    if len(targets):
        make_offers(model, lab, targets, terms)


def package(model: OrgModel, lab: Lab, targets: np.ndarray, terms: dict) -> tuple[np.ndarray, np.ndarray]:
    """Annual pay and make-whole grant (k$) offered to each target, within the four-year cap.

    The make-whole grant replaces what leaving forfeits (M5's unvested equity at
    today's price and any claw-back); the annual pay is the recruiter's own pay
    curve at the target's skill times the premium, and at least their current
    pay, in what the cap leaves. A recruiter prices the person, not their
    current pay (Meta's 2025 offers ran from $1M to $300M over four years by
    whom they went to); what the target holds is the make-whole grant's part.
    """
    pop = model.population
    current = derived.current_comp(model, targets)
    fair = derived.lab_comp(model, np.full(len(targets), lab.index), pop.skill[targets])
    cap = max(terms["cap_k"], 1.0) * 4
    makewhole = np.minimum(derived.forfeited(model, targets), cap) if model.params.offers.make_whole else 0.0
    annual = np.minimum(np.maximum(current, fair * terms["premium"]), np.maximum((cap - makewhole) / 4, 1.0))
    return annual, np.broadcast_to(makewhole, annual.shape).copy()


def make_offers(model: OrgModel, lab: Lab, targets: np.ndarray, terms: dict) -> None:
    pop, rec = model.population, model.recorder
    own = pop.lab[targets].astype(np.int64)
    annual, makewhole = package(model, lab, targets, terms)
    pop.approached_week[targets] = model.week
    rec.event("offer", targets, own, lab.index)
    rec.count("offers", lab.index, len(targets))
    p_accept = expit(offer_gain(model, targets, lab.index, annual, makewhole, terms["touch"]))
    accept = model.stream("offers").random(len(targets)) < p_accept
    rec.event("decline", targets[~accept], own[~accept], lab.index)
    stay = plugins.act(
        model,
        "counter",
        lab,
        targets[accept],
        annual[accept],
        makewhole[accept],
        terms["touch"],
        p_accept[accept],
        default=np.zeros(int(accept.sum()), dtype=bool),
    )
    movers = targets[accept][~stay]
    annual, makewhole = annual[accept][~stay], makewhole[accept][~stay]
    rec.event("accept", movers, own[accept][~stay], lab.index)
    rec.count("accepts", lab.index, len(movers))
    spent = float((4 * annual + makewhole).sum() / 1000)
    rec.count("pay_spent_musd", lab.index, spent)
    plugins.act(model, "spend", lab, spent)
    transitions.move(
        model,
        movers,
        np.full(len(movers), lab.index),
        annual,
        terms["cohort"],
        team=terms["team"],
        signon_k=lab.spec.pay.signon_k,
        makewhole_k=makewhole,
    )


MECHANISM = Mechanism(
    number=1,
    setup=setup,
    actions={"blitz": blitz},
    block="offers",
    params=OffersParams,
    stage=4.0,
    step=step,
    handlers={"blitz": Handler(start_blitz, TERMS)},
)
