"""``orgsim validation``: the model against facts the calibration never sees.

Calibration makes the model match what it was fitted to; validation checks
what it gets right without being told (pattern-oriented modelling, Grimm et
al. 2005). A validation spec (``experiments/validation.yaml``) names the
scenarios to run, their replications and seed, and the facts. A fact is a
calibration :class:`~orgsim.calibration.targets.Target` (a statistic defined
the way its source defines it, a tolerance or ``low``/``high`` plausibility
bounds, a source) plus the scenario it is measured on, so every statistic
kind of the calibration is available here too. One more kind,
``march_contrast``, checks March's (1991) figure on the M10 code itself.

The scenarios run as one sweep (the planning, executors and store of
:mod:`orgsim.sweep.runner`) in ``OUT/sweep``, so a killed validation resumes
with ``--resume``; the March cells run on the same executor, one stored
file each in ``OUT/march``. Facts are measured afterwards, so editing a fact
and resuming re-measures without re-running anything. Written to ``OUT``::

    validation.csv   one row per fact: scenario, source, target or bounds, runs, mean, 95% CI, pass
    validation.md    the same as a Markdown table, failures in bold
    validation.json  spec, seeds, runs (planned, simulated now, failed), times, git revision
    values.csv       every fact's value on every run

A fact passes when its simulated mean lies within its tolerance or bounds
(``check: mean``, the calibration's test) or, for a qualitative claim, when
its whole 95% interval does (``check: interval``). Intervals are Student-t
intervals of the mean over runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import typing
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, model_validator

from orgsim import catalog, lock, tables
from orgsim.calibration.targets import BlitzSize, Statistic, Target, _WindowStatistic, measure
from orgsim.config import ConfigError, load_scenario, load_spec
from orgsim.files import atomic_write, git_revision, read_parquet, versions, write_json
from orgsim.intervals import mean_interval
from orgsim.schema import Scenario, Strict, Unit
from orgsim.sim.recording import HANDCUFF_YEARS
from orgsim.sweep.runner import ExecutorKind, executor, plan, run_seeds, run_sweep
from orgsim.sweep.spec import Experiment, ParameterDraws
from orgsim.sweep.store import Store

__all__ = [
    "Fact",
    "MarchContrast",
    "ValidationSpec",
    "ValidationResult",
    "load_validation",
    "planned_runs",
    "check_out",
    "run_validation",
    "markdown",
    "doc_page",
]


# ------------------------------------------------------------------ the spec


class MarchCell(Strict):
    """One cell of March's design: socialization p1, code learning p2, turnover p3, turbulence p4."""

    p1: Unit
    p2: Unit
    p3: Unit = 0.0
    p4: Unit = 0.0


class MarchContrast(Strict):
    """March's (1991) model on the M10 code: code knowledge at cell ``a`` minus that at cell ``b``, run by run.

    Equilibrium knowledge without p3 and p4, else knowledge after
    ``periods``. Run r of ``a`` and run r of ``b`` are independent, so the
    t interval over the runs' differences is that of the difference of the
    two cell means.
    """

    kind: Literal["march_contrast"]
    a: MarchCell
    b: MarchCell
    runs: Annotated[int, Field(ge=2, le=100_000)] = 80
    periods: Annotated[int, Field(ge=1)] | None = None
    seed: Annotated[int, Field(ge=0)] = 0

    def cells(self) -> tuple[tuple, tuple]:
        return tuple((c.p1, c.p2, c.p3, c.p4, self.runs, self.periods, self.seed) for c in (self.a, self.b))


class InPost(_WindowStatistic):
    """1 if the executive leading ``team`` at ``lab`` did not leave in the window, else 0.

    An executive's exit is logged once per team led, so the ``executive_exit``
    row of the post's team marks its holder leaving (a successor leaving later
    counts too). The mean over runs is the share of runs in which they stay.
    """

    kind: Literal["in_post"]
    team: str

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        left = (
            (window["kind"] == "executive_exit")
            & (window["from_lab"] == self.lab)
            & (window["team"].astype(str) == f"{self.lab}/{self.team}")
        )
        return float(not left.any())


