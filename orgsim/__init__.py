"""orgsim: agent-based simulation of organizations competing for talent.

Its first world is the 2025-26 race for AI research talent.

>>> from orgsim import OrgModel, load_scenario, run_sweep

The names are imported when first used, so ``import orgsim`` (and the
``orgsim`` command's ``--help``) does not pay for Mesa, pandas and the rest.
"""

import importlib

__all__ = ["ConfigError", "OrgModel", "Scenario", "load_scenario", "run_sweep"]
__version__ = "0.1.0"

#: where each public name lives
_HOME = {
    "ConfigError": "orgsim.config",
    "load_scenario": "orgsim.config",
    "OrgModel": "orgsim.sim.model",
    "Scenario": "orgsim.schema",
    "run_sweep": "orgsim.sweep",
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'orgsim' has no attribute {name!r}")
    if name == "Scenario":  # the schema as registered: each mechanism's params block is declared beside its code
        from orgsim.sim import plugins

        return plugins.scenario_model()
    return getattr(importlib.import_module(_HOME[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
