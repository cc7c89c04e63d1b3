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

from orgsim.schema import Switchable
from orgsim.sim import morale, transitions
from orgsim.sim.plugins import Mechanism

if TYPE_CHECKING:
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class EntryParams(Switchable):
    """M14 entry and exit (arrivals start at their lab's morale target)."""


def step(model: OrgModel) -> None:
    """Each lab backfills its teams (:func:`backfill`) from the sizes at the stage's start."""
    if not model.params.entry.enabled:
        return
    sizes = np.bincount(model.population.team.astype(np.int64), minlength=len(model.team_names))
    batches = model.lab_agents.map(backfill, sizes, model.team_targets(), morale.target(model))
    transitions.hire(model, [arrival for batch in batches for arrival in batch])


def backfill(
    lab: Lab, sizes: np.ndarray, targets: np.ndarray, goal: np.ndarray | None = None
) -> list[dict[str, np.ndarray]]:
    """Unless frozen, a lab fills a binomial share of each team's vacancies (target minus size) from outside
    (``goal``: the labs' morale targets, which no backfill moves, if already known).

    Returns the arrivals (:func:`~orgsim.sim.transitions.arrivals`), for the week's hires in one batch.
    """
    if lab.hiring_frozen:
        return []
    model, batch = lab.model, []
    for team in lab.team_ids:
        vacancies = targets[team] - sizes[team]
        if vacancies < 0.5:
            continue
        k = int(model.stream("entry").binomial(int(round(vacancies)), lab.spec.hiring.backfill_share))
        if k:
            shift = model.team_skill_shift[team] + model.spec.population.entrant_skill_shift
            batch.append(
                transitions.arrivals(
                    model, lab.index, team, model.world.draw_skill(k, shift), f"hire-{model.year}", goal=goal
                )
            )
    return batch


MECHANISM = Mechanism(number=14, block="entry", params=EntryParams, stage=8.1, step=step)