class WalkAway(_WindowStatistic):
    """Quits to outside per year among researchers holding more than three years of market pay unvested.

    The people a rival must make whole: those leaving for start-ups, other
    firms or academia walk away from that money. Quits of researchers whose
    logged forfeit exceeds ``recording.HANDCUFF_YEARS`` over the weekly
    ``handcuffed`` headcount, at ``lab`` or (no lab) at every lab.
    """

    kind: Literal["walk_away"]
    lab: str | None = None

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        quits = (window["kind"] == "quit") & (window["forfeit"] > HANDCUFF_YEARS)
        lo, hi = scenario.week_of(self.start), scenario.week_of(self.end)
        rows = metrics[(metrics["metric"] == "handcuffed") & (metrics["week"] >= lo) & (metrics["week"] <= hi)]
        if self.lab is not None:
            quits &= window["from_lab"] == self.lab
            rows = rows[rows["lab"] == self.lab]
        held = float(rows.groupby("week")["value"].sum().mean()) if len(rows) else 0.0
        return int(quits.sum()) / held / self.years(scenario) if held > 0 else float("nan")


class MadeWholeShare(_WindowStatistic):
    """Of the departures (quits and moves) of researchers holding more than three years of market pay unvested,
    the share that were moves to a rival lab, which buys out what they forfeit (M1's offers in full, a walk-in
    up to its package cap; ODD §7.1, §7.3) rather than quits to the outside."""

    kind: Literal["made_whole_share"]
    lab: str | None = None

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        leaving = window[window["kind"].isin(("quit", "move")) & (window["forfeit"] > HANDCUFF_YEARS)]
        if self.lab is not None:
            leaving = leaving[leaving["from_lab"] == self.lab]
        return float((leaving["kind"] == "move").mean()) if len(leaving) else float("nan")


class ReleaseOutcome(_WindowStatistic):
    """1 if the focal release (``outcomes.release`` of ``lab``, the focal lab) landed in the window with ``outcome``, else 0.

    Read from the run's headline (its release week and outcome), not from the
    metrics and events tables.
    """

    kind: Literal["release_outcome"]
    outcome: Literal["success", "partial", "failure"]

    def from_record(self, scenario: Scenario, record: dict) -> float:
        week = record.get("release_week")
        landed = week is not None and scenario.week_of(self.start) <= week <= scenario.week_of(self.end)
        return float(landed and record.get("release_outcome") == self.outcome)


#: every statistic kind of the calibration, plus the validation's own
FactStatistic = Annotated[
    typing.Union[
        (
            *typing.get_args(typing.get_args(Statistic)[0]),  # noqa: UP007
            InPost,
            ReleaseOutcome,
            MarchContrast,
            WalkAway,
            MadeWholeShare,
        )
    ],
    Field(discriminator="kind"),
]


class Fact(Target):
    """A fact the fit never sees: a calibration target, the scenario it is measured on, and its pass test."""

    statistic: FactStatistic
    scenario: str | None = None  # the name of one of the spec's scenarios (none for march_contrast)
    check: Literal["mean", "interval"] = "mean"

    @model_validator(mode="after")
    def _measured_somewhere(self) -> Fact:
        march = isinstance(self.statistic, MarchContrast)
        if march and self.scenario:
            raise ValueError("a march_contrast fact runs March's model, not a scenario: drop scenario")
        if not march and not self.scenario:
            raise ValueError("scenario: the name of the scenario the statistic is measured on is required")
        return self

    def passes(self, mean: float, ci_low: float, ci_high: float) -> bool:
        """Mean (or whole interval) within the bounds, up to rounding: 0.9 to 1.0 is stored as 0.95 ± 0.04999…"""
        slack = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        lo, hi = (mean, mean) if self.check == "mean" else (ci_low, ci_high)
        return bool(np.isfinite(lo) and np.isfinite(hi) and self.low - slack <= lo and hi <= self.high + slack)


