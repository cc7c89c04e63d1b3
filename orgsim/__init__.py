"""orgsim: agent-based simulation of organizations competing for talent.

Its first world is the 2025-26 race for AI research talent.

>>> from orgsim import OrgModel, load_scenario, run_sweep
"""

from orgsim.config import ConfigError, load_scenario
from orgsim.model import OrgModel
from orgsim.schema import Scenario
from orgsim.sweep import run_sweep

__all__ = ["ConfigError", "OrgModel", "Scenario", "load_scenario", "run_sweep"]
__version__ = "0.1.0"
