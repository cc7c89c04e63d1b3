"""EMA Workbench results as an orgsim store, and a store as EMA Workbench results.

EMA's ``perform_experiments`` returns ``(experiments, outcomes)``: a frame
with one row per experiment and a dict of outcome arrays (one column per
replication for a ``ReplicatorModel``). A store's ``runs.parquet`` has one
row per run: ``run_id``, ``scenario``, ``point`` (1..K for the design
points), ``replication``, ``seed``, ``status``, the inputs as
``param:<path>`` and the headline outcomes. :func:`runs_from_ema` makes
that table, :func:`write_store` writes it with a manifest declaring the
uncertainties and levers (so ``orgsim discover`` names their roles), and
:func:`ema_from_runs` goes back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.files import write_json, write_parquet
from orgsim.outcomes import OUTCOMES

#: the columns EMA adds to the experiments frame besides the parameters
EMA_COLUMNS = ("scenario", "policy", "model")


def identifier(path: str) -> str:
    """The EMA name of a config path (``population.scale`` -> ``population__scale``): EMA Workbench 3 wants
    identifiers."""
    return path.replace(".", "__")


def path_of(name: str) -> str:
    """The config path of an EMA name made by :func:`identifier`."""
    return name.replace("__", ".")


def _paths(experiments: pd.DataFrame, model) -> dict[str, str]:
    """EMA parameter name -> config path: the model's ``variable_name``, else :func:`path_of` the name."""
    declared = {p.name: p.variable_name[0] for p in [*model.uncertainties, *model.levers]} if model else {}
    return {c: declared.get(c, path_of(c)) for c in experiments.columns if c not in EMA_COLUMNS}


def runs_from_ema(
    experiments: pd.DataFrame, outcomes: dict, model=None, seeds: list[int] | None = None
) -> pd.DataFrame:
    """A store-shaped runs table: one row per experiment and replication.

    ``model`` is the EMA model (from :func:`orgsim.ema.model`) that names
    the scenario, the paths and the seeds; without it the names are read
    back as paths and the seeds are ``seeds`` (default 1, 2, ...).
    """
    n = len(experiments)
    values = {key: np.asarray(array, dtype=float).reshape(n, -1) for key, array in outcomes.items()}
    reps = next(iter(values.values())).shape[1] if values else 1
    if model is not None and getattr(model, "replications", None):
        seeds = [rep["seed"] for rep in model.replications]
    seeds = seeds or list(range(1, reps + 1))
    scenario = getattr(model, "orgsim_scenario", None) or "ema"
    inputs = experiments.rename(columns=_paths(experiments, model))[list(_paths(experiments, model).values())]
    rows = []
    for i in range(n):
        for r in range(reps):
            rows.append(
                {
                    "run_id": f"{scenario}-p{i + 1:04d}-r{r:02d}",
                    "scenario": scenario,
                    "point": i + 1,
                    "replication": r,
                    "seed": seeds[r],
                    "status": "ok",
                    **{f"param:{path}": inputs.iloc[i][path] for path in inputs.columns},
                    **{key: array[i, r] for key, array in values.items()},
                }
            )
    return pd.DataFrame(rows)


def write_store(runs: pd.DataFrame, root: str | Path, model=None) -> Path:
    """Write ``runs`` as a store at ``root`` (``runs.parquet`` and ``manifest.json``) for ``orgsim discover``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    roles = {
        "uncertainties": {
            "parameters": {
                p.variable_name[0]: [p.lower_bound, p.upper_bound] for p in (model.uncertainties if model else [])
            }
        },
        "levers": {p.variable_name[0]: [p.lower_bound, p.upper_bound] for p in (model.levers if model else [])},
    }
    write_parquet(runs, root / "runs.parquet")
    write_json(
        {
            "source": "EMA Workbench (orgsim.analysis.write_store)",
            "spec": {
                "name": getattr(model, "name", "ema"),
                "scenarios": sorted(runs["scenario"].unique()),
                "explore": roles,
            },
        },
        root / "manifest.json",
    )
    return root


def ema_from_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """EMA's ``(experiments, outcomes)`` from a store's runs at design points: one experiment per run.

    Inputs become columns named by :func:`identifier`; every numeric headline outcome becomes an array.
    """
    design = runs[runs["point"] > 0].reset_index(drop=True)
    inputs = [c for c in design.columns if c.startswith("param:")]
    experiments = design[inputs].rename(columns=lambda c: identifier(c.removeprefix("param:")))
    experiments["scenario"] = design["point"].to_numpy()
    experiments["policy"] = "orgsim"
    experiments["model"] = design["scenario"].to_numpy()
    outcomes = {
        key: design[key].to_numpy(float)
        for key in OUTCOMES
        if key in design and pd.api.types.is_numeric_dtype(design[key])
    }
    return experiments, outcomes
