"""Executive: a ``mesa.Agent`` that weighs pressure and decides (M8).

A CEO reviews the lab each week and, past a threshold set by patience,
pulls one lever; the others bear the friction the CEO's micromanagement
creates and may leave. The decisions are the executive's; what a lever or
an exit does to the organization is :mod:`orgsim.mechanisms.executives`'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from orgsim.mechanisms import executives

if TYPE_CHECKING:
    from orgsim.lab import Lab
    from orgsim.model import OrgModel
    from orgsim.schema import ExecutiveSpec


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

    @property
    def under_pressure(self) -> bool:
        """Pressure past this CEO's threshold: the configured one, scaled by patience."""
        return self.pressure > self.model.params.executives.threshold * (0.5 + self.patience)

    def review(self, setbacks: float) -> None:
        """A CEO's week: pressure from the shortfall, the drawdown and the lab's setbacks; past the threshold, act.

        Rising pressure shortens the pause between pivots, down to half of
        ``cooldown_weeks`` ("the quicker the pivots are going to get").
        """
        model, p = self.model, self.model.params.executives
        previous = self.pressure
        felt = executives.pressure_inputs(model, self.lab)
        self.pressure = p.pressure_memory * self.pressure + (1 - p.pressure_memory) * felt
        self.pressure += p.weight_failure * setbacks
        executives.adapt_aspiration(model, self.lab)
        self.rising_weeks = self.rising_weeks + 1 if self.pressure > previous else 0
        cooldown = p.cooldown_weeks * (0.5 + 0.5 * np.exp(-self.rising_weeks / 8.0))
        if self.under_pressure and model.week - self.last_action_week >= cooldown:
            lever = self.choose_lever()
            if lever is not None:
                executives.pull(model, self, lever)

    def choose_lever(self) -> str | None:
        """One lever, drawn by the configured weights; a risk-taker blitzes more. None if every weight is 0."""
        p = self.model.params.executives
        levers = list(p.action_weights)
        weights = np.array([p.action_weights[a] for a in levers], dtype=float)
        if "blitz" in levers:
            weights[levers.index("blitz")] *= 0.5 + self.risk_appetite
        if weights.sum() <= 0:
            return None
        return levers[self.model.stream("executives").choice(len(levers), p=weights / weights.sum())]

    def endure(self, boss_micromanagement: float) -> None:
        """Below the CEO: friction grows with the boss's micromanagement, and with it the weekly chance of leaving.

        A scripted exit (a dated ``executive_exit``) is a fact the friction must not pre-empt.
        """
        p, rng = self.model.params.executives, self.model.stream("executives")
        self.friction = min(1.0, self.friction + p.friction_growth * boss_micromanagement)
        if not self.scripted and rng.random() < p.exit_hazard * self.friction:
            executives.leave(self.model, self, "insider" if rng.random() < 0.5 else "outsider")

    def __repr__(self) -> str:
        return f"<Executive {self.key} ({self.role}) at {self.lab.key}>"
