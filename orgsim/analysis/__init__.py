"""Analysis of a results store: retention, flows and outcome summaries across replications.

Reads the files ``orgsim sweep`` writes, never a live model. Typical use::

    from orgsim import analysis
    data = analysis.load("results/avocado_retention")
    log = analysis.EventLog.of(data.events)          # index the event log once
    stays = analysis.spells(log, data.last_week, data.metrics)
    curves = analysis.retention_curves(stays[stays["lab"] == "meta"])
"""

from orgsim.analysis import drivers, race
from orgsim.analysis.ema import ema_from_runs, runs_from_ema, write_store
from orgsim.analysis.flows import flow_counts, flow_matrix
from orgsim.analysis.retention import (
    EventLog,
    life_table,
    retention_curves,
    spells,
    two_year_retention_table,
)
from orgsim.analysis.sensitivity import metamodel_indices, ranking, read_sensitivity, sobol_indices
from orgsim.analysis.summaries import (
    StoreData,
    StoreError,
    clip_to_domain,
    drawn_share,
    headline_table,
    lab_totals,
    lever_effects,
    load,
    mean_ci,
    metric_bands,
    paired_differences,
    read_records,
    read_runs,
    release_outcomes,
    weekly,
)

__all__ = [
    "ema_from_runs",
    "runs_from_ema",
    "write_store",
    "EventLog",
    "StoreData",
    "drivers",
    "StoreError",
    "clip_to_domain",
    "drawn_share",
    "flow_counts",
    "flow_matrix",
    "headline_table",
    "lab_totals",
    "lever_effects",
    "life_table",
    "load",
    "metamodel_indices",
    "mean_ci",
    "metric_bands",
    "paired_differences",
    "race",
    "ranking",
    "read_records",
    "read_runs",
    "read_sensitivity",
    "release_outcomes",
    "retention_curves",
    "sobol_indices",
    "spells",
    "two_year_retention_table",
    "weekly",
]
