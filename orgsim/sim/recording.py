"""Weekly metrics (tidy) and the researcher event log.

Metrics go into one preallocated ``(weeks, labs, metrics)`` array; events are
appended as column batches, one batch per transition, never one row per
researcher per week. Both become DataFrames only when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orgsim.sim import plugins

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel

# Counted during the week by transitions and mechanisms.
FLOWS = (
    "hires",
    "quits",
    "layoffs",
    "moves_in",
    "moves_out",
    "offers",
    "accepts",
    "counters",
    "executive_exits",
    "pay_spent_musd",
)
# Read off the state at the end of the week.
LEVELS = (
    "headcount",
    "top_talent",
    "top_talent_share",
    "capability",
    "standing",
    "knowledge",
    "morale",
    "stability",
    "share_price",
    "prestige",
    "trust",
    "pressure",
    "tracked_cohort",
    "handcuffed",
)
#: the golden-handcuff line of the ``handcuffed`` metric: unvested equity of more than this many years of market pay
HANDCUFF_YEARS = 3.0
METRICS = FLOWS + LEVELS

EVENT_KINDS = (
    "hire",
    "offer",
    "accept",
    "decline",
    "counter",
    "quit",
    "layoff",
    "move",
    "exit",
    "enter",
    "executive_exit",
)
OUTSIDE = -1
#: event batches merged into one block at a time (:meth:`Recorder._append`)
COMPACT = 64
#: a merged block's rows that carry the hazard terms (the others' are NaN and not kept)
LOGGED = "logged"


class Recorder:
    """Collects the run's metrics and events."""

    def __init__(self, model: OrgModel, weeks: int):
        self.model = model
        self.covariates = (*plugins.covariates(), "hazard")  # the registered mechanisms' hazard terms
        self.flows = np.zeros((weeks, len(model.labs), len(FLOWS)))
        self.levels = np.zeros((weeks, len(model.labs), len(LEVELS)))
        self._flow_index = {name: i for i, name in enumerate(FLOWS)}
        self._batches: list[dict[str, np.ndarray]] = []
        self._merged = 0  # the batches before this one are merged blocks of COMPACT each

    def _grow(self, week: int) -> None:
        if week >= len(self.flows):
            extra = week + 1 - len(self.flows)
            self.flows = np.concatenate([self.flows, np.zeros((extra, *self.flows.shape[1:]))])
            self.levels = np.concatenate([self.levels, np.zeros((extra, *self.levels.shape[1:]))])

    def count(self, metric: str, labs: np.ndarray | int, amount: float | np.ndarray = 1.0) -> None:
        """Add to a weekly flow; ``labs`` may hold OUTSIDE (-1), which is not counted."""
        week = max(self.model.week, 0)
        self._grow(week)
        labs, amount = np.broadcast_arrays(np.atleast_1d(labs), np.atleast_1d(np.asarray(amount, dtype=float)))
        inside = labs >= 0
        np.add.at(self.flows[week, :, self._flow_index[metric]], labs[inside], amount[inside])

    def event(
        self,
        kind: str,
        slots: np.ndarray,
        from_lab,
        to_lab,
        covariates: dict[str, np.ndarray] | None = None,
        cohort_after: int | None = None,
    ) -> None:
        """Log one batch of researcher events (state read before the change; ``cohort_after`` if it changes it)."""
        slots = np.asarray(slots, dtype=np.int64)
        if len(slots) == 0:
            return
        model, pop = self.model, self.model.population
        n = len(slots)
        batch = {
            "week": np.full(n, model.week, dtype=np.int32),
            "researcher_id": pop.uid[slots].copy(),
            "kind": np.full(n, EVENT_KINDS.index(kind), dtype=np.int8),
            "from_lab": np.broadcast_to(np.asarray(from_lab, dtype=np.int16), (n,)).copy(),
            "to_lab": np.broadcast_to(np.asarray(to_lab, dtype=np.int16), (n,)).copy(),
            "team": pop.team[slots].copy(),
            "cohort": pop.cohort[slots].copy(),
            "cohort_after": pop.cohort[slots].copy() if cohort_after is None else np.full(n, cohort_after, np.int16),
            "skill": pop.skill[slots].copy(),
            "tenure_weeks": (model.week - pop.hire_week[slots]).astype(np.int32),
        }
        if covariates:  # a batch without them (hires, offers) keeps no columns of NaN: the frame writes them
            for name in self.covariates:
                batch[name] = np.asarray(covariates.get(name, np.full(n, np.nan)), dtype=np.float64)
        self._append(batch)

    def executive_exit(self, executive, team: int) -> None:
        week, lab = self.model.week, executive.lab.index
        self.count("executive_exits", lab)
        row: dict[str, np.ndarray] = {
            "week": np.array([week], np.int32),
            "researcher_id": np.array([executive.unique_id], np.int32),  # as the population's ids
            "kind": np.array([EVENT_KINDS.index("executive_exit")], np.int8),
            "from_lab": np.array([lab], np.int16),
            "to_lab": np.array([OUTSIDE], np.int16),
            "team": np.array([team], np.int16),
            "cohort": np.array([-1], np.int16),
            "cohort_after": np.array([-1], np.int16),
            "skill": np.array([np.nan]),
            "tenure_weeks": np.array([-1], np.int32),
        }
        self._append(row)

    def _append(self, batch: dict[str, np.ndarray]) -> None:
        """Keep a batch; every ``COMPACT`` new ones become one block (the same rows, in order), so a long run holds
        a few dozen arrays per column rather than one per transition. A block keeps the hazard terms of the rows
        that carry them only, and which rows those are (``LOGGED``)."""
        self._batches.append(batch)
        if len(self._batches) - self._merged >= COMPACT:
            tail = self._batches[self._merged :]
            block = {c: np.concatenate([b[c] for b in tail]) for c in tail[0] if c not in self.covariates}
            block[LOGGED] = np.concatenate([np.full(len(b["week"]), self.covariates[0] in b) for b in tail])
            for name in self.covariates:
                block[name] = np.concatenate([b[name] for b in tail if name in b] or [np.empty(0)])
            self._batches[self._merged :] = [block]
            self._merged += 1

    def _covariate(self, batch: dict[str, np.ndarray], name: str) -> np.ndarray:
        """One hazard term of a batch's rows, NaN where it carries none."""
        if LOGGED not in batch and name in batch:
            return batch[name]
        out = np.full(len(batch["week"]), np.nan)
        if LOGGED in batch:
            out[batch[LOGGED]] = batch[name]
        return out

    def collect(self, levels: dict[str, np.ndarray]) -> None:
        week = self.model.week
        self._grow(week)
        for i, name in enumerate(LEVELS):
            self.levels[week, :, i] = levels[name]

    def level(self, week: int, lab: int, name: str) -> float:
        return self.levels[week, lab, LEVELS.index(name)]

    # ------------------------------------------------------------ frames

    def _lab_names(self) -> pd.Categorical:
        return [lab.key for lab in self.model.labs]

    def metrics_frame(self, run_id: str) -> pd.DataFrame:
        """Tidy weekly metrics: run_id, week, date, lab, metric, value."""
        model = self.model
        weeks = model.week
        values = np.concatenate([self.flows[:weeks], self.levels[:weeks]], axis=2)
        labs, metrics = len(model.labs), len(METRICS)
        # the (week, lab, metric) of each value in C order, built in the columns' own small types
        week = np.repeat(np.arange(weeks, dtype=np.int32), labs * metrics)
        lab = np.tile(np.repeat(np.arange(labs, dtype=np.int16), metrics), weeks)
        metric = np.tile(np.arange(metrics, dtype=np.int16), weeks * labs)
        start = np.datetime64(model.spec.start, "D")
        return pd.DataFrame(
            {
                "run_id": pd.Categorical.from_codes(np.zeros(values.size, np.int8), categories=[run_id]),
                "week": week,
                "date": (start + 7 * week.astype("timedelta64[D]")).astype("datetime64[ms]"),
                "lab": pd.Categorical.from_codes(lab, categories=self._lab_names()),
                "metric": pd.Categorical.from_codes(metric, categories=list(METRICS)),
                "value": values.ravel(),
            }
        )

    def events_frame(self, run_id: str) -> pd.DataFrame:
        """One row per researcher event, in the order they happened."""
        model = self.model

        def data(column: str, dtype: type) -> np.ndarray:
            """One column of the log, joined from the batches only when the frame takes it: the whole log is
            never held twice over."""
            if not self._batches:
                return np.array([], dtype=dtype)
            if column in self.covariates:
                return np.concatenate([self._covariate(b, column) for b in self._batches]).astype(dtype, copy=False)
            return np.concatenate([b[column] for b in self._batches]).astype(dtype, copy=False)

        places = ["outside", *self._lab_names()]
        week = data("week", np.int32)
        frame = pd.DataFrame({"run_id": pd.Categorical.from_codes(np.zeros(len(week), np.int8), categories=[run_id])})
        frame["week"] = week
        frame["date"] = (
            np.datetime64(model.spec.start, "D") + 7 * frame["week"].to_numpy().astype("timedelta64[D]")
        ).astype("datetime64[ms]")
        frame["researcher_id"] = data("researcher_id", np.int64)
        frame["kind"] = pd.Categorical.from_codes(data("kind", np.int8), categories=list(EVENT_KINDS))
        for col in ("from_lab", "to_lab"):
            frame[col] = pd.Categorical.from_codes(data(col, np.int16) + 1, categories=places)
        frame["team"] = pd.Categorical.from_codes(data("team", np.int16), categories=model.team_names)
        for col in ("cohort", "cohort_after"):
            frame[col] = pd.Categorical.from_codes(data(col, np.int16), categories=list(model.cohorts))
        frame["skill"] = data("skill", np.float64)
        frame["tenure_weeks"] = data("tenure_weeks", np.int32)
        for name in self.covariates:
            frame[name] = data(name, np.float64)
        return frame
