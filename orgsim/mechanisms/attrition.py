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

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from orgsim.schema import ASSUMED, MAX_YEARS, PRICE_LIMIT, Switchable, param
from orgsim.sim import decision, derived, matching, morale, transitions
from orgsim.sim.decision import Values
from orgsim.sim.plugins import Mechanism, Slots, StayTerms

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


class AttritionParams(Switchable):
    """M3 voluntary attrition: each week a researcher weighs staying against the best alternative, in money."""

    decision_scale: float = param(
        1.0,
        "market pay-years per year per logit unit",
        "Manning (2003, Monopsony in Motion, ch. 4): the elasticity of separations with respect to the wage is "
        "about -1, so one market pay a year moves the odds of leaving by e (scale = 1 / elasticity)",
        gt=0.01,
        le=PRICE_LIMIT,
        label="Money scale of the leaving decision",
    )
    nest_scale: float = param(
        0.5,
        "share of the decision scale",
        "nested logit (McFadden 1978): the taste shocks among the alternatives "
        "are this share of those between staying and leaving; 1 = one multinomial logit, smaller = leavers choose "
        "where to go more by value than by chance (assumption)",
        gt=0,
        le=1,
        label="Scale of the choice among alternatives",
    )
    horizon_years: float = param(
        4.0,
        "years",
        "fitted (the summer hires' early exits and recent hires' retention, 2025); default four years, the "
        "horizon packages are quoted over and a grant vests in (Stock & Wise 1990 weigh whole paths of pay)",
        gt=0,
        le=MAX_YEARS,
        label="Years over which one-off money is weighed",
    )
    match_sd: float = param(
        1.5,
        "market pay-years per year",
        "Jovanovic (1979): a job's match quality is uncertain at hire and "
        "revealed with tenure; its spread is fitted (recent hires' retention, SignalFire 2025)",
        ge=0,
        le=10,
        label="Spread of match quality",
    )
    match_learning_weeks: float = param(
        13.0,
        "weeks",
        "weeks of experience that weigh as much as the prior belief; Farber (1994): the separation "
        "hazard peaks at about three months of tenure",
        gt=0,
        le=520,
        label="Time to learn one's match",
    )
    price_tenure: float = param(
        0.1,
        "market pay-years per year per ln(1 + years of tenure)",
        "Topel (1991): ten years of seniority raise pay about 25% (0.25 / ln 11 = 0.10), firm-specific capital "
        "that leaving loses",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of firm-specific experience",
    )
    price_morale: float = param(
        2.0,
        "market pay-years per year per unit of morale above its target (0-1)",
        "assumption: job satisfaction is among the strongest predictors of quits; a log "
        "hazard ratio of -2 per unit at the decision scale 1. Morale's target is set by "
        "stability, vision, trust and momentum, priced as amenities, so only the shocks "
        "that move morale off its target are priced here",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of morale",
    )
    price_mission: float = param(
        2.0,
        "market pay-years per year per unit fit (x the mission weight)",
        "Stern (2004): scientists accept about a quarter less pay to work where they may publish, one mission "
        "trait (fit differences between labs are about 0.1-0.3, so 2 puts them at 20-60% of pay); researchers "
        "turned down nine-figure offers for mission (press 2025); M13 must shape the flows",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of mission fit",
    )
    price_prestige: float = param(
        0.5,
        "market pay-years per year per unit prestige (x the prestige weight)",
        ASSUMED,
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of a lab's prestige",
    )
    price_stability: float = param(
        0.6,
        "market pay-years per year per unit stability (x the stability weight)",
        "Mas & Pallais (2017): workers give up about 20% of pay to avoid an unpredictable schedule; reorgs (M6)",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of stability",
    )
    price_trust: float = param(
        0.4,
        "market pay-years per year per unit trust (x the mission weight)",
        "M12 trust",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of trust in leadership",
    )
    price_vision: float = param(
        0.4,
        "market pay-years per year per unit vision clarity",
        "assumption: a clear research direction is worth as much as trust in leadership",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of a clear research direction",
    )
    price_momentum: float = param(
        0.2,
        "market pay-years per year per unit release momentum",
        "recent releases attract (assumption)",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of release momentum",
    )
    price_compute: float = param(
        0.2,
        "market pay-years per year per ln compute per researcher (x the compute weight)",
        "Meta's 'compute per researcher' pitch (press)",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of compute",
    )
    price_colleagues: float = param(
        1.0,
        "market pay-years per year per unit share of the lab's staff who are former colleagues",
        "stars follow stars (Sajjadiani et al.); a lab where a "
        "tenth of the staff came from one's own lab is worth 10% more pay (assumption)",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Pull of former colleagues",
    )
    price_layoff_shock: float = param(
        -0.39,
        "market pay-years per year per unit survivor shock (ln(1 + % of staff cut) x (1 - fairness))",
        "Trevor & Nyberg (2008): a 1% downsizing raises voluntary turnover by about 31% (0.39 x ln 2 = ln 1.31) "
        "at the decision scale 1",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of staying after layoffs",
    )
    price_manager_exit: float = param(
        -1.0,
        "market pay-years per year per unit of the manager-exit shock",
        "shock = ln(1 + rise) (M8): Hayes, Oyer & Schaefer (2006) at the decision scale 1",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of staying after a manager leaves",
    )
    price_newcomer: float = param(
        -0.4,
        "market pay-years per year",
        "M15 friction with insiders (assumption)",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of staying for an acqui-hired newcomer",
    )
    rival_constant: float = param(
        -6.0,
        "logit units among the alternatives",
        "assumption, no public share: most people leaving a big lab go to start-ups, other "
        "firms and academia; sized so about a quarter of leavers join a rival frontier lab (the hiring bar a "
        "walk-in meets)",
        le=20,
        ge=-20,
        label="Odds of a walk-in joining a rival lab",
    )
    market_value: float = param(
        0.8,
        "market pay-years per year",
        "assumption: other firms and academia pay below the frontier labs' market for the same skill",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of the outside market",
    )
    startup_value: float = param(
        0.7,
        "market pay-years per year",
        "assumption: a start-up pays less cash against a lottery of equity",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of joining or founding a start-up",
    )
    startup_star_premium: float = param(
        0.8,
        "market pay-years per year",
        "stars raise money on their name (a chief scientist left to found a start-up, Nov 2025); size is an assumption",
        ge=0,
        le=PRICE_LIMIT,
        label="Extra worth of a start-up for a star",
    )


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


