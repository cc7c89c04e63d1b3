"""Weekly morale: relaxes toward a lab-level target set by stability, vision, trust and momentum.

Shocks (reorgs, layoffs, release outcomes, slips) move morale at once in
their mechanisms; this step lets it drift back, so shocks fade unless they
repeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim.sim import derived

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


def target(model: OrgModel) -> np.ndarray:
    p = model.spec.morale
    stability, vision, trust, momentum = derived.lab_arrays(model, "stability", "vision", "trust", "momentum")
    target = (
        p.base
        + p.weight_stability * stability
        + p.weight_vision * vision
        + p.weight_trust * trust
        + p.weight_momentum * momentum
    )
    return np.clip(target, 0.0, 1.0)


def step(model: OrgModel) -> None:
    pop = model.population
    goal = target(model)[pop.lab.astype(np.int64)]
    pop.morale += model.spec.morale.rate * (goal - pop.morale)
    np.clip(pop.morale, 0.0, 1.0, out=pop.morale)
