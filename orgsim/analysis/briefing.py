"""The report's numbers as a typed summary: what a reader needs first, computed apart from the prose.

:func:`brief` turns a store into a :class:`Briefing`: the scenarios with
their reader-facing titles, every headline outcome per scenario as an
:class:`Estimate` (mean, 95% interval within the outcome's domain, runs),
the paired differences to the success scenario, and the three to five key
numbers of the report's first screen. The HTML template only formats these,
so the numbers can be unit-tested without parsing a page.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orgsim.analysis.summaries import (
    Settings,
    StoreData,
    StoreError,
    headline_table,
    paired_differences,
    release_outcomes,
)
from orgsim.outcomes import OUTCOMES, Outcome
from orgsim.sweep.store import Store
from orgsim.tables import SUFFIX, number

#: scenarios in the order a reader compares them: success first, then failure, a slip, the rest
ORDER = {"success": 0, "failure": 1, "partial": 2, "none": 3}
#: the outcomes of the first screen: the tracked cohort's and top talent's retention after the release
RETENTION = ("cohort_retention", "top_talent_retention")


#: the kind a difference of an outcome prints as, by the outcome's kind: a share in percentage points, a
#: headcount in researchers, a week in weeks, an index in index points
DIFFERENCE = {"pct": "pp", "count": "researchers", "week": "weeks", "num": "points"}


@dataclass(frozen=True)
class Estimate:
    """A mean over replications with its 95% Student-t interval (NaN bounds when n < 2); ``why`` says in words
    why there is no mean, if there is none."""

    mean: float
    low: float
    high: float
    n: int
    kind: str  # how it prints: pct, pp, count, week, num, change (a signed num) or a DIFFERENCE kind
    why: str = "no value in any run"

    @classmethod
    def of(cls, row: pd.Series | None, kind: str, why: str = "no value in any run") -> Estimate:
        if row is None:
            return cls(math.nan, math.nan, math.nan, 0, kind, why)
        return cls(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), int(row["n"]), kind, why)

    @property
    def defined(self) -> bool:
        return math.isfinite(self.mean)

    @property
    def has_interval(self) -> bool:
        return self.defined and math.isfinite(self.low) and math.isfinite(self.high)

    @property
    def value(self) -> str:
        return number(self.mean, self.kind) if self.defined else "not measured"

    @property
    def note(self) -> str:
        """Why there is no interval, in words ('' when there is one)."""
        if self.has_interval:
            return ""
        return f"{self.n} run{'s' * (self.n != 1)}: no interval" if self.defined else self.why

    @property
    def interval(self) -> str:
        """'82.1–89.3%' (the unit once, after the upper bound); empty without an interval."""
        if not self.has_interval:
            return ""
        low, high = number(self.low, self.kind), number(self.high, self.kind)
        unit = SUFFIX.get(self.kind, "")
        if unit and low.endswith(unit) and high.endswith(unit):
            low = low.removesuffix(unit)
        signed = self.kind == "change" or self.kind in DIFFERENCE.values()
        return f"{low} to {high}" if signed or self.low < 0 else f"{low}–{high}"

    def cell(self) -> str:
        """'85.7% [82.1%, 89.3%]' or '+3.2 pp [+1.0, +5.4]' for a table; without an interval, the value and
        why there is none; without a value, why."""
        if not self.defined:
            return self.why
        if not self.has_interval:
            return f"{self.value} ({self.note})"
        low, high = number(self.low, self.kind), number(self.high, self.kind)
        unit = SUFFIX.get(self.kind, "")
        if unit.startswith(" "):  # a unit in words is said once, after the value
            low, high = low.removesuffix(unit), high.removesuffix(unit)
        return f"{self.value} [{low}, {high}]"

    def phrase(self) -> str:
        """'85.7% (95% CI 82.1–89.3%)' for a sentence."""
        if not self.has_interval:
            return self.cell()
        return f"{self.value} (95% CI {self.interval})"


@dataclass(frozen=True)
class ScenarioView:
    key: str
    title: str
    release_outcome: str
    runs: int


@dataclass(frozen=True)
class OutcomeRow:
    """One headline outcome across the scenarios, with the label its runs' settings give it."""

    key: str
    label: str
    unit: str
    domain: Outcome
    estimates: dict[str, Estimate]


