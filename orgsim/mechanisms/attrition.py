"""M3 voluntary attrition: who leaves this week, and where they go.

Each week every researcher learns a little more about their match
(:mod:`orgsim.sim.matching`) and weighs staying against the alternatives in
money, in the nested logit of the decision engine (:mod:`orgsim.sim.decision`:
pay, amenities and the priced terms the mechanisms declare, against every
rival lab, a start-up and the outside market, each net of what leaving for
it forfeits). Those who leave go where the values are, a rival lab only if
it has an open position. M3 owns the prices of the decision (its params
block) and two of its terms, the morale shock and firm-specific experience.
A decided leaver whose next vest is at most ``vesting.max_wait_weeks`` away
waits for it (M5), so quits spike just after vests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import schema
from orgsim.sim import decision, derived, matching, morale, transitions
from orgsim.sim.decision import Values
from orgsim.sim.plugins import Mechanism, Slots, StayTerms

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


def own_terms(model: OrgModel, slots: Slots) -> dict[str, np.ndarray]:
    """M3's own terms of staying: the morale shock and firm-specific experience.

    M3 prices three more that other mechanisms compute and declare (``layoff_shock``, M7; ``manager_exit``, M8;
    ``newcomer``, M15): their prices are attrition parameters, and they are summed in M3's order.
    """
    pop = model.population
    labs = pop.lab[slots].astype(np.int64)
    return {
        "morale_gap": pop.morale[slots] - morale.target(model)[labs],
        "tenure": np.log1p(np.maximum(model.week - pop.hire_week[slots], 0) / 52.0),
    }


def destinations(model: OrgModel, v: Values, slots: np.ndarray) -> np.ndarray:
    """Where the leavers ``slots`` go (``v``: everyone's values): a rival lab index, or -1 for outside
    (start-ups, other firms, academia).

    The same logit as the decision: P(j | leaving) ∝ e^(v_j / (nest_scale · s))
    among the alternatives, rival labs without an open position left out
    (Gumbel-max). A lab takes no more walk-ins than it has open positions;
    the rest go outside.
    """
    p, n_labs = model.params.attrition, len(model.labs)
    rng = model.stream("destinations")
    vacancies = model.vacancies()
    closed = np.concatenate([vacancies < 1, [False, False]])
    utility = np.where(closed[None, :], -np.inf, v.alternatives[slots] / (p.nest_scale * p.decision_scale))
    choice = np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)
    dest = np.where(choice < n_labs, choice, -1)
    for lab in np.unique(dest[dest >= 0]):
        chosen = np.flatnonzero(dest == lab)
        room = int(vacancies[lab])
        if len(chosen) > room:
            dest[rng.choice(chosen, size=len(chosen) - room, replace=False)] = -1
    return dest


def decide(model: OrgModel, x: dict[str, np.ndarray]) -> np.ndarray:
    """This week's leavers, given everyone's logged terms ``x``: deferred leavers whose vest has come, and those who
    decide now (a per-researcher draw below their hazard) and will not wait for a vest (M5)."""
    pop = model.population
    due = (pop.leaving_week >= 0) & (pop.leaving_week <= model.week)
    draw = model.streams.per_researcher("attrition", model.week, pop.uid)
    decided = np.flatnonzero((draw < x["hazard"]) & (pop.leaving_week < 0))
    if model.params.vesting.enabled and len(decided):
        wait = derived.weeks_to_vest(model, decided)
        waiting = (wait <= model.params.vesting.max_wait_weeks) & (x["forfeit"][decided] > 0)
        pop.leaving_week[decided[waiting]] = model.week + wait[waiting].astype(np.int32)
        decided = decided[~waiting]
    return np.union1d(np.flatnonzero(due), decided)


def step(model: OrgModel) -> None:
    """Learn a week of match quality, draw this week's leavers and send each to a rival or outside."""
    if not model.params.attrition.enabled or len(model.population) == 0:
        return
    matching.learn(model)
    everyone = decision.values(model)
    x = decision.logged(model, everyone, model.population.lab.astype(np.int64))
    leaving = decide(model, x)
    if len(leaving) == 0:
        return
    chosen = {name: terms[leaving] for name, terms in x.items()}
    dest = destinations(model, everyone, leaving)
    to_rival = dest >= 0
    movers = leaving[to_rival]
    if len(movers):
        skill = model.population.skill[movers]
        transitions.move(
            model,
            movers,
            dest[to_rival],
            derived.lab_comp(model, dest[to_rival], skill),
            f"moved-{model.year}",
            makewhole_k=decision.buyout(model, movers, dest[to_rival]),
            covariates={k: c[to_rival] for k, c in chosen.items()},
        )
    # moves keep slots; departures renumber them, so they go last
    transitions.depart(model, leaving[~to_rival], "quit", covariates={k: c[~to_rival] for k, c in chosen.items()})


MECHANISM = Mechanism(
    number=3,
    block="attrition",
    params=schema.AttritionParams,
    stage=5.0,
    step=step,
    stay_terms=StayTerms(
        own_terms,
        logged=("pay_here", "amenity", "match", "forfeit", "alternative"),
        prices={
            "morale_gap": "price_morale",
            "tenure": "price_tenure",
            "layoff_shock": "price_layoff_shock",
            "manager_exit": "price_manager_exit",
            "newcomer": "price_newcomer",
        },
    ),
)
