"""M16, a dummy mechanism: what adding a mechanism takes is this one module (and its test).

It declares its params class, the state its ``setup`` creates, a priced term
in the value of staying (M3) and two transition hooks the core calls, and
registers with :func:`orgsim.sim.plugins.register` (a module of
:mod:`orgsim.mechanisms` is found without it). With its price at 0 the run
is the same, byte for byte.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import Switchable, param
from orgsim.sim.plugins import Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


class DummyParams(Switchable):
    """M16 dummy: exists only to show what adding a mechanism takes."""

    price_dummy: float = param(
        0.0, "market pay-years per year per unit skill", "test only", label="Worth of skill to staying"
    )


@dataclasses.dataclass
class Tally:
    """M16's state: the weeks it stepped, and the arrivals and leavers its hooks heard of."""

    weeks: int = 0
    hired: int = 0
    left: dict[str, int] = dataclasses.field(default_factory=dict)


def setup(model: OrgModel) -> Tally:
    return Tally()


def step(model: OrgModel) -> None:
    model.states["dummy"].weeks += 1


def stay_values(model: OrgModel, slots) -> dict[str, np.ndarray]:
    return {"dummy": model.population.skill[slots].astype(float)}


def on_hire(model: OrgModel, slots: np.ndarray) -> None:
    model.states["dummy"].hired += len(slots)


def on_leave(model: OrgModel, slots: np.ndarray, kind: str) -> None:
    left = model.states["dummy"].left
    left[kind] = left.get(kind, 0) + len(slots)


MECHANISM = Mechanism(
    number=16,
    block="dummy",
    params=DummyParams,
    setup=setup,
    stage=8.9,
    step=step,
    stay_terms=StayTerms(stay_values, prices={"dummy": "price_dummy"}),
    on_hire=on_hire,
    on_leave=on_leave,
)
