"""Exploratory designs: states of the world crossed with policies.

A *world* is one draw of what Meta does not control: a fitted parameter
vector from the calibration's accepted set plus values for the unfitted
mechanism strengths. A *policy* is one setting of the levers. Scenario
discovery reads the crossed runs; the optimizer evaluates each candidate
policy over a fixed set of worlds, so both sample worlds the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from orgsim.config import ConfigError
from orgsim.sweep import design as designs
from orgsim.sweep import draws
from orgsim.sweep.draws import Draw
from orgsim.sweep.spec import Exploration, Range, Uncertainties

#: mixed into the experiment seed: worlds, policies and fresh worlds (re-evaluation) are streams apart
WORLDS, POLICIES, FRESH = 0x3011, 0x9011, 0xF2E5
DRAWS_FIELD = "explore.uncertainties.draws.file"


def _scaled(ranges: dict[str, Range], unit: np.ndarray) -> pd.DataFrame:
    lows = np.array([r.low for r in ranges.values()])
    highs = np.array([r.high for r in ranges.values()])
    return pd.DataFrame(qmc.scale(unit, lows, highs) if ranges else np.empty((len(unit), 0)), columns=list(ranges))


def worlds(
    uncertainties: Uncertainties, table: pd.DataFrame | None, sampler: str, n: int, seed
) -> tuple[pd.DataFrame, list[Draw] | None]:
    """``n`` worlds: the unfitted strengths' values, and each world's fitted vector (None without draws)."""
    dims = len(uncertainties.parameters) + (table is not None)
    unit = designs.unit(sampler, max(dims, 1), n, seed)
    values = _scaled(uncertainties.parameters, unit[:, : len(uncertainties.parameters)])
    if table is None:
        return values, None
    rows = np.minimum((unit[:, -1] * len(table)).astype(int), len(table) - 1)
    return values, draws.pick(table, rows)


def policies(levers: dict[str, Range], sampler: str, n: int, seed) -> pd.DataFrame:
    return _scaled(levers, designs.unit(sampler, max(len(levers), 1), n, seed)[:, : len(levers)])


def draws_table(explore: Exploration, base: Path, source: Path) -> pd.DataFrame | None:
    """The accepted set the worlds draw from; a range or lever may not also be drawn."""
    if explore.uncertainties.draws is None:
        return None
    table = draws.read_table(base / explore.uncertainties.draws.file, source, DRAWS_FIELD)
    clash = (set(explore.uncertainties.parameters) | set(explore.levers)) & set(table.columns)
    if clash:
        raise ConfigError(source, DRAWS_FIELD, f"{sorted(clash)[0]} is both drawn and given a range")
    return table


def crossed(explore: Exploration, base: Path, source: Path, seed: int) -> tuple[pd.DataFrame, list[Draw] | None]:
    """Every world under every policy, world-major: one row per design point, and each point's drawn vector."""
    table = draws_table(explore, base, source)
    world, drawn = worlds(explore.uncertainties, table, explore.sampler, explore.worlds, [seed, WORLDS])
    policy = policies(explore.levers, explore.sampler, explore.policies, [seed, POLICIES])
    w = np.repeat(np.arange(explore.worlds), explore.policies)
    p = np.tile(np.arange(explore.policies), explore.worlds)
    points = pd.concat([world.iloc[w].reset_index(drop=True), policy.iloc[p].reset_index(drop=True)], axis=1)
    per_point = [d for d in drawn for _ in range(explore.policies)] if drawn else None
    return points, per_point
