"""The calibration spec: public facts, the statistics that match them, the parameters to fit.

A spec (``experiments/calibration.yaml``) names the scenario it is measured
on, the facts to hit (each with a value, a tolerance, a source and the
simulated statistic defined the way the source defines it), the parameters
to fit with their bounds, and how hard to search. It is validated like
scenario configs and experiment specs: every problem is one
:class:`~orgsim.config.ConfigError` line naming the file, the field and the
reason.

Statistics read a run's stored metrics and events frames (the same tables
``orgsim run`` and sweeps write), and counts are divided by
``population.scale`` so targets stay in full-world units at any scale.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from orgsim import catalog, outcomes
from orgsim.config import ConfigError, apply_overrides, load_scenario, load_spec, scenario_from_dict
from orgsim.schema import Scenario, Strict

__all__ = [
    "CalibrationSpec",
    "Parameter",
    "Target",
    "load_calibration",
    "measure",
    "scenario_for",
    "param_overrides",
]

# ------------------------------------------------------------------ statistics


class _Statistic(Strict):
    lab: str

    def weeks_needed(self, scenario: Scenario) -> int:
        """How many simulated weeks the statistic reads (its last week + 1)."""
        raise NotImplementedError

    def dates(self) -> list[tuple[str, dt.date]]:
        return []

    def compute(self, scenario: Scenario, metrics: pd.DataFrame, events: pd.DataFrame) -> float:
        raise NotImplementedError


class TwoYearRetention(_Statistic):
    """SignalFire's definition: of those who joined ``lab`` in the 104 weeks to ``week``, the share still there.

    Joining is a hire from outside or a move in (poaching, walk-ins, acqui-hires);
    leaving is a quit, a move out or a layoff; someone who left and came back
    counts from the last time they joined.
    """

    kind: Literal["two_year_retention"]
    week: Annotated[int, Field(ge=0)]

    def weeks_needed(self, scenario: Scenario) -> int:
        return self.week + 1

    def compute(self, scenario, metrics, events) -> float:
        return outcomes.two_year_retention(events, self.lab, self.week)


class _DatedStatistic(_Statistic):
    """A statistic read at the end of the week ``date`` falls in."""

    date: dt.date

    def dates(self):
        return [("date", self.date)]

    def weeks_needed(self, scenario):
        return scenario.week_of(self.date) + 1

    def level(self, scenario: Scenario, metrics: pd.DataFrame, metric: str) -> float:
        """``metric`` of ``lab`` that week, NaN if it was not recorded."""
        week = scenario.week_of(self.date)
        rows = metrics[(metrics["lab"] == self.lab) & (metrics["metric"] == metric) & (metrics["week"] == week)]
        return float(rows["value"].iloc[0]) if len(rows) else float("nan")


class BlitzSize(_DatedStatistic):
    """People the blitz brought in and still at ``lab`` at ``date`` (the tracked cohort), plus acqui-hires by then.

    Full-world units: divided by ``population.scale``. Only the scenario's
    ``outcomes.cohort`` is tracked week by week, so ``cohort`` must name it.
    """

    kind: Literal["blitz_size"]
    cohort: str = "blitz-2025"
    acquihires: bool = True

    def compute(self, scenario, metrics, events) -> float:
        total = self.level(scenario, metrics, "tracked_cohort")
        if self.acquihires:
            week = scenario.week_of(self.date)
            hired = events[(events["kind"] == "hire") & (events["to_lab"] == self.lab) & (events["week"] <= week)]
            total += float(hired["cohort"].astype(str).str.startswith("acquihire-").sum())
        return total / scenario.population.scale


class Headcount(_DatedStatistic):
    """Researchers at ``lab`` at the end of the week ``date`` falls in (full-world units)."""

    kind: Literal["headcount"]

    def compute(self, scenario, metrics, events) -> float:
        return self.level(scenario, metrics, "headcount") / scenario.population.scale


class _WindowStatistic(_Statistic):
    """A statistic over the weeks from ``start`` to ``end`` (inclusive)."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> _WindowStatistic:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def dates(self):
        return [("start", self.start), ("end", self.end)]

    def weeks_needed(self, scenario):
        return scenario.week_of(self.end) + 1

    def window(self, scenario: Scenario, events: pd.DataFrame) -> pd.DataFrame:
        lo, hi = scenario.week_of(self.start), scenario.week_of(self.end)
        return events[(events["week"] >= lo) & (events["week"] <= hi)]

    def years(self, scenario: Scenario) -> float:
        return (scenario.week_of(self.end) - scenario.week_of(self.start) + 1) / 52.0