class ValidationSpec(Strict):
    name: str
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    replications: Annotated[int, Field(ge=2, le=10_000)] = 10
    seed: Annotated[int, Field(ge=0)] = 0
    weeks: Annotated[int, Field(ge=1)] | None = None  # default: each scenario to its horizon
    set: list[str] = []
    batch_size: Annotated[int, Field(ge=1)] = 1
    parameter_draws: ParameterDraws | None = None
    facts: Annotated[dict[str, Fact], Field(min_length=1)]

    def experiment(self, base: Path) -> dict:
        """The sweep this validation runs, its paths made absolute so that it can live in ``OUT``."""
        data = self.model_dump(mode="json", exclude={"facts"})
        data["scenarios"] = [str(catalog.scenario_path(f, base).resolve()) for f in self.scenarios]
        if self.parameter_draws is not None:
            data["parameter_draws"] = {"file": str((base / self.parameter_draws.file).resolve())}
        return data


def load_validation(path: str | Path) -> tuple[ValidationSpec, Path, dict[str, Scenario]]:
    """The validated spec, its folder, and its scenarios by name; a bad spec raises one :class:`ConfigError`."""
    path = Path(path)
    spec, base = load_spec(path, ValidationSpec)
    scenarios: dict[str, Scenario] = {}
    for i, file in enumerate(spec.scenarios):
        located = catalog.scenario_path(file, base)
        if not located.is_file():
            raise ConfigError(path, f"scenarios[{i}]", f"scenario file {file!r} not found")
        load_scenario(located)  # a broken scenario names its own file
        try:
            scenario = load_scenario(located, spec.set)
        except ConfigError as exc:
            raise ConfigError(path, f"set ({exc.field})" if exc.field else "set", exc.reason) from None
        if scenario.name in scenarios:
            raise ConfigError(path, f"scenarios[{i}]", f"a second scenario named {scenario.name!r}")
        scenarios[scenario.name] = scenario
    if spec.parameter_draws and not (base / spec.parameter_draws.file).is_file():
        raise ConfigError(path, "parameter_draws.file", f"file {spec.parameter_draws.file!r} not found")
    for name, fact in spec.facts.items():
        _check_fact(path, f"facts.{name}", fact, scenarios, spec.weeks)
    return spec, base, scenarios


def _check_fact(path: Path, where: str, fact: Fact, scenarios: dict[str, Scenario], weeks: int | None) -> None:
    stat = fact.statistic
    if isinstance(stat, MarchContrast):
        return
    if fact.scenario not in scenarios:
        raise ConfigError(
            path, f"{where}.scenario", f"no scenario {fact.scenario!r} (scenarios: {', '.join(scenarios)})"
        )
    scenario = scenarios[fact.scenario]
    where += ".statistic"
    for field in ("lab", "source"):
        lab = getattr(stat, field, None)
        if lab is not None and lab not in scenario.labs:
            raise ConfigError(path, f"{where}.{field}", f"no lab {lab!r} (labs: {', '.join(scenario.labs)})")
    if isinstance(stat, ReleaseOutcome) and stat.lab != scenario.focal_lab:
        raise ConfigError(
            path, f"{where}.lab", f"the headline records the focal lab's release only ({scenario.focal_lab})"
        )
    if isinstance(stat, InPost) and stat.team not in scenario.labs[stat.lab].teams:
        raise ConfigError(
            path,
            f"{where}.team",
            f"no team {stat.team!r} at {stat.lab} (teams: {', '.join(scenario.labs[stat.lab].teams)})",
        )
    for field, date in stat.dates():
        if not scenario.start <= date <= scenario.horizon:
            raise ConfigError(
                path,
                f"{where}.{field}",
                f"{date} is outside {fact.scenario}'s horizon {scenario.start} to {scenario.horizon}",
            )
    runs_for = weeks or scenario.weeks
    if stat.weeks_needed(scenario) > runs_for:
        raise ConfigError(path, where, f"needs {stat.weeks_needed(scenario)} simulated weeks, the spec runs {runs_for}")
    if isinstance(stat, BlitzSize) and stat.cohort != scenario.outcomes.cohort:
        raise ConfigError(
            path,
            f"{where}.cohort",
            f"only the scenario's outcomes.cohort ({scenario.outcomes.cohort!r}) is tracked weekly",
        )


def _march_cells(spec: ValidationSpec) -> list[tuple]:
    return sorted(
        {
            cell
            for fact in spec.facts.values()
            if isinstance(fact.statistic, MarchContrast)
            for cell in fact.statistic.cells()
        },
        key=repr,
    )


