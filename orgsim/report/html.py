"""``orgsim report``: one self-contained HTML file (figures inlined as PNG) plus each figure as a PNG beside it.

The report reads a results store through :mod:`orgsim.analysis`; every
number it prints is a mean over replications with a 95% Student-t
interval. Whatever the store lacks (no event log, no metrics, no design)
is left out with a note instead of failing.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from orgsim import analysis
from orgsim.sweep.store import Store
from orgsim.analysis.retention import INCUMBENT, EventLog
from orgsim.analysis.summaries import Settings
from orgsim.report import decision, figures

ORDER = {"failure": 0, "success": 1, "partial": 2, "none": 3}


def outcome_labels(s: Settings) -> dict[str, tuple[str, str]]:
    """Each headline outcome's label and format, in the terms the store's runs were configured with."""
    focal, window = s.focal_lab, s.retention_weeks
    return {
        "cohort_retention": (f"{s.cohort} retention {window} weeks after the release", "pct"),
        "cohort_size_at_release": (f"{s.cohort} at {focal} the week before the release", "count"),
        "top_talent_retention": (f"{focal} top-talent retention {window} weeks after the release", "pct"),
        "focal_top_talent_share_start": (f"{focal} share of top talent, start", "pct"),
        "focal_top_talent_share_end": (f"{focal} share of top talent, end", "pct"),
        "focal_headcount_start": (f"{focal} headcount, start", "count"),
        "focal_headcount_end": (f"{focal} headcount, end", "count"),
        "release_week": (f"{s.release} release week", "week"),
        "capability_gap_end": (f"{focal} capability gap to the frontier, end", "num"),
    }


def lever_names(s: Settings) -> dict[str, str]:
    """Outcomes whose lever effects the report shows and names in the summary, with how the summary calls them."""
    return {"cohort_retention": f"{s.cohort} retention", "top_talent_retention": "top-talent retention"}
#: SignalFire State of Talent 2025 (Fortune, 2025-06-03): share of staff hired in the last two years still employed
SIGNALFIRE = {"anthropic": 0.80, "deepmind": 0.78, "openai": 0.67, "meta": 0.64}


@dataclass
class Report:
    html: Path
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0


# ------------------------------------------------------------ formatting

def _fmt(value: float, kind: str) -> str:
    if pd.isna(value):
        return "n/a"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    return f"{value:.2f}" if kind == "num" else f"{value:.0f}"


def _num(value: float) -> str:
    """A design value: thousands with separators, small numbers to 3 significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _points(row: pd.Series) -> str:
    """A difference of shares in percentage points with its interval."""
    if pd.isna(row["mean"]):
        return "n/a"
    interval = "" if pd.isna(row["ci_low"]) else f" (95% CI {100 * row['ci_low']:+.1f} to {100 * row['ci_high']:+.1f})"
    return f"{100 * row['mean']:+.1f} pp{interval}"


