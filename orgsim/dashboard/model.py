"""The OrgModel that Mesa's SolaraViz rebuilds from the dashboard's controls.

SolaraViz's Reset calls ``type(model)(**controls)``, so the controls are this
class's keyword arguments. Its signature is spelled out (one keyword per
control, mechanism switches included) because SolaraViz checks the controls
against it and passes a Mesa ``scenario`` to any ``**kwargs`` constructor.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import mesa

from orgsim.dashboard import levers
from orgsim.sim import plugins
from orgsim.sim.model import OrgModel

#: fixed (non-control) arguments: the scenario catalog, name -> file
FIXED = ("scenarios",)
CONTROLS = (
    "config",
    "seed",
    "scale",
    "retention_grant",
    *(lever.name for lever in levers.LEVERS),
    "counteroffer",
    *(f"mechanism_{name}" for name in levers.mechanism_names(plugins.mechanisms_model()())),
)


#: the series Mesa's own plots on the dashboard's page 1 read (orgsim.dashboard.app), collected weekly and nothing else
REPORTERS = {
    "focal_top_talent_share": lambda m: float(m.recorder.level(m.week, m.focal.index, "top_talent_share")),
    "focal_headcount": lambda m: m.focal.headcount,
    "frontier": lambda m: max(lab.capability for lab in m.labs),
}


class DashboardModel(OrgModel):
    """An OrgModel built from control values; also times its steps, collects what Mesa's plots read
    (a ``mesa.DataCollector``) and holds the views' drawing state."""

    def __init__(self, **values):
        self.path = Path(values["scenarios"][values["config"]])
        self.seed = levers.seed_of(values["seed"])
        scenario, self.changes = levers.build(self.path, values)
        super().__init__(scenario, rng=self.seed)
        self.step_seconds: list[float] = []
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.views: dict = {}

    def step(self) -> None:
        """One week, timed; OrgModel's step collects into this model's ``datacollector``."""
        started = time.perf_counter()
        super().step()
        self.step_seconds.append(time.perf_counter() - started)


DashboardModel.__init__.__signature__ = inspect.Signature(
    [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in (*FIXED, *CONTROLS)]
)
