"""``orgsim report``: a briefing as one self-contained HTML file (figures inlined as PNG), each figure also as a PNG.

The first screen answers the question (who stays after each release
outcome, how sure, what a failure costs) from the typed summary
(:mod:`orgsim.analysis.briefing`); the sections below follow the order a
reader asks in: what happens, why, what would change it, how sure we are,
and the method. Every number is a mean over replications with a 95%
Student-t interval within the outcome's domain. Long tables are collapsed.
Whatever the store lacks (no event log, no metrics, no design) is left out
with a note instead of failing. Rendering is a Jinja2 template
(:mod:`orgsim.report.page`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from markupsafe import Markup
from pydantic import ValidationError

from orgsim import adequacy, analysis, catalog, labels, tables
from orgsim.analysis import briefing as briefs
from orgsim.analysis.briefing import DIFFERENCE, Estimate
from orgsim.analysis.retention import INCUMBENT, EventLog
from orgsim.files import atomic_write
from orgsim.outcomes import OUTCOMES
from orgsim.report import decision, figures, page
from orgsim.report.page import Figure, Section, Table, labelled
from orgsim.schema import Scenario
from orgsim.sim import plugins
from orgsim.sweep.store import Store


@functools.cache
def signalfire() -> dict[str, float]:
    """SignalFire's two-year retention per lab (State of Talent 2025: the share of staff hired in the last two
    years still employed), read from the calibration's targets (experiments/calibration.yaml), where the
    published figures live."""
    from orgsim.calibration.targets import load_calibration

    spec, _ = load_calibration(catalog.experiment_path("calibration"))
    return {
        t.statistic.lab: t.value
        for t in spec.targets.values()
        if t.statistic.kind == "two_year_retention" and "SignalFire" in (t.source or "")
    }


#: how each cause of leaving reads (the competing-risk measures of :func:`analysis.retention_curves`)
CAUSES = {"cif_rival": "left for a rival lab", "cif_quit": "left for outside the labs", "cif_layoff": "were laid off"}


@dataclass
class Report:
    html: Path
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def _pick(table: pd.DataFrame, **where) -> pd.Series | None:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.iloc[0] if len(rows) else None


def _bound(value: float, kind: str) -> str:
    """An end of the values an outcome can take: a number, or unbounded (∞)."""
    return tables.number(value, kind) if math.isfinite(value) else ("−∞" if value < 0 else "∞")


def _named_by(store: Store, digest: str) -> Scenario | None:
    """A stored scenario, which names labs, executives and timeline events in the labels; None if this orgsim's
    schema no longer reads it (the labels then come from the keys)."""
    try:
        return plugins.scenario_model().model_validate(store.config(digest))
    except ValidationError:
        return None


class _Builder:
    """Computes the briefing's sections, figures and tables in one pass over the store."""

    def __init__(self, root: Path, validation: Path | None):
        self.root, self.validation = root, validation
        self.data = analysis.load(root)
        if self.data.scenario_runs.empty:
            raise analysis.StoreError(f"{root}: no successful run at design point 0 (the scenarios as configured)")
        self.brief = briefs.brief(self.data)
        self.log = EventLog.of(self.data.events) if self.data.events is not None else None
        self.runs, s = self.data.runs, self.data.settings
        self.settings = s
        self.focal, self.cohort, self.release = s.focal_lab, s.cohort, s.release
        self.scenarios = [v.key for v in self.brief.scenarios]
        self.titles = {v.key: v.title for v in self.brief.scenarios}
        store = Store(root)
        self.manifest = store.read_manifest() or {}
        self.scenario = _named_by(store, self.data.scenario_runs["config_digest"].iloc[0])
        asked = self.manifest.get("spec", {}).get("outcomes") or list(briefs.RETENTION)
        self.lever_outcomes = [o for o in asked if o in self.runs and pd.api.types.is_numeric_dtype(self.runs[o])]
        self.notes: list[str] = []
        self.terms: set[str] = set()  # config paths named on the page, listed with their labels in the method
        self.headline_figure: Figure | None = None
        self.happens = Section("what-happens", "What happens")
        self.why = Section("why", "Why: the mechanisms behind the difference")
        self.change = Section("what-would-change-it", "What would change it")
        self.sure = Section("how-sure", "How sure we are")
        self.method = Section("method", "Method")

    # -------------------------------------------------------- helpers

    def titled(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its scenarios named as readers see them (figures' legends and panel titles)."""
        return frame.assign(scenario=frame["scenario"].astype(str).map(lambda s: self.titles.get(s, s)))

    @property
    def scenario_titles(self) -> list[str]:
        return [self.titles[s] for s in self.scenarios]

    def term(self, path: str, unit: bool = False) -> Markup:
        """A parameter as readers see it (with its unit in tables), its config path on hover."""
        self.terms.add(path)
        label = labels.parameter(path, self.scenario)
        return labelled(str(label) if unit else label.text, path)

    def plain(self, path: str) -> str:
        """A parameter's reader label as plain text (figures, alt text)."""
        return labels.parameter(path, self.scenario).text

    @property
    def names(self) -> decision.Names:
        return decision.Names(self.term, self.outcome_name, lambda s: self.titles.get(s, s.replace("_", " ")))

    def outcome_name(self, key: str) -> str:
        return self.brief.outcomes[key].label if key in self.brief.outcomes else key.replace("_", " ")

    def by_scenario(self, table: pd.DataFrame, kind: str, rows: str, keys: list) -> pd.DataFrame:
        """A wide table: one row per ``keys`` value of column ``rows``, one 'mean [low, high]' column per scenario."""
        wide = pd.DataFrame({rows: keys})
        for scenario in self.scenarios:
            wide[self.titles[scenario]] = [
                Estimate.of(_pick(table, scenario=scenario, **{rows: k}), kind).cell() for k in keys
            ]
        return wide

    # -------------------------------------------------------- first screen

    def first_screen(self) -> None:
        b = self.brief
        short = {
            "cohort_retention": f"{self.cohort} cohort",
            "top_talent_retention": f"{self.focal.title()} top talent",
        }
        rows = [
            {"scenario": self.titles[s], "outcome": short[o], "mean": e.mean, "ci_low": e.low, "ci_high": e.high}
            for o in briefs.RETENTION
            if o in b.outcomes
            for s in self.scenarios
            if (e := b.estimate(o, s)).defined
        ]
        if not rows:
            self.notes.append(
                f"Retention after the release is not measured in this store: the "
                f"{self.settings.window_text} window after the release runs past the simulated weeks, "
                "the cohort was empty, or there was no release."
            )
            return
        frame = pd.DataFrame(rows)
        described = "; ".join(
            f"{title}: " + ", ".join(f"{r['outcome']} {100 * r['mean']:.0f}%" for _, r in part.iterrows())
            for title, part in frame.groupby("scenario", sort=False)
        )
        self.headline_figure = Figure(
            "headline",
            _png(
                figures.headline_figure(
                    frame, f"still at {self.focal.title()} {self.settings.window_text} after the release (%)"
                )
            ),
            f"Share of the {self.cohort} cohort (circles) and of {self.focal.title()}'s top talent at the release "
            f"(squares) still at {self.focal.title()} {self.settings.window_text} after the {self.release.title()} "
            "release, by scenario: mean over replications with its 95% interval.",
            f"Dot plot of retention {self.settings.window_text} after the release by scenario. {described}.",
        )
        small = adequacy.small_cohorts(self.runs)
        if small:  # the figure says it rests on too few people, as the command line does
            self.headline_figure.caption += (
                f" Too small to answer: the {self.cohort} cohort at the release held a median of "
                + ", ".join(f"{size:g} researchers in {self.titles[s]}" for s, size in small.items())
                + f", fewer than the {adequacy.MINIMUM} a share needs; run a larger world (full scale)."
            )

    # -------------------------------------------------------- what happens

    def headline_table(self) -> None:
        b = self.brief
        wide = pd.DataFrame(
            {"outcome": [row.label for row in b.outcomes.values()], "unit": [row.unit for row in b.outcomes.values()]}
        )
        for view in b.scenarios:
            wide[view.title] = [
                row.estimates.get(view.key, Estimate.of(None, "num")).cell() for row in b.outcomes.values()
            ]
        wide.loc[len(wide)] = ["runs (replications)", "runs", *[str(v.runs) for v in b.scenarios]]
        wide.loc[len(wide)] = [f"{self.release.title()} outcome", "", *[v.release_outcome for v in b.scenarios]]
        self.happens.items.append(
            Table(
                "Every headline outcome by scenario",
                "Mean over replications [95% t-interval, within the values the outcome can take].",
                wide,
            )
        )

    def retention(self) -> None:
        data = self.data
        if data.events is None:
            self.notes.append(
                "The store keeps no event log (outputs.events: false): no retention curves, competing "
                "risks, flows, two-year or top-talent retention."
            )
            return
        stays = analysis.spells(self.log, data.last_week, data.metrics)
        focal = stays[stays["lab"] == self.focal]
        curves = analysis.retention_curves(focal)
        cohorts = [c for c in (self.cohort, INCUMBENT) if (focal["cohort"] == c).any()]
        if not cohorts:
            return
        titled = self.titled(curves)
        self.happens.items.append(
            Figure(
                "retention_km",
                _png(figures.survival_figure(titled, self.focal, cohorts, self.scenario_titles)),
                f"Retention at {self.focal.title()} (Kaplan–Meier): share of a cohort still there by weeks since it "
                "arrived (incumbents: since the start). Line: mean of the per-run curves; band: 95% interval; drawn "
                "while at least half of the runs are followed up.",
                f"Line chart, one panel per cohort ({', '.join(cohorts)}), of the share still at {self.focal.title()} "
                "against weeks since arrival, one line per scenario.",
            )
        )
        self.why.items.append(
            Figure(
                "competing_risks",
                _png(figures.incidence_figure(titled, self.focal, cohorts, self.scenario_titles)),
                f"How people leave {self.focal.title()}: cumulative share who left for a rival lab, left for outside the "
                "labs, or were laid off (Aalen–Johansen), by weeks since arrival; mean over runs with 95% band.",
                f"Line charts of the cumulative share leaving {self.focal.title()} by cause (rival lab, outside, layoff) "
                "against weeks since arrival, one line per scenario.",
            )
        )
        self.method.paragraphs.append(
            f"Stays: {stays['n'].sum():,} researcher stays at labs in {stays['run_id'].nunique()} runs; each stay's "
            "cohort is the one its arrival row in the event log records."
        )
        at = curves[curves["t"] == self.settings.retention_weeks]
        survival = at[at["measure"] == "survival"]
        if len(survival):
            self.happens.items.append(
                Table(
                    f"Retention at {self.focal.title()} {self.settings.window_text} after arrival",
                    "Per-run Kaplan–Meier estimate (incumbents: since the start), mean [95% CI] over runs.",
                    self.by_scenario(
                        survival, "pct", "cohort", [c for c in cohorts if (survival["cohort"] == c).any()]
                    ),
                )
            )
        self.causes(at)

    def causes(self, at: pd.DataFrame) -> None:
        """Where the tracked cohort's leavers went by the end of the window, per scenario (a 'why' sentence)."""
        cohort = at[at["cohort"] == self.cohort]
        parts = []
        for scenario in self.scenarios:
            found = [
                f"{Estimate.of(row, 'pct').value} {words}"
                for measure, words in CAUSES.items()
                if (row := _pick(cohort, scenario=scenario, measure=measure)) is not None
            ]
            if found:
                parts.append(f"{self.titles[scenario]}: " + ", ".join(found))
        if parts:
            self.why.paragraphs.append(
                f"Where the {self.cohort} cohort goes, {self.settings.window_text} after arriving at "
                f"{self.focal.title()} (share of the cohort): " + "; ".join(parts) + "."
            )

    def differences(self) -> None:
        b = self.brief
        if not b.reference:
            return
        shared = "seeds and parameter draws" if b.drawn else "seeds"
        for outcome, diffs in b.differences.items():
            parts = [f"{self.titles[s]} {e.phrase()}" for s in self.scenarios if (e := diffs.get(s)) and e.defined]
            if parts:
                self.why.paragraphs.append(
                    f"Paired run by run (the scenarios share their {shared}), {self.outcome_name(outcome)} minus "
                    f"its value after {self.titles[b.reference]}: " + tables.listing(parts) + "."
                )

    def series(self) -> None:
        if self.data.metrics is None:
            self.notes.append(
                "The store keeps no weekly metrics (outputs.metrics: false): no headcount, top-talent, "
                "capability, pay or executive-exit series; incumbents are left out of the retention "
                "curves."
            )
            return
        wide = analysis.weekly(self.data.metrics)
        bands = self.titled(analysis.metric_bands(wide, ["headcount", "top_talent_share", "gap"]))
        start = wide.loc[wide["week"] == 0, "date"].min()
        week = self.data.scenario_runs.groupby("scenario")["release_week"].median()
        releases = {
            self.titles[s]: start + dt.timedelta(weeks=float(week[s])) if pd.notna(week.get(s)) else pd.NaT
            for s in self.scenarios
        }
        focal = self.focal.title()
        self.happens.items.append(
            Figure(
                "top_talent_share",
                _png(
                    figures.lab_by_scenario(
                        bands, "top_talent_share", self.focal, self.scenario_titles, "share of top talent", releases
                    )
                ),
                f"{focal}'s share of the world's top talent by scenario, mean with 95% band; dashed: each scenario's "
                "release.",
                f"Line chart of {focal}'s share of top talent over time, one line per scenario.",
            )
        )
        self.happens.items.append(
            Figure(
                "headcount",
                _png(figures.lines_by_lab(bands, "headcount", self.scenario_titles, "researchers", releases)),
                "Researchers at each lab over time (in the simulated world's scale), mean with 95% band; dashed: the "
                "release.",
                "Line charts, one panel per scenario, of each lab's headcount over time.",
            )
        )
        self.why.items.append(
            Figure(
                "capability_gap",
                _png(figures.lines_by_lab(bands, "gap", self.scenario_titles, "capability − frontier", releases)),
                "Each lab's capability minus the best lab's that week (0 = at the frontier), mean with 95% band.",
                "Line charts, one panel per scenario, of each lab's capability gap to the frontier over time.",
            )
        )
        totals = analysis.lab_totals(wide)
        kinds = {
            "pay spent (M$, 4-yr value)": "count",
            "executive exits": "num",
            "headcount at end": "count",
            "top-talent share at end": "pct",
            "capability gap at end": "num",
        }
        shown = totals.assign(value=[Estimate.of(r, kinds[r["quantity"]]).cell() for _, r in totals.iterrows()])
        shown = shown.assign(scenario=shown["scenario"].map(self.titles))
        shown = shown.pivot(index=["quantity", "lab"], columns="scenario", values="value")
        self.happens.items.append(
            Table(
                "By lab over the whole run",
                "Per-run totals (pay spent on accepted offers, executive exits) and "
                "end-of-run levels, mean [95% CI] over runs.",
                shown.reindex(columns=self.scenario_titles).reset_index(),
            )
        )

    def race(self) -> None:
        """The capability race (M9): the lead changing hands in public, the leader's margin, each lab's gap."""
        metrics = self.data.metrics
        if metrics is None or not (metrics["metric"] == "standing").any():
            self.notes.append("The store has no public-standing series: no capability-race section.")
            return
        summary = analysis.race.race_summary(metrics)
        bands = analysis.mean_ci(
            analysis.race.margins(metrics).merge(
                metrics[["run_id", "week", "date"]].drop_duplicates(), on=["run_id", "week"]
            ),
            ["scenario", "date"],
            value="margin",
        )
        scenario = self.scenarios[0]
        run_id = sorted(self.data.scenario_runs.loc[self.data.scenario_runs["scenario"] == scenario, "run_id"])[0]
        one = metrics[(metrics["run_id"] == run_id) & metrics["metric"].isin(["standing", "capability"])]
        one = one.pivot_table(index=["date", "lab"], columns="metric", values="value", observed=True).reset_index()
        marks = analysis.race.release_marks(metrics[metrics["run_id"] == run_id])
        self.why.items.append(
            Figure(
                "capability_race",
                _png(figures.race_figure(one, marks, self.titled(bands), self.titles[scenario])),
                f"The capability race in one run of {self.titles[scenario]}: each lab's public standing (the index its "
                "releases reached; dots at releases) over its internal capability (dotted); the squares along the top "
                "take the leader's colour. Middle: each lab's standing minus the public frontier. Right: the leader's "
                "standing minus the third lab's, mean over runs with 95% band, per scenario.",
                "Three panels: public standing and capability of each lab over time in one run, each lab's distance "
                "to the public frontier, and the leader's margin over the third lab by scenario.",
            )
        )
        names = {
            "changes_per_year": "changes of the public leader per year",
            "labs_that_led": "labs that led",
            "margin_first_year": "leader's margin over the third lab, first year (index points)",
            "margin_last_year": "leader's margin over the third lab, last year (index points)",
            "margin_ratio": "last year's margin over the first year's",
        }
        shown = self.by_scenario(summary, "num", "quantity", [q for q in names if (summary["quantity"] == q).any()])
        shown["quantity"] = shown["quantity"].map(names)
        self.why.items.append(Table("The capability race", "Per run, mean [95% CI] over runs.", shown))
        changes, ratio = (
            Estimate.of(_pick(summary, scenario=scenario, quantity=q), "num")
            for q in ("changes_per_year", "margin_ratio")
        )
        if changes.defined and ratio.defined:
            self.why.paragraphs.append(
                f"In {self.titles[scenario]} the public lead changes hands {changes.phrase()} times a year; the "
                f"leader's margin over the third lab in the last year is {ratio.phrase()} times that of the first."
            )

    def drivers(self, weeks: int = 13) -> None:
        """What the release changes at the focal lab that its researchers' quit hazard reads."""
        if self.data.metrics is None:
            return
        shifts = analysis.drivers.release_shifts(self.data.metrics, self.data.scenario_runs, self.focal, weeks)
        if shifts.empty:
            return
        present = [m for m in analysis.drivers.DRIVERS if (shifts["metric"] == m).any()]
        table = self.by_scenario(shifts, "change", "metric", present)
        table["metric"] = table["metric"].map(analysis.drivers.DRIVERS)
        self.why.items.append(
            Table(
                f"What the release changes at {self.focal.title()}",
                f"Change from the week before the release to "
                f"{weeks} weeks after it, per run; mean [95% CI] over runs. Morale enters the quit hazard directly, "
                "prestige the choice of where to go, the share price the value of unvested equity.",
                table,
                collapsed=False,
            )
        )
        success, failure = self.brief.by_outcome("success"), self.brief.by_outcome("failure")
        if success and failure:
            parts = []
            for metric in present:
                after = {s: Estimate.of(_pick(shifts, scenario=s, metric=metric), "change") for s in (failure, success)}
                parts.append(
                    f"{analysis.drivers.DRIVERS[metric].split(' (')[0]} moves by {after[failure].phrase()} "
                    f"after a failure against {after[success].value} after a success"
                )
            self.why.paragraphs.insert(
                0,
                f"Why the outcome matters: in the {weeks} weeks after the release, "
                f"{self.focal.title()}'s " + tables.listing(parts) + ".",
            )

    def flows(self) -> None:
        if self.data.events is None:
            return
        flows = self.titled(analysis.flow_matrix(self.log))
        self.why.items.append(
            Figure(
                "flows",
                _png(figures.flow_figure(flows, self.scenario_titles)),
                "Where researchers go: researchers moved from the row's lab to the column's, mean per run (outside: hires "
                "from and exits to the world outside the labs).",
                "Heatmaps, one per scenario, of researchers moved between each pair of labs and the outside.",
            )
        )

    # -------------------------------------------------------- what would change it

    def levers(self) -> None:
        parts = [analysis.lever_effects(self.runs, outcome) for outcome in self.lever_outcomes]
        parts = [p for p in parts if not p.empty]
        if not parts:
            design = int((self.runs["point"] > 0).sum())
            self.notes.append(
                f"The lever design's {design} successful runs are too few to estimate any lever's effect "
                "with an interval (an effect takes more runs than the levers and replications it is "
                "fitted with): no lever effects."
                if design
                else "This store has no lever design (a grid or sample of parameters): no lever effects."
            )
            return
        effects = pd.concat(parts, ignore_index=True)
        section = Section("levers", "Levers the focal lab controls")
        estimated = effects.dropna(subset=["src"])  # the table says why the others have no effect
        if not estimated.empty:
            drawn = estimated.assign(
                lever=estimated["lever"].map(self.plain),
                outcome=estimated["outcome"].map(self.outcome_name),
                scenario=estimated["scenario"].map(self.titles),
            )
            section.items.append(
                Figure(
                    "lever_effects",
                    _png(figures.lever_figure(drawn)),
                    "How much each lever moves each outcome: standardized effect (SD of the outcome per SD of the lever, "
                    "levers fitted jointly) with its 95% interval; right of the line raises the outcome.",
                    "Dot-and-whisker chart of each lever's standardized effect on each outcome, with 95% intervals.",
                )
            )
        section.items.append(
            Table(
                "Lever effects",
                "Standardized effect: SD change of the outcome per SD of the "
                "lever, all levers fitted jointly by OLS over the design runs with replication "
                "fixed effects and, from 10 replications on, errors clustered by replication. "
                "Effect over the range: the outcome's change predicted from the lowest to the "
                "highest sampled value, in the outcome's unit (percentage points of a share, "
                "researchers, weeks, index points).",
                pd.DataFrame(
                    {
                        "scenario": effects["scenario"].map(self.titles),
                        "outcome": effects["outcome"].map(self.outcome_name),
                        "lever": [self.term(p, unit=True) for p in effects["lever"]],
                        "sampled range": [
                            f"{tables.number(lo)} – {tables.number(hi)}"
                            for lo, hi in zip(effects["low"], effects["high"], strict=False)
                        ],
                        "runs": effects["n"],
                        "standardized effect [95% CI]": [
                            self.effect(row, "change", "src").cell() for _, row in effects.iterrows()
                        ],
                        "effect over the range [95% CI]": [self.effect(row).cell() for _, row in effects.iterrows()],
                    }
                ),
            )
        )
        swept = list(effects["scenario"].unique())
        failed = ([s for s in swept if self.brief.by_outcome("failure") == s] or swept)[0]
        for outcome in self.lever_outcomes:
            rows = effects[(effects["outcome"] == outcome) & (effects["scenario"] == failed)].dropna(subset=["src"])
            if rows.empty:  # e.g. an outcome that does not vary across the design
                continue
            top = rows.loc[rows["src"].abs().idxmax()]
            settled = not (top["src_low"] <= 0 <= top["src_high"])
            section.paragraphs.append(
                Markup(
                    "Of the {n} levers swept on {scenario} ({runs} runs), the one that moves “{outcome}” most is "
                    "{lever}: from {low} to {high} it changes it by {change}{settled}"
                ).format(
                    n=len(rows),
                    scenario=self.titles[failed],
                    runs=int(top["n"]),
                    lever=self.term(top["lever"]),
                    outcome=self.outcome_name(outcome),
                    low=tables.number(top["low"]),
                    high=tables.number(top["high"]),
                    change=self.effect(top).phrase(),
                    settled="."
                    if settled
                    else "; the interval includes no change, so more runs are needed to rank the levers.",
                )
            )
        self.change.subsections.append(section)

    @staticmethod
    def effect(row: pd.Series, kind: str | None = None, column: str = "range") -> Estimate:
        """A lever's effect on its outcome as an estimate: over the lever's range in the outcome's unit (a share
        in points, a headcount in researchers, ...), or standardized (``kind`` change, ``column`` src)."""
        if kind is None:
            declared = OUTCOMES.get(row["outcome"])
            kind = DIFFERENCE[declared.kind] if declared else "change"
        mean = row["range_effect" if column == "range" else column]
        return Estimate(
            mean,
            row[f"{column}_low"],
            row[f"{column}_high"],
            int(row["n"]),
            kind,
            row["note"] or "no effect to estimate",
        )

    def sensitivity(self, directory: Path) -> None:
        """The Sobol section from the output folder of ``orgsim sensitivity``."""
        indices, meta = analysis.read_sensitivity(directory)
        defined = indices.dropna(subset=["parameter"])
        if "method" in defined and (defined["method"] == "metamodel").any():
            defined = defined[defined["method"] == "metamodel"]
        section = Section("sensitivity", "What matters most: global sensitivity")
        section.items.append(
            Figure(
                "sobol",
                _png(
                    figures.sobol_figure(
                        defined.assign(
                            parameter=defined["parameter"].map(self.plain),
                            outcome=defined["outcome"].map(self.outcome_name),
                            scenario=defined["scenario"].map(lambda s: self.titles.get(s, s)),
                        )
                    )
                ),
                f"Global sensitivity (Sobol): the share of each outcome's variance a parameter explains alone (S1) and "
                f"with its interactions (ST), with {meta['conf_level']:.0%} bootstrap intervals; {meta['parameters']} "
                f"parameters, {meta['points']} design points.",
                "Dot-and-whisker chart of first- and total-order Sobol indices of each parameter, per outcome.",
            )
        )
        rows = []
        for (scenario, outcome), group in defined.groupby(["scenario", "outcome"], sort=False):
            for rank, (_, row) in enumerate(analysis.ranking(group, outcome).head(3).iterrows(), start=1):
                rows.append(
                    {
                        "scenario": self.titles.get(scenario, scenario),
                        "outcome": self.outcome_name(outcome),
                        "rank": rank,
                        "parameter": self.term(row["parameter"], unit=True),
                        "ST [95% CI]": f"{row['ST']:.2f} [{row['ST_low']:.2f}, {row['ST_high']:.2f}]",
                        "S1 [95% CI]": f"{row['S1']:.2f} [{row['S1_low']:.2f}, {row['S1_high']:.2f}]",
                    }
                )
        section.items.append(
            Table(
                "The three parameters that matter most",
                f"Sobol indices ({meta['runs']} runs, N = "
                f"{meta['base_samples']} base samples, git {str(meta.get('git_revision') or 'n/a')[:10]}), ranked by the "
                "total-order index ST (the share of variance a parameter is involved in, interactions included).",
                pd.DataFrame(rows),
            )
        )
        for outcome in briefs.RETENTION:
            for scenario, group in defined[defined["outcome"] == outcome].groupby("scenario"):
                top = analysis.ranking(group, outcome).head(3)
                parts = [
                    Markup("{} (ST {:.2f}, 95% CI {:.2f} to {:.2f})").format(
                        self.term(r["parameter"]), r["ST"], r["ST_low"], r["ST_high"]
                    )
                    for _, r in top.iterrows()
                ]
                explained = (
                    (
                        f"; together the {meta['parameters']} parameters explain {top['explained'].iloc[0]:.0%} "
                        "of the run-to-run variance, the rest is seed noise"
                    )
                    if "explained" in top
                    else ""
                )
                section.paragraphs.append(
                    Markup(
                        "On {scenario} ({runs} Sobol runs over {n} parameters), the three that matter most for "
                        "{outcome} are {parts}{explained}."
                    ).format(
                        scenario=self.titles.get(scenario, scenario),
                        runs=meta["runs"],
                        n=meta["parameters"],
                        outcome=self.outcome_name(outcome),
                        parts=page.listing(parts),
                        explained=explained,
                    )
                )
        self.change.subsections.append(section)

    # -------------------------------------------------------- how sure we are

    def uncertainty(self) -> None:
        """What the intervals carry: seed noise alone, or seed noise plus drawn parameter uncertainty."""
        runs = self.data.scenario_runs
        self.sure.paragraphs.append(
            f"{len(self.runs):,} successful runs: {runs['replication'].nunique() if 'replication' in runs else len(runs)}"
            f" replications of each of {len(self.scenarios)} scenarios, which share their seeds (common random "
            "numbers)"
            + (f", and {len(self.runs) - len(runs):,} runs of the lever design." if len(self.runs) > len(runs) else ".")
        )
        drawn = self.manifest.get("parameter_draws")
        if not drawn or "draw" not in self.runs:
            self.sure.paragraphs.append(
                "Intervals reflect seed noise only: every replication ran with the same "
                "parameters (the experiment draws no parameter vectors)."
            )
            return
        name = Path(drawn["file"]).name
        self.sure.paragraphs.append(
            f"Every interval carries parameter uncertainty as well as seed noise: each replication ran with its own "
            f"parameter vector, drawn from the {drawn['pool']} vectors the calibration accepted ({name}; "
            f"{len(set(drawn['ids']))} distinct draws over {len(drawn['ids'])} replications), the same for every "
            "scenario."
        )
        shares = [analysis.drawn_share(self.runs, o) for o in self.lever_outcomes]
        shares = pd.concat([s for s in shares if not s.empty] or [pd.DataFrame()], ignore_index=True)
        if shares.empty:
            return
        self.sure.items.append(
            Table(
                "Parameter uncertainty",
                f"Share of each outcome's spread over replications that "
                f"the parameters drawn from {name} explain: adjusted R² of an OLS fit on them. "
                "The rest is seed noise; at or below 0 the draws explain no more than chance.",
                pd.DataFrame(
                    {
                        "scenario": shares["scenario"].map(self.titles),
                        "outcome": shares["outcome"].map(self.outcome_name),
                        "explained by the drawn parameters (adjusted R²)": shares["r2_adj"].map("{:.2f}".format),
                        "runs": shares["runs"],
                        "parameters": shares["parameters"],
                    }
                ),
            )
        )

    def validation_status(self) -> None:
        if self.validation is None:
            self.sure.paragraphs.append(
                "No validation document was given (orgsim report --validation): this report "
                "says nothing of facts the calibration never saw."
            )
            return
        passed, total, failures = briefs.read_validation(self.validation)
        section = Section("validation", "Against facts the calibration never saw")
        section.paragraphs.append(
            f"{passed} of {total} facts pass ({self.validation.name}): the model is checked on churn per lab, where "
            "leavers go, who was courted and how long people stay, none of which it was fitted to."
            + (
                f" {len(failures)} fail, listed below; read the numbers that depend on them with care."
                if failures
                else ""
            )
        )
        if failures:
            section.items.append(
                Table(
                    "Facts the model misses",
                    "Simulated mean against the record or its plausibility range.",
                    pd.DataFrame(failures),
                    collapsed=False,
                )
            )
        self.sure.subsections.append(section)

    def two_year(self) -> None:
        if self.data.events is None:
            return
        table = analysis.two_year_retention_table(self.data.events, self.data.last_week)
        wide = self.by_scenario(table, "pct", "lab", list(dict.fromkeys(table["lab"])))
        wide["SignalFire 2025"] = [
            tables.number(signalfire()[lab], "pct") if lab in signalfire() else "not published" for lab in wide["lab"]
        ]
        self.sure.items.append(
            Table(
                "Two-year retention against SignalFire's",
                "Of the researchers who joined a lab in the two years up to "
                "each run's last week, the share still there; mean [95% CI] over runs, beside the published figures "
                "(before week 104 the window holds only the weeks simulated).",
                wide,
            )
        )
        parts = [
            f"{self.titles[s]} {Estimate.of(r, 'pct').phrase()}"
            for s in self.scenarios
            if (r := _pick(table, scenario=s, lab=self.focal)) is not None
        ]
        if parts:
            self.sure.paragraphs.append(
                f"Two-year retention at {self.focal.title()} (SignalFire's definition) at the horizon: "
                + "; ".join(parts)
                + (
                    f" (published for 2025: {tables.number(signalfire()[self.focal], 'pct')})."
                    if self.focal in signalfire()
                    else " (SignalFire published no figure for it)."
                )
            )

    def provenance(self) -> None:
        """Say which code made the runs: a resume may add runs from a later revision (their configs agree)."""
        revisions = sorted(self.runs["code_revision"].dropna().unique()) if "code_revision" in self.runs else []
        if len(revisions) > 1:
            self.notes.append(
                f"The runs were made by {len(revisions)} code revisions ("
                + ", ".join(r[:10] for r in revisions)
                + "); every run's config is the same as when "
                "the sweep started (a resume checks it), but the code that ran them is not."
            )

    # -------------------------------------------------------- method

    def glossary(self) -> None:
        self.method.paragraphs += [
            "Every statistic is computed per run, then averaged over replications with a 95% Student-t interval for "
            "the mean, clipped only to the values the outcome can take (0-100% for a share, at most 0 for the gap "
            "to the frontier); curves are summarized pointwise the same way, over the runs followed up to that week.",
            "Scenario comparisons use design point 0 (each scenario as configured); lever effects use the design "
            "points 1..K.",
            f"Settings read from the stored configs: focal lab {self.focal}, tracked cohort {self.cohort}, release "
            f"{self.release}, retention window {self.settings.retention_weeks} weeks, top talent the top "
            f"{100 * (1 - self.settings.top_quantile):.0f}% by skill.",
        ]
        if self.terms:
            rows = [labels.parameter(path, self.scenario) for path in sorted(self.terms)]
            self.method.items.append(
                Table(
                    "Parameters named in this report",
                    "Each label with its config path (for --set, sweeps and experiment files) and unit.",
                    pd.DataFrame(
                        {
                            "label": [r.text for r in rows],
                            "config path": [r.path for r in rows],
                            "unit": [r.unit for r in rows],
                        }
                    ),
                )
            )
        outcomes = self.brief.outcomes.values()
        self.method.items.append(
            Table(
                "Outcomes",
                "Each headline outcome's name in runs.parquet, its unit and the values it can take.",
                pd.DataFrame(
                    {
                        "outcome": [o.label for o in outcomes],
                        "column": [o.key for o in outcomes],
                        "unit": [o.unit for o in outcomes],
                        "domain": [
                            f"{_bound(o.domain.low, o.domain.kind)} to {_bound(o.domain.high, o.domain.kind)}"
                            for o in outcomes
                        ],
                    }
                ),
            )
        )

    # -------------------------------------------------------- assembly

    def build(
        self, sensitivity: Path | None = None, discovery: Path | None = None, optimize: Path | None = None
    ) -> list[Section]:
        self.first_screen()
        self.retention()
        self.series()
        self.headline_table()
        self.drivers()
        self.differences()
        self.race()
        self.flows()
        self.levers()
        if sensitivity is not None:
            self.sensitivity(sensitivity)
        if discovery is not None:
            self.change.subsections.append(decision.collapse_section(discovery, sensitivity, self.names))
        if optimize is not None:
            self.change.subsections.append(decision.policies_section(optimize, self.names))
        if not self.change.subsections:
            self.change.paragraphs.append(
                "This store has no lever design, and no sensitivity, discovery or policy "
                "results were given: nothing here says what would change the outcome."
            )
        self.uncertainty()
        self.validation_status()
        self.two_year()
        self.provenance()
        if self.notes:
            self.sure.paragraphs += self.notes
        self.glossary()
        sections = [self.happens, self.why, self.change, self.sure, self.method]
        page.number([Section("first", "", items=[self.headline_figure] if self.headline_figure else []), *sections])
        return sections


def write_report(
    root: str | Path,
    out: str | Path,
    sensitivity: str | Path | None = None,
    discovery: str | Path | None = None,
    optimize: str | Path | None = None,
    validation: str | Path | None = None,
) -> Report:
    """Analyze the store at ``root`` and write ``out`` (HTML) and one PNG per figure beside it.

    ``sensitivity``, ``discovery``, ``optimize``: the output folders of ``orgsim sensitivity``, ``discover`` and
    ``optimize``, for their sections; ``validation``: the Markdown of ``orgsim validation`` (docs/VALIDATION.md).
    A store where every run failed gets a page of its errors instead.
    """
    started = time.perf_counter()
    root, out = Path(root), Path(out)
    records = analysis.read_records(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = Report(out)
    manifest = Store(root).read_manifest() or {}
    failed = int((records["status"] != "ok").sum())
    if failed == len(records):
        title, answer, key_numbers, headline, sections = _failures(records, manifest.get("experiment", root.name))
    else:
        builder = _Builder(root, None if validation is None else Path(validation))
        sections = builder.build(*(None if d is None else Path(d) for d in (sensitivity, discovery, optimize)))
        title = f"Who stays at {builder.focal.title()} after {builder.release.title()}"
        answer, key_numbers, headline = builder.brief.answer(), builder.brief.key_numbers, builder.headline_figure
    for figure in ([headline] if headline else []) + [f for s in sections for f in s.figures()]:
        path = out.with_name(f"{out.stem}_{figure.key}.png")
        atomic_write(path, lambda tmp, png=figure.png: tmp.write_bytes(png))
        report.figures.append(path)
    report.seconds = time.perf_counter() - started
    html = page.render(
        title=title,
        meta=f"Experiment {manifest.get('experiment', root.name)} · {len(records) - failed:,} runs ({failed} failed) · "
        f"git {str(manifest.get('git_revision') or 'n/a')[:10]} · generated "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        answer=answer,
        key_numbers=key_numbers,
        headline=headline,
        sections=sections,
        footer=f"orgsim report, written in {report.seconds:.1f} s.",
    )
    atomic_write(out, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return report


def _failures(records: pd.DataFrame, experiment: str) -> tuple[str, str, tuple, None, list[Section]]:
    """The page of a store where every run failed: each distinct error, how many runs raised it, which."""
    errors = (
        records.assign(error=records["error"].fillna("").replace("", "no error recorded"))
        if "error" in records
        else records.assign(error="no error recorded")
    )
    grouped = errors.groupby("error", sort=False)["run_id"].agg(sorted)
    frame = pd.DataFrame(
        {
            "error": grouped.index,
            "runs": grouped.map(len).to_numpy(),
            "for example": [", ".join(ids[:3]) + (" …" if len(ids) > 3 else "") for ids in grouped],
        }
    )
    section = Section(
        "errors",
        "Why the runs failed",
        items=[
            Table(
                "Errors",
                "Each distinct error the runs raised, how many runs raised it and the first of them; runs.parquet "
                "holds each run's error and the end of its traceback.",
                frame.sort_values("runs", ascending=False, kind="stable"),
                collapsed=False,
            )
        ],
    )
    page.number([section])
    answer = (
        f"Every one of the {len(records):,} runs of {experiment} failed, so there is nothing to report yet: "
        f"the table below says why ({len(frame)} distinct error{'s' * (len(frame) > 1)}). Fix the cause and "
        "rerun the sweep with --resume, which runs the failed runs again."
    )
    return f"No run of {experiment} succeeded", answer, (), None, [section]
