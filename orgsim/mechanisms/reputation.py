"""M12 reputation and trust.

Scandals (leaked chatbot guidelines, a gamed leaderboard found out) lower
trust and prestige; both recover slowly toward the lab's baseline. Trust
enters offer acceptance weighted by each researcher's mission preference,
so mission-driven researchers turn away first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import schema
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import Scandal
    from orgsim.sim.model import OrgModel


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
    for lab in model.labs:
        found = [w for w in lab.pending_gaming if w <= model.week]
        if found:
            lab.pending_gaming = [w for w in lab.pending_gaming if w > model.week]
            lab.trust = max(0.0, lab.trust - loss * len(found))
            lab.prestige = max(0.0, lab.prestige - gain * len(found))
        lab.trust += (lab.base_trust - lab.trust) * pull
        lab.prestige += (lab.base_prestige - lab.prestige) * pull


MECHANISM = Mechanism(
    number=12,
    block="reputation",
    params=schema.ReputationParams,
    stage=7.1,
    step=step,
    handlers={"scandal": Handler(scandal, TERMS)},
)
