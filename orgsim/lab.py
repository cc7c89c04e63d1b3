"""Lab: a ``mesa.Agent`` for one organization, and the decisions it takes each week.

Mechanisms call these through Mesa's ``AgentSet`` in config order
(``model.agents_by_type[Lab].do(...)``): a fixed order, because labs draw
from shared weekly streams and the run must be the same bytes for the same
seed. A lab's leadership reviews (M8), it recruits from rivals (M1), it
backfills its teams (M14) and ships on its cadence (M9); the researchers'
answers stay vectorized passes in the mechanism modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agentset import AgentSet

from orgsim import transitions
from orgsim.executive import Executive
from orgsim.mechanisms import offers, releases

if TYPE_CHECKING:
    from orgsim.model import OrgModel
    from orgsim.schema import LabSpec


class Lab(mesa.Agent):
    """One organization: policies, compute, capability, reputation, finances."""

    def __init__(self, model: OrgModel, index: int, key: str, spec: LabSpec):
        super().__init__(model)
        self.index, self.key, self.spec, self.name = index, key, spec, spec.name
        self.team_ids: list[int] = []
        self.executives: list[Executive] = []
        self.capability = spec.capability
        self.standing = spec.capability  # public index: moves only at releases (M9)
        self.prestige, self.trust = spec.prestige, spec.trust
        self.base_prestige, self.base_trust = spec.prestige, spec.trust
        self.vision = spec.vision_clarity
        self.recent_reorgs = spec.recent_reorgs
        self.accelerators = spec.accelerators_k
        self.share_price = spec.finance.share_price
        self.peak_price = spec.finance.share_price
        self.capex_bn = spec.finance.capex_bn
        self.comp_budget = spec.finance.comp_budget_musd
        self.comp_spent = 0.0
        self.quit_rate = spec.quit_rate
        self.momentum = 0.0
        self.gap_aspiration: float | None = None  # the frontier gap the CEO is used to (M8)
        self.layoff_shock = 0.0
        self.frozen_until = -1
        self.blitz = None
        self.blitz_until = -1
        self.ruled_out: dict[str, int] = {}  # M8 lever -> last week the CEO has ruled it out
        self.last_release_week = -int(model.stream("releases").integers(0, max(spec.release_every_weeks, 1)))
        self.pending_gaming: list[int] = []

    # ------------------------------------------------------------ state readers

    @property
    def stability(self) -> float:
        """Falls with each recent reorg: 1 with none, 0.5 after one, 0.33 after two."""
        return 1.0 / (1.0 + self.recent_reorgs)

    @property
    def mission(self) -> np.ndarray:
        """Safety, openness and product profile (a view of the model's array)."""
        return self.model.lab_mission[self.index]

    @property
    def headcount(self) -> int:
        return int(np.count_nonzero(self.model.population.lab == self.index))

    @property
    def hiring_frozen(self) -> bool:
        return self.model.week <= self.frozen_until

    @property
    def ceo(self) -> Executive | None:
        return next((e for e in self.executives if e.active and e.role == "ceo"), None)

    # ------------------------------------------------------------ decisions

    def review_leadership(self, setbacks: np.ndarray) -> None:
        """M8: the CEO reviews the week (``setbacks[index]``: failed releases and slips since), then the others bear it.

        Those below are the lab's active executives after the CEO acted (a
        leadership change has replaced one), in the order they joined.
        """
        ceo = self.ceo
        if ceo is not None:
            ceo.review(float(setbacks[self.index]))
        boss = ceo.micromanagement if ceo is not None else 0.0
        below = [e for e in self.executives if e.active and e is not ceo]
        AgentSet(below, random=self.model.random).do("endure", boss)

    def recruit(self) -> None:
        """M1: on this week's terms (policy, or a running blitz), approach a Poisson number of rivals' best; offer."""
        model = self.model
        terms = offers.recruiting_terms(model, self)
        if terms is None:
            return
        approaches = int(model.stream("offers").poisson(terms["capacity"]))
        targets = offers.pick_targets(model, self, approaches, terms["quantile"])
        if len(targets):
            offers.make_offers(model, self, targets, terms)

    def backfill(self, sizes: np.ndarray, targets: np.ndarray) -> list[dict[str, np.ndarray]]:
        """M14: unless frozen, fill a binomial share of each team's vacancies (target minus size) from outside.

        Returns the arrivals (:func:`~orgsim.transitions.arrivals`), for the week's hires in one batch.
        """
        if self.hiring_frozen:
            return []
        model, batch = self.model, []
        for team in self.team_ids:
            vacancies = targets[team] - sizes[team]
            if vacancies < 0.5:
                continue
            k = int(model.stream("entry").binomial(int(round(vacancies)), self.spec.hiring.backfill_share))
            if k:
                shift = model.team_skill_shift[team] + model.config.population.entrant_skill_shift
                batch.append(transitions.arrivals(model, self.index, team, model.world.draw_skill(k, shift),
                                                  f"hire-{model.year}"))
        return batch

    def ship_if_due(self) -> None:
        """M9: release on the configured cadence, ``release_every_weeks`` after the last release."""
        every = self.spec.release_every_weeks
        if every and self.model.week - self.last_release_week >= every:
            releases.release(self.model, self, f"{self.key}-w{self.model.week}")

    def __repr__(self) -> str:
        return f"<Lab {self.key}>"
