"""M5 golden handcuffs: vesting schedules, refresh grants and the value of unvested equity.

The hazard terms (unvested years of pay, the spike just after a vest) are
read in M3 from :func:`orgsim.derived.vested_share`; here grants that have
fully vested are refreshed, so handcuffs persist as they do with yearly
refreshers, and share-price moves change the unvested value automatically
because it is priced at today's share price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import derived, schema
from orgsim.plugins import TERMS, Handler, HazardTerms, Mechanism

if TYPE_CHECKING:
    from orgsim.model import OrgModel
    from orgsim.schema import RefreshChange


def step(model: OrgModel) -> None:
    if not model.params.vesting.enabled or len(model.population) == 0:
        return
    from orgsim.transitions import new_grant

    vested, _ = derived.vested_share(model)
    done = np.flatnonzero(vested >= 1.0)
    if len(done):
        new_grant(model, done, model.population.lab[done].astype(np.int64))


def refresh_change(model: OrgModel, event: RefreshChange) -> None:
    """Timeline handler: a lab resizes its annual refresh grants (Meta's Feb 2026 cut of ~5%, more for top performers).

    Annual equity pay changes now; the next refresh grant (and so the
    handcuffs and the pay gap to the market) follows from it.
    """
    if not model.params.vesting.enabled:
        return
    pop = model.population
    members = np.flatnonzero(pop.lab == model.lab_by_key[event.lab].index)
    if len(members) == 0:
        return
    k = int(round(event.top_share * len(members)))
    top = members[np.argsort(-pop.skill[members], kind="stable")[:k]]
    factor = np.full(len(pop), 1.0 + event.change)
    factor[top] = 1.0 + event.top_change
    pop.equity_k[members] *= factor[members]



def hazard_values(model: OrgModel, slots) -> dict[str, np.ndarray]:
    """Golden handcuffs: the money forfeited by leaving, and the spike just after a vesting date."""
    p = model.params.vesting
    if not p.enabled:
        zeros = np.zeros(len(model.population.lab[slots]))
        return {"forfeit": zeros, "post_vest": zeros}
    _, since_vest = derived.vested_share(model, slots)
    return {"forfeit": derived.forfeit_term(model, slots),
            "post_vest": ((since_vest >= 0) & (since_vest < p.post_vest_weeks)).astype(float)}


MECHANISM = Mechanism(number=5, block="vesting", params=schema.VestingParams, stage=2.1, step=step,
                      handlers={"refresh_change": Handler(refresh_change, TERMS)},
                      hazard_terms=HazardTerms(hazard_values, betas={"forfeit": "beta_forfeit", "post_vest": "beta_post_vest"}))