@dataclass(frozen=True)
class KeyNumber:
    label: str
    estimate: Estimate
    detail: str


@dataclass(frozen=True)
class Briefing:
    """Everything the report's first screen states, as numbers."""

    settings: Settings
    scenarios: tuple[ScenarioView, ...]
    outcomes: dict[str, OutcomeRow]
    reference: str | None  # the success scenario the paired differences are taken against
    differences: dict[str, dict[str, Estimate]]  # outcome -> scenario -> minus the reference, paired
    drawn: bool  # the intervals carry drawn parameter uncertainty, not seed noise alone
    key_numbers: tuple[KeyNumber, ...]

    def title(self, scenario: str) -> str:
        return next((s.title for s in self.scenarios if s.key == scenario), scenario)

    def estimate(self, outcome: str, scenario: str) -> Estimate:
        row = self.outcomes.get(outcome)
        return row.estimates[scenario] if row and scenario in row.estimates else Estimate.of(None, "pct")

    def by_outcome(self, outcome: str) -> str | None:
        """The scenario whose release had ``outcome`` (success, failure, partial), if any."""
        return next((s.key for s in self.scenarios if s.release_outcome == outcome), None)

    def answer(self) -> str:
        """The first screen's paragraph, in plain words: who stays after each outcome and what a failure costs."""
        s = self.settings
        focal, window = s.focal_lab.title(), s.window_text
        share = {v.key: self.estimate("cohort_retention", v.key) for v in self.scenarios}
        success, failure = self.by_outcome("success"), self.by_outcome("failure")
        said = [k for k in (success, failure) if k and share[k].defined]
        if said:
            first, *second = [f"{share[k].value} if it {'succeeds' if k == success else 'fails'}" for k in said]
            first = first.replace(" if", f" {window} after the {s.release.title()} release if", 1)
            text = f"Of its {s.cohort} cohort, {focal} still has " + ", and ".join([first, *second]) + " (Figure 1)."
        elif not any(e.defined for e in share.values()):
            why = next(iter(share.values())).why if share else "no value in any run"
            text = (
                f"How much of its {s.cohort} cohort {focal} keeps {window} after the {s.release.title()} release "
                f"is not measured in this store: {why}."
            )
        else:
            text = f"{window} after the {s.release.title()} release:"
        costs = [
            (outcome, gap)
            for outcome in RETENTION
            if failure and (gap := self.differences.get(outcome, {}).get(failure)) is not None and gap.defined
        ]
        if costs:
            who = {"cohort_retention": "cohort", "top_talent_retention": "top-talent"}
            sign = -1.0 if costs[0][1].mean < 0 else 1.0  # said as a cost when the failure lowers retention
            parts = []
            for outcome, gap in costs:
                low, high = sorted((sign * gap.low, sign * gap.high))
                interval = f" (95% CI {100 * low:z.1f} to {100 * high:z.1f})" if gap.has_interval else ""
                parts.append(f"{100 * sign * gap.mean:z.1f} points of {who[outcome]} retention{interval}")
            verb = "costs" if sign < 0 else "adds"
            text += f" Compared run for run, a failure instead of a success {verb} " + " and ".join(parts) + "."
        others = [v for v in self.scenarios if v.key not in said and share[v.key].defined]
        if others:
            text += "".join(f" {v.title}: {share[v.key].value}." for v in others)
        text += (
            " Every range carries seed noise and the calibration's parameter uncertainty."
            if self.drawn
            else " Ranges carry seed noise only."
        )
        return text

    def intervals(self):
        """Every printed estimate with the outcome whose domain bounds it (for checks)."""
        for row in self.outcomes.values():
            for scenario, estimate in row.estimates.items():
                yield row.key, scenario, estimate, row.domain


