"""M14 entry and exit: backfill hiring from the outside pool.

Each week a lab fills a share of each team's vacancies (target headcount,
growing at the lab's configured rate, minus current headcount) with new
entrants: graduates and people from other firms, a little less senior than
incumbents, with beliefs of their own. Exits to start-ups and academia are
the outside option of M3's destination choice. A hiring freeze stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import schema, transitions
from orgsim.plugins import Mechanism

if TYPE_CHECKING:
    from orgsim.model import OrgModel


def step(model: OrgModel) -> None:
    """Each lab backfills its teams (:meth:`Lab.backfill <orgsim.lab.Lab.backfill>`) from the sizes at the stage's start."""
    if not model.params.entry.enabled:
        return
    sizes = np.bincount(model.population.team.astype(np.int64), minlength=len(model.team_names))
    batches = model.lab_agents.map("backfill", sizes, model.team_targets())
    transitions.hire(model, [arrival for batch in batches for arrival in batch])


MECHANISM = Mechanism(number=14, block="entry", params=schema.EntryParams, stage=8.1, step=step)
