"""The capability race (M9): who leads in public, by how much, and how often the lead changes hands.

Everything is read from the weekly ``standing`` (the public index a lab's
releases have reached) and ``capability`` (its internal level) in a tidy
metrics frame (``run_id, week, date, lab, metric, value``, plus
``scenario`` in a results store). Statistics are computed per run first;
:func:`race_summary` then gives the mean and 95% interval over runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgsim.analysis.summaries import mean_ci

#: the rank whose distance to the leader measures the spread of the field ("the leader's margin over the third lab")
MARGIN_RANK = 3


def _runs(metrics: pd.DataFrame) -> pd.DataFrame:
    """A single run's frame (no ``scenario`` column) is treated as one scenario called ``run``."""
    return metrics if "scenario" in metrics else metrics.assign(scenario="run")


def standings(metrics: pd.DataFrame, metric: str = "standing") -> pd.DataFrame:
    """One row per scenario, run and week, one column per lab."""
    part = _runs(metrics)
    part = part[part["metric"] == metric]
    wide = part.pivot_table(index=["scenario", "run_id", "week"], columns="lab", values="value", observed=True)
    wide.columns = wide.columns.astype(str)
    return wide.sort_index()


def leaders(metrics: pd.DataFrame) -> pd.Series:
    """The publicly leading lab each week (highest standing; ties go to the lab listed first)."""
    return standings(metrics).idxmax(axis=1).rename("leader")


def lead_changes(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per run: the number of weeks in which the public lead changed hands, and that per year simulated."""
    lead = leaders(metrics)
    rows = []
    for (scenario, run_id), series in lead.groupby(level=["scenario", "run_id"], observed=True):
        changes = int((series.to_numpy()[1:] != series.to_numpy()[:-1]).sum())
        weeks = len(series)
        rows.append(
            {
                "scenario": scenario,
                "run_id": run_id,
                "lead_changes": changes,
                "weeks": weeks,
                "changes_per_year": changes * 52.0 / max(weeks - 1, 1),
                "labs_that_led": series.nunique(),
            }
        )
    return pd.DataFrame(rows)


def margins(metrics: pd.DataFrame, rank: int = MARGIN_RANK) -> pd.DataFrame:
    """Per run and week: the leader's standing minus that of the lab ranked ``rank`` (index points)."""
    wide = standings(metrics)
    ordered = -np.sort(-wide.to_numpy(), axis=1)
    return pd.DataFrame({"margin": ordered[:, 0] - ordered[:, rank - 1]}, index=wide.index).reset_index()


def margin_trend(metrics: pd.DataFrame, rank: int = MARGIN_RANK) -> pd.DataFrame:
    """Per run: the mean margin over the first and the last 52 weeks, and their ratio (about 1 = no runaway)."""
    frame = margins(metrics, rank)
    rows = []
    for (scenario, run_id), run in frame.groupby(["scenario", "run_id"], observed=True):
        margin = run.sort_values("week")["margin"].to_numpy()
        first, last = margin[:52].mean(), margin[-52:].mean()
        rows.append(
            {
                "scenario": scenario,
                "run_id": run_id,
                "margin_first_year": first,
                "margin_last_year": last,
                "margin_ratio": last / first if first > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def release_marks(metrics: pd.DataFrame) -> pd.DataFrame:
    """The weeks a lab's public standing stepped up (a release that beat its earlier best), with the new level."""
    part = _runs(metrics)
    part = part[part["metric"] == "standing"].sort_values("week")
    step = part.groupby(["scenario", "run_id", "lab"], observed=True)["value"].diff()
    return part.loc[step > 0, ["scenario", "run_id", "lab", "week", "date", "value"]].rename(
        columns={"value": "standing"}
    )


def race_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, mean [95% CI] over runs: lead changes per year, labs that led, the margin in the first and
    last year and their ratio."""
    per_run = lead_changes(metrics).merge(margin_trend(metrics), on=["scenario", "run_id"])
    columns = ["changes_per_year", "labs_that_led", "margin_first_year", "margin_last_year", "margin_ratio"]
    tidy = per_run.melt(id_vars=["scenario", "run_id"], value_vars=columns, var_name="quantity")
    return mean_ci(tidy.dropna(subset=["value"]), ["quantity", "scenario"])