class OfferAcceptance(_WindowStatistic):
    """Of the offers ``lab`` made in weeks ``start``..``end`` (to researchers at ``source``, if given), the share
    taken (the target moved).

    An offer beaten by a counteroffer counts as declined: the press counts who moved.
    """

    kind: Literal["offer_acceptance"]
    source: str | None = None

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        window = window[window["to_lab"] == self.lab]
        if self.source is not None:
            window = window[window["from_lab"] == self.source]
        offers = int((window["kind"] == "offer").sum())
        accepts = int((window["kind"] == "accept").sum())
        return accepts / offers if offers else float("nan")


class VoluntaryAttrition(_WindowStatistic):
    """Voluntary exits (quits and moves to a rival lab) per year over the window's average headcount.

    The definition of workforce attrition studies (LinkedIn 2018): layoffs
    are not voluntary and do not count.
    """

    kind: Literal["voluntary_attrition"]

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        leavers = int((window["kind"].isin(("quit", "move")) & (window["from_lab"] == self.lab)).sum())
        lo, hi = scenario.week_of(self.start), scenario.week_of(self.end)
        rows = metrics[
            (metrics["lab"] == self.lab)
            & (metrics["metric"] == "headcount")
            & (metrics["week"] >= lo)
            & (metrics["week"] <= hi)
        ]
        headcount = float(rows["value"].mean()) if len(rows) else float("nan")
        return leavers / headcount / self.years(scenario) if headcount > 0 else float("nan")


class RivalShare(_WindowStatistic):
    """Of ``lab``'s voluntary leavers in the window, the share who moved to another simulated (frontier) lab."""

    kind: Literal["rival_share"]

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        leaving = window[window["kind"].isin(("quit", "move")) & (window["from_lab"] == self.lab)]
        return float((leaving["kind"] == "move").mean()) if len(leaving) else float("nan")


class LabMoves(_WindowStatistic):
    """Moves from ``lab`` to another simulated lab per year (full-world units)."""

    kind: Literal["lab_moves"]

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        moves = int(((window["kind"] == "move") & (window["from_lab"] == self.lab)).sum())
        return moves / scenario.population.scale / self.years(scenario)


class _OfferCount(_WindowStatistic):
    """Events of kind ``counted`` on offers ``lab`` made in the window (full-world units)."""

    counted: ClassVar[str]

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        made = (window["kind"] == self.counted) & (window["to_lab"] == self.lab)
        return int(made.sum()) / scenario.population.scale


class Approaches(_OfferCount):
    """Offers ``lab`` made in the window (full-world units)."""

    kind: Literal["approaches"]
    counted: ClassVar[str] = "offer"


class AcceptedOffers(_OfferCount):
    """Offers ``lab`` made in the window that were taken, the target moving from a rival lab (full-world units):
    the hires the press counts, acqui-hires and walk-ins aside."""

    kind: Literal["accepted_offers"]
    counted: ClassVar[str] = "accept"


class SourceShare(_WindowStatistic):
    """Of ``lab``'s offers (``of: offer``) or accepted offers (``of: accept``) in the window, the share from ``source``."""

    kind: Literal["source_share"]
    source: str
    of: Literal["offer", "accept"] = "offer"

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        made = window[(window["kind"] == self.of) & (window["to_lab"] == self.lab)]
        return float((made["from_lab"] == self.source).mean()) if len(made) else float("nan")


class FlowRatio(_WindowStatistic):
    """Moves from ``lab`` to ``to`` over moves from ``to`` to ``lab`` in the window (SignalFire's flow ratios).

    NaN when nobody moved the other way, so a run without a reverse flow is
    left out of the mean rather than counted as infinite.
    """

    kind: Literal["flow_ratio"]
    to: str

    def compute(self, scenario, metrics, events) -> float:
        moves = self.window(scenario, events)
        moves = moves[moves["kind"] == "move"]
        there = int(((moves["from_lab"] == self.lab) & (moves["to_lab"] == self.to)).sum())
        back = int(((moves["from_lab"] == self.to) & (moves["to_lab"] == self.lab)).sum())
        return there / back if back else float("nan")


