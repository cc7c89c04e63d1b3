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
    p = model.params.entry
    if not p.enabled:
        return
    sizes = np.bincount(model.population.team.astype(np.int64), minlength=len(model.team_names))
    targets = model.team_targets()
    for lab in model.labs:
        if lab.hiring_frozen:
            continue
        for team in lab.team_ids:
            vacancies = targets[team] - sizes[team]
            if vacancies < 0.5:
                continue
            k = int(model.stream("entry").binomial(int(round(vacancies)), lab.spec.hiring.backfill_share))
            if k:
                skill = model.world.draw_skill(k, model.team_skill_shift[team] + model.config.population.entrant_skill_shift)
                transitions.hire(model, lab.index, team, skill, f"hire-{model.year}")


MECHANISM = Mechanism(number=14, block="entry", params=schema.EntryParams, stage=8.1, step=step)
