"""Where researchers go: the lab-to-lab flow matrix, with the outside pool as source and sink."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgsim.analysis.retention import OUTSIDE, EventLog
from orgsim.analysis.summaries import mean_ci
from orgsim.sim.recording import EVENT_KINDS

#: the rows that move a researcher: hires come from outside, quits and layoffs go there
FLOW_KINDS = ("hire", "move", "quit", "layoff")


def flow_counts(events: pd.DataFrame | EventLog) -> pd.DataFrame:
    """Per run: researchers moved from each place to each other, zeros included.

    ``from_lab`` and ``to_lab`` are categoricals: the labs in the event log's
    order, then ``outside``. Diagonal cells (a lab to itself) are left out.
    """
    log = EventLog.of(events)
    rows = np.isin(log.kind, [EVENT_KINDS.index(k) for k in FLOW_KINDS])
    n_runs, n_places = len(log.runs), len(log.places)
    flat = (log.run[rows] * n_places + log.src[rows]) * n_places + log.dst[rows]
    counts = np.bincount(flat, minlength=n_runs * n_places * n_places)
    run, src, dst = np.unravel_index(np.arange(counts.size), (n_runs, n_places, n_places))
    off_diagonal = src != dst
    order = pd.CategoricalDtype([*log.places[1:], OUTSIDE])  # labs first, outside last
    places = np.array(log.places, dtype=object)
    return pd.DataFrame(
        {
            "run_id": pd.Categorical.from_codes(run[off_diagonal], log.runs),
            "scenario": pd.Categorical.from_codes(log.scenario_of_run[run[off_diagonal]], log.scenarios),
            "from_lab": pd.Series(places[src[off_diagonal]]).astype(order),
            "to_lab": pd.Series(places[dst[off_diagonal]]).astype(order),
            "value": counts[off_diagonal].astype(float),
        }
    )


def flow_matrix(events: pd.DataFrame | EventLog) -> pd.DataFrame:
    """Per scenario, from and to: mean researchers moved per run, with a 95% t-interval and n runs.

    A run with no such move counts as 0, so the mean is per run, not per
    run that had one.
    """
    return mean_ci(flow_counts(events), ["scenario", "from_lab", "to_lab"])


def mission_distance(flows: pd.DataFrame, profiles: dict[str, tuple[float, ...]]) -> pd.Series:
    """Per scenario: the mean distance between the mission profiles of the labs movers leave and join.

    ``flows`` is :func:`flow_counts` (or :func:`flow_matrix`) output, ``profiles``
    each lab's (safety, openness) profile. Lab-to-lab moves only. Mission
    sorting (M13) sends people to labs like the one they chose before, so it
    lowers this distance; switching M13 off shows by how much.
    """
    moves = flows[(flows["from_lab"] != OUTSIDE) & (flows["to_lab"] != OUTSIDE)]
    src = np.array([profiles[str(lab)] for lab in moves["from_lab"]])
    dst = np.array([profiles[str(lab)] for lab in moves["to_lab"]])
    distance = np.abs(src - dst).sum(axis=1)
    weights = moves["value" if "value" in moves else "mean"].to_numpy()
    frame = pd.DataFrame({"scenario": moves["scenario"].to_numpy(), "d": distance * weights, "w": weights})
    sums = frame.groupby("scenario", observed=True)[["d", "w"]].sum()
    return sums["d"] / sums["w"]