class TenuredLeavers(_WindowStatistic):
    """Of ``lab``'s voluntary leavers in the window, the share with at least ``min_years`` of tenure there."""

    kind: Literal["tenured_leavers"]
    min_years: Annotated[float, Field(gt=0)] = 1.0

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        leaving = window[window["kind"].isin(("quit", "move")) & (window["from_lab"] == self.lab)]
        return float((leaving["tenure_weeks"] >= 52 * self.min_years).mean()) if len(leaving) else float("nan")


class EarlyExits(_WindowStatistic):
    """Counted early exits of a hiring drive, as the press counted them (full-world units).

    Members of ``cohort`` who left ``lab`` in the window, plus (``reneged``)
    people who accepted ``lab``'s offer in the window and then stayed where
    they were on a counteroffer: "accepted but never started".
    """

    kind: Literal["early_exits"]
    cohort: str = "blitz-2025"
    reneged: bool = True

    def compute(self, scenario, metrics, events) -> float:
        window = self.window(scenario, events)
        left = (
            window["kind"].isin(outcomes.LEAVING) & (window["from_lab"] == self.lab) & (window["cohort"] == self.cohort)
        )
        total = int(left.sum())
        if self.reneged:
            total += int(((window["kind"] == "counter") & (window["to_lab"] == self.lab)).sum())
        return total / scenario.population.scale


Statistic = Annotated[
    TwoYearRetention
    | OfferAcceptance
    | BlitzSize
    | Headcount
    | VoluntaryAttrition
    | RivalShare
    | LabMoves
    | Approaches
    | AcceptedOffers
    | SourceShare
    | EarlyExits
    | FlowRatio
    | TenuredLeavers,
    Field(discriminator="kind"),
]


# ------------------------------------------------------------------ the spec


