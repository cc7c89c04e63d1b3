"""orgsim: agent-based simulation of organizations competing for talent.

Its first world is the 2025-26 race for AI research talent.

>>> from orgsim import OrgModel, load_scenario
"""

from orgsim.config import ConfigError, load_scenario
from orgsim.model import OrgModel
from orgsim.schema import Scenario

__all__ = ["ConfigError", "OrgModel", "Scenario", "load_scenario"]
__version__ = "0.1.0"
