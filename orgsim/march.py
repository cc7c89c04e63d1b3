"""Validation mode: March's (1991) exploration/exploitation model.

March, J. G. (1991). Exploration and Exploitation in Organizational
Learning. Organization Science 2(1):71–87.  Driven by the very functions of
:mod:`orgsim.mechanisms.learning` that the organization model uses, so a
faithful reproduction here vouches for M10 there.

Setup: m = 30 dimensions of reality (±1 with p = 0.5), n = 50 individuals
with beliefs uniform on {-1, 0, 1}, a code of all zeros.  Each period: (1)
individuals act (a 0 belief acts as a coin flip) and are scored, (2)
socialization, (3) the code learns from the actions of the superior group,
then turnover (p3) and turbulence (p4).  Socialization and code learning
both start from the beliefs and code of the start of the period (March's
simultaneous updating): the code learns from what the members did in step
(1), not from what socialization just taught them.  This is March's
original program as Christensen (2015) reconstructs it, and it reproduces
his Figure 1: equilibrium knowledge is highest at the slowest
socialization (p1 = 0.1) for every p2.

The R runs of a cell are R groups of one batch, so a cell costs one numpy
pass per period whatever R.  Without p3 and p4 a run stops at equilibrium;
finished runs are dropped from the batch and the rest keep stepping, up to
``max_periods``.  Confidence intervals are Student-t 95% intervals of the
mean over runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.table import Table

from orgsim.intervals import mean_interval
from orgsim.mechanisms.learning import (
    act,
    at_equilibrium,
    knowledge,
    learn_code,
    random_beliefs,
    random_reality,
    socialize,
    turbulence,
    turnover,
)

__all__ = [
    "M",
    "N",
    "MAX_PERIODS",
    "DEFAULT_PERIODS",
    "TABLE_COLUMNS",
    "PATH_COLUMNS",
    "CellResult",
    "cell_seed",
    "simulate_cell",
    "simulate_grid",
    "table_frame",
    "paths_frame",
    "march_table",
    "march_paths",
    "render_table",
    "render_paths",
]

M = 30  #: dimensions of reality
N = 50  #: individuals per organization
MAX_PERIODS = 2000  #: safety cap for runs that should reach equilibrium
DEFAULT_PERIODS = 100  #: horizon of a run with turnover or turbulence

TABLE_COLUMNS = ["p1", "p2", "p3", "p4", "runs", "mean", "ci_low", "ci_high"]
PATH_COLUMNS = ["p1", "p2", "p3", "p4", "period", "mean", "ci_low", "ci_high"]


@dataclass(frozen=True)
class CellResult:
    """One cell of the design: its parameters and every run's outcome.

    ``knowledge`` holds each run's equilibrium knowledge (or its knowledge
    at the end of the horizon); ``paths`` (runs, periods) the knowledge
    after every period when the cell ran a fixed horizon, else None;
    ``periods`` how many periods each run took; ``capped`` how many runs hit
    ``max_periods`` before reaching equilibrium.
    """

    p1: float
    p2: float
    p3: float
    p4: float
    knowledge: np.ndarray
    paths: np.ndarray | None
    periods: np.ndarray
    capped: int

    @property
    def runs(self) -> int:
        return self.knowledge.size


def cell_seed(seed: int, p1: float, p2: float, p3: float, p4: float) -> np.random.SeedSequence:
    """The cell's own seed from the base seed and the exact bits of its parameters.

    So a cell's result depends on (seed, cell) only, not on which other
    cells run or in which order.
    """
    bits = np.array([p1, p2, p3, p4], dtype=np.float64).view(np.uint64)
    return np.random.SeedSequence([int(seed), *(int(b) for b in bits)])


def _period(beliefs, code, group, reality, p1, p2, rng):
    """Steps (1)–(3) of a period from one start-of-period state."""
    actions = act(beliefs, rng)
    new_beliefs = socialize(beliefs, code, group, p1, rng)
    new_code = learn_code(code, actions, group, reality, p2, rng)
    return new_beliefs, new_code


def simulate_cell(
    p1: float,
    p2: float,
    p3: float = 0.0,
    p4: float = 0.0,
    runs: int = 80,
    periods: int | None = None,
    seed: int = 0,
    *,
    max_periods: int = MAX_PERIODS,
) -> CellResult:
    """Run ``runs`` independent organizations of one cell at once.

    With ``periods=None`` and p3 = p4 = 0 every run goes to equilibrium (or
    ``max_periods``); otherwise each run lasts ``periods`` periods (default
    :data:`DEFAULT_PERIODS`) and its knowledge path is kept.  The random
    stream is :func:`cell_seed` of ``seed`` and the cell.
    """
    for name, p in (("p1", p1), ("p2", p2), ("p3", p3), ("p4", p4)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
    if runs < 1 or (periods is not None and periods < 1):
        raise ValueError(f"runs and periods must be at least 1, got runs={runs}, periods={periods}")
    rng = np.random.default_rng(cell_seed(seed, p1, p2, p3, p4))
    reality = random_reality(runs, M, rng)
    beliefs = random_beliefs(runs * N, M, rng)
    code = np.zeros((runs, M), dtype=np.int8)
    group = np.repeat(np.arange(runs), N)
    if periods is None and p3 == 0 and p4 == 0:
        return _to_equilibrium(p1, p2, beliefs, code, group, reality, rng, max_periods)
    horizon = DEFAULT_PERIODS if periods is None else periods
    paths = np.empty((runs, horizon))
    for t in range(horizon):
        beliefs, code = _period(beliefs, code, group, reality, p1, p2, rng)
        if p3 > 0:
            beliefs = turnover(beliefs, p3, rng)
        if p4 > 0:
            reality = turbulence(reality, p4, rng)
        paths[:, t] = knowledge(code, reality)
    return CellResult(p1, p2, p3, p4, paths[:, -1].copy(), paths, np.full(runs, horizon), 0)


def _to_equilibrium(p1, p2, beliefs, code, group, reality, rng, max_periods) -> CellResult:
    """Step until each run is at equilibrium, dropping finished runs from the batch."""
    runs, m = code.shape
    final = np.empty(runs)
    took = np.full(runs, max_periods)
    active = np.arange(runs)
    for t in range(1, max_periods + 1):
        beliefs, code = _period(beliefs, code, group, reality, p1, p2, rng)
        done = at_equilibrium(beliefs, code, group, reality)
        if done.any():
            final[active[done]] = knowledge(code[done], reality[done])
            took[active[done]] = t
            keep = ~done
            active, code, reality = active[keep], code[keep], reality[keep]
            beliefs = beliefs.reshape(keep.size, N, m)[keep].reshape(-1, m)
            group = np.repeat(np.arange(active.size), N)
        if active.size == 0:
            break
    final[active] = knowledge(code, reality)
    return CellResult(p1, p2, 0.0, 0.0, final, None, took, int(active.size))


def simulate_grid(p1s, p2s, p3s=(0.0,), p4s=(0.0,), runs=80, periods=None, seed=0) -> list[CellResult]:
    """Every cell of p3 × p4 × p1 × p2, each from its own :func:`cell_seed`."""
    return [
        simulate_cell(p1, p2, p3, p4, runs=runs, periods=periods, seed=seed)
        for p3, p4, p1, p2 in itertools.product(p3s, p4s, p1s, p2s)
    ]


def table_frame(results: list[CellResult]) -> pd.DataFrame:
    """One row per cell: mean final/equilibrium knowledge and its 95% t interval.

    ``attrs["capped"]`` lists, per row, the runs that hit the period cap.
    """
    rows = []
    for r in results:
        mean, lo, hi = mean_interval(r.knowledge)
        rows.append((r.p1, r.p2, r.p3, r.p4, r.runs, float(mean), float(lo), float(hi)))
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    df.attrs["capped"] = [r.capped for r in results]
    return df


def paths_frame(results: list[CellResult]) -> pd.DataFrame:
    """Tidy knowledge paths (period 1…T) of the cells that ran a fixed horizon."""
    frames = []
    for r in results:
        if r.paths is None:
            continue
        mean, lo, hi = mean_interval(r.paths)
        frames.append(
            pd.DataFrame(
                {
                    "p1": r.p1,
                    "p2": r.p2,
                    "p3": r.p3,
                    "p4": r.p4,
                    "period": np.arange(1, mean.size + 1),
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PATH_COLUMNS)


def march_table(p1s, p2s, p3s=(0.0,), p4s=(0.0,), runs=80, periods=None, seed=0) -> pd.DataFrame:
    """March's p1 × p2 table (per p3, p4): columns p1, p2, p3, p4, runs, mean, ci_low, ci_high.

    Cells with p3 = p4 = 0 report equilibrium knowledge unless ``periods``
    is given; the others report knowledge after ``periods`` (default 100).
    To get table and paths from one simulation, use :func:`simulate_grid`
    with :func:`table_frame` and :func:`paths_frame`.
    """
    return table_frame(simulate_grid(p1s, p2s, p3s, p4s, runs, periods, seed))


def march_paths(p1s, p2s, p3s=(0.0,), p4s=(0.0,), runs=80, periods=None, seed=0) -> pd.DataFrame:
    """Knowledge time paths: columns p1, p2, p3, p4, period, mean, ci_low, ci_high."""
    return paths_frame(simulate_grid(p1s, p2s, p3s, p4s, runs, periods, seed))


def _fmt(mean: float, lo: float, hi: float) -> str:
    return f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"


def render_table(df: pd.DataFrame) -> Table:
    """A p1 × p2 grid of "mean [lo, hi]", one section per (p3, p4) combination."""
    p2s = sorted(df["p2"].unique())
    combos = list(df[["p3", "p4"]].drop_duplicates().itertuples(index=False))
    several = len(combos) > 1
    runs = ", ".join(str(r) for r in sorted(df["runs"].unique()))
    title = "March (1991): code knowledge, mean [95% CI]"
    if not several:
        title += f" (p3={combos[0].p3:g}, p4={combos[0].p4:g})"
    caption = f"{runs} runs per cell; Student-t intervals"
    capped = sum(df.attrs.get("capped", []))
    if capped:
        caption += f"; {capped} runs stopped at the {MAX_PERIODS}-period cap, not at equilibrium"
    table = Table(title=title, caption=caption)
    if several:
        table.add_column("p3", justify="right")
        table.add_column("p4", justify="right")
    table.add_column("p1 \\ p2", justify="right")
    for p2 in p2s:
        table.add_column(f"{p2:g}", justify="center")
    for i, (p3, p4) in enumerate(combos):
        block = df[(df["p3"] == p3) & (df["p4"] == p4)]
        p1s = sorted(block["p1"].unique())
        for j, p1 in enumerate(p1s):
            cells = []
            for p2 in p2s:
                row = block[(block["p1"] == p1) & (block["p2"] == p2)]
                cells.append(_fmt(*row[["mean", "ci_low", "ci_high"]].iloc[0]) if len(row) else "")
            lead = [f"{p3:g}", f"{p4:g}"] if several else []
            table.add_row(*lead, f"{p1:g}", *cells, end_section=j == len(p1s) - 1 and i < len(combos) - 1)
    return table


def render_paths(paths: pd.DataFrame, every: int = 10) -> Table:
    """Knowledge paths, one row per cell, every ``every``-th period (and the last): "mean ±half-width"."""
    last = int(paths["period"].max()) if len(paths) else 0
    shown = sorted({p for p in range(every, last + 1, every)} | ({last} if last else set()))
    table = Table(title="March (1991): code knowledge over time, mean ±95% CI")
    for name in ("p1", "p2", "p3", "p4"):
        table.add_column(name, justify="right")
    for t in shown:
        table.add_column(f"t={t}", justify="center")
    for key, cell in paths.groupby(["p1", "p2", "p3", "p4"], sort=False):
        at = cell.set_index("period")
        values = [f"{at.at[t, 'mean']:.3f} ±{(at.at[t, 'ci_high'] - at.at[t, 'ci_low']) / 2:.3f}" for t in shown]
        table.add_row(*(f"{k:g}" for k in key), *values)
    return table
