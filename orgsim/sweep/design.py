"""Parameter designs: full grid, Latin hypercube (scipy) and Sobol (SALib).

A design is a DataFrame with one row per design point and one column per
parameter path (``labs.meta.hiring.counter_match``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import qmc

from orgsim.extras import require
from orgsim.sweep.spec import Design


def points(design: Design, seed: int) -> pd.DataFrame:
    names = list(design.parameters)
    if design.kind == "none":
        return pd.DataFrame()
    if design.kind == "grid":
        rows = list(itertools.product(*(design.parameters[n] for n in names)))
        return pd.DataFrame(rows, columns=names)
    lows = np.array([design.parameters[n].low for n in names])
    highs = np.array([design.parameters[n].high for n in names])
    if design.kind == "lhs":
        return pd.DataFrame(qmc.scale(unit("lhs", len(names), design.samples, seed), lows, highs), columns=names)
    sobol = require("SALib.sample.sobol", "a Sobol design (SALib)")

    return pd.DataFrame(
        sobol.sample(problem(design), design.samples, calc_second_order=False, seed=seed), columns=names
    )


def unit(sampler: str, dimensions: int, samples: int, seed) -> np.ndarray:
    """``samples`` points on the unit cube: a Latin hypercube, or a scrambled Sobol sequence (scipy)."""
    rng = np.random.default_rng(seed)
    if sampler == "lhs":
        return qmc.LatinHypercube(d=dimensions, seed=rng).random(samples)
    return qmc.Sobol(d=dimensions, scramble=True, seed=rng).random(samples)


def problem(design: Design) -> dict:
    """SALib's problem definition of a range design: the same for sampling and for the analysis."""
    names = list(design.parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[design.parameters[n].low, design.parameters[n].high] for n in names],
    }


def overrides(point: pd.Series) -> list[str]:
    """``--set``-style overrides for one design point."""
    return [f"{name}={_yaml(value)}" for name, value in point.items()]


def _yaml(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)