@dataclasses.dataclass
class Risk:
    """This week's researchers who may leave: ``slots`` (ascending), their draws, the values of their decision
    and its logged terms (:func:`orgsim.sim.decision.logged`)."""

    slots: np.ndarray
    draw: np.ndarray
    values: Values
    x: dict[str, np.ndarray]


def at_risk(model: OrgModel) -> Risk:
    """Those whose leaving is due this week or whose per-researcher draw falls below their hazard at its upper
    bound (:func:`orgsim.sim.decision.leave_odds_bound`), with their exact values.

    The draw decides only where it falls below the hazard, so no one else can
    leave: the alternatives (researchers x labs) are valued for these few
    rows alone, each row as a pass over everyone would value it. Staying
    and the bound are valued about an eighth of the researchers at a time
    (in blocks of equal size, none much below ``decision.CHUNK``), each row's
    its own, so that the week's peak of memory does not hold a dozen arrays
    of everyone.
    """
    pop = model.population
    draw = model.streams.per_researcher("attrition", model.week, pop.uid)
    due = (pop.leaving_week >= 0) & (pop.leaving_week <= model.week)
    leave_bound = decision.LeaveBound(model)
    # blocks of equal size: a last block of a few rows would cost a whole pass of Python for nothing
    pieces = max(1, round(len(pop) / max(decision.CHUNK, len(pop) // 8)))
    size = -(-len(pop) // pieces)
    blocks: list[tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]] = []
    for start in range(0, len(pop), size):
        block = slice(start, start + size)
        forfeit = derived.forfeited(model, block)
        terms, stay = decision.stay_value(model, block, forfeit)
        bound = expit(leave_bound(stay, forfeit, block) - model.leave_constant[pop.lab[block]])
        at = np.flatnonzero(due[block] | ~(draw[block] >= bound + 1e-12))  # a NaN bound counts as at risk
        blocks.append((start + at, {name: term[at] for name, term in terms.items()}, stay[at], forfeit[at]))
    rows = np.concatenate([b[0] for b in blocks])
    values = Values(
        {name: np.concatenate([b[1][name] for b in blocks]) for name in blocks[0][1]},
        np.concatenate([b[2] for b in blocks]),
        decision.alternatives(model, rows, np.concatenate([b[3] for b in blocks])),
    )
    return Risk(rows, draw[rows], values, decision.logged(model, values, pop.lab[rows].astype(np.int64)))


def destinations(model: OrgModel, alternatives: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Where the leavers ``slots`` go (``alternatives``: their values of every alternative, a row each): a rival
    lab index, or -1 for outside (start-ups, other firms, academia).

    The same logit as the decision: P(j | leaving) ∝ e^(v_j / (nest_scale · s))
    among the alternatives, rival labs without an open position left out
    (Gumbel-max). A lab takes no more walk-ins than it has open positions;
    the rest go outside.
    """
    p, n_labs = model.params.attrition, len(model.labs)
    rng = model.stream("destinations")
    vacancies = model.vacancies()
    closed = np.concatenate([vacancies < 1, [False, False]])
    utility = np.where(closed[None, :], -np.inf, alternatives / (p.nest_scale * p.decision_scale))
    choice = np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)
    dest = np.where(choice < n_labs, choice, -1)
    for lab in np.unique(dest[dest >= 0]):
        chosen = np.flatnonzero(dest == lab)
        room = int(vacancies[lab])
        if len(chosen) > room:
            dest[rng.choice(chosen, size=len(chosen) - room, replace=False)] = -1
    return dest


def decide(model: OrgModel, risk: Risk) -> np.ndarray:
    """This week's leavers among ``risk`` (positions in ``risk.slots``): deferred leavers whose vest has come, and
    those who decide now (their draw below their hazard) and will not wait for a vest (M5)."""
    pop = model.population
    leaving_week = pop.leaving_week[risk.slots]
    due = (leaving_week >= 0) & (leaving_week <= model.week)
    decided = np.flatnonzero((risk.draw < risk.x["hazard"]) & (leaving_week < 0))
    if model.params.vesting.enabled and len(decided):
        wait = derived.weeks_to_vest(model, risk.slots[decided])
        waiting = (wait <= model.params.vesting.max_wait_weeks) & (risk.x["forfeit"][decided] > 0)
        pop.leaving_week[risk.slots[decided[waiting]]] = model.week + wait[waiting].astype(np.int32)
        decided = decided[~waiting]
    return np.union1d(np.flatnonzero(due), decided)


def step(model: OrgModel) -> None:
    """Learn a week of match quality, draw this week's leavers and send each to a rival or outside."""
    if not model.params.attrition.enabled or len(model.population) == 0:
        return
    matching.learn(model)
    risk = at_risk(model)
    decided = decide(model, risk)
    if len(decided) == 0:
        return
    leaving = risk.slots[decided]
    chosen = {name: terms[decided] for name, terms in risk.x.items()}
    dest = destinations(model, risk.values.alternatives[decided], leaving)
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
    params=AttritionParams,
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
