"""Reading a results store and summarizing across replications.

Every statistic is computed per run first; a scenario's value is then the
mean over its replications with a 95% Student-t interval for that mean
(:func:`mean_ci`). Curves are summarized the same way, pointwise: at each
week, the mean over the runs observed at that week and a t-interval for it
(a band for the mean, not for the spread of single runs).

Scenario comparisons use the runs at design point 0 (each scenario as
configured); the design points 1..K feed :func:`lever_effects` only.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from orgsim.extras import require
from orgsim.files import read_parquet
from orgsim.intervals import half_width
from orgsim.outcomes import OUTCOMES, Headline
from orgsim.sweep import provenance
from orgsim.sweep.store import Store

#: headline outcomes summarized per scenario (the numeric fields of a run's Headline)
HEADLINE = tuple(f.name for f in dataclasses.fields(Headline) if f.type == "float")
#: the columns of the event log the analysis needs
EVENT_COLUMNS = (
    "run_id",
    "week",
    "date",
    "researcher_id",
    "kind",
    "from_lab",
    "to_lab",
    "cohort",
    "cohort_after",
    "skill",
)
#: weekly metrics the analysis reads (flows that give the initial headcount, levels for the curves)
METRICS = (
    "headcount",
    "hires",
    "quits",
    "layoffs",
    "moves_in",
    "moves_out",
    "top_talent",
    "top_talent_share",
    "capability",
    "standing",
    "pay_spent_musd",
    "executive_exits",
    "tracked_cohort",
    "morale",
    "prestige",
    "share_price",
    "trust",
)


class StoreError(ValueError):
    """The folder is not a usable results store (the CLI turns this into one line and exit 2)."""


@dataclass(frozen=True)
class Settings:
    """What the headline outcomes refer to, read from the store's configs (never the schema's defaults)."""

    focal_lab: str
    cohort: str
    release: str
    retention_weeks: int
    top_quantile: float

    @property
    def window_text(self) -> str:
        return f"{self.retention_weeks} weeks"


@dataclass
class StoreData:
    """What the analysis reads from a store: successful runs, and the events and metrics of the chosen points.

    ``events`` or ``metrics`` is None when the sweep did not keep that table.
    """

    root: Path
    runs: pd.DataFrame
    events: pd.DataFrame | None
    metrics: pd.DataFrame | None
    settings: Settings

    @property
    def scenario_runs(self) -> pd.DataFrame:
        return self.runs[self.runs["point"] == 0]

    @property
    def last_week(self) -> pd.Series:
        """Per run, the last week recorded: the censoring time of every stay still going on.

        The later of the two tables: dated events of the week after the last step are logged, not measured.
        """
        tables = [t for t in (self.metrics, self.events) if t is not None]
        weeks = pd.concat([t.groupby("run_id", observed=True)["week"].max() for t in tables], axis=1)
        return weeks.max(axis=1).astype(int).rename("last_week")


def read_runs(root: str | Path) -> pd.DataFrame:
    """The successful runs of a store, one row each; raises StoreError when ``root`` is not a store or none
    succeeded."""
    runs = read_records(root)
    ok = runs[runs["status"] == "ok"].reset_index(drop=True)
    if ok.empty:
        raise StoreError(f"{Path(root) / 'runs.parquet'}: no successful runs")
    return ok


def read_records(root: str | Path) -> pd.DataFrame:
    """Every run of a store, failed ones too, one row each; raises StoreError when ``root`` is not a store."""
    root = Path(root)
    if not root.is_dir():
        raise StoreError(f"{root}: not a directory")
    path = root / "runs.parquet"
    if not path.is_file():
        raise StoreError(f"{root}: no runs.parquet here; is it the --out folder of `orgsim sweep`?")
    try:
        runs = read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise StoreError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    missing = {"run_id", "scenario", "point", "status"} - set(runs.columns)
    if missing:
        raise StoreError(f"{path}: missing columns {', '.join(sorted(missing))}")
    return runs


def _read_table(root: Path, table: str, runs: pd.DataFrame, columns: list[str], filter_=None) -> pd.DataFrame | None:
    """One table for the given runs, reading only their files and only ``columns``."""
    files = [
        root / table / f"scenario={s}" / f"{r}.parquet" for r, s in zip(runs["run_id"], runs["scenario"], strict=False)
    ]
    files = [str(f) for f in files if f.is_file()]
    if not files:
        return None
    dataset = ds.dataset(files, format="parquet")
    missing = sorted(set(columns) - set(dataset.schema.names))
    if missing:
        raise StoreError(
            f"{root}: the {table} files lack {', '.join(missing)} (written by an older orgsim); "
            "rerun the sweep into a new folder"
        )
    # one thread, as files.read_parquet explains
    frame = dataset.to_table(columns=columns, filter=filter_, use_threads=False).to_pandas(use_threads=False)
    frame.insert(1, "scenario", frame["run_id"].map(runs.set_index("run_id")["scenario"]).astype("category"))
    return frame


def read_settings(root: Path, runs: pd.DataFrame) -> Settings:
    """The outcome settings of the store's runs, from the configs they were made from; they must agree."""
    if "config_digest" not in runs:
        raise StoreError(
            f"{root}: runs.parquet has no config_digest (written by an older orgsim); rerun the sweep into a new folder"
        )
    store = Store(root)
    values: dict[str, set] = {name: set() for name in provenance.SETTINGS}
    for digest in runs["config_digest"].unique():
        config = store.config(digest)
        if config is None:
            raise StoreError(f"{root}: configs/{digest}.json is missing (run records point to it)")
        for name, value in provenance.settings(config).items():
            values[name].add(value)
    mixed = {name: found for name, found in values.items() if len(found) > 1}
    if mixed:
        name, found = next(iter(mixed.items()))
        raise StoreError(
            f"{root}: the runs differ in {name} ({', '.join(map(str, sorted(found, key=str)))}); "
            "the analysis needs one value"
        )
    one = {name.split(".")[-1]: found.pop() for name, found in values.items()}
    return Settings(**one)


