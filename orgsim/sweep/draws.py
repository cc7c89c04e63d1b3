"""Parameter draws: each replication runs with one parameter vector from a table.

The table is typically the calibration's accepted set (``orgsim calibrate``
writes it beside the calibrated config), so a sweep's spread over
replications is seed noise plus the parameter uncertainty the fit left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.config import ConfigError

#: bookkeeping columns of the calibration's accepted set, not parameters
ID_COLUMN, IGNORED = "trial", ("trial", "loss")
#: mixed into the experiment seed so the draws are a stream apart from the run seeds
DRAW_STREAM = 0x0D7A


@dataclass(frozen=True)
class Draw:
    id: int
    values: dict
    pool: int  # how many vectors the table had

    def overrides(self) -> list[str]:
        return [f"{name}={value!r}" for name, value in self.values.items()]


def read_table(path: Path, source: Path, field: str = "parameter_draws.file") -> pd.DataFrame:
    """The parameter vectors of ``path``: one row each, numeric, no gaps; errors name the spec's ``field``."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(source, field, f"{path.name}: unreadable CSV ({exc})") from None
    parameters = [c for c in table.columns if c not in IGNORED]
    if table.empty or not parameters:
        raise ConfigError(source, field, f"{path.name}: no parameter vectors")
    bad = [c for c in parameters if not pd.api.types.is_numeric_dtype(table[c]) or table[c].isna().any()]
    if bad:
        raise ConfigError(source, field, f"{path.name}: column {bad[0]!r} has empty or non-numeric cells")
    return table


def draw(table: pd.DataFrame, seed: int, replications: int) -> list[Draw]:
    """One row per replication, without replacement while the table has enough rows."""
    rng = np.random.default_rng([seed, DRAW_STREAM])
    return pick(table, rng.choice(len(table), size=replications, replace=replications > len(table)))


def pick(table: pd.DataFrame, rows) -> list[Draw]:
    """The vectors at row positions ``rows`` of ``table``."""
    parameters = [c for c in table.columns if c not in IGNORED]
    ids = table[ID_COLUMN] if ID_COLUMN in table.columns else pd.Series(range(len(table)))
    return [Draw(int(ids.iloc[r]), {c: table[c].iloc[r].item() for c in parameters}, len(table)) for r in rows]
