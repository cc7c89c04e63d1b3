"""The model's people as ``mesa.Agent`` handles: researchers and executives.

A researcher's numbers live in the model's
:class:`~orgsim.sim.population.Population` arrays and the agent reads its
slot, so notebooks and dashboards can inspect one researcher while the
weekly pipeline stays vectorized. Executives are few and hold their own
state; what they weigh and decide is M8's (:mod:`orgsim.mechanisms.executives`),
which asks them through Mesa's ``AgentSet``. Labs are :mod:`orgsim.sim.lab`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from orgsim.schema import ExecutiveSpec
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class Researcher(mesa.Agent):
    """A researcher; attribute reads go to the population arrays."""

    @property
    def slot(self) -> int:
        """This researcher's row in the population arrays (-1: gone); the population keeps it, so no agent holds
        a number of its own."""
        return self.model.population.slot_of(self.unique_id)

    def _get(self, field: str):
        if self.slot < 0:
            raise LookupError(f"researcher {self.unique_id} has left the simulated labs")
        return getattr(self.model.population, field)[self.slot]

    @property
    def lab(self) -> Lab | None:
        return self.model.labs[int(self._get("lab"))] if self.slot >= 0 else None

    @property
    def team(self) -> str:
        return self.model.team_names[int(self._get("team"))]

    @property
    def skill(self) -> float:
        return float(self._get("skill"))

    @property
    def morale(self) -> float:
        return float(self._get("morale"))

    @property
    def cohort(self) -> str:
        return self.model.cohorts[int(self._get("cohort"))]

    @property
    def tenure_weeks(self) -> int:
        return self.model.week - int(self._get("hire_week"))

    @property
    def beliefs(self) -> np.ndarray:
        return self._get("beliefs").copy()

    def __repr__(self) -> str:
        lab = self.lab
        where = lab.key if lab is not None else "outside"
        return f"<Researcher {self.unique_id} at {where}>"


class Executive(mesa.Agent):
    """A CEO, chief AI officer, research or product head of one lab."""

    def __init__(self, model: OrgModel, key: str, lab: Lab, spec: ExecutiveSpec, team_ids: list[int]):
        super().__init__(model)
        self.key, self.lab, self.role, self.name = key, lab, spec.role, spec.name or key
        self.micromanagement, self.risk_appetite = spec.micromanagement, spec.risk_appetite
        self.patience, self.insider, self.friction = spec.patience, spec.insider, spec.friction
        self.package_musd, self.pay_musd, self.joined_week = spec.unvested_musd, spec.pay_musd, model.week
        self.team_ids = team_ids
        self.pressure = 0.0
        self.rising_weeks = 0
        self.last_action_week = -10_000
        self.active = True
        self.scripted = False

    def __repr__(self) -> str:
        return f"<Executive {self.key} ({self.role}) at {self.lab.key}>"
