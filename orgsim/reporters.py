"""Deprecated home of the DataCollector's reporters: import them from ``orgsim.sim.reporters``."""

import warnings

from orgsim.sim.reporters import FOCAL, WeeklyCollector, level, model_reporters

warnings.warn("orgsim.reporters moved to orgsim.sim.reporters", DeprecationWarning, stacklevel=2)

__all__ = ["FOCAL", "WeeklyCollector", "level", "model_reporters"]
