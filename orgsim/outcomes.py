"""Headline outcomes computed from a run's metrics and events frames.

They read the stored tables, not a live model, so the same definitions serve
``orgsim run``, sweeps and reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from mesa.time import Priority

LEAVING = ("quit", "move", "layoff")


def _level(metrics: pd.DataFrame, lab: str, metric: str) -> pd.Series:
    rows = metrics[(metrics["lab"] == lab) & (metrics["metric"] == metric)]
    return rows.set_index("week")["value"]


def cohort_retention(
    metrics: pd.DataFrame, events: pd.DataFrame, lab: str, cohort: str, from_week: int, weeks: int
) -> float:
    """Share of ``cohort`` at ``lab`` when ``from_week`` starts still there ``weeks`` later.

    Nobody re-enters a cohort (a returning researcher gets a new one), so
    members at the start minus members' departures in the window is exact.
    NaN when the window runs past the recorded weeks or the cohort is empty.
    """
    tracked = _level(metrics, lab, "tracked_cohort")
    if from_week < 1 or from_week + weeks > tracked.index.max() + 1:
        return float("nan")
    at_start = tracked.get(from_week - 1, 0.0)
    if at_start <= 0:
        return float("nan")
    left = events[
        events["kind"].isin(LEAVING)
        & (events["from_lab"] == lab)
        & (events["cohort"] == cohort)
        & (events["week"] >= from_week)
        & (events["week"] < from_week + weeks)
    ]
    return float((at_start - len(left)) / at_start)


def capability_gap(metrics: pd.DataFrame, lab: str) -> float:
    """``lab``'s capability minus the frontier's (the best lab's) in the last recorded week: 0 at the frontier."""
    capability = metrics[metrics["metric"] == "capability"]
    last = capability[capability["week"] == capability["week"].max()]
    return float(last.loc[last["lab"] == lab, "value"].iloc[0] - last["value"].max())


def two_year_retention(events: pd.DataFrame, lab: str, week: int) -> float:
    """SignalFire's definition: of those who joined ``lab`` in the two years to ``week``, the share still there."""
    joined = events[
        events["kind"].isin(("hire", "move"))
        & (events["to_lab"] == lab)
        & (events["week"] > week - 104)
        & (events["week"] <= week)
    ]
    if joined.empty:
        return float("nan")
    left = events[events["kind"].isin(LEAVING) & (events["from_lab"] == lab) & (events["week"] <= week)]
    last_join = joined.groupby("researcher_id")["week"].max()
    last_leave = left.groupby("researcher_id")["week"].max().reindex(last_join.index)
    still = last_leave.isna() | (last_leave < last_join)
    return float(still.mean())


@dataclass(frozen=True)
class Outcome:
    """How a headline outcome is named for readers, its unit, and the values it can take.

    ``label`` is a template over the store's settings (``{focal}``,
    ``{cohort}``, ``{release}``, ``{window}``), so a report names what its
    runs measured; intervals are clipped to ``low``-``high`` and nowhere else.
    ``missing`` (the same template) says why a run can have no value.
    """

    label: str
    unit: str
    kind: str  # how its numbers print: pct, count, week or num
    low: float = -np.inf
    high: float = np.inf
    missing: str = "no value in any run"

    def name(self, focal: str, cohort: str, release: str, window: int) -> str:
        return self.label.format(focal=focal, cohort=cohort, release=release, window=window)

    def why_missing(self, focal: str, cohort: str, release: str, window: int) -> str:
        return self.missing.format(focal=focal, cohort=cohort, release=release, window=window)


#: why the outcomes measured after the release can be missing
NO_RELEASE = "no {release} release in the weeks simulated"
AFTER = "no {release} release, fewer than {window} weeks simulated after it, or no "


OUTCOMES: dict[str, Outcome] = {
    "cohort_retention": Outcome(
        "{cohort} cohort still at {focal} {window} weeks after the {release} release",
        "share of the cohort",
        "pct",
        0.0,
        1.0,
        AFTER + "{cohort} member at {focal} then",
    ),
    "top_talent_retention": Outcome(
        "{focal} top talent still there {window} weeks after the {release} release",
        "share of its top talent",
        "pct",
        0.0,
        1.0,
        AFTER + "top talent at {focal} then",
    ),
    "cohort_size_at_release": Outcome(
        "{cohort} cohort at {focal} the week before the release", "researchers", "count", 0.0, missing=NO_RELEASE
    ),
    "focal_top_talent_share_start": Outcome(
        "{focal}'s share of the world's top talent at the start", "share", "pct", 0.0, 1.0
    ),
    "focal_top_talent_share_end": Outcome(
        "{focal}'s share of the world's top talent at the end", "share", "pct", 0.0, 1.0
    ),
    "focal_headcount_start": Outcome("{focal} researchers at the start", "researchers", "count", 0.0),
    "focal_headcount_end": Outcome("{focal} researchers at the end", "researchers", "count", 0.0),
    "release_week": Outcome(
        "Week the {release} release lands", "weeks from the start", "week", 0.0, missing=NO_RELEASE
    ),
    # the focal lab's capability minus the best lab's: 0 at the frontier, negative behind it
    "capability_gap_end": Outcome(
        "{focal}'s capability gap to the frontier at the end", "index points", "num", high=0.0
    ),
}


@dataclass
class Headline:
    """The numbers a reader wants first from one run."""

    release_week: float
    release_outcome: str
    cohort_retention: float
    cohort_size_at_release: float
    focal_top_talent_share_start: float
    focal_top_talent_share_end: float
    focal_headcount_start: float
    focal_headcount_end: float
    top_talent_retention: float
    capability_gap_end: float

    def as_dict(self) -> dict:
        return asdict(self)


class TopTalentWatch:
    """Who of the focal lab's top talent at the release is still there ``weeks`` later.

    Measured live (the event log cannot tell which incumbents were top talent
    at a given week): the model starts the watch when the focal release lands
    and the check runs through Mesa's event list at release + ``weeks``.
    """

    def __init__(self, model, weeks: int):
        self.model, self.weeks = model, weeks
        self.watched: np.ndarray | None = None
        self.retention = float("nan")

    def start(self) -> None:
        pop, model = self.model.population, self.model
        at_focal = (pop.lab == model.focal.index) & (pop.skill >= model.star_threshold)
        self.watched = pop.uid[at_focal].copy()
        # first thing that week, before its dated news: exactly `weeks` weekly steps after the release
        model.schedule_week(model.week + self.weeks, self.measure, Priority.HIGH)

    def measure(self) -> None:
        pop = self.model.population
        still = np.isin(self.watched, pop.uid[pop.lab == self.model.focal.index])
        self.retention = float(still.mean()) if len(still) else float("nan")


def headline(
    metrics: pd.DataFrame,
    events: pd.DataFrame,
    releases: list[dict],
    focal: str,
    cohort: str,
    release: str,
    weeks: int,
    top_talent_retention: float = float("nan"),
) -> Headline:
    landed = [r for r in releases if r["lab"] == focal and r["model"] == release]
    week = landed[0]["week"] if landed else None
    share = _level(metrics, focal, "top_talent_share")
    headcount = _level(metrics, focal, "headcount")
    tracked = _level(metrics, focal, "tracked_cohort")
    return Headline(
        release_week=float(week) if week is not None else np.nan,
        release_outcome=landed[0]["outcome"] if landed else "none",
        cohort_retention=cohort_retention(metrics, events, focal, cohort, week, weeks) if week else np.nan,
        cohort_size_at_release=float(tracked.get(week - 1, np.nan)) if week else np.nan,
        focal_top_talent_share_start=float(share.iloc[0]),
        focal_top_talent_share_end=float(share.iloc[-1]),
        focal_headcount_start=float(headcount.iloc[0]),
        focal_headcount_end=float(headcount.iloc[-1]),
        top_talent_retention=top_talent_retention,
        capability_gap_end=capability_gap(metrics, focal),
    )
