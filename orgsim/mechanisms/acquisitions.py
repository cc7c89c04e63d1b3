"""M15 acqui-hires and stakes.

A lab buys into a company and brings in its leader and a team: the $14.3bn
Scale AI stake brought its CEO as chief AI officer; the NFDG stake brought a
product head. Newcomers merged into a large structure start with no ties (no
former colleagues, fresh team tenure) and, for ``newcomer_weeks``, more
friction with insiders (a hazard term in M3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, Switchable, param
from orgsim.sim import transitions
from orgsim.sim.plugins import ORGANIZATION, Handler, Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.schema import Acquihire
    from orgsim.sim.model import OrgModel


class AcquisitionParams(Switchable):
    """M15 acqui-hires and stakes."""

    newcomer_weeks: float = param(
        52.0, "weeks of friction with insiders", ASSUMED, gt=0, label="Newcomers' friction period"
    )


def acquihire(model: OrgModel, event: Acquihire) -> None:
    p = model.params.acquisitions
    if not p.enabled:
        return
    lab = model.lab_by_key[event.lab]
    team = model.team_index[(lab.key, event.team)]
    n = model.scaled(event.n)
    skill = model.world.draw_skill(n, event.skill_shift)
    transitions.hire(
        model, [transitions.arrivals(model, lab.index, team, skill, f"acquihire-{event.company}", newcomer=True)]
    )
    if event.executive:
        model.world.add_executive(
            lab,
            event.executive,
            event.executive_role,
            [team],
            insider=False,
            friction=0.3,
            unvested_musd=event.executive_unvested_musd,
            pay_musd=event.executive_pay_musd,
        )


def stay_terms(model: OrgModel, slots) -> dict[str, np.ndarray]:
    """1 while an acqui-hired newcomer is still settling in (priced by M3), else 0."""
    newcomer = model.population.newcomer_until[slots] > model.week
    return {"newcomer": newcomer.astype(float) if model.params.acquisitions.enabled else np.zeros(len(newcomer))}


MECHANISM = Mechanism(
    number=15,
    block="acquisitions",
    params=AcquisitionParams,
    handlers={"acquihire": Handler(acquihire, ORGANIZATION)},
    stay_terms=StayTerms(stay_terms),
)
