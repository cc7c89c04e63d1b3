"""M4 turnover contagion: departures raise teammates' hazard, more so among similar performers.

Each departure of kind k from team T adds an excess weekly hazard to the
members who stay, sized so that it induces ``per_<k>`` further quits in expectation
(turnover-contagion evidence, docs/ODD.md §7.4: 0.23 per quit, 2.2 per layoff; the model has no performance
dismissals, so the 0.17 per dismissal has no counterpart),
weighted ``similarity``-fold toward the leaver's own skill tier (stars follow
stars) and spread over ``spread_weeks``. Per member the excess is capped at
``max_weekly``: mass layoffs saturate. The excess enters M3's decision as a
priced term of staying (:func:`stay_terms`), so it acts through money like
every other term: a star holding $100M unvested does not follow a teammate
out.

Exposure carries its week: a departure in week ``w``, at whatever stage
(a dated layoff, a stage-4 move, a stage-5 quit, an executive's layoff), is
felt from week ``w + 1`` on, as ``1/spread`` of its induced quits that week
and geometrically less after, so it sums to exactly ``per_<k>`` whatever the
pipeline order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import PRICE_LIMIT, NonNeg, Switchable, Unit, param
from orgsim.sim import derived
from orgsim.sim.plugins import Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


class ContagionParams(Switchable):
    """M4 turnover contagion: each departure induces further quits in its team."""

    per_quit: NonNeg = param(
        0.23,
        "further quits per quit",
        "turnover contagion meta-evidence (Felps et al. 2009)",
        label="Further quits set off by a quit",
    )
    per_layoff: NonNeg = param(
        2.2,
        "further quits per layoff",
        "same source; saturated by max_weekly",
        label="Further quits set off by a layoff",
    )
    similarity: float = param(
        2.0,
        "x weight within the same skill tier",
        "stars follow stars (Sajjadiani et al.)",
        ge=1,
        label="Contagion within the same skill tier",
    )
    spread_weeks: float = param(
        8.0, "weeks", "induced quits spread over about two months", gt=1, label="Time over which contagion spreads"
    )
    max_weekly: Unit = param(
        0.004,
        "probability/week",
        "assumption: saturation for mass events (a mass layoff roughly doubles survivors' quits)",
        label="Ceiling on contagion",
    )
    price: float = param(
        -1.0,
        "market pay-years per year per ln(1 + excess / the lab's weekly quit rate)",
        "at minus the decision scale an average member's hazard rises by the excess, so each "
        "departure sets off per_quit (per_layoff) further quits",
        ge=-PRICE_LIMIT,
        le=PRICE_LIMIT,
        label="Worth of staying as colleagues leave",
    )


WEIGHTS = {"quit": "per_quit", "layoff": "per_layoff"}


class Exposure:
    """Excess weekly hazard per (team, skill tier), brought up to the model's week when read or added to."""

    def __init__(self, n_teams: int, spread_weeks: float):
        self.fade = 1.0 - 1.0 / spread_weeks
        self.spread = spread_weeks
        self.level = np.zeros((n_teams, 2))  # felt in week `week`
        self.fresh = np.zeros((n_teams, 2))  # induced by week `week`'s departures, felt from the next week
        self.week = 0

    def at(self, week: int) -> Exposure:
        if week > self.week:
            self.level = (self.level * self.fade + self.fresh / self.spread) * self.fade ** (week - self.week - 1)
            self.fresh = np.zeros_like(self.fresh)
            self.week = week
        return self


def setup(model: OrgModel) -> Exposure:
    return Exposure(len(model.team_names), model.params.contagion.spread_weeks)


def exposure(model: OrgModel) -> Exposure:
    """The exposure state as of this week."""
    return model.states["contagion"].at(model.week)


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
    state = exposure(model)
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
        state.fresh += share[:, None] * sim[None, :]


def excess(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Excess weekly hazard for each researcher from departures in the team before this week."""
    p = model.params.contagion
    pop = model.population
    n = len(pop.team[slots])
    if not p.enabled:
        return np.zeros(n)
    level = exposure(model).level[pop.team[slots].astype(np.int64), derived.star_tier(model, slots)]
    return np.minimum(level, p.max_weekly)


def stay_terms(model: OrgModel, slots: np.ndarray | slice) -> dict[str, np.ndarray]:
    """ln(1 + excess / the lab's weekly quit rate): priced at minus the decision scale, it raises an average
    member's hazard by the excess, so each departure sets off about ``per_<kind>`` further quits, while a
    researcher held by a large forfeit barely moves."""
    labs = model.population.lab[slots].astype(np.int64)
    reference = derived.lab_array(model, "quit_rate")[labs] / 52.0
    return {"contagion": np.log1p(excess(model, slots) / np.maximum(reference, 1e-9))}


MECHANISM = Mechanism(
    number=4,
    block="contagion",
    params=ContagionParams,
    setup=setup,
    on_leave=departure,
    stay_terms=StayTerms(stay_terms, prices={"contagion": "price"}),
)