def _title(store: Store, runs: pd.DataFrame, scenario: str) -> str:
    digest = runs.loc[runs["scenario"] == scenario, "config_digest"].iloc[0]
    config = store.config(digest) or {}
    return config.get("title") or scenario.replace("_", " ")


def scenario_views(data: StoreData) -> tuple[ScenarioView, ...]:
    """Scenarios at point 0 in reading order, with their titles from the stored configs."""
    runs, store = data.scenario_runs, Store(data.root)
    outcomes = release_outcomes(data.runs)
    names = sorted(runs["scenario"].unique(), key=lambda s: (ORDER.get(outcomes.get(s, "none"), 9), s))
    counts = runs.groupby("scenario").size()
    return tuple(ScenarioView(s, _title(store, runs, s), str(outcomes.get(s, "none")), int(counts[s])) for s in names)


def _estimates(
    table: pd.DataFrame, kind: str, key: str = "scenario", why: str = "no value in any run"
) -> dict[str, Estimate]:
    return {str(row[key]): Estimate.of(row, kind, why) for _, row in table.iterrows()}


def brief(data: StoreData) -> Briefing:
    """The typed summary of a store's scenarios (design point 0)."""
    s, runs = data.settings, data.runs
    scenarios = scenario_views(data)
    table = headline_table(runs)
    outcomes = {}
    for key, spec in OUTCOMES.items():
        rows = table[table["outcome"] == key]
        if len(rows):
            words = (s.focal_lab.title(), s.cohort, s.release.title(), s.retention_weeks)
            outcomes[key] = OutcomeRow(
                key, spec.name(*words), spec.unit, spec, _estimates(rows, spec.kind, why=spec.why_missing(*words))
            )
    reference = next((v.key for v in scenarios if v.release_outcome == "success"), None)
    differences = {}
    if reference:
        for outcome in RETENTION:
            diff = paired_differences(runs, outcome, reference)
            differences[outcome] = _estimates(diff, "pp")
    briefing = Briefing(s, scenarios, outcomes, reference, differences, "draw" in runs, ())
    return dataclasses.replace(briefing, key_numbers=key_numbers(briefing))


def key_numbers(b: Briefing) -> tuple[KeyNumber, ...]:
    """The first screen's numbers: retention after a success and a failure, what the failure costs, as it happened."""
    s = b.settings
    after = f"{s.cohort} cohort still at {s.focal_lab.title()} {s.window_text} after the release"
    found = []
    for outcome, words in (("success", "succeeds"), ("failure", "fails")):
        scenario = b.by_outcome(outcome)
        if scenario:
            found.append(KeyNumber(f"If {s.release.title()} {words}", b.estimate("cohort_retention", scenario), after))
    failure = b.by_outcome("failure")
    gap = b.differences.get("cohort_retention", {}).get(failure) if failure and b.reference else None
    if gap is not None and gap.defined:
        found.append(
            KeyNumber(
                "What a failure costs", gap, f"{s.cohort} cohort retention, failure minus success, paired by seed"
            )
        )
    rest = [v for v in b.scenarios if v.release_outcome not in ("success", "failure")]
    for view in rest[-1:]:  # the last in reading order: as it happened, where present
        found.append(KeyNumber(view.title, b.estimate("cohort_retention", view.key), after))
    return tuple(found[:5])


def read_validation(path: Path) -> tuple[int, int, list[dict[str, str]]]:
    """Passes, facts and the failures (fact, simulated, target) of ``orgsim validation``'s Markdown document."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: not a readable validation document ({type(exc).__name__})") from None
    header, failures, passed, total = None, [], 0, 0
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "fact":
            header = cells
            continue
        if header is None or set(cells[0]) <= {"-", ":", " "} or "result" not in header:
            continue
        row = dict(zip(header, cells, strict=False))
        total += 1
        if row["result"].strip("*").lower() == "pass":
            passed += 1
        else:
            failures.append(
                {"fact": row["fact"], "simulated": row.get("simulated mean", ""), "target": row.get("target", "")}
            )
    if total == 0:
        raise StoreError(f"{path}: no table of facts here; is it the --doc output of `orgsim validation`?")
    return passed, total, failures
