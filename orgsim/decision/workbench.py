"""EMA Workbench's analysis modules, imported once and quietly.

The package announces its optional parallel back ends (ipyparallel) with a
warning on import; orgsim uses only its analysis functions, in-process.
"""

from __future__ import annotations

import warnings

from orgsim.extras import require

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    require("ema_workbench", "scenario discovery (EMA Workbench)")
    from ema_workbench.analysis import cart, feature_scoring, prim, scenario_discovery_util
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

__all__ = ["RuleInductionType", "cart", "feature_scoring", "prim", "scenario_discovery_util"]
