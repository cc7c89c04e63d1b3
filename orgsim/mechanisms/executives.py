"""M8 executives: CEO pressure and decisions, friction, and exits that shake teams.

Pressure accumulates from the gap to the frontier, the share-price drawdown
and failed releases. Past a threshold set by patience the CEO acts (reorg,
hiring blitz, layoffs, leadership change), and acts sooner when pressure
keeps rising ("the quicker the pivots are going to get"). Micromanagement
grows friction; friction drives executive exits; an exit raises the hazard
of those below by 15% (insider successor) or 30% (outsider; Hayes, Oyer &
Schaefer 2006), fading over ``shock_weeks``.

The decisions are the agents' (:meth:`Lab.review_leadership
<orgsim.lab.Lab.review_leadership>`, :class:`~orgsim.executive.Executive`);
this module holds what the CEO perceives, what a lever and an exit do, and
the state M8 owns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from orgsim import schema
from orgsim.mechanisms import layoffs, reorgs
from orgsim.plugins import ORGANIZATION, TERMS, Handler, Mechanism
from orgsim.schema import Blitz

if TYPE_CHECKING:
    from orgsim.executive import Executive
    from orgsim.lab import Lab
    from orgsim.model import OrgModel
    from orgsim.schema import ExecutiveExit, RuleOut


@dataclasses.dataclass
class Leadership:
    """M8's state. ``manager_shock`` per team is raised when an executive leaves and read by M3's hazard;
    ``releases_read`` and ``slips_read`` are how far the CEOs have read M9's release and slip logs."""

    manager_shock: np.ndarray
    releases_read: int = 0
    slips_read: int = 0


def setup(model: OrgModel) -> Leadership:
    return Leadership(np.zeros(len(model.team_names)))


def manager_shock(model: OrgModel) -> np.ndarray:
    return model.states["executives"].manager_shock


def frontier_gap(model: OrgModel, lab: Lab) -> float:
    """Index points between the lab's capability and the best rival's public standing (M9)."""
    return max(0.0, max(other.standing for other in model.labs if other is not lab) - lab.capability)


def pressure_inputs(model: OrgModel, lab: Lab) -> float:
    """The CEO weighs the gap to the frontier beyond the one they are used to, and the share-price drawdown.

    Performance feedback (Cyert & March 1963; Greve 2003): managers act when
    performance falls short of an aspiration that adapts to past
    performance, so a lab that has long trailed (Apple) feels no pressure
    from trailing alone; a widening gap does. The shortfall is in units of
    ``releases.gap_unit`` index points, so ``weight_gap`` keeps its size.
    """
    p, gap = model.params.executives, frontier_gap(model, lab)
    aspiration = gap if lab.gap_aspiration is None else lab.gap_aspiration
    shortfall = max(0.0, gap - aspiration) / model.params.releases.gap_unit
    drawdown = max(0.0, 1.0 - lab.share_price / lab.peak_price)
    return p.weight_gap * shortfall + p.weight_drawdown * drawdown


def adapt_aspiration(model: OrgModel, lab: Lab) -> None:
    """The gap a CEO is used to moves toward the current one, with a memory of ``aspiration_weeks``."""
    gap = frontier_gap(model, lab)
    if lab.gap_aspiration is None:
        lab.gap_aspiration = gap
    lab.gap_aspiration += (gap - lab.gap_aspiration) / model.params.executives.aspiration_weeks


def leave(model: OrgModel, executive: Executive, successor: str) -> None:
    """An executive exits; the teams below get a fading hazard shock."""
    p = model.params.executives
    executive.active = False
    rise = {"insider": p.successor_insider, "outsider": p.successor_outsider, "none": p.successor_outsider}[successor]
    model.recorder.executive_exit(executive, executive.team_ids[0] if executive.team_ids else -1)
    if executive.team_ids:
        teams = np.asarray(executive.team_ids)
        shock = manager_shock(model)
        shock[teams] = np.maximum(shock[teams], np.log1p(rise))
    if successor != "none":
        model.world.replace_executive(executive, insider=successor == "insider")


def pull(model: OrgModel, ceo: Executive, lever: str) -> None:
    """What the lever a CEO chose (:meth:`~orgsim.executive.Executive.review`) does; acting relieves the pressure."""
    p, lab = model.params.executives, ceo.lab
    ceo.last_action_week = model.week
    ceo.pressure *= 1.0 - p.relief
    model.decisions.append((model.week, lab.key, lever))
    if lever == "reorg":
        reorgs.reorganize(model, lab)
    elif lever == "layoffs":
        layoffs.lay_off(model, lab, int(round(p.action_layoff_share * lab.headcount)))
    elif lever == "blitz" and model.params.offers.enabled:
        lab.blitz = Blitz(kind="blitz", date=model.date, until=model.date + dt.timedelta(weeks=p.action_blitz_weeks),
                          lab=lab.key, capacity_multiplier=4.0, package_premium=2.0, cohort=f"ceo-blitz-{model.year}")
        lab.blitz_until = model.week + p.action_blitz_weeks
    elif lever == "leadership_change":
        others = [e for e in lab.executives if e.active and e is not ceo]
        if others:
            leave(model, max(others, key=lambda e: e.friction), "outsider")


def read_setbacks(model: OrgModel) -> np.ndarray:
    """Per lab, failed releases (1 each) and slips (0.5) that M9 logged since the CEOs last read the logs."""
    leadership = model.states["executives"]
    setbacks = np.zeros(len(model.labs))
    for record in model.releases[leadership.releases_read:]:
        setbacks[model.lab_by_key[record["lab"]].index] += 1.0 if record["outcome"] == "failure" else 0.0
    for record in model.slips[leadership.slips_read:]:
        setbacks[model.lab_by_key[record["lab"]].index] += 0.5
    leadership.releases_read, leadership.slips_read = len(model.releases), len(model.slips)
    return setbacks


def step(model: OrgModel) -> None:
    """Each lab's leadership reviews the week, in config order; manager-exit shocks fade."""
    p = model.params.executives
    if not p.enabled:
        return
    model.lab_agents.do("review_leadership", read_setbacks(model))
    manager_shock(model)[:] *= np.exp(-1.0 / p.shock_weeks)


def apply_exit(model: OrgModel, event: ExecutiveExit) -> None:
    """Timeline handler: a named executive leaves (e.g. a chief scientist founding a start-up)."""
    if not model.params.executives.enabled:
        return
    executive = model.executive_by_key.get(event.executive)
    if executive is not None and executive.active:
        leave(model, executive, event.successor)


def rule_out(model: OrgModel, event: RuleOut) -> None:
    """Timeline handler: the lab's CEO rules out a lever until a date ("no further company-wide layoffs in 2026")."""
    model.lab_by_key[event.lab].ruled_out[event.lever] = model.config.week_of(event.until)


MECHANISM = Mechanism(number=8, block="executives", params=schema.ExecutiveParams, setup=setup, stage=3.0, step=step,
                      handlers={"executive_exit": Handler(apply_exit, ORGANIZATION),
                                "rule_out": Handler(rule_out, TERMS)})