class Target(Strict):
    """A public fact and the simulated statistic that matches it.

    A point fact is ``value`` ± ``tolerance``. A plausibility range is given
    as ``low``/``high`` (stored as its midpoint ± half-width with
    ``range: true``): anywhere inside it is as good as anywhere else, so the
    fit is not pulled toward its middle. Outside it the penalty grows with
    the distance to the nearer edge in units of ``margin`` (default: the
    half-width), so a wide range can still be a hard wall.
    """

    value: float
    tolerance: Annotated[float, Field(gt=0)]
    statistic: Statistic
    source: Annotated[str, Field(min_length=1)]
    label: str = ""
    note: str = ""
    percent: bool = False  # a share: displayed as a percentage, its interval kept within 0-100%
    range: bool = False
    margin: Annotated[float, Field(gt=0)] | None = None  # ranges only: the penalty's unit outside the range

    @model_validator(mode="before")
    @classmethod
    def _bounds(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("low" in data or "high" in data):
            data = dict(data)
            low, high = data.pop("low", None), data.pop("high", None)
            if low is None or high is None or "value" in data or "tolerance" in data:
                raise ValueError("a range needs both low and high, and no value or tolerance")
            if not float(low) < float(high):
                raise ValueError(f"low ({low}) must be below high ({high})")
            data.update(value=(float(low) + float(high)) / 2, tolerance=(float(high) - float(low)) / 2, range=True)
        elif isinstance(data, dict) and data.get("margin") is not None and not data.get("range"):
            raise ValueError("margin applies to a range (low/high) only")
        return data

    @property
    def low(self) -> float:
        return self.value - self.tolerance

    @property
    def high(self) -> float:
        return self.value + self.tolerance

    def within(self, mean: float) -> bool:
        return bool(np.isfinite(mean) and abs(mean - self.value) <= self.tolerance)

    def penalty(self, mean: float) -> float:
        """Squared distance in tolerances from the value; for a range, in margins beyond its nearer edge (0 inside)."""
        if self.range:
            return (max(0.0, abs(mean - self.value) - self.tolerance) / (self.margin or self.tolerance)) ** 2
        return (abs(mean - self.value) / self.tolerance) ** 2


class Parameter(Strict):
    """A scenario field to fit, by dotted path, with its search bounds."""

    low: float
    high: float
    log: bool = False
    integer: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale range needs low > 0")
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError("an integer parameter needs whole-number bounds")
        return self


class LocalPhase(Strict):
    """Candidates drawn around the search's best after it, so the accepted set describes the fit's
    neighbourhood even when TPE wanders off and leaves the best point alone within the acceptance loss."""

    trials: Annotated[int, Field(ge=0)] = 0  # 0: no local phase
    spread: Annotated[float, Field(gt=0, le=1)] = 0.1  # half-width of the box, a share of each parameter's range


class Optimizer(Strict):
    sampler: Literal["tpe"] = "tpe"
    startup_trials: Annotated[int, Field(ge=1)] = 20
    multivariate: bool = True
    parallel_trials: Annotated[int, Field(ge=1)] = 1  # candidates in flight at once (constant liar)
    max_failed_in_a_row: Annotated[int, Field(ge=1)] = 3
    start: dict[str, float] = {}  # a first candidate to try (e.g. a hand-tuned or previous fit), by parameter path
    local: LocalPhase = LocalPhase()


class Uncertainty(Strict):
    """Which trials carry the parameter uncertainty.

    The accepted set is every finished trial whose loss is at most
    ``accept_loss`` (default: the number of targets, i.e. on average each
    target within one tolerance); if it has fewer than ``min_accepted``
    trials, the ``top_k`` lowest-loss trials are used instead.
    """

    accept_loss: Annotated[float, Field(gt=0)] | None = None
    min_accepted: Annotated[int, Field(ge=1)] = 5
    top_k: Annotated[int, Field(ge=1)] = 10


class Refine(Strict):
    """Re-evaluate the best few candidates on fresh seeds and keep the best (counters the winner's curse)."""

    top: Annotated[int, Field(ge=0)] = 5
    replications: Annotated[int, Field(ge=1)] = 16
    scale: Annotated[float, Field(gt=0, le=10)] | None = None  # population scale of the re-runs (default: the search's)


class Verify(Strict):
    """The final check of the fitted values: ``replications`` fresh seeds at each population scale."""

    replications: Annotated[int, Field(ge=1)] = 30
    scales: list[Annotated[float, Field(gt=0, le=10)]] = []


class Predictive(Strict):
    """The posterior-predictive check: ``draws`` accepted vectors (best first), each on ``replications`` fresh seeds."""

    draws: Annotated[int, Field(ge=0)] = 30
    replications: Annotated[int, Field(ge=1)] = 2


class Output(Strict):
    config: str = "../configs/calibrated.yaml"  # relative to the spec
    extends: str = "world_2025.yaml"  # relative to the written config
    # the accepted parameter vectors, one per row, that sweeps draw from (parameter_draws) to carry the
    # uncertainty; relative to the spec (default: beside the config, <config stem>_accepted.csv)
    accepted: str | None = None

    @property
    def accepted_file(self) -> str:
        config = Path(self.config)
        return self.accepted or str(config.with_name(f"{config.stem}_accepted.csv"))


class CalibrationSpec(Strict):
    name: str
    description: str = ""
    scenario: str
    set: list[str] = []
    weeks: Annotated[int, Field(ge=1)] | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(ge=1, le=10_000)] = 8
    trials: Annotated[int, Field(ge=1)] = 100
    batch_size: Annotated[int, Field(ge=1)] = 1
    optimizer: Optimizer = Optimizer()
    uncertainty: Uncertainty = Uncertainty()
    refine: Refine = Refine()
    verify: Verify = Verify()
    predictive: Predictive = Predictive()
    output: Output = Output()
    parameters: Annotated[dict[str, Parameter], Field(min_length=1)]
    targets: Annotated[dict[str, Target], Field(min_length=1)]

    @model_validator(mode="after")
    def _start_within_bounds(self) -> CalibrationSpec:
        for name, value in self.optimizer.start.items():
            par = self.parameters.get(name)
            if par is None:
                raise ValueError(f"optimizer.start: {name} is not a fitted parameter")
            if not par.low <= value <= par.high:
                raise ValueError(f"optimizer.start: {name} = {value} is outside its bounds {par.low} to {par.high}")
        return self

    @property
    def accept_loss(self) -> float:
        return self.uncertainty.accept_loss or float(len(self.targets))


