"""Lab: a ``mesa.Agent`` for one organization, and the decisions it takes each week.

Mechanisms ask every lab to decide through Mesa's ``AgentSet`` in config
order (``model.lab_agents.do(decision)``, with a decision function of their
own): a fixed order, because labs draw from shared weekly streams and the
run must be the same bytes for the same seed. A lab's leadership reviews
(M8), it recruits from rivals (M1), it backfills its teams (M14) and ships
on its cadence (M9); the researchers' answers stay vectorized passes in the
mechanism modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from orgsim.sim.agents import Executive

if TYPE_CHECKING:
    from orgsim.schema import LabSpec
    from orgsim.sim.model import OrgModel


class Lab(mesa.Agent):
    """One organization: its identity, teams and leaders, and the traits more than one part of the model reads.

    Mechanisms move these declared traits; state that one mechanism alone
    reads (a survivor shock, a running blitz, a compensation budget, a CEO's
    aspiration, ...) lives in that mechanism's setup state, ``model.states``.
    """

    capability: float  # internal capability index (M9)
    standing: float  # public index: moves only at releases (M9)
    prestige: float  # M9 and M12 move it; offers, quits and morale weigh it
    trust: float
    vision: float
    recent_reorgs: float  # fading count of reorgs (M6): stability is 1 / (1 + recent_reorgs)
    accelerators: float  # k H100e
    share_price: float  # M11 moves it; unvested equity is valued at it (M5)
    peak_price: float
    quit_rate: float  # annual, the target of M3's constants
    momentum: float  # release momentum (M9), in amenities and morale
    frozen_until: int  # last week of a hiring freeze (-1: none)

    def __init__(self, model: OrgModel, index: int, key: str, spec: LabSpec):
        super().__init__(model)
        self.index, self.key, self.spec, self.name = index, key, spec, spec.name
        self.team_ids: list[int] = []
        self.executives: list[Executive] = []
        self.capability = spec.capability
        self.standing = spec.capability
        self.prestige, self.trust = spec.prestige, spec.trust
        self.vision = spec.vision_clarity
        self.recent_reorgs = spec.recent_reorgs
        self.accelerators = spec.accelerators_k
        self.share_price = spec.finance.share_price
        self.peak_price = spec.finance.share_price
        self.quit_rate = spec.quit_rate
        self.momentum = 0.0
        self.frozen_until = -1

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

    def __repr__(self) -> str:
        return f"<Lab {self.key}>"
