"""orgsim as an EMA Workbench model: uncertainties and levers are config paths.

::

    from ema_workbench import perform_experiments
    from orgsim import ema

    model = ema.model("avocado_failure", outcomes=["cohort_retention"], weeks=60,
                      uncertainties={"mechanisms.contagion.strength": (0.0, 1.0)},
                      levers={"mechanisms.reorgs.reassign_share": (0.1, 0.5)},
                      settings={"population.scale": 0.1}, seeds=[1, 2])
    experiments, outcomes = perform_experiments(model, scenarios=8, policies=2)

Each parameter is an ``ema_workbench`` parameter named by its path (dots as
``__``: EMA Workbench 3 wants identifiers) whose ``variable_name`` is the
path itself, so the run receives ``{"population.scale": 0.1}`` and builds
``OrgModel(scenario, **values)``, validated like ``--set``. The parameter
carries ``path``, ``label`` and ``unit`` from the schema, the outcome its
label and unit. With ``seeds`` the model is a ``ReplicatorModel`` (one
replication per seed, common across experiments); without, a ``Model``
seeded with 1. :func:`orgsim.analysis.runs_from_ema` turns the results into
a store that ``orgsim discover`` reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from orgsim import labels
from orgsim.analysis.ema import identifier
from orgsim.extras import require
from orgsim.schema import Scenario
from orgsim.settings import scenario_of

with warnings.catch_warnings():  # its optional parallel back ends (ipyparallel) announce themselves on import
    warnings.simplefilter("ignore")
    workbench = require("ema_workbench", "orgsim.ema (EMA Workbench)")

#: one EMA parameter: (low, high); ints on both ends make an IntegerParameter
Bounds = tuple[float, float]


def parameter(path: str, bounds: Bounds, scenario: Scenario | None = None):
    """An EMA parameter over ``bounds`` for the config ``path``, with its label and unit from the schema.

    An unknown path raises :class:`~orgsim.labels.LabelError` naming it.
    """
    label = labels.parameter(path, scenario)
    low, high = bounds
    kind = workbench.IntegerParameter if isinstance(low, int) and isinstance(high, int) else workbench.RealParameter
    made = kind(identifier(path), low, high, variable_name=path)
    made.path, made.label, made.unit = path, label.text, label.unit
    return made


def outcome(key: str, scenario: Scenario | None = None, replicated: bool = False):
    """An EMA outcome for a headline outcome (:data:`orgsim.outcomes.OUTCOMES`), with its label and unit.

    A ScalarOutcome; ``replicated``: an ArrayOutcome holding every seed's value (EMA's ReplicatorModel returns
    one value per replication, and the store keeps each run). EMA Workbench ties an outcome name to one of
    the two classes per process, so one session uses a name either replicated or not.
    """
    label = labels.outcome(key, scenario)
    made = (workbench.ArrayOutcome if replicated else workbench.ScalarOutcome)(key)
    made.label, made.unit = label.text, label.unit
    return made


def run(scenario: Scenario, outcomes: tuple[str, ...], weeks: int | None, seed: int = 1, **values: Any) -> dict:
    """One experiment: the scenario with the experiment's values, run ``weeks`` weeks; its headline outcomes."""
    from orgsim.sim.model import OrgModel

    headline = OrgModel(scenario, rng=seed, **values).run(weeks).headline().as_dict()
    return {key: headline[key] for key in outcomes}


def model(
    scenario: Scenario | str | Path = "avocado_failure",
    outcomes: Iterable[str] = ("cohort_retention",),
    weeks: int | None = None,
    *,
    uncertainties: Mapping[str, Bounds] | None = None,
    levers: Mapping[str, Bounds] | None = None,
    settings: Mapping[str, Any] | None = None,
    seeds: Iterable[int] | None = None,
    name: str | None = None,
):
    """An ``ema_workbench.Model`` (``ReplicatorModel`` with ``seeds``) running ``scenario``.

    ``settings`` are fixed config paths (``{"population.scale": 0.1}``),
    applied and validated once here; ``uncertainties`` and ``levers`` map
    config paths to their (low, high) bounds.
    """
    base = scenario_of(scenario, settings)
    keys = tuple(outcomes)
    function = partial(run, scenario=base, outcomes=keys, weeks=weeks)
    seeds = list(seeds) if seeds is not None else None
    made = (workbench.ReplicatorModel if seeds else workbench.Model)(name or base.name, function=function)
    if seeds:
        made.replications = [{"seed": seed} for seed in seeds]
    made.uncertainties = [parameter(path, bounds, base) for path, bounds in (uncertainties or {}).items()]
    made.levers = [parameter(path, bounds, base) for path, bounds in (levers or {}).items()]
    made.outcomes = [outcome(key, base, replicated=bool(seeds)) for key in keys]
    made.orgsim_scenario = base.name  # the store's scenario column (orgsim.analysis.runs_from_ema)
    return made