# ------------------------------------------------------------------ loading


def param_overrides(values: dict[str, float]) -> list[str]:
    """``PATH=VALUE`` overrides for a candidate."""
    return [
        f"{path}={value}" if isinstance(value, int | np.integer) else f"{path}={float(value)!r}"
        for path, value in values.items()
    ]


def scenario_for(
    spec: CalibrationSpec, base: Path, values: dict[str, float], extra: list[str] | None = None
) -> Scenario:
    """The scenario a candidate is measured on: spec scenario + ``set`` + extra + the candidate's values."""
    return load_scenario(
        catalog.scenario_path(spec.scenario, base), [*spec.set, *(extra or []), *param_overrides(values)]
    )


def _lookup(data: Any, dotted: str) -> Any:
    node = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(key)
        node = node[key]
    return node


def load_calibration(path: str | Path) -> tuple[CalibrationSpec, Path]:
    """The validated spec and the folder its relative paths start from."""
    path = Path(path)
    spec, base = load_spec(path, CalibrationSpec)
    scenario_path = catalog.scenario_path(spec.scenario, base)
    if not scenario_path.is_file():
        raise ConfigError(path, "scenario", f"scenario file {spec.scenario!r} not found")
    load_scenario(scenario_path)  # a broken scenario names its own file
    try:
        scenario = load_scenario(scenario_path, spec.set)
    except ConfigError as exc:
        raise ConfigError(path, f"set ({exc.field})" if exc.field else "set", exc.reason) from None
    resolved = scenario.model_dump(mode="json")
    for name, par in spec.parameters.items():
        where = f"parameters.{name}"
        try:
            current = _lookup(resolved, name)
        except KeyError:
            raise ConfigError(path, where, f"no such field in scenario {scenario.name!r}") from None
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ConfigError(path, where, f"is not a number in the scenario (got {current!r})")
        for bound in (par.low, par.high):
            try:
                scenario_from_dict(apply_overrides(resolved, param_overrides({name: bound})))
            except ConfigError as exc:
                raise ConfigError(path, where, f"bound {bound} is invalid: {exc.field}: {exc.reason}") from None
    weeks = spec.weeks or scenario.weeks
    for name, target in spec.targets.items():
        stat, where = target.statistic, f"targets.{name}.statistic"
        for field in ("lab", "source", "to"):
            lab = getattr(stat, field, None)
            if lab is not None and lab not in scenario.labs:
                raise ConfigError(path, f"{where}.{field}", f"no lab {lab!r} (labs: {', '.join(scenario.labs)})")
        for field, date in stat.dates():
            if not scenario.start <= date <= scenario.horizon:
                raise ConfigError(
                    path, f"{where}.{field}", f"{date} is outside the horizon {scenario.start} to {scenario.horizon}"
                )
        if stat.weeks_needed(scenario) > weeks:
            raise ConfigError(
                path, where, f"needs {stat.weeks_needed(scenario)} simulated weeks, the spec runs {weeks}"
            )
        if isinstance(stat, BlitzSize) and stat.cohort != scenario.outcomes.cohort:
            raise ConfigError(
                path,
                f"{where}.cohort",
                f"only the scenario's outcomes.cohort ({scenario.outcomes.cohort!r}) is tracked weekly",
            )
    return spec, base


def measure(
    targets: dict[str, Target], scenario: Scenario, metrics: pd.DataFrame, events: pd.DataFrame
) -> dict[str, float]:
    """Every target's statistic on one run."""
    return {name: float(t.statistic.compute(scenario, metrics, events)) for name, t in targets.items()}


def loss(targets: dict[str, Target], means: dict[str, float]) -> float:
    """Sum over targets of their penalties (squared distance in tolerances); inf if a statistic is missing."""
    total = 0.0
    for name, t in targets.items():
        m = means.get(name, float("nan"))
        if not np.isfinite(m):
            return float("inf")
        total += t.penalty(m)
    return total