def _listing(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def estimate(row: pd.Series | dict, kind: str = "pct") -> str:
    """'mean (95% CI low–high)', or the mean alone when there is no interval."""
    if pd.isna(row["mean"]):
        return "n/a"
    if pd.isna(row["ci_low"]):
        return f"{_fmt(row['mean'], kind)} (n = {int(row['n'])}, no interval)"
    return f"{_fmt(row['mean'], kind)} (95% CI {_fmt(row['ci_low'], kind)}–{_fmt(row['ci_high'], kind)})"


def _cell(row: pd.Series, kind: str) -> str:
    if pd.isna(row["mean"]):
        return "n/a"
    interval = "" if pd.isna(row["ci_low"]) else f" [{_fmt(row['ci_low'], kind)}, {_fmt(row['ci_high'], kind)}]"
    return f"{_fmt(row['mean'], kind)}{interval}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="n/a")


def _png(fig) -> bytes:
    if isinstance(fig, bytes):  # a figure another command already wrote
        return fig
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


# ------------------------------------------------------------ the analysis the report shows

def _scenarios(runs: pd.DataFrame) -> tuple[list[str], pd.Series]:
    """Scenarios at point 0, failure first, then success, partial (delay), none; and each one's release outcome."""
    outcomes = analysis.release_outcomes(runs)
    names = sorted(runs.loc[runs["point"] == 0, "scenario"].unique())
    return sorted(names, key=lambda s: (ORDER.get(outcomes.get(s, "none"), 9), s)), outcomes


def _pick(table: pd.DataFrame, **where) -> pd.Series | None:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.iloc[0] if len(rows) else None


def _lookup(table: pd.DataFrame, kind: str, **where) -> str:
    """The table cell 'mean [low, high]' of the row matching ``where``; n/a if there is none."""
    row = _pick(table, **where)
    return "n/a" if row is None else _cell(row, kind)


class _Builder:
    """Computes the report's tables and figures in one pass over the store."""

    def __init__(self, root: Path):
        self.data = analysis.load(root)
        self.log = EventLog.of(self.data.events) if self.data.events is not None else None
        self.runs = self.data.runs
        settings = self.data.settings
        self.focal, self.cohort, self.release = settings.focal_lab, settings.cohort, settings.release
        self.window, self.top_quantile = settings.retention_weeks, settings.top_quantile
        self.outcome_labels, self.lever_names = outcome_labels(settings), lever_names(settings)
        self.scenarios, self.outcomes = _scenarios(self.runs)
        self.manifest = manifest = Store(root).read_manifest() or {}
        # the spec's own list of outcomes to summarize decides what levers are ranked on
        asked = manifest.get("spec", {}).get("outcomes") or list(self.lever_names)
        self.lever_outcomes = {o: self.lever_names.get(o, o.replace("_", " ")) for o in asked
                               if o in self.runs and pd.api.types.is_numeric_dtype(self.runs[o])}
        if not self.scenarios:
            raise analysis.StoreError(f"{root}: no successful run at design point 0 (the scenarios as configured)")
        self.notes: list[str] = []
        self.figures: dict[str, tuple[object, str]] = {}
        self.tables: list[tuple[str, str, str]] = []
        self.summary: list[str] = []
        self.method: list[str] = []
        self.sections: list[decision.Section] = []

    # -------------------------------------------------------- pieces

    def headline(self) -> pd.DataFrame:
        table = analysis.headline_table(self.runs)
        wide = pd.DataFrame({"outcome": [label for label, _ in self.outcome_labels.values()]})
        for scenario in self.scenarios:
            wide[scenario] = [_lookup(table, kind, scenario=scenario, outcome=key)
                              for key, (_, kind) in self.outcome_labels.items()]
        counts = self.data.scenario_runs.groupby("scenario").size()
        wide.loc[len(wide)] = ["runs (replications)", *[str(counts.get(s, 0)) for s in self.scenarios]]
        wide.loc[len(wide)] = [f"{self.release} outcome", *[str(self.outcomes.get(s, "none")) for s in self.scenarios]]
        self.tables.append(("Headline outcomes", "Mean over replications [95% t-interval] of the per-run "
                            "outcomes in runs.parquet (design point 0).", _table(wide)))
        return table

    def retention(self) -> None:
        data = self.data
        if data.events is None:
            self.notes.append("The store keeps no event log (outputs.events: false): no retention curves, competing "
                              "risks, flows, two-year or top-talent retention.")
            return
        stays = analysis.spells(self.log, data.last_week, data.metrics)
        focal = stays[stays["lab"] == self.focal]
        curves = analysis.retention_curves(focal)
        cohorts = [c for c in (self.cohort, INCUMBENT) if (focal["cohort"] == c).any()]
        if cohorts:
            self.figures["retention_km"] = (
                figures.survival_figure(curves, self.focal, cohorts, self.scenarios),
                f"Kaplan–Meier retention at {self.focal}: share of a cohort still there, by weeks since arrival "
                "(incumbents: since the start). Line: mean of the per-run KM curves; band: 95% t-interval; drawn "
                "while at least half of the runs are followed up.")
            self.figures["competing_risks"] = (
                figures.incidence_figure(curves, self.focal, cohorts, self.scenarios),
                f"Competing risks at {self.focal}: cumulative incidence (Aalen–Johansen) of leaving for a rival lab, "
                "leaving for outside, and being laid off. Mean over runs with 95% band.")
        self.method.append(
            f"Stays: {stays['n'].sum():,} researcher stays at labs in {stays['run_id'].nunique()} runs; each stay's "
            "cohort is the one its arrival row in the event log records (cohort_after).")
        self._twelve_month(curves)

    def _twelve_month(self, curves: pd.DataFrame) -> None:
        at = curves[(curves["measure"] == "survival") & (curves["t"] == self.window)]
        cohorts = [c for c in (self.cohort, INCUMBENT) if (at["cohort"] == c).any()]
        if not cohorts:
            return
        table = pd.DataFrame({"cohort": cohorts})
        for scenario in self.scenarios:
            table[scenario] = [_lookup(at, "pct", scenario=scenario, cohort=c) for c in cohorts]
        self.tables.append((f"Kaplan–Meier retention at {self.focal} {self.window} weeks after arrival",
                            "Per-run KM estimate (incumbents: since 2025-06-02), mean [95% CI] over runs.",
                            _table(table)))

    def two_year(self) -> None:
        if self.data.events is None:
            return
        table = analysis.two_year_retention_table(self.data.events, self.data.last_week)
        wide = pd.DataFrame({"lab": list(dict.fromkeys(table["lab"]))})
        for scenario in self.scenarios:
            wide[scenario] = [_lookup(table, "pct", scenario=scenario, lab=lab) for lab in wide["lab"]]
        wide["SignalFire 2025"] = [_fmt(SIGNALFIRE.get(lab, np.nan), "pct") for lab in wide["lab"]]
        self.tables.append(("Two-year retention (SignalFire's definition)",
                            "Of the researchers who joined a lab (hire or move) in the two years up to each run's last "
                            "week, the share still there; mean [95% CI] over runs, next to the published figures. "
                            "Before week 104 the window holds only the weeks simulated.", _table(wide)))
        parts = [f"{s}: {estimate(r)}" for s in self.scenarios
                 if (r := _pick(table, scenario=s, lab=self.focal)) is not None]
        if parts:
            self.summary.append(f"SignalFire two-year retention at {self.focal} at the horizon is " + "; ".join(parts)
                                + f" (published: {_fmt(SIGNALFIRE.get(self.focal, np.nan), 'pct')}).")

    def flows(self) -> None:
        if self.data.events is None:
            return
        flows = analysis.flow_matrix(self.log)
        self.figures["flows"] = (figures.flow_figure(flows, self.scenarios),
                                 "Flow matrix: researchers moved from row to column, mean per run (outside: hires "
                                 "from and exits to the outside pool).")

    def series(self) -> None:
        if self.data.metrics is None:
            self.notes.append("The store keeps no weekly metrics (outputs.metrics: false): no headcount, top-talent, "
                              "capability, pay or executive-exit series; incumbents are left out of the retention "
                              "curves.")
            return
        wide = analysis.weekly(self.data.metrics)
        bands = analysis.metric_bands(wide, ["headcount", "top_talent_share", "gap"])
        start = wide.loc[wide["week"] == 0, "date"].min()
        week = self.data.scenario_runs.groupby("scenario")["release_week"].median()
        releases = {s: start + dt.timedelta(weeks=float(week[s])) if pd.notna(week.get(s)) else pd.NaT
                    for s in self.scenarios}
        self.figures["headcount"] = (
            figures.lines_by_lab(bands, "headcount", self.scenarios, "researchers", releases),
            "Headcount by lab over time (simulated scale), mean with 95% band; dashed: release.")
        self.figures["top_talent_share"] = (
            figures.lab_by_scenario(bands, "top_talent_share", self.focal, self.scenarios, "share of top talent",
                                    releases),
            f"{self.focal}'s share of all top talent by scenario, mean with 95% band; dashed: each scenario's release.")
        self.figures["capability_gap"] = (
            figures.lines_by_lab(bands, "gap", self.scenarios, "capability − frontier", releases),
            "Capability gap to the frontier (a lab's capability minus the best lab's that week; 0 = frontier).")
        totals = analysis.lab_totals(wide)
        kinds = {"pay spent (M$, 4-yr value)": "count", "executive exits": "num", "headcount at end": "count",
                 "top-talent share at end": "pct", "capability gap at end": "num"}
        wide_totals = totals.assign(value=[_cell(r, kinds[r["quantity"]]) for _, r in totals.iterrows()])
        wide_totals = wide_totals.pivot(index=["quantity", "lab"], columns="scenario", values="value")
        wide_totals = wide_totals.reindex(columns=self.scenarios).reset_index()
        self.tables.append(("By lab over the whole run", "Per run totals (pay spent on accepted offers, executive "
                            "exits) and end-of-run levels, mean [95% CI] over runs.", _table(wide_totals)))

    def race(self) -> None:
        """The capability race (M9): the lead changing hands in public, the leader's margin, each lab's gap."""
        metrics = self.data.metrics
        if metrics is None or not (metrics["metric"] == "standing").any():
            self.notes.append("The store has no public-standing series (metric `standing`): no capability-race "
                              "section.")
            return
        summary = analysis.race.race_summary(metrics)
        bands = analysis.mean_ci(analysis.race.margins(metrics).merge(
            metrics[["run_id", "week", "date"]].drop_duplicates(), on=["run_id", "week"]), ["scenario", "date"],
            value="margin")
        scenario = self.scenarios[0]
        run_id = sorted(self.data.scenario_runs.loc[self.data.scenario_runs["scenario"] == scenario, "run_id"])[0]
        one = metrics[(metrics["run_id"] == run_id) & metrics["metric"].isin(["standing", "capability"])]
        one = one.pivot_table(index=["date", "lab"], columns="metric", values="value", observed=True).reset_index()
        marks = analysis.race.release_marks(metrics[metrics["run_id"] == run_id])
        self.figures["capability_race"] = (
            figures.race_figure(one, marks, bands, scenario),
            f"The capability race in run {run_id}: each lab's public standing (the index its releases reached; "
            "steps and dots at releases) over its internal capability (dotted); the squares along the top take the "
            "leader's colour, so the lead changing hands shows as a change of colour. Middle: each lab's standing "
            "minus the public frontier. Right: the leader's standing minus the third lab's, mean over runs with "
            "95% band, per scenario.")
        shown = summary.assign(value=[_cell(r, "num") for _, r in summary.iterrows()]).pivot(
            index="quantity", columns="scenario", values="value").reindex(columns=self.scenarios).reset_index()
        self.tables.append(("The capability race", "Per run: changes of the publicly leading lab per year, labs that "
                            "led at some point, and the leader's mean margin over the third lab (index points) in the "
                            "first and the last 52 weeks, with their ratio; mean [95% CI] over runs.", _table(shown)))
        row = _pick(summary, scenario=scenario, quantity="changes_per_year")
        ratio = _pick(summary, scenario=scenario, quantity="margin_ratio")
        if row is not None and ratio is not None:
            self.summary.append(f"In {scenario} the public lead changed hands {estimate(row, 'num')} times a year; "
                                f"the leader's margin over the third lab in the last year was {estimate(ratio, 'num')} "
                                "times that of the first.")

    def levers(self) -> None:
        parts = [analysis.lever_effects(self.runs, outcome) for outcome in self.lever_outcomes]
        parts = [p for p in parts if not p.empty]
        if not parts:
            self.notes.append("No parameter design with enough runs in this store (no param:* columns at points 1..K): "
                              "no lever effects.")
            return
        effects = pd.concat(parts, ignore_index=True)
        self.figures["lever_effects"] = (figures.lever_figure(effects),
                                         "Lever effects: standardized regression coefficients (all levers fitted "
                                         "jointly by OLS over the design runs, replication fixed effects) with 95% "
                                         "intervals.")
        shown = pd.DataFrame({
            "scenario": effects["scenario"], "outcome": effects["outcome"], "lever": effects["lever"],
            "sampled range": [f"{_num(lo)} – {_num(hi)}" for lo, hi in zip(effects["low"], effects["high"])],
            "runs": effects["n"],
            "standardized effect [95% CI]": [f"{b:+.2f} [{lo:+.2f}, {hi:+.2f}]" for b, lo, hi in
                                             zip(effects["src"], effects["src_low"], effects["src_high"])],
            "effect over the range [95% CI]": [
                f"{100 * b:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] pp" for b, lo, hi in
                zip(effects["range_effect"], effects["range_low"], effects["range_high"])],
        })
        self.tables.append(("Lever effects", "Standardized effect: SD change of the outcome per SD of the lever, all "
                            "levers fitted jointly by OLS (statsmodels) over the design runs with replication fixed "
                            "effects (runs of a replication share a seed) and, from 10 replications on, errors "
                            "clustered by replication; effect over the range: change of the "
                            "outcome (percentage points) predicted from the lowest to the highest sampled value.",
                            _table(shown)))
        swept = list(effects["scenario"].unique())
        failed = ([s for s in swept if self.outcomes.get(s) == "failure"] or swept)[0]
        for outcome, name in self.lever_outcomes.items():
            rows = effects[(effects["outcome"] == outcome) & (effects["scenario"] == failed)].dropna(subset=["src"])
            if rows.empty:  # e.g. an outcome that does not vary across the design
                continue
            top = rows.loc[rows["src"].abs().idxmax()]
            settled = not (top["src_low"] <= 0 <= top["src_high"])
            self.summary.append(
                f"Among the {len(rows)} levers swept on {failed} ({int(top['n'])} runs), {top['lever']} moves {name} "
                f"most: a standardized effect of {top['src']:+.2f} (95% CI {top['src_low']:+.2f} to "
                f"{top['src_high']:+.2f}); from {_num(top['low'])} to {_num(top['high'])} it changes {name} by "
                f"{100 * top['range_effect']:+.0f} percentage points (95% CI {100 * top['range_low']:+.0f} to "
                f"{100 * top['range_high']:+.0f})"
                + ("." if settled else "; the interval includes zero, so more runs are needed to rank the levers."))

    def lead(self, headline: pd.DataFrame) -> None:
        """The first sentences: tracked-cohort and top-talent retention, and top-talent share, by scenario."""
        def phrase(outcome: str, scenario: str) -> str:
            row = _pick(headline, scenario=scenario, outcome=outcome)
            return estimate(row) if row is not None else "n/a"

        first, *rest = self.scenarios
        label = {s: f"{s} (release: {self.outcomes.get(s, 'none')})" for s in self.scenarios}
        text = (f"{self.window} weeks after the {self.release} release, retention of the {self.cohort} cohort at "
                f"{self.focal} is {phrase('cohort_retention', first)} after {label[first]}")
        if rest:
            text += " against " + _listing([f"{phrase('cohort_retention', s)} after {label[s]}" for s in rest])
        text += "."
        top = 100 * (1 - self.top_quantile)
        kept = _listing([f"{phrase('top_talent_retention', s)} after {s}" for s in self.scenarios])
        share = "; ".join(f"{s}: {phrase('focal_top_talent_share_start', s)} at the start, "
                          f"{phrase('focal_top_talent_share_end', s)} at the end" for s in self.scenarios)
        self.summary += [text, f"Of {self.focal}'s top talent (top {top:.0f}% by skill) at the release, the share "
                               f"still there {self.window} weeks later is {kept}.", *self.paired(),
                         f"{self.focal}'s share of all top talent: {share}."]
        if all(pd.isna(r["mean"]) for _, r in headline[headline["outcome"] == "cohort_retention"].iterrows()):
            self.notes.append(f"Cohort retention is n/a: the {self.window}-week window after the release runs past the "
                              "simulated weeks, the cohort was empty, or there was no release.")

    def paired(self) -> list[str]:
        """Scenario minus the success scenario, replication by replication (they share seeds)."""
        reference = next((s for s in self.scenarios if self.outcomes.get(s) == "success"), None)
        if reference is None:
            return []
        sentences = []
        for outcome, name in self.lever_names.items():
            diff = analysis.paired_differences(self.runs, outcome, reference)
            if diff["mean"].notna().any():
                parts = [f"{s} {_points(r)}" for s in self.scenarios if (r := _pick(diff, scenario=s)) is not None]
                shared = "seeds and parameter draws" if "draw" in self.runs else "seeds"
                sentences.append(f"Paired by replication (the scenarios share their {shared}), {name} minus that after "
                                 f"{reference} is " + _listing(parts) + ".")
        return sentences

    def provenance(self) -> None:
        """Say which code made the runs: a resume may add runs from a later revision (their configs agree)."""
        revisions = sorted(self.runs["code_revision"].dropna().unique()) if "code_revision" in self.runs else []
        if len(revisions) > 1:
            self.notes.append(f"The runs were made by {len(revisions)} code revisions ("
                              + ", ".join(r[:10] for r in revisions) + "); every run's config is the same as when "
                              "the sweep started (a resume checks it), but the code that ran them is not.")

    def uncertainty(self) -> None:
        """Say what the intervals carry: seed noise alone, or seed noise plus drawn parameter uncertainty."""
        drawn = self.manifest.get("parameter_draws")
        if not drawn or "draw" not in self.runs:
            self.method.append("Intervals reflect seed noise only: every replication ran with the same parameters "
                               "(the spec has no parameter_draws).")
            return
        name = Path(drawn["file"]).name
        self.summary.append(
            f"Every interval carries parameter uncertainty as well as seed noise: each replication ran with its own "
            f"parameter vector, drawn from the {drawn['pool']} vectors in {name} (the parameter sets the calibration "
            f"accepted; {len(set(drawn['ids']))} distinct draws over {len(drawn['ids'])} replications), and the same "
            "replication of every scenario used the same vector and seed.")
        shares = [analysis.drawn_share(self.runs, o) for o in self.lever_outcomes]
        shares = pd.concat([s for s in shares if not s.empty] or [pd.DataFrame()], ignore_index=True)
        if shares.empty:
            return
        shown = pd.DataFrame({"scenario": shares["scenario"], "outcome": shares["outcome"],
                              "explained by the drawn parameters (adjusted R²)": shares["r2_adj"].map("{:.2f}".format),
                              "runs": shares["runs"], "parameters": shares["parameters"]})
        self.tables.append(("Parameter uncertainty", f"Share of each outcome's spread over replications (design "
                            f"point 0) that the parameters drawn from {name} explain: adjusted R² of an OLS fit on "
                            "them. The rest is seed noise; a value at or below 0 means the draws explain no more "
                            "than chance would with this many runs.", _table(shown)))

    def sensitivity(self, directory: Path) -> None:
        """The Sobol section from the output folder of ``orgsim sensitivity``."""
        indices, meta = analysis.read_sensitivity(directory)
        defined = indices.dropna(subset=["parameter"])
        if "method" in defined and (defined["method"] == "metamodel").any():
            defined = defined[defined["method"] == "metamodel"]
        self.figures["sobol"] = (
            figures.sobol_figure(defined),
            f"Global sensitivity (Sobol): first-order (S1) and total-order (ST) indices with {meta['conf_level']:.0%} "
            f"bootstrap intervals, {meta['parameters']} parameters, {meta['points']} design points; indices of the "
            "metamodel of the mean response, i.e. shares of the variance the parameters explain.")
        rows = []
        for (scenario, outcome), group in defined.groupby(["scenario", "outcome"], sort=False):
            for rank, (_, row) in enumerate(analysis.ranking(group, outcome).head(3).iterrows(), start=1):
                rows.append({"scenario": scenario, "outcome": outcome, "rank": rank, "parameter": row["parameter"],
                             "ST [95% CI]": f"{row['ST']:.2f} [{row['ST_low']:.2f}, {row['ST_high']:.2f}]",
                             "S1 [95% CI]": f"{row['S1']:.2f} [{row['S1_low']:.2f}, {row['S1_high']:.2f}]"})
        self.tables.append(("Global sensitivity: the three parameters that matter most",
                            f"Sobol indices from {directory.name} ({meta['runs']} runs, N = {meta['base_samples']} "
                            f"base samples, git {str(meta.get('git_revision') or 'n/a')[:10]}); ranked by total-order "
                            "index ST (the share of variance a parameter is involved in, interactions included).",
                            _table(pd.DataFrame(rows))))
        for outcome, name in self.lever_names.items():
            for scenario, group in defined[defined["outcome"] == outcome].groupby("scenario"):
                top = analysis.ranking(group, outcome).head(3)
                parts = [f"{r['parameter']} (ST {r['ST']:.2f}, 95% CI {r['ST_low']:.2f} to {r['ST_high']:.2f})"
                         for _, r in top.iterrows()]
                explained = (f"; together the {meta['parameters']} parameters explain {top['explained'].iloc[0]:.0%} "
                             "of the run-to-run variance, the rest is seed noise") if "explained" in top else ""
                self.summary.append(f"Global sensitivity on {scenario} ({meta['runs']} Sobol runs over "
                                    f"{meta['parameters']} parameters): the three that matter most for {name} are "
                                    + _listing(parts) + explained + ".")

    # -------------------------------------------------------- assembly

    def build(self, sensitivity: Path | None = None, discovery: Path | None = None,
              optimize: Path | None = None) -> None:
        self.lead(self.headline())
        self.provenance()
        self.uncertainty()
        self.retention()
        self.levers()
        if sensitivity is not None:
            self.sensitivity(sensitivity)
        if discovery is not None:
            self.sections.append(decision.collapse_section(discovery, sensitivity))
        if optimize is not None:
            self.sections.append(decision.policies_section(optimize))
        for section in self.sections:
            self.summary += section.summary
        self.two_year()
        self.series()
        self.race()
        self.flows()


def _page(builder: _Builder, images: dict[str, str], root: Path, seconds: float) -> str:
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    runs = builder.runs
    all_runs = pd.read_parquet(root / "runs.parquet", columns=["status"])
    failed = int((all_runs["status"] != "ok").sum())
    esc = html.escape
    parts = [f"<h1>{esc(str(manifest.get('experiment', root.name)))}: who stays after {builder.release.title()}</h1>",
             f"<p class='meta'>{len(runs)} successful runs ({failed} failed) · scenarios at point 0: "
             f"{esc(', '.join(builder.scenarios))} · git {esc(str(manifest.get('git_revision') or 'n/a'))} · "
             f"generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC</p>",
             "<h2>Summary</h2>", *[f"<p class='summary'>{esc(s)}</p>" for s in builder.summary]]
    if builder.notes:
        parts += ["<h2>Notes</h2>", "<ul>", *[f"<li>{esc(n)}</li>" for n in builder.notes], "</ul>"]
    tables = [[f"<h2>{esc(title)}</h2>", f"<p class='caption'>{esc(caption)}</p>", table]
              for title, caption, table in builder.tables]
    parts += tables[0]  # the headline outcomes, then the figures, then the detail
    for name, (_, caption) in builder.figures.items():
        parts += [f"<figure id='{name}'><img src='data:image/png;base64,{images[name]}' alt='{esc(caption)}'>",
                  f"<figcaption>{esc(caption)}</figcaption></figure>"]
    for table in tables[1:]:
        parts += table
    for section in builder.sections:
        parts += section.render(images)
    method = ["Every statistic is computed per run, then averaged over replications with a 95% Student-t "
              "interval for the mean (clipped to the values the quantity can take, e.g. 0-100% for a share); "
              "curves are summarized pointwise the same way, over the runs followed up to that week.",
              "Scenario comparisons use design point 0 (each scenario as configured); lever effects use points 1..K.",
              *builder.method, f"Report written in {seconds:.1f} s."]
    parts += ["<h2>Method</h2>", "<ul>", *[f"<li>{esc(m)}</li>" for m in method], "</ul>"]
    style = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
             "table.data{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}"
             "table.data td,table.data th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}"
             "figure{margin:2em 0}img{max-width:100%}figcaption,.caption,.meta{color:#555;font-size:0.9em}"
             ".summary{font-size:1.05em}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>orgsim report: {esc(str(manifest.get('experiment', root.name)))}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def write_report(root: str | Path, out: str | Path, sensitivity: str | Path | None = None,
                 discovery: str | Path | None = None, optimize: str | Path | None = None) -> Report:
    """Analyze the store at ``root`` and write ``out`` (HTML) and one PNG per figure beside it.

    ``sensitivity``: the output folder of ``orgsim sensitivity``, for a section on its Sobol indices;
    ``discovery`` and ``optimize``: those of ``orgsim discover`` and ``orgsim optimize``, for theirs.
    """
    started = time.perf_counter()
    root, out = Path(root), Path(out)
    builder = _Builder(root)
    builder.build(*(None if d is None else Path(d) for d in (sensitivity, discovery, optimize)))
    out.parent.mkdir(parents=True, exist_ok=True)
    report = Report(out)
    images = {}
    sections = {name: figure for section in builder.sections for name, figure in section.figures.items()}
    for name, (fig, _) in {**builder.figures, **sections}.items():
        png = _png(fig)
        path = out.with_name(f"{out.stem}_{name}.png")
        path.write_bytes(png)
        report.figures.append(path)
        images[name] = base64.b64encode(png).decode("ascii")
    report.seconds = time.perf_counter() - started
    out.write_text(_page(builder, images, root, report.seconds), encoding="utf-8")
    return report
