"""Lab, Researcher and Executive: real ``mesa.Agent`` handles.

Researchers are thin: their numbers live in the model's
:class:`~orgsim.population.Population` arrays and the agent reads its slot, so
notebooks and dashboards can inspect one researcher while the weekly pipeline
stays vectorized. Labs and executives are few and keep plain attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from orgsim.model import OrgModel
    from orgsim.schema import ExecutiveSpec, LabSpec


class Researcher(mesa.Agent):
    """A researcher; attribute reads go to the population arrays."""

    slot: int = -1

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
        where = self.lab.key if self.slot >= 0 else "outside"
        return f"<Researcher {self.unique_id} at {where}>"


class Executive(mesa.Agent):
    """A CEO, chief AI officer, research or product head of one lab."""

    def __init__(self, model: OrgModel, key: str, lab: Lab, spec: ExecutiveSpec, team_ids: list[int]):
        super().__init__(model)
        self.key, self.lab, self.role, self.name = key, lab, spec.role, spec.name or key
        self.micromanagement, self.risk_appetite = spec.micromanagement, spec.risk_appetite
        self.patience, self.insider, self.friction = spec.patience, spec.insider, spec.friction
        self.team_ids = team_ids
        self.pressure = 0.0
        self.rising_weeks = 0
        self.last_action_week = -10_000
        self.active = True
        self.scripted = False

    def __repr__(self) -> str:
        return f"<Executive {self.key} ({self.role}) at {self.lab.key}>"


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
        self.failures = 0.0
        self.gap_aspiration: float | None = None  # the frontier gap the CEO is used to (M8)
        self.layoff_shock = 0.0
        self.frozen_until = -1
        self.blitz = None
        self.blitz_until = -1
        self.last_release_week = -int(model.stream("releases").integers(0, max(spec.release_every_weeks, 1)))
        self.pending_gaming: list[int] = []

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

    def __repr__(self) -> str:
        return f"<Lab {self.key}>"
