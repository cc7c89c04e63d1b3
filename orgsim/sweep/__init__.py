"""Experiments: designs over scenarios and parameters, run on any executor, stored as Parquet."""

from orgsim.sweep.runner import SweepResult, run_sweep
from orgsim.sweep.spec import Experiment, load_experiment

__all__ = ["Experiment", "SweepResult", "load_experiment", "run_sweep"]
