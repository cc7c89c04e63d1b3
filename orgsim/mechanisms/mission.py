"""M13 mission sorting.

Researchers hold ideal points on safety emphasis and openness; fit with a lab
is one minus the weighted distance to its profile (:func:`orgsim.sim.derived.mission_fit`)
and enters offers, quits and destinations, so safety-minded researchers drift
toward safety-focused labs and open-science researchers toward labs that
publish. A lab that closes a model it used to open loses fit with the latter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orgsim.schema import ASSUMED, NonNeg, Switchable, param
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import MissionChange
    from orgsim.sim.model import OrgModel


class MissionParams(Switchable):
    """M13 mission sorting."""

    weight_safety: NonNeg = param(
        2.0,
        "relative",
        "assumption: the safety profile is what sets the labs' missions "
        "apart in the press and in SignalFire's flows toward Anthropic; raised from 1 after "
        "the flows came out symmetric",
        label="Weight of safety in mission fit",
    )
    weight_openness: NonNeg = param(1.0, "relative", ASSUMED, label="Weight of openness in mission fit")
    weight_product: NonNeg = param(0.3, "relative", ASSUMED, label="Weight of product focus in mission fit")


def change(model: OrgModel, event: MissionChange) -> None:
    """Timeline handler: a lab changes its public profile (e.g. ships closed weights)."""
    if not model.params.mission.enabled:
        return
    row = model.lab_mission[model.lab_by_key[event.lab].index]
    for i, field in enumerate(("safety", "openness", "product")):
        value = getattr(event, field)
        if value is not None:
            row[i] = value


MECHANISM = Mechanism(
    number=13, block="mission", params=MissionParams, handlers={"mission_change": Handler(change, TERMS)}
)
