"""M7 layoffs and survivor syndrome.

Cut ``n`` researchers from chosen (or all unprotected) teams, and their
posts with them (team targets fall, so backfill does not rehire); selection
favours cutting low performers and protects insiders (weighted sampling
without replacement via Gumbel top-k). Survivors lose morale and carry a
decaying shock that raises their hazard, ln(1 + % of staff cut), sized on
Trevor & Nyberg (2008: a 1% downsizing raises voluntary turnover ~31%) and
Maertz et al. (2010), both moderated by perceived fairness. Only survivors:
those hired after the last cut carry none of it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, NonNeg, Switchable, Unit, param
from orgsim.sim import transitions
from orgsim.sim.plugins import ORGANIZATION, Handler, Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.schema import Layoff
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class LayoffParams(Switchable):
    """M7 layoffs and survivor syndrome."""

    selectivity: NonNeg = param(
        1.0, "log-odds per skill sd", "cuts by performance", label="How much layoffs target weaker performers"
    )
    insider_protection: NonNeg = param(
        1.0, "log-odds", "insiders are protected (press)", label="Protection of insiders from layoffs"
    )
    survivor_morale_drop: NonNeg = param(0.1, "morale units", "Maertz et al. (2010)", label="Survivors' morale drop")
    fairness: Unit = param(
        0.4, "0-1", "perceived fairness moderates the survivor effect", label="Perceived fairness of layoffs"
    )
    shock_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0, label="Fading time of the layoff shock")


@dataclasses.dataclass
class Survivors:
    """M7's state: each lab's survivor shock, ln(1 + % of staff cut) at the last layoff, fading, and the week of
    that layoff (only those who were there when it came are its survivors)."""

    shock: np.ndarray
    week: np.ndarray


def setup(model: OrgModel) -> Survivors:
    return Survivors(np.zeros(len(model.labs)), np.full(len(model.labs), -1, dtype=np.int64))


def lay_off(model: OrgModel, lab: Lab, n: int, teams: list[int] | None = None) -> None:
    p = model.params.layoffs
    if not p.enabled or n <= 0:
        return
    pop = model.population
    if not teams:
        teams = [t for t in lab.team_ids if not model.team_protected[t]]
    pool = np.flatnonzero(np.isin(pop.team, teams))
    if len(pool) == 0:
        return
    log_skill = np.log(pop.skill[pool])
    z = (log_skill - log_skill.mean()) / (log_skill.std() + 1e-12)
    keys = (
        -p.selectivity * z - p.insider_protection * pop.insider[pool] + model.stream("layoffs").gumbel(size=len(pool))
    )
    cut = pool[np.argsort(-keys, kind="stable")[: min(n, len(pool))]]
    # the posts go with the people: backfill must not rehire them
    model.team_target -= (
        np.bincount(pop.team[cut].astype(np.int64), minlength=len(model.team_target)) / model.growth_factor()
    )
    np.maximum(model.team_target, 0.0, out=model.team_target)
    share_cut = len(cut) / max(lab.headcount, 1)
    transitions.depart(model, cut, "layoff")
    survivors = pop.lab == lab.index
    pop.morale[survivors] = np.clip(pop.morale[survivors] - p.survivor_morale_drop * (1.0 - p.fairness), 0.0, 1.0)
    # concave in the size of the cut (Trevor & Nyberg 2008 measured small downsizings): ln(1 + % cut)
    shock = model.states["layoffs"].shock
    shock[lab.index] = max(shock[lab.index], float(np.log1p(100.0 * share_cut)))
    model.states["layoffs"].week[lab.index] = model.week


def apply_event(model: OrgModel, event: Layoff) -> None:
    lab = model.lab_by_key[event.lab]
    teams = [model.team_index[(lab.key, t)] for t in event.teams]
    lay_off(model, lab, model.scaled(event.n), teams)


def step(model: OrgModel) -> None:
    model.states["layoffs"].shock *= np.exp(-1.0 / model.params.layoffs.shock_weeks)


def stay_terms(model: OrgModel, slots) -> dict[str, np.ndarray]:
    """The survivors' shock of each researcher's lab, moderated by perceived fairness (priced by M3)."""
    p = model.params.layoffs
    labs = model.population.lab[slots].astype(np.int64)
    if not p.enabled:
        return {"layoff_shock": np.zeros(len(labs))}
    state = model.states["layoffs"]
    survivor = model.population.hire_week[slots] <= state.week[labs]
    return {"layoff_shock": np.where(survivor, state.shock[labs] * (1.0 - p.fairness), 0.0)}


MECHANISM = Mechanism(
    number=7,
    setup=setup,
    block="layoffs",
    params=LayoffParams,
    stage=8.3,
    step=step,
    handlers={"layoff": Handler(apply_event, ORGANIZATION)},
    stay_terms=StayTerms(stay_terms),
    actions={"lay_off": lay_off},
)