def planned_runs(spec: ValidationSpec, base: Path, spec_path: Path) -> int:
    """Org-model runs plus March cells the validation consists of (for a progress bar)."""
    experiment = Experiment.model_validate(spec.experiment(base))
    return len(plan(experiment, base, spec_path)) + len(_march_cells(spec))


# ------------------------------------------------------------------ running


@dataclass
class ValidationResult:
    out: Path
    table: pd.DataFrame
    runs: int  # org-model runs and March cells planned
    simulated: int  # of which simulated in this session (the rest were stored)
    failed: list[str]  # failed org-model runs
    seconds: float

    @property
    def passed(self) -> int:
        return int(self.table["passed"].sum())


def march_cell(cell: tuple) -> list[float]:
    """Worker task: every run's knowledge in one March cell."""
    from orgsim.march import simulate_cell

    p1, p2, p3, p4, runs, periods, seed = cell
    return simulate_cell(p1, p2, p3, p4, runs=runs, periods=periods, seed=seed).knowledge.tolist()


def _cell_file(folder: Path, cell: tuple) -> Path:
    return folder / f"cell-{hashlib.sha256(repr(cell).encode()).hexdigest()[:16]}.json"


def run_march(
    spec: ValidationSpec,
    folder: Path,
    executor_kind: ExecutorKind,
    workers: int | None,
    scheduler: str | None,
    progress=None,
) -> tuple[dict[tuple, np.ndarray], int]:
    """Every March cell's run outcomes, reading stored cells and simulating (and storing) the rest."""
    folder.mkdir(parents=True, exist_ok=True)
    found, todo = {}, []
    for cell in _march_cells(spec):
        path = _cell_file(folder, cell)
        stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        if stored is not None and tuple(stored["cell"]) == cell:
            found[cell] = np.array(stored["knowledge"])
        else:
            todo.append(cell)
    if todo:
        with executor(executor_kind, workers, scheduler) as (pool, _):
            futures = {pool.submit(march_cell, cell): cell for cell in todo}
            for future in as_completed(futures):
                cell = futures[future]
                found[cell] = np.array(future.result())
                write_json({"cell": list(cell), "knowledge": found[cell].tolist()}, _cell_file(folder, cell))
                if progress:
                    progress({"status": "ok", "run_id": f"march-{cell}"})
    return found, len(todo)


def measure_store(spec: ValidationSpec, scenarios: dict[str, Scenario], store: Store) -> pd.DataFrame:
    """Each scenario fact on each successful run: columns fact, run, seed, value."""
    rows = []
    for record in store.records():
        name = record["scenario"]
        facts = {n: f for n, f in spec.facts.items() if f.scenario == name}
        if record["status"] != "ok" or not facts:
            continue
        metrics, events = (
            read_parquet(store.table_dir(t, name) / f"{record['run_id']}.parquet") for t in ("metrics", "events")
        )
        tabled = {n: f for n, f in facts.items() if not isinstance(f.statistic, ReleaseOutcome)}
        measured = measure(tabled, scenarios[name], metrics, events)
        measured.update(
            {n: f.statistic.from_record(scenarios[name], record) for n, f in facts.items() if n not in tabled}
        )
        for fact in facts:
            rows.append({"fact": fact, "run": record["run_id"], "seed": record["seed"], "value": measured[fact]})
    return pd.DataFrame(rows, columns=["fact", "run", "seed", "value"])


