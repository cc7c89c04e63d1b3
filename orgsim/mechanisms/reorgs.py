"""M6 reorganizations: members reassigned, team tenure broken, stability and morale fall.

Each reorg adds one to the lab's decaying count of recent reorgs (stability
is ``1 / (1 + recent)``); the morale drop grows with that count, so the
"fourth restructuring in six months" hurts more than the first. Reassigned
researchers start again in a new team (``team_since`` resets), which cuts
their embeddedness and, through M10, disrupts socialization.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, NonNeg, Switchable, Unit, param
from orgsim.sim.plugins import ORGANIZATION, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import Reorg
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class ReorgParams(Switchable):
    """M6 reorganizations."""

    reassign_share: Unit = param(
        0.3,
        "share of members moved",
        "'experience not crystallising' (press)",
        label="Share of a team moved in a reorg",
    )
    morale_drop: NonNeg = param(0.05, "morale units", ASSUMED, label="Morale lost per reorg")
    repeat_exponent: NonNeg = param(
        0.7,
        "drop x (1+recent reorgs)^k",
        "'fourth restructuring in six months'",
        label="Extra sting of repeated reorgs",
    )
    recovery_weeks: float = param(26.0, "weeks", ASSUMED, gt=0, label="Recovery time after a reorg")
    socialization_disruption: Unit = param(
        0.5, "share of p1 lost at zero stability", "M10", label="Learning from colleagues lost to instability"
    )


def reorganize(model: OrgModel, lab: Lab, teams: list[int] | None = None, share: float | None = None) -> None:
    p = model.params.reorgs
    if not p.enabled:
        return
    pop = model.population
    if not teams:
        teams = [t for t in lab.team_ids if not model.team_protected[t]]
    share = p.reassign_share if share is None else share
    lab.recent_reorgs += 1.0
    in_lab = pop.lab == lab.index
    pop.morale[in_lab] = np.clip(pop.morale[in_lab] - p.morale_drop * lab.recent_reorgs**p.repeat_exponent, 0.0, 1.0)
    members = np.flatnonzero(np.isin(pop.team, teams))
    moved = members[model.stream("reorgs").random(len(members)) < share]
    if len(teams) > 1 and len(moved):
        choices = np.asarray(teams)
        pop.team[moved] = choices[model.stream("reorgs").integers(0, len(choices), size=len(moved))]
    pop.team_since[moved] = model.week


def apply_event(model: OrgModel, event: Reorg) -> None:
    lab = model.lab_by_key[event.lab]
    teams = [model.team_index[(lab.key, t)] for t in event.teams]
    reorganize(model, lab, teams, event.reassign_share)


def step(model: OrgModel) -> None:
    """Memories of reorgs fade: stability recovers over ``recovery_weeks``."""
    decay = np.exp(-1.0 / model.params.reorgs.recovery_weeks)
    for lab in model.labs:
        lab.recent_reorgs *= decay


MECHANISM = Mechanism(
    number=6,
    block="reorgs",
    params=ReorgParams,
    stage=8.2,
    step=step,
    handlers={"reorg": Handler(apply_event, ORGANIZATION)},
    actions={"reorganize": reorganize},
)
