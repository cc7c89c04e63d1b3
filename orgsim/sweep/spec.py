"""Experiment specs (``experiments/*.yaml``), validated like scenario configs.

A spec names the scenarios to compare, a parameter design (full grid, Latin
hypercube or Sobol) or an exploration (uncertainties crossed with levers),
the replications, one experiment seed from which every
run's seed is derived, the horizon, which outputs to keep and which outcomes
to summarize. Errors name the file, the field and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from orgsim import catalog
from orgsim.config import ConfigError, load_spec
from orgsim.schema import Strict

#: headline outcomes a spec may ask the report to summarize and rank levers on (see orgsim.outcomes.Headline)
OUTCOME_NAMES = (
    "cohort_retention",
    "top_talent_retention",
    "focal_top_talent_share_end",
    "focal_headcount_end",
    "release_week",
    "capability_gap_end",
)


class Range(Strict):
    """A continuous parameter range for Latin hypercube and Sobol designs."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Design(Strict):
    """Which parameter points each scenario runs at.

    ``grid`` takes lists of values and runs their full product; ``lhs`` and
    ``sobol`` take ranges and ``samples`` (for Sobol, the base sample size
    N: SALib then draws N * (D + 2) points). The design's scenarios (all by
    default) run at point 0, as configured, and at every design point 1..K,
    the latter with ``replications`` each (default: the experiment's).
    """

    kind: Literal["none", "grid", "lhs", "sobol"] = "none"
    parameters: dict[str, list[float | int | str | bool] | Range] = {}
    samples: Annotated[int, Field(ge=1)] = 8
    scenarios: list[str] | None = None
    replications: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.kind == "none" and self.parameters:
            raise ValueError("parameters given but design kind is 'none' (use grid, lhs or sobol)")
        if self.kind != "none" and not self.parameters:
            raise ValueError(f"a {self.kind} design needs parameters")
        for name, values in self.parameters.items():
            if self.kind == "grid" and not isinstance(values, list):
                raise ValueError(f"parameters.{name}: a grid takes a list of values")
            if self.kind in ("lhs", "sobol") and not isinstance(values, Range):
                raise ValueError(f"parameters.{name}: {self.kind} takes a range {{low, high}}")
            if isinstance(values, list) and not values:
                raise ValueError(f"parameters.{name}: empty list")
        return self


class ParameterDraws(Strict):
    """Parameter uncertainty carried into every outcome.

    ``file`` is a CSV with one parameter vector per row and one column per
    parameter path (``orgsim calibrate`` writes its accepted set this way;
    ``trial`` and ``loss`` columns are ignored). Replication r of every
    scenario and design point runs with the same drawn row, so paired
    differences keep common parameters as well as common seeds. Rows are
    drawn without replacement while there are enough.
    """

    file: str


class Uncertainties(Strict):
    """What Meta does not control: the fitted parameters, drawn as whole vectors from the calibration's accepted
    set (``draws``), and ranges for the mechanism strengths the fit left open (``parameters``)."""

    draws: ParameterDraws | None = None
    parameters: dict[str, Range] = {}


class Exploration(Strict):
    """An exploratory design: states of the world (the uncertainties) crossed with policies (the levers).

    ``worlds`` points are sampled over the uncertainties and ``policies``
    points over the levers (``sampler``: Latin hypercube, or scrambled Sobol
    with power-of-two sizes); every world runs under every policy, as design
    points 1..worlds x policies with ``replications`` seeds each. A world's
    fitted vector is picked by one more design dimension over the rows of
    ``uncertainties.draws``, so the accepted set is covered evenly.
    """

    sampler: Literal["lhs", "sobol"] = "lhs"
    worlds: Annotated[int, Field(ge=1)]
    policies: Annotated[int, Field(ge=1)] = 1
    replications: Annotated[int, Field(ge=1)] = 1
    uncertainties: Uncertainties = Uncertainties()
    levers: dict[str, Range] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Exploration:
        both = set(self.uncertainties.parameters) & set(self.levers)
        if both:
            raise ValueError(f"{sorted(both)[0]} is both an uncertainty and a lever")
        if self.uncertainties.draws is None and not self.uncertainties.parameters and not self.levers:
            raise ValueError("an exploration needs uncertainties or levers")
        for name in ("worlds", "policies"):
            n = getattr(self, name)
            if self.sampler == "sobol" and n & (n - 1):
                raise ValueError(f"{name}: a Sobol sample takes a power of two, got {n}")
        return self


class Outputs(Strict):
    metrics: bool = True
    events: bool = True


class Experiment(Strict):
    name: str
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    design: Design = Design()
    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    seed: Annotated[int, Field(ge=0)] = 0
    weeks: Annotated[int, Field(ge=1)] | None = None
    set: list[str] = []
    outputs: Outputs = Outputs()
    outcomes: list[Literal[OUTCOME_NAMES]] = list(OUTCOME_NAMES)  # type: ignore[valid-type]
    batch_size: Annotated[int, Field(ge=1)] = 2
    parameter_draws: ParameterDraws | None = None
    explore: Exploration | None = None

    @model_validator(mode="after")
    def _one_design(self) -> Experiment:
        if self.explore is not None and self.design.kind != "none":
            raise ValueError("explore: give either a design or an exploration, not both")
        if self.explore is not None and self.parameter_draws is not None:
            raise ValueError(
                "explore: an exploration draws its fitted vectors per world "
                "(explore.uncertainties.draws), not parameter_draws"
            )
        return self


def load_experiment(path: str | Path) -> tuple[Experiment, Path]:
    """The validated spec and the folder its relative scenario paths start from."""
    path = Path(path)
    spec, base = load_spec(path, Experiment)
    for i, scenario in enumerate(spec.scenarios):
        if not catalog.scenario_path(scenario, base).is_file():
            raise ConfigError(path, f"scenarios[{i}]", f"scenario file {scenario!r} not found")
    if spec.parameter_draws and not (base / spec.parameter_draws.file).is_file():
        raise ConfigError(path, "parameter_draws.file", f"file {spec.parameter_draws.file!r} not found")
    drawn = spec.explore and spec.explore.uncertainties.draws
    if drawn and not (base / drawn.file).is_file():
        raise ConfigError(path, "explore.uncertainties.draws.file", f"file {drawn.file!r} not found")
    for i, scenario in enumerate(spec.design.scenarios or []):
        if scenario not in spec.scenarios:
            raise ConfigError(path, f"design.scenarios[{i}]", f"{scenario!r} is not one of the experiment's scenarios")
    return spec, base
