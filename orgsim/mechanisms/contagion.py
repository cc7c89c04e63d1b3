"""M4 turnover contagion: departures raise teammates' hazard, more so among similar performers.

Each departure of kind k from team T adds an excess weekly hazard to the
members who stay, sized so that it induces ``per_<k>`` further quits in expectation
(turnover-contagion evidence, docs/ODD.md §7.4: 0.23 per quit, 2.2 per layoff; the model has no performance
dismissals, so the 0.17 per dismissal has no counterpart),
weighted ``similarity``-fold toward the leaver's own skill tier (stars follow
stars) and spread over ``spread_weeks``. Per member the excess is capped at
``max_weekly``: mass layoffs saturate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import derived

if TYPE_CHECKING:
    from orgsim.model import OrgModel

WEIGHTS = {"quit": "per_quit", "layoff": "per_layoff"}


def departure(model: OrgModel, slots: np.ndarray, kind: str) -> None:
    """Register departures (before they leave) in their teams' exposure."""
    p = model.params.contagion
    if not p.enabled or len(slots) == 0:
        return
    pop = model.population
    weight = getattr(p, WEIGHTS[kind])
    n_teams = len(model.team_names)
    tiers = derived.star_tier(model)
    leaver_team = pop.team[slots].astype(np.int64)
    leaver_tier = derived.star_tier(model, slots)
    # those who stay behind in each (team, tier): the leavers' own share would be lost
    members = np.bincount(pop.team.astype(np.int64) * 2 + tiers, minlength=n_teams * 2).reshape(n_teams, 2)
    members = members - np.bincount(leaver_team * 2 + leaver_tier, minlength=n_teams * 2).reshape(n_teams, 2)
    for tier_of_leaver in (0, 1):
        sel = leaver_tier == tier_of_leaver
        if not sel.any():
            continue
        per_team = np.bincount(leaver_team[sel], minlength=n_teams).astype(float)
        sim = np.array([1.0, 1.0])
        sim[tier_of_leaver] = p.similarity
        # induced quits distribute over members in proportion to similarity
        denominator = (members * sim[None, :]).sum(axis=1)
        share = np.where(denominator > 0, weight * per_team / np.maximum(denominator, 1e-12), 0.0)
        # used from the next week on, after one decay: the geometric sum is (spread - 1) weeks
        model.contagion_exposure += share[:, None] * sim[None, :] / (p.spread_weeks - 1.0)


def excess(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Excess weekly hazard for each researcher from recent departures in the team."""
    p = model.params.contagion
    pop = model.population
    n = len(pop.team[slots])
    if not p.enabled:
        return np.zeros(n)
    exposure = model.contagion_exposure[pop.team[slots].astype(np.int64), derived.star_tier(model, slots)]
    return np.minimum(exposure, p.max_weekly)


def step(model: OrgModel) -> None:
    """Exposure fades geometrically so the total induced hazard matches the weights."""
    p = model.params.contagion
    if p.enabled:
        model.contagion_exposure *= 1.0 - 1.0 / p.spread_weeks