def measure_march(spec: ValidationSpec, cells: dict[tuple, np.ndarray]) -> pd.DataFrame:
    """Each March fact's contrast run by run: columns fact, run, seed, value."""
    frames = []
    for name, fact in spec.facts.items():
        if isinstance(fact.statistic, MarchContrast):
            a, b = (cells[c] for c in fact.statistic.cells())
            frames.append(
                pd.DataFrame(
                    {
                        "fact": name,
                        "run": [f"march-r{r:05d}" for r in range(a.size)],
                        "seed": fact.statistic.seed,
                        "value": a - b,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["fact", "run", "seed", "value"])


def summarize(spec: ValidationSpec, values: pd.DataFrame) -> pd.DataFrame:
    """One row per fact, in the spec's order: the fact, its bounds, the simulated mean and 95% interval, pass."""
    rows = []
    for name, fact in spec.facts.items():
        v = values.loc[values["fact"] == name, "value"].astype(float)
        finite = v[np.isfinite(v)]
        n = len(finite)
        mean, lo, hi = map(float, mean_interval(finite.to_numpy()))
        rows.append(
            {
                "fact": name,
                "label": fact.label or name,
                "measured_on": fact.scenario or "March (1991) model",
                "statistic": fact.statistic.kind,
                "value": fact.value,
                "tolerance": fact.tolerance,
                "low": fact.low,
                "high": fact.high,
                "range": fact.range,
                "percent": fact.percent,
                "check": fact.check,
                "runs": n,
                "undefined": int(len(v) - n),
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "passed": fact.passes(mean, lo, hi) if n else False,
                "source": fact.source,
                "note": fact.note,
            }
        )
    return pd.DataFrame(rows)


def check_out(out: Path, resume: bool) -> None:
    """A folder that already holds a validation is continued only with ``resume``."""
    if Store(Path(out) / "sweep").has_results() and not resume:
        raise ConfigError(out, "--out", "already holds a validation; use --resume to continue it, or another folder")


@lock.writes
def run_validation(
    spec_path: str | Path,
    out: str | Path,
    *,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress=None,
) -> ValidationResult:
    """Run (or resume) every fact's runs into ``out``, measure the facts and write the table.

    ``progress(record)`` is called once per finished run or March cell.
    """
    spec_path, out = Path(spec_path), Path(out)
    spec, base, scenarios = load_validation(spec_path)
    check_out(out, resume)
    sweep_dir = out / "sweep"
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    experiment = out / "experiment.yaml"
    text = yaml.safe_dump(spec.experiment(base), sort_keys=False)
    atomic_write(experiment, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    try:
        sweep = run_sweep(
            experiment,
            sweep_dir,
            executor_kind=executor_kind,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
        )
    except ConfigError as exc:  # e.g. a resume against a changed spec: name the validation spec, not the derived one
        raise ConfigError(spec_path, exc.field, exc.reason) from None
    sweep_seconds = time.perf_counter() - started
    cells, march_simulated = run_march(spec, out / "march", executor_kind, workers, scheduler, progress)
    march_seconds = time.perf_counter() - started - sweep_seconds
    values = pd.concat(
        [measure_store(spec, scenarios, Store(sweep_dir)), measure_march(spec, cells)], ignore_index=True
    )
    table = summarize(spec, values)
    seconds = time.perf_counter() - started
    result = ValidationResult(
        out, table, sweep.planned + len(cells), sweep.planned - sweep.skipped + march_simulated, sweep.failed, seconds
    )
    atomic_write(out / "values.csv", lambda tmp: values.to_csv(tmp, index=False))
    atomic_write(out / "validation.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(out / "validation.md", lambda tmp: tmp.write_text(markdown(table), encoding="utf-8"))
    write_json(
        {
            "validation": spec.name,
            "spec_file": str(spec_path),
            "spec": spec.model_dump(mode="json"),
            "scenario_run_seeds": run_seeds(spec.seed, spec.replications),
            "march_seeds": sorted({c[-1] for c in cells}),
            "population_overrides": spec.set,
            "runs_planned": result.runs,
            "runs_simulated_this_session": result.simulated,
            "failed_runs": sweep.failed,
            "facts": len(table),
            "facts_passed": result.passed,
            "seconds": {
                "scenario_runs": round(sweep_seconds, 1),
                "march": round(march_seconds, 1),
                "measure": round(seconds - sweep_seconds - march_seconds, 1),
                "total": round(seconds, 1),
            },
            "executor": executor_kind,
            "workers": workers,
            "started": started_at.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_revision": git_revision(),
            "versions": versions(),
        },
        out / "validation.json",
    )
    return result


# ------------------------------------------------------------------ tables


def fmt(value: float, percent: bool, small: bool) -> str:
    """A percentage, a small number to 3 decimals, or a count."""
    return tables.number(value, "pct" if percent else "decimal" if small else "int")


def cells(row) -> dict[str, str]:
    """A table row's printed cells: target (a point or a range), tolerance, mean, interval, result."""
    p, small = bool(row.percent), max(abs(row.low), abs(row.high)) < 10
    f = lambda v: fmt(v, p, small)  # noqa: E731
    target = f"{f(row.low)} to {f(row.high)}" if row.range else f(row.value)
    tolerance = "range" if row.range else (f"±{100 * row.tolerance:.1f} pp" if p else f"±{f(row.tolerance)}")
    if row.check == "interval":
        tolerance += ", whole CI"
    return {
        "target": target,
        "tolerance": tolerance,
        "mean": f(row.mean),
        "ci": f"[{f(row.ci_low)}, {f(row.ci_high)}]",
        "result": "pass" if row.passed else "FAIL",
    }


def markdown(table: pd.DataFrame) -> str:
    """The validation table in Markdown; failures in bold, undefined runs stated."""
    columns = ["fact", "measured on", "target", "tolerance", "simulated mean", "95% CI", "runs", "result", "source"]
    lines = tables.head(columns, "llrrrrrcl")
    for row in table.itertuples():
        c = cells(row)
        runs = f"{row.runs}" + (f" ({row.undefined} undefined)" if row.undefined else "")
        result = c["result"] if row.passed else f"**{c['result']}**"
        lines.append(
            f"| {row.label} | {row.measured_on} | {c['target']} | {c['tolerance']} | {c['mean']} | "
            f"{c['ci']} | {runs} | {result} | {row.source} |"
        )
    return "\n".join(lines) + "\n"


def doc_page(result: ValidationResult, spec_path: str | Path) -> str:
    """``docs/VALIDATION.md``: how the table was made, the table, the failures and the notes on each fact."""
    meta = json.loads((result.out / "validation.json").read_text(encoding="utf-8"))
    spec = ValidationSpec.model_validate(meta["spec"])
    table = result.table
    failed = table[~table["passed"]]
    settings = ", ".join(f"`{s}`" for s in spec.set) or "none"
    shown = Path(spec_path)
    shown = "/".join(shown.parts[-2:]) if shown.is_absolute() else shown.as_posix()  # never a path of this machine
    parts = [
        "# Validation: facts the calibration never sees",
        "",
        "Generated by `make validation` (`orgsim validation " + shown + " --doc docs/VALIDATION.md`);"
        " do not edit by hand. The calibration (docs/CALIBRATION.md) makes the model match the facts it was "
        "fitted to; these are facts it was not fitted to, each with the statistic its source defines, a "
        "tolerance or plausibility bounds, and a source. A fact passes when its simulated mean is within its "
        "tolerance or bounds, or, marked *whole CI*, when its whole 95% interval is. Failures are listed as "
        "plainly as passes.",
        "",
        f"**{result.passed} of {len(table)} facts pass.**",
        "",
        f"Run: scenarios {', '.join(f'`{s}`' for s in spec.scenarios)} with {spec.replications} seeds each "
        f"(experiment seed {spec.seed}, run seeds {', '.join(map(str, meta['scenario_run_seeds']))}), overrides "
        f"{settings}; March cells with their own seeds ({', '.join(map(str, meta['march_seeds'])) or 'none'}). "
        f"{meta['runs_simulated_this_session']} of {meta['runs_planned']} runs and cells simulated in "
        f"{meta['seconds']['total']:.0f} s on {meta['executor']} executor"
        + (f" with {meta['workers']} workers" if meta["workers"] else "")
        + f"; git revision {meta['git_revision']}; finished {meta['finished']}.",
        "",
        markdown(table),
    ]
    if result.failed:
        parts += [f"Failed runs, left out of the means: {', '.join(result.failed)}.", ""]
    if len(failed):
        parts += ["## What fails", ""]
        for row in failed.itertuples():
            c = cells(row)
            parts.append(
                f"- **{row.label}**: simulated {c['mean']} {c['ci']} against {c['target']} ({c['tolerance']})."
            )
        parts.append("")
    parts += ["## The facts", ""]
    for row in table.itertuples():
        parts.append(
            f"- **{row.label}** (`{row.fact}`, statistic `{row.statistic}` on {row.measured_on}). "
            f"Source: {row.source}." + (f" {row.note.strip()}" if row.note else "")
        )
    return "\n".join(parts) + "\n"
