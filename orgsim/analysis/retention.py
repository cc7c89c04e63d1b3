"""Who stays: Kaplan–Meier retention by cohort, competing risks, and SignalFire's two-year retention.

**Stays.** A stay (spell) is one researcher at one lab. It starts with the
``hire`` or ``move`` row that brings the researcher in and ends with the
next ``move``, ``quit`` or ``layoff`` row of the same researcher (the event
log has every transition, and a researcher who leaves for outside never
comes back under the same id). A stay still going on is censored at the
run's last week. Its duration is the week it ended minus the week it
started, so the survival S(t) read off it is the chance of still being at
the lab at the end of week ``start + t``. Its cohort is the arrival row's
``cohort_after``: the log records the cohort each event leaves the
researcher in, so nothing is inferred.

**Incumbents** (the initial staff) have no arrival row. Their stays are
counted from week 0: the number at each lab at the start comes from the
week-0 metrics (headcount minus the week's inflows plus its outflows), and
their departures are their first rows out of that lab. On this time scale
they are not left-truncated, but their curve is retention since the start
of the simulation, not since hire. Without stored metrics they are left out.

Survival and cumulative incidence are computed per run with a vectorized
Kaplan–Meier / Aalen–Johansen estimator on the weekly grid (checked
against lifelines in the tests), then averaged over replications. The log
is handled as integer arrays sorted by run, researcher and time, so a
store of a few hundred full-size runs takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.analysis.summaries import mean_ci
from orgsim.outcomes import LEAVING, two_year_retention
from orgsim.sim.recording import EVENT_KINDS

#: how a stay ends: the row kind that ends it, and the competing-risk name
CAUSES = {"move": "rival", "quit": "quit", "layoff": "layoff"}
CENSORED = "censored"
INCUMBENT = "incumbent"
OUTSIDE = "outside"
TRANSITIONS = ("hire", *LEAVING)
#: sign of each weekly flow in "headcount at the end of week 0 minus its net inflow" (= staff at the start)
_WEEK0 = {"headcount": 1.0, "hires": -1.0, "moves_in": -1.0, "quits": 1.0, "layoffs": 1.0, "moves_out": 1.0}
_KIND = {name: i for i, name in enumerate(EVENT_KINDS)}
_CAUSE_CODE = np.array([list(CAUSES).index(k) if k in CAUSES else len(CAUSES) for k in EVENT_KINDS])


def _codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    return pd.Categorical(values, categories=categories).codes.astype(np.int64)


@dataclass
class EventLog:
    """The event log as integer arrays, rows sorted by run, researcher and time (the log's own order).

    Build it once with ``EventLog.of(events)`` and pass it to several
    functions instead of the frame to save re-indexing a large log.
    ``src``/``dst`` codes index ``places`` (``outside`` first); ``cohort``
    and ``cohort_after`` codes index ``cohorts``.
    """

    runs: list[str]
    scenarios: list[str]
    scenario_of_run: np.ndarray
    places: list[str]
    cohorts: list[str]
    run: np.ndarray
    person: np.ndarray
    week: np.ndarray
    kind: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    cohort: np.ndarray
    cohort_after: np.ndarray
    skill: np.ndarray

    @classmethod
    def of(cls, events: pd.DataFrame | EventLog) -> EventLog:
        if isinstance(events, EventLog):
            return events
        if (events["kind"] == "executive_exit").any():  # the store reader leaves them out already
            events = events[events["kind"] != "executive_exit"]
        runs = list(pd.Categorical(events["run_id"]).categories.astype(str))
        labs = [*pd.Categorical(events["from_lab"]).categories, *pd.Categorical(events["to_lab"]).categories]
        places = [OUTSIDE, *[p for p in dict.fromkeys(map(str, labs)) if p != OUTSIDE]]
        if "cohort_after" not in events:
            raise ValueError(
                "the event log has no cohort_after column (written before it was recorded); "
                "rerun the sweep to analyse stays"
            )
        cohorts = list(
            dict.fromkeys(str(c) for col in ("cohort", "cohort_after") for c in pd.Categorical(events[col]).categories)
        )
        run = _codes(events["run_id"], runs)
        person = events["researcher_id"].to_numpy(np.int64)
        order = np.lexsort((np.arange(len(events)), person, run))
        scenario = pd.Categorical(events["scenario"])
        scenario_of_run = np.zeros(len(runs), dtype=np.int64)
        scenario_of_run[run] = scenario.codes
        take = lambda values: np.asarray(values)[order]  # noqa: E731
        return cls(
            runs=runs,
            scenarios=list(scenario.categories.astype(str)),
            scenario_of_run=scenario_of_run,
            places=places,
            cohorts=cohorts,
            run=run[order],
            person=person[order],
            week=take(events["week"].to_numpy(np.int64)),
            kind=take(_codes(events["kind"], list(EVENT_KINDS))),
            src=take(_codes(events["from_lab"], places)),
            dst=take(_codes(events["to_lab"], places)),
            cohort=take(_codes(events["cohort"], cohorts)),
            cohort_after=take(_codes(events["cohort_after"], cohorts)),
            skill=take(events["skill"].to_numpy(float)),
        )

    def same_person_next(self, rows: np.ndarray) -> np.ndarray:
        """For each of ``rows`` (sorted positions): is the next of them the same researcher's?"""
        same = (self.run[rows][1:] == self.run[rows][:-1]) & (self.person[rows][1:] == self.person[rows][:-1])
        return np.r_[same, False]

    def dense(self, metrics: pd.DataFrame, metric: str) -> np.ndarray:
        """A weekly metric as a [run, place, week] array (0 where not recorded)."""
        rows = metrics[metrics["metric"] == metric]
        run, place = _codes(rows["run_id"].astype(str), self.runs), _codes(rows["lab"].astype(str), self.places)
        weeks = int(max(self.week.max(initial=0), metrics["week"].max())) + 1
        out = np.zeros((len(self.runs), len(self.places), weeks))
        ok = (run >= 0) & (place >= 0)
        out[run[ok], place[ok], rows["week"].to_numpy()[ok]] = rows["value"].to_numpy()[ok]
        return out


def _part(run, lab, cohort, start, end, cause, skill, n=1) -> dict[str, np.ndarray]:
    """Columns of a batch of stays (scalars broadcast to the batch)."""
    size = len(run)
    values = dict(run=run, lab=lab, cohort=cohort, start=start, end=end, cause=cause, skill=skill, n=n)
    return {key: np.broadcast_to(value, size) for key, value in values.items()}


def spells(events: pd.DataFrame | EventLog, last_week: pd.Series, metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per stay: run_id, scenario, lab, cohort, start, duration, followup, cause, skill, n.

    ``followup`` is how long the stay could have been watched (the run's
    last week minus its start). ``cause`` is ``rival`` (moved to another
    lab), ``quit`` (left for outside), ``layoff`` or ``censored``. ``n`` is
    1 except for one row per run and lab holding the incumbents still there
    at the end. ``metrics`` (weekly levels and flows) adds the incumbents.
    """
    log = EventLog.of(events)
    last = last_week.rename(index=str).reindex(log.runs).to_numpy(float)
    moves = np.flatnonzero(np.isin(log.kind, [_KIND[k] for k in TRANSITIONS]))
    chained = log.same_person_next(moves)
    end = np.where(chained, np.roll(moves, -1), -1)
    is_arrival = np.isin(log.kind[moves], [_KIND["hire"], _KIND["move"]])
    is_departure = np.isin(log.kind[moves], [_KIND[k] for k in LEAVING])
    arrivals, arrival_end = moves[is_arrival], end[is_arrival]
    ended = arrival_end >= 0
    parts = [
        _part(
            log.run[arrivals],
            log.dst[arrivals],
            log.cohort_after[arrivals],
            log.week[arrivals],
            np.where(ended, log.week[arrival_end], last[log.run[arrivals]]),
            np.where(ended, _CAUSE_CODE[log.kind[arrival_end]], len(CAUSES)),
            log.skill[arrivals],
        )
    ]
    if metrics is not None:
        if INCUMBENT not in log.cohorts:
            log.cohorts.append(INCUMBENT)
        incumbent = log.cohorts.index(INCUMBENT)
        first = np.r_[True, ~chained[:-1]]
        left = moves[first & is_departure & (log.cohort[moves] == incumbent)]
        parts.append(
            _part(
                log.run[left], log.src[left], incumbent, 0, log.week[left], _CAUSE_CODE[log.kind[left]], log.skill[left]
            )
        )
        start = sum(sign * log.dense(metrics, name)[:, :, 0] for name, sign in _WEEK0.items())
        np.add.at(start, (log.run[left], log.src[left]), -1.0)
        run, lab = np.nonzero(start > 0)
        parts.append(_part(run, lab, incumbent, 0, last[run], len(CAUSES), np.nan, n=start[run, lab]))
    data = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    run = data["run"]
    return pd.DataFrame(
        {
            "run_id": pd.Categorical.from_codes(run, log.runs),
            "scenario": pd.Categorical.from_codes(log.scenario_of_run[run], log.scenarios),
            "lab": pd.Categorical.from_codes(data["lab"], log.places),
            "cohort": pd.Categorical.from_codes(data["cohort"], log.cohorts),
            "start": data["start"].astype(np.int64),
            "duration": (data["end"] - data["start"]).astype(np.int64),
            "followup": (last[run] - data["start"]).astype(np.int64),
            "cause": pd.Categorical.from_codes(data["cause"], [*CAUSES.values(), CENSORED]),
            "skill": data["skill"],
            "n": data["n"].astype(np.int64),
        }
    )


def life_table(stays: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Kaplan–Meier survival and Aalen–Johansen cumulative incidence per group of ``by``, on weeks since arrival.

    Columns: ``by``, ``t``, ``at_risk``, ``survival`` and one ``cif_<cause>``
    per competing risk. A stay censored at t counts as at risk at t. Rows
    run to the group's longest possible follow-up; once nobody is at risk
    the estimates keep their last value (a cohort that has all left stays
    at 0 rather than dropping out of averages over runs).
    """
    causes = list(CAUSES.values())
    if stays.empty:
        return pd.DataFrame(columns=[*by, "t", "at_risk", "survival", *[f"cif_{c}" for c in causes]])
    groups = stays.groupby(list(by), observed=True, sort=True)
    key = groups.ngroup().to_numpy()
    n_groups, horizon = key.max() + 1, int(stays["followup"].max()) + 1
    cause = pd.Categorical(stays["cause"], categories=[*causes, CENSORED]).codes
    counts = np.zeros((len(causes) + 1, n_groups, horizon))
    np.add.at(counts, (cause, key, stays["duration"].to_numpy()), stays["n"].to_numpy(float))
    leaving = counts.sum(axis=0)
    at_risk = leaving.sum(axis=1, keepdims=True) - np.cumsum(leaving, axis=1) + leaving
    with np.errstate(invalid="ignore", divide="ignore"):
        hazards = np.where(at_risk > 0, counts[: len(causes)] / at_risk, 0.0)
    survival = np.cumprod(1.0 - hazards.sum(axis=0), axis=1)
    before = np.concatenate([np.ones((n_groups, 1)), survival[:, :-1]], axis=1)
    incidence = np.cumsum(before * hazards, axis=2)
    followup = stays.groupby(key)["followup"].max().to_numpy()
    g, t = np.nonzero(np.arange(horizon)[None, :] <= followup[:, None])
    out = groups.size().reset_index()[list(by)].iloc[g].reset_index(drop=True)
    out["t"], out["at_risk"], out["survival"] = t, at_risk[g, t], survival[g, t]
    for i, name in enumerate(causes):
        out[f"cif_{name}"] = incidence[i, g, t]
    return out


def retention_curves(stays: pd.DataFrame, by: tuple[str, ...] = ("lab", "cohort")) -> pd.DataFrame:
    """Per scenario and group: KM survival and cumulative incidences, mean over runs with a 95% t-band.

    Tidy: ``scenario``, ``by``, ``t``, ``measure`` (``survival`` or
    ``cif_<cause>``), ``mean``, ``ci_low``, ``ci_high`` (clipped to 0-1), ``n``
    (runs followed up to t).
    """
    table = life_table(stays, ["scenario", "run_id", *by])
    measures = ["survival", *[f"cif_{c}" for c in CAUSES.values()]]
    tidy = table.melt(id_vars=["scenario", "run_id", *by, "t"], value_vars=measures, var_name="measure")
    return mean_ci(tidy, ["measure", "scenario", *by, "t"], bounds=(0.0, 1.0))


def two_year_retention_table(events: pd.DataFrame, last_week: pd.Series) -> pd.DataFrame:
    """SignalFire two-year retention per lab at each run's last week (outcomes.two_year_retention), mean [95% CI].

    Rows before the two-year window are dropped first: they cannot change
    the answer (a departure before a joining in the window does not end
    that stay) and the function runs once per run and lab.
    """
    last = events["run_id"].map(last_week).astype(float)
    moves = events.loc[
        events["kind"].isin(TRANSITIONS) & (events["week"] > last - 104),
        ["run_id", "scenario", "week", "researcher_id", "kind", "from_lab", "to_lab"],
    ]
    labs = [lab for lab in pd.Categorical(moves["to_lab"]).categories if lab != OUTSIDE]
    values = [
        {
            "scenario": group["scenario"].iloc[0],
            "run_id": run_id,
            "lab": lab,
            "value": two_year_retention(group, lab, int(last_week[run_id])),
        }
        for run_id, group in moves.groupby("run_id", observed=True)
        for lab in labs
    ]
    return mean_ci(pd.DataFrame(values), ["scenario", "lab"], bounds=(0.0, 1.0))
