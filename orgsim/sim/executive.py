"""Executive: a ``mesa.Agent`` for one of a lab's leaders, and the state their decisions move.

What a CEO weighs, which lever they pull and when others leave are M8's
(:mod:`orgsim.mechanisms.executives`), which asks the labs' executives to
decide through Mesa's ``AgentSet``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from orgsim.schema import ExecutiveSpec
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


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
