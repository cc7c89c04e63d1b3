"""M12 reputation and trust.

Scandals (leaked chatbot guidelines, a gamed leaderboard found out) lower
trust and prestige; both recover slowly toward the lab's baseline. Trust
enters offer acceptance weighted by each researcher's mission preference,
so mission-driven researchers turn away first.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, Switchable, param
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import Scandal
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class ReputationParams(Switchable):
    """M12 reputation and trust."""

    recovery_weeks: float = param(
        52.0, "weeks to recover (decay)", ASSUMED, gt=0, label="Recovery time of trust and prestige"
    )


@dataclasses.dataclass
class Reputations:
    """M12's state, per lab: the prestige and trust it recovers toward, and the weeks its gamed leaderboard
    results will be found out."""

    base_prestige: np.ndarray
    base_trust: np.ndarray
    pending: list[list[int]]


def setup(model: OrgModel) -> Reputations:
    specs = [lab.spec for lab in model.labs]
    return Reputations(
        np.array([s.prestige for s in specs], dtype=float),
        np.array([s.trust for s in specs], dtype=float),
        [[] for _ in specs],
    )


def game_leaderboard(model: OrgModel, lab: Lab) -> None:
    """A release games a leaderboard (M9): prestige now, a trust loss when it is found out, ``gaming_found_weeks``
    later."""
    p = model.params.releases
    if not model.params.reputation.enabled:
        return
    lab.prestige = float(min(1.0, lab.prestige + p.gaming_gain))
    model.states["reputation"].pending[lab.index].append(model.week + p.gaming_found_weeks)


def scandal(model: OrgModel, event: Scandal) -> None:
    if not model.params.reputation.enabled:
        return
    lab = model.lab_by_key[event.lab]
    lab.trust = max(0.0, lab.trust - event.trust_drop)
    lab.prestige = max(0.0, lab.prestige - event.prestige_drop)


def step(model: OrgModel) -> None:
    p = model.params.reputation
    if not p.enabled:
        return
    gain = model.params.releases.gaming_gain
    loss = model.params.releases.gaming_trust_loss
    pull = 1.0 - np.exp(-1.0 / p.recovery_weeks)
    state = model.states["reputation"]
    for lab in model.labs:
        pending = state.pending[lab.index]
        found = [w for w in pending if w <= model.week]
        if found:
            state.pending[lab.index] = [w for w in pending if w > model.week]
            lab.trust = max(0.0, lab.trust - loss * len(found))
            lab.prestige = max(0.0, lab.prestige - gain * len(found))
        lab.trust += (state.base_trust[lab.index] - lab.trust) * pull
        lab.prestige += (state.base_prestige[lab.index] - lab.prestige) * pull


MECHANISM = Mechanism(
    number=12,
    block="reputation",
    params=ReputationParams,
    setup=setup,
    stage=7.1,
    step=step,
    handlers={"scandal": Handler(scandal, TERMS)},
    actions={"game_leaderboard": game_leaderboard},
)