def load(root: str | Path, points: tuple[int, ...] | None = (0,)) -> StoreData:
    """Read a store: all successful runs, their outcome settings, and events and metrics of the runs at ``points``."""
    root = Path(root)
    runs = read_runs(root)
    settings = read_settings(root, runs)
    chosen = runs if points is None else runs[runs["point"].isin(points)]
    events = _read_table(root, "events", chosen, list(EVENT_COLUMNS), ds.field("kind") != "executive_exit")
    metrics = _read_table(
        root,
        "metrics",
        chosen,
        ["run_id", "week", "date", "lab", "metric", "value"],
        ds.field("metric").isin(list(METRICS)),
    )
    return StoreData(root, runs, events, metrics, settings)


# ------------------------------------------------------------ intervals


def mean_ci(
    frame: pd.DataFrame,
    by: list[str],
    value: str = "value",
    level: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Per group: mean of ``value``, Student-t interval of the mean, and n (NaN values dropped).

    One group per row of the result; the interval is NaN for n = 1 and
    collapses to the mean when all values agree. ``bounds`` clips the
    interval to the values the quantity can take (e.g. 0-1 for a share).
    """
    out = frame.groupby(list(by), observed=True)[value].agg(["mean", "std", "count"]).reset_index()
    n = out.pop("count")
    half = half_width(out.pop("std"), n, level)
    out["ci_low"], out["ci_high"], out["n"] = out["mean"] - half, out["mean"] + half, n
    if bounds is not None:
        out[["ci_low", "ci_high"]] = out[["ci_low", "ci_high"]].clip(*bounds)
    return out


def headline_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and headline outcome: mean, 95% CI within the outcome's domain (:data:`OUTCOMES`), n (point 0)."""
    scenario_runs = runs[runs["point"] == 0]
    columns = [c for c in HEADLINE if c in scenario_runs.columns]
    tidy = scenario_runs.melt(id_vars=["scenario"], value_vars=columns, var_name="outcome")
    tidy["value"] = tidy["value"].astype(float)
    return clip_to_domain(mean_ci(tidy, ["scenario", "outcome"]))


def clip_to_domain(table: pd.DataFrame) -> pd.DataFrame:
    """Clip each row's interval to the values its ``outcome`` can take (:data:`OUTCOMES`: a share to 0-1, the
    capability gap to at most 0); outcomes not declared there keep their interval."""
    declared = [OUTCOMES.get(key) for key in table["outcome"]]
    low = [-np.inf if o is None else o.low for o in declared]
    high = [np.inf if o is None else o.high for o in declared]
    return table.assign(ci_low=np.clip(table["ci_low"], low, high), ci_high=np.clip(table["ci_high"], low, high))


def paired_differences(runs: pd.DataFrame, outcome: str, reference: str) -> pd.DataFrame:
    """Per scenario: ``outcome`` minus the ``reference`` scenario's in the same replication, mean [95% CI], n.

    Scenarios share their seeds (common random numbers), so pairing runs by
    replication removes the seed-to-seed spread both scenarios have in
    common; the interval is usually much narrower than comparing the two
    unpaired intervals.
    """
    if outcome not in runs:
        return pd.DataFrame(columns=["scenario", "mean", "ci_low", "ci_high", "n"])
    wide = runs[runs["point"] == 0].pivot_table(index="replication", columns="scenario", values=outcome, dropna=False)
    if reference not in wide:
        return pd.DataFrame(columns=["scenario", "mean", "ci_low", "ci_high", "n"])
    diff = wide.drop(columns=reference).sub(wide[reference], axis=0)
    return mean_ci(diff.melt(var_name="scenario"), ["scenario"])


def drawn_share(runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per scenario at point 0: the share of ``outcome``'s spread over replications the drawn parameters explain.

    Runs of a sweep with ``parameter_draws`` carry the drawn values as
    ``draw:*`` columns; an OLS fit of the outcome on them gives an adjusted
    R² (0 when the draws explain nothing beyond chance; the rest is seed
    noise), with the degrees of freedom of the design's rank when fewer
    vectors were drawn than there are parameters. Scenarios with no more
    runs than coefficients get no row.
    """
    drawn = [c for c in runs.columns if c.startswith("draw:")]
    rows = []
    for scenario, group in runs[runs["point"] == 0].dropna(subset=[outcome]).groupby("scenario"):
        with warnings.catch_warnings():
            # fewer distinct vectors than parameters leave the coefficients undetermined, which is not read here:
            # the fit's R² is the projection on the vectors drawn, adjusted by its rank
            warnings.filterwarnings("ignore", message="The design matrix is rank-deficient")
            fit = _ols(group, drawn, outcome)
        if fit is None:
            continue
        x, result = fit
        r2_adj = result.rsquared_adj if result.centered_tss > 0 else np.nan
        rows.append(
            {
                "scenario": scenario,
                "outcome": outcome,
                "r2_adj": r2_adj,
                "runs": len(group),
                "parameters": x.shape[1],
                "draws": group["draw"].nunique(),
            }
        )
    return pd.DataFrame(rows, columns=["scenario", "outcome", "r2_adj", "runs", "parameters", "draws"])


def release_outcomes(runs: pd.DataFrame) -> pd.Series:
    """Per scenario, the release outcome most of its runs had (``success``, ``failure``, ``partial``, ``none``)."""
    scenario_runs = runs[runs["point"] == 0]
    if "release_outcome" not in scenario_runs.columns:
        return pd.Series(dtype=object)
    return scenario_runs.groupby("scenario")["release_outcome"].agg(lambda s: s.mode().iloc[0])


# ------------------------------------------------------------ weekly metrics


def weekly(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per run, lab and week, one column per metric, plus the derived series the report shows.

    ``gap`` is capability minus the best lab's capability that week (0 for
    the frontier lab); ``pay_spent_cum`` and ``executive_exits_cum`` are
    running totals of the weekly flows.
    """
    wide = metrics.pivot_table(
        index=["scenario", "run_id", "lab", "week", "date"], columns="metric", values="value", observed=True
    ).reset_index()
    wide.columns.name = None
    by_run = wide.groupby(["run_id", "week"], observed=True)
    if "capability" in wide:
        wide["gap"] = wide["capability"] - by_run["capability"].transform("max")
    by_lab = wide.groupby(["run_id", "lab"], observed=True)
    for flow in ("pay_spent_musd", "executive_exits"):
        if flow in wide:
            wide[f"{flow}_cum"] = by_lab[flow].cumsum()
    return wide


def metric_bands(wide: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pointwise mean and 95% t-interval across runs, per scenario, lab, week and metric (tidy)."""
    tidy = wide.melt(id_vars=["scenario", "lab", "week", "date"], value_vars=columns, var_name="metric")
    return mean_ci(tidy, ["metric", "scenario", "lab", "week", "date"])


def lab_totals(wide: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, lab and quantity: mean [95% CI] over runs of the whole-run totals and end-of-run levels."""
    by_run = wide.sort_values("week").groupby(["scenario", "run_id", "lab"], observed=True)
    per_run = (
        pd.concat(
            {
                "pay spent (M$, 4-yr value)": by_run["pay_spent_musd"].sum(),
                "executive exits": by_run["executive_exits"].sum(),
                "headcount at end": by_run["headcount"].last(),
                "top-talent share at end": by_run["top_talent_share"].last(),
                "capability gap at end": by_run["gap"].last(),
            },
            names=["quantity"],
        )
        .rename("value")
        .reset_index()
    )
    return mean_ci(per_run, ["quantity", "scenario", "lab"])


# ------------------------------------------------------------ levers

#: replications at or above which lever effects get errors clustered by replication (fewer clusters mislead)
CLUSTERS = 10


def _ols(group: pd.DataFrame, columns: list[str], outcome: str, by_replication: bool = False):
    """statsmodels OLS of ``outcome`` on the standardized ``columns`` that vary, with an intercept.

    ``by_replication``: replication fixed effects (every design point of a
    replication shares its seed, so runs are correlated within it) and,
    with at least ``CLUSTERS`` replications, errors clustered by
    replication. Returns (the columns used, the fit), or None when no column
    varies or there are no more runs than coefficients.
    """
    sm = require("statsmodels.api", "lever effects (OLS)")
    x = group[columns].astype(float)
    x = x.loc[:, (x.std() > 0) & x.notna().all()]
    fixed = (
        pd.get_dummies(group["replication"], prefix="rep", drop_first=True, dtype=float)
        if by_replication and "replication" in group
        else pd.DataFrame(index=group.index)
    )
    n, p = len(group), x.shape[1] + fixed.shape[1]
    if x.shape[1] == 0 or n <= p + 1:
        return None
    design = sm.add_constant(pd.concat([(x - x.mean()) / x.std(), fixed], axis=1), has_constant="add")
    model = sm.OLS(group[outcome].to_numpy(float), design)
    clusters = group["replication"].to_numpy() if by_replication and "replication" in group else None
    if clusters is not None and len(np.unique(clusters)) >= CLUSTERS:
        return x, model.fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    return x, model.fit()


def lever_effects(runs: pd.DataFrame, outcome: str = "cohort_retention") -> pd.DataFrame:
    """Per scenario with a design: each lever's effect on ``outcome``, all levers fitted jointly by OLS.

    Uses the runs at design points 1..K, with replication fixed effects
    (and errors clustered by replication when there are enough; see
    :func:`_ols`). ``src`` is the standardized regression coefficient (SD
    change in the outcome per SD of the lever, the usual sensitivity measure
    for Latin-hypercube designs) with its 95% interval; ``range_effect`` is
    the outcome change predicted over the lever's whole sampled range (e.g.
    percentage points of retention), with its interval. Levers that do not
    vary are left out; a scenario with no more runs than coefficients gets
    no rows. ``note`` says in words why a row's numbers are missing: an
    outcome the same in every design run has no effect to estimate (NaN).
    """
    design = runs[runs["point"] > 0].dropna(subset=[outcome])
    levers = [c for c in runs.columns if c.startswith("param:") and pd.api.types.is_numeric_dtype(runs[c])]
    rows = []
    for scenario, group in design.groupby("scenario"):
        fit = _ols(group, levers, outcome, by_replication=True)
        if fit is None:
            continue
        x, result = fit
        bounds = result.conf_int(0.05)
        sd_y = group[outcome].std(ddof=1)
        varies = sd_y > 0
        per_sd = 1.0 / sd_y if varies else np.nan
        to_range = ((x.max() - x.min()) / x.std()).to_numpy() if varies else np.full(x.shape[1], np.nan)
        note = "" if varies else f"no effect to estimate: the outcome is the same in all {len(group)} design runs"
        for j, lever in enumerate(x.columns):
            b, (low, high) = result.params[lever], bounds.loc[lever]
            rows.append(
                {
                    "scenario": scenario,
                    "lever": lever.removeprefix("param:"),
                    "outcome": outcome,
                    "n": len(group),
                    "src": b * per_sd,
                    "src_low": low * per_sd,
                    "src_high": high * per_sd,
                    "low": x[lever].min(),
                    "high": x[lever].max(),
                    "range_effect": b * to_range[j],
                    "range_low": low * to_range[j],
                    "range_high": high * to_range[j],
                    "note": note,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "lever",
            "outcome",
            "n",
            "src",
            "src_low",
            "src_high",
            "low",
            "high",
            "range_effect",
            "range_low",
            "range_high",
            "note",
        ],
    )
