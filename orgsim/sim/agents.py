"""Researcher: a thin ``mesa.Agent`` handle on one slot of the population arrays.

A researcher's numbers live in the model's
:class:`~orgsim.sim.population.Population` arrays and the agent reads its slot, so
notebooks and dashboards can inspect one researcher while the weekly pipeline
stays vectorized. Labs and executives are few and decide in their own
methods (:mod:`orgsim.sim.lab`, :mod:`orgsim.sim.executive`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from orgsim.sim.lab import Lab


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
        lab = self.lab
        where = lab.key if lab is not None else "outside"
        return f"<Researcher {self.unique_id} at {where}>"
