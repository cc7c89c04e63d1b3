"""M5 golden handcuffs: what leaving forfeits, and when quits cluster.

A new hire (or a poached one, with the make-whole grant of M1) gets a grant
of ``vesting_years`` of equity pay that vests after a cliff and then every
interval; a refresh of one year's equity is granted on each anniversary
(:func:`orgsim.sim.derived.ladder`). The unvested value is priced at today's
share price, so share-price moves and refresh-grant changes change what
leaving forfeits (:func:`orgsim.sim.derived.forfeited`), which M3 weighs in money.
Each vest lowers it, and a decided leaver whose next vest is at most
``max_wait_weeks`` away waits for it (M3), so quits spike just after vests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import Switchable, param
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import RefreshChange
    from orgsim.sim.model import OrgModel


class VestingParams(Switchable):
    """M5 golden handcuffs: new-hire and make-whole grants on a schedule, refreshed yearly; forfeited by leaving."""

    max_wait_weeks: int = param(
        3,
        "weeks",
        "Stock & Wise (1990): leaving after the next vest beats leaving now when it is close; a decided "
        "leaver waits at most this long, which puts the post-vest rise within the 88-239% of M5's evidence",
        ge=0,
        le=52,
        label="Longest wait for a vest before leaving",
    )


def refresh_change(model: OrgModel, event: RefreshChange) -> None:
    """Timeline handler: a lab resizes its annual refresh grants (Meta's Feb 2026 cut of ~5%, more for top performers).

    Annual equity pay changes now, and with it the refresh ladder that leaving
    forfeits (the outstanding refreshes are resized with it: a simplification,
    since in fact only future refreshes change).
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


MECHANISM = Mechanism(
    number=5, block="vesting", params=VestingParams, handlers={"refresh_change": Handler(refresh_change, TERMS)}
)
