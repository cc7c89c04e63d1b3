"""The model-level series of ``OrgModel.datacollector``, Mesa's DataCollector, one row a week.

The reporters read the week's levels the model has already computed for
its own recorder (``model.levels``), so collecting costs a few dict look-ups
a week. They are ``functools.partial`` objects of one module-level
function, not lambdas, as Mesa's DataCollector advises.

Columns: ``headcount_<lab>`` for every lab, then for the focal lab
(``focal_lab`` of the scenario, Meta in the shipped ones):
``tracked_cohort`` (members of the tracked cohort still there),
``top_talent_share`` (its share of the world's top talent), ``capability``
and ``share_price``.
"""

from __future__ import annotations

import math
from functools import partial

from mesa import DataCollector

#: the focal lab's series: column -> the level it reads (OrgModel._levels)
FOCAL = {
    "tracked_cohort": "tracked_cohort",
    "top_talent_share": "top_talent_share",
    "capability": "capability",
    "share_price": "share_price",
}


def level(model, metric: str, lab: int) -> float:
    """One lab's value of one of this week's levels."""
    return float(model.levels[metric][lab])


def model_reporters(model) -> dict[str, partial]:
    """Headcount of every lab, then the focal lab's cohort, top-talent share, capability and share price."""
    labs = [lab.key for lab in model.labs]
    focal = labs.index(model.spec.focal_lab)
    return {
        **{f"headcount_{key}": partial(level, metric="headcount", lab=i) for i, key in enumerate(labs)},
        **{name: partial(level, metric=metric, lab=focal) for name, metric in FOCAL.items()},
    }


class WeeklyCollector(DataCollector):
    """Mesa's DataCollector stamping each row with the whole week it closes.

    OrgModel's step runs at mid-week (``time`` w + 0.5, see
    :mod:`orgsim.sim.model`); Mesa's collector would stamp 0.5, 1.5, ... and
    ``mesa.batch_run`` would report those as its ``Step``. The row
    collected at the start is week 0, the one after week w's step is w + 1,
    matching ``model.steps``.
    """

    def collect(self, model) -> None:
        super().collect(model)
        self._collection_steps[-1] = math.ceil(model.time)
