"""The only code that changes who works where.

Hiring from outside, moving between labs and departing to outside all pass
through here, so the event log and the weekly flow counts are updated in one
place, the headcount accounting (change = hires - quits - layoffs - moves
out + moves in) holds by design, and the mechanisms hear of every change
through the hooks they declare (:class:`~orgsim.sim.plugins.Mechanism`:
``on_hire`` after arrivals join, ``on_leave`` before leavers go, ``on_move``
after movers join; M4's contagion and M9's know-how among them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.sim import decision, derived, matching, morale
from orgsim.sim.agents import Researcher
from orgsim.sim.recording import OUTSIDE

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


def new_grant(model: OrgModel, slots: np.ndarray, labs: np.ndarray, makewhole_k: np.ndarray | float = 0.0) -> None:
    """Start a new-hire grant for ``slots`` at their lab's current price: the grant's length in years of equity
    pay, plus any make-whole buy-out (M1) vesting on the same schedule."""
    pop = model.population
    pop.grant_k[slots] = pop.equity_k[slots] * model.lab_vesting[labs, 2] / 52.0 + makewhole_k
    pop.grant_week[slots] = model.week
    pop.grant_price[slots] = pop.ladder_price[slots] = model.lab_price()[labs]


def set_pay(
    model: OrgModel, slots: np.ndarray, labs: np.ndarray, comp_k: np.ndarray, makewhole_k: np.ndarray | float = 0.0
) -> None:
    """Split annual pay into base and equity by the lab's mix and start the new-hire grant."""
    pop = model.population
    equity_share = model.lab_pay[labs, 1] / (model.lab_pay[labs, 0] + model.lab_pay[labs, 1])
    pop.base_k[slots] = comp_k * (1.0 - equity_share)
    pop.equity_k[slots] = comp_k * equity_share
    new_grant(model, slots, labs, makewhole_k)


def arrivals(
    model: OrgModel,
    lab: int,
    team: int,
    skill: np.ndarray,
    cohort: str,
    *,
    newcomer: bool = False,
    goal: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """What ``len(skill)`` researchers arriving from outside at ``lab``/``team`` bring: traits, match and beliefs,
    drawn now, so arrivals drawn one team after another and hired in one batch (:func:`hire`) draw the numbers
    single hires did.

    Arrivals start at the lab's morale target, like the initial staff: a
    newcomer happier than everyone around them would be safer for no reason
    (``goal``: every lab's target, if already known).
    """
    k = len(skill)
    if k == 0:
        return {}  # no draws, and no cohort named
    labs = np.full(k, lab, dtype=np.int64)
    values = model.world.new_researcher_traits(labs)
    values.update(
        lab=labs,
        team=np.full(k, team),
        cohort=np.full(k, model.cohort_code(cohort)),
        skill=skill,
        morale=np.full(k, (morale.target(model) if goal is None else goal)[lab]),
        match=matching.draw(model, k),
        beliefs=model.stream("population").integers(-1, 2, size=(k, model.params.learning.dimensions), dtype=np.int8),
        newcomer_until=np.full(k, model.week + int(model.params.acquisitions.newcomer_weeks) if newcomer else -1),
    )
    return values


def hire(model: OrgModel, batch: list[dict[str, np.ndarray]]) -> np.ndarray:
    """Create the researchers of a batch of :func:`arrivals` from the outside pool, in one pass; returns their
    slots."""
    batch = [values for values in batch if values]
    if not batch:
        return np.empty(0, dtype=np.int64)
    pop = model.population
    values: dict[str, Any] = {name: np.concatenate([b[name] for b in batch]) for name in batch[0]}
    labs, k = values["lab"], len(values["lab"])
    agents = [Researcher(model) for _ in range(k)]
    values.update(
        uid=np.array([a.unique_id for a in agents]),
        prev_lab=OUTSIDE,
        hire_week=model.week,
        team_since=model.week,
        grant_price=model.lab_price()[labs],
    )
    slots = pop.add(agents, **values)
    derived.price_arrivals(model, slots)
    set_pay(model, slots, labs, derived.lab_comp(model, labs, values["skill"]))
    model.recorder.event("hire", slots, OUTSIDE, labs)
    model.recorder.count("hires", labs)
    for hook in model.hooks.on_hire:
        hook(model, slots)
    return slots


def move(
    model: OrgModel,
    slots: np.ndarray,
    to_labs: np.ndarray,
    comp_k: np.ndarray,
    cohort: str,
    *,
    team: int | None = None,
    signon_k: np.ndarray | float = 0.0,
    makewhole_k: np.ndarray | float = 0.0,
    covariates: dict | None = None,
) -> None:
    """Researchers change lab: new team, pay, grant, hire date, cohort and match; beliefs travel with them."""
    slots = np.asarray(slots, dtype=np.int64)
    if len(slots) == 0:
        return
    pop = model.population
    to_labs = np.asarray(to_labs, dtype=np.int64)
    from_labs = pop.lab[slots].astype(np.int64)
    if covariates is None:
        covariates = decision.covariates(model, slots)
    joined = model.cohort_code(cohort)
    model.recorder.event("move", slots, from_labs, to_labs, covariates, cohort_after=joined)
    for hook in model.hooks.on_leave:
        hook(model, slots, "quit")
    model.recorder.count("moves_out", from_labs)
    model.recorder.count("moves_in", to_labs)
    pop.prev_lab[slots] = from_labs
    pop.lab[slots] = to_labs
    pop.placement += 1
    pop.team[slots] = team if team is not None else model.world.pick_teams(to_labs)
    pop.hire_week[slots] = model.week
    pop.team_since[slots] = model.week
    pop.cohort[slots] = joined
    pop.countered_week[slots] = -1
    pop.newcomer_until[slots] = -1
    pop.signon_k[slots] = signon_k
    pop.signon_week[slots] = model.week
    pop.match[slots] = matching.draw(model, len(slots))
    pop.match_sum[slots] = 0.0
    pop.leaving_week[slots] = -1
    set_pay(model, slots, to_labs, np.asarray(comp_k, dtype=float), makewhole_k)
    for hook in model.hooks.on_move:
        hook(model, slots, from_labs, to_labs)


def depart(model: OrgModel, slots: np.ndarray, kind: str, covariates: dict | None = None) -> None:
    """Researchers leave the simulated labs (``quit`` or ``layoff``) and are removed."""
    slots = np.asarray(slots, dtype=np.int64)
    if len(slots) == 0:
        return
    pop = model.population
    from_labs = pop.lab[slots].astype(np.int64)
    if covariates is None:
        covariates = decision.covariates(model, slots)
    model.recorder.event(kind, slots, from_labs, OUTSIDE, covariates)
    model.recorder.count("quits" if kind == "quit" else "layoffs", from_labs)
    for hook in model.hooks.on_leave:
        hook(model, slots, kind)
    for agent in pop.remove(slots):
        agent.remove()
