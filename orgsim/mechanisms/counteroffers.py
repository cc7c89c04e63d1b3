"""M2 counteroffers and retention grants.

When a researcher above the incumbent's skill threshold accepts a rival
offer, the incumbent may match or top it; the researcher then decides again
with the new pay. Those who stay carry a ``countered`` flag that changes their
later hazard (low-confidence evidence: countered staff stay 1.7-3.5 years).
Retention grants (OpenAI's one-off multi-million bonus to ~1,000 staff in
Aug 2025) add unvested equity to the top of a lab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from orgsim.schema import PRICE_LIMIT, Switchable, param
from orgsim.sim import decision, derived
from orgsim.sim.plugins import TERMS, Handler, Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.schema import RetentionGrant
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class CounterofferParams(Switchable):
    """M2 counteroffers and retention grants."""

    price_countered: float = param(
        -0.5,
        "market pay-years per year",
        "low-confidence evidence that countered staff "
        "stay only 1.7-3.5 years: a hazard ratio of e^0.5 at the decision scale 1",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of staying after a counteroffer",
    )


def respond(
    model: OrgModel,
    rival: Lab,
    slots: np.ndarray,
    annual_k: np.ndarray,
    makewhole_k: np.ndarray,
    touch: float,
    p_accept: np.ndarray,
) -> np.ndarray:
    """Incumbents counter eligible acceptors; returns a mask of those who stay.

    The counter raises current pay to ``counter_match`` times the offer's
    annual pay, within the incumbent's cap; the researcher keeps what the
    make-whole grant would have replaced, so both sides are compared in
    money. The taste shock that made them accept is kept: with the logit
    gains g1 (before) and g2 (after the counter), they still go with
    probability P(go | accepted) = σ(g2) / σ(g1), not a fresh draw.
    """
    stay = np.zeros(len(slots), dtype=bool)
    if not model.params.counteroffers.enabled or len(slots) == 0:
        return stay
    pop = model.population
    own = pop.lab[slots].astype(np.int64)
    policy = np.array([lab.spec.hiring.counteroffer for lab in model.labs])[own]
    threshold = np.array([derived.skill_quantile(model, lab.spec.hiring.counter_quantile) for lab in model.labs])[own]
    eligible = policy & (pop.skill[slots] >= threshold)
    if not eligible.any():
        return stay
    idx = np.flatnonzero(eligible)
    s = slots[idx]
    match = np.array([lab.spec.hiring.counter_match for lab in model.labs])[own[idx]]
    cap = np.array([lab.spec.hiring.package_cap_musd * 1000 / 4 for lab in model.labs])[own[idx]]
    countered = np.minimum(annual_k[idx] * match, np.maximum(cap, derived.current_comp(model, s)))
    gain = decision.offer_odds(
        model,
        s,
        rival.index,
        annual_k[idx],
        makewhole_k[idx],
        touch,
        model.params.offers.status_quo,
        pay_here_k=countered,
    )
    still_go = model.stream("counteroffers").random(len(s)) < np.minimum(expit(gain) / p_accept[idx], 1.0)
    keep = s[~still_go]
    model.recorder.event("counter", keep, own[idx][~still_go], rival.index)
    model.recorder.count("counters", own[idx][~still_go])
    raise_k = countered[~still_go] - derived.current_comp(model, keep)
    pop.base_k[keep] += np.maximum(raise_k, 0.0)
    pop.countered_week[keep] = model.week
    stay[idx[~still_go]] = True
    return stay


def retention_grant(model: OrgModel, event: RetentionGrant) -> None:
    """Timeline handler: extra unvested equity for the top ``share`` of a lab by skill."""
    if not model.params.counteroffers.enabled:
        return
    lab = model.lab_by_key[event.lab]
    pop = model.population
    members = np.flatnonzero(pop.lab == lab.index)
    if len(members) == 0:
        return
    k = int(round(event.share * len(members)))
    top = members[np.argsort(-pop.skill[members], kind="stable")[:k]]
    # fold the grant into the current grant's unvested value at today's price
    price_ratio = model.lab_price()[lab.index] / pop.grant_price[top]
    unvested_now = pop.grant_k[top] * (1 - derived.vested_share(model, top)) * price_ratio
    pop.grant_k[top] = unvested_now + event.amount_k + event.amount_years * derived.current_comp(model, top)
    pop.grant_week[top] = model.week
    pop.grant_price[top] = model.lab_price()[lab.index]


def stay_terms(model: OrgModel, slots) -> dict[str, np.ndarray]:
    """Countered staff value staying less (the counter only delays the move)."""
    countered = model.population.countered_week[slots] >= 0
    return {"countered": countered.astype(float) if model.params.counteroffers.enabled else np.zeros(len(countered))}


MECHANISM = Mechanism(
    number=2,
    block="counteroffers",
    params=CounterofferParams,
    handlers={"retention_grant": Handler(retention_grant, TERMS)},
    actions={"counter": respond},
    stay_terms=StayTerms(stay_terms, prices={"countered": "price_countered"}),
)
