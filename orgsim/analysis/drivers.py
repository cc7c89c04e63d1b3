"""What a release changes at the focal lab: the levels that feed its researchers' quit hazard, before and after.

A release outcome reaches the people who stay or leave through a few
recorded levels: morale (M9's release effect, then the quit hazard's
morale term), prestige (M12, which the destination choice and offers weigh),
the share price (M11, which sets the value of unvested equity, the golden
handcuffs) and trust. :func:`release_shifts` measures each one's change from
the week before the release to some weeks after it, per run, then averages
over replications, so the report can say *why* retention differs between
outcomes with the same intervals as *how much*.
"""

from __future__ import annotations

import pandas as pd

from orgsim.analysis.summaries import mean_ci

#: the levels a release moves, as the report names them
DRIVERS = {
    "morale": "morale (0-1)",
    "prestige": "prestige (0-1)",
    "share_price": "share price ($)",
    "trust": "trust (0-1)",
}


def release_shifts(metrics: pd.DataFrame, runs: pd.DataFrame, lab: str, weeks: int = 13) -> pd.DataFrame:
    """Per scenario and driver: mean [95% CI] over runs of the lab's level ``weeks`` after the release minus the
    week before it (runs without a release, or whose window runs past the horizon, are left out)."""
    release = runs.dropna(subset=["release_week"]).set_index("run_id")["release_week"].astype(int)
    levels = metrics[
        (metrics["lab"] == lab) & metrics["metric"].isin(list(DRIVERS)) & metrics["run_id"].isin(release.index)
    ]
    levels = levels.assign(start=levels["run_id"].map(release).astype(int))
    before = levels[levels["week"] == levels["start"] - 1].set_index(["run_id", "metric"])["value"]
    after = levels[levels["week"] == levels["start"] + weeks].set_index(["run_id", "metric"])["value"]
    change = (after - before).dropna().rename("value").reset_index()
    if change.empty:
        return pd.DataFrame(columns=["metric", "scenario", "mean", "ci_low", "ci_high", "n"])
    change["scenario"] = change["run_id"].map(runs.set_index("run_id")["scenario"]).astype(str)
    return mean_ci(change, ["metric", "scenario"])
