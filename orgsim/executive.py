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
from scipy.special import expit, logit

from orgsim import derived
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
        self.package_musd, self.pay_musd, self.joined_week = spec.unvested_musd, spec.pay_musd, model.week
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
        """One lever, drawn by the configured weights; a risk-taker blitzes more; a lever the CEO has ruled out
        (``rule_out``) weighs nothing. None if every weight is 0."""
        p = self.model.params.executives
        levers = list(p.action_weights)
        weights = np.array([p.action_weights[a] * (self.lab.ruled_out.get(a, -1) < self.model.week) for a in levers],
                           dtype=float)
        if "blitz" in levers:
            weights[levers.index("blitz")] *= 0.5 + self.risk_appetite
        if weights.sum() <= 0:
            return None
        return levers[self.model.stream("executives").choice(len(levers), p=weights / weights.sum())]

    @property
    def forfeit_years(self) -> float:
        """The package still unvested, in years of this executive's market pay (vesting on the lab's schedule)."""
        cliff, interval, total, _ = self.model.lab_vesting[self.lab.index]
        since = np.array([self.model.week - self.joined_week])
        vested = float(derived.vesting_fraction(since, cliff, interval, total)[0])
        return self.package_musd * (1.0 - vested) / self.pay_musd

    def exit_probability(self) -> float:
        """This week's chance of leaving: friction sets the odds (``exit_hazard`` per unit), the package divides them.

        The same decision in money as a researcher's (M3): what leaving forfeits,
        spread over ``attrition.horizon_years`` and in units of the decision
        scale, so a chief AI officer holding years of pay unvested puts up with
        friction a newcomer with nothing at stake would not.
        """
        p, decision = self.model.params.executives, self.model.params.attrition
        odds = p.exit_hazard * self.friction
        if odds <= 0.0:
            return 0.0
        held = self.forfeit_years / (decision.horizon_years * decision.decision_scale)
        return float(expit(logit(min(odds, 1.0 - 1e-12)) - held))

    def endure(self, boss_micromanagement: float) -> None:
        """Below the CEO: friction grows with the boss's micromanagement, and with it the weekly chance of leaving.

        A scripted exit (a dated ``executive_exit``) is a fact the friction must not pre-empt.
        """
        p, rng = self.model.params.executives, self.model.stream("executives")
        self.friction = min(1.0, self.friction + p.friction_growth * boss_micromanagement)
        if not self.scripted and rng.random() < self.exit_probability():
            executives.leave(self.model, self, "insider" if rng.random() < 0.5 else "outsider")

    def __repr__(self) -> str:
        return f"<Executive {self.key} ({self.role}) at {self.lab.key}>"
