"""M8 executives: CEO pressure and decisions, friction, and exits that shake teams.

Pressure accumulates from the gap to the frontier, the share-price drawdown
and failed releases. Past a threshold set by patience the CEO acts (reorg,
hiring blitz, layoffs, leadership change), and acts sooner when pressure
keeps rising ("the quicker the pivots are going to get"). Micromanagement
grows friction; friction drives executive exits; an exit raises the hazard
of those below by 15% (insider successor) or 30% (outsider; Hayes, Oyer &
Schaefer 2006), fading over ``shock_weeks``.

The labs' executives (:class:`~orgsim.sim.agents.Executive`) decide here,
asked through Mesa's ``AgentSet`` (:func:`review_leadership`): what the CEO
perceives and which lever they pull, what others bear and when they leave,
what a lever and an exit do, and the state M8 owns. The levers of other
mechanisms (a reorg, M6; layoffs, M7) are pulled by name (:func:`orgsim.sim.plugins.act`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Literal

import numpy as np
from mesa.agentset import AgentSet
from scipy.special import expit, logit

from orgsim.schema import ASSUMED, Blitz, NonNeg, Switchable, Unit, param
from orgsim.sim import derived, plugins
from orgsim.sim.plugins import ORGANIZATION, TERMS, Handler, Mechanism, StayTerms

if TYPE_CHECKING:
    from orgsim.schema import ExecutiveExit, RuleOut
    from orgsim.sim.agents import Executive
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class ExecutiveParams(Switchable):
    """M8 executives: pressure, decisions, friction and exits."""

    weight_gap: NonNeg = param(
        3.0,
        "pressure per unit of gap to the frontier beyond the aspiration",
        ASSUMED,
        label="Pressure from trailing the frontier",
    )
    aspiration_weeks: float = param(
        52.0,
        "weeks (memory of the gap a CEO is used to)",
        "Greve (2003): aspirations adapt to past performance; a one-year memory is an assumption",
        ge=1,
        label="CEO's memory of past performance",
    )
    weight_drawdown: NonNeg = param(
        2.0, "pressure per unit drawdown", ASSUMED, label="Pressure from a falling share price"
    )
    weight_failure: NonNeg = param(0.3, "pressure per failed release", ASSUMED, label="Pressure from a failed release")
    pressure_memory: Unit = param(0.95, "weekly persistence of shocks", ASSUMED, label="Persistence of pressure")
    threshold: NonNeg = param(
        1.5, "pressure that triggers action at patience 0.5", ASSUMED, label="Pressure that triggers action"
    )
    relief: Unit = param(0.5, "share of pressure relieved by acting", ASSUMED, label="Pressure relieved by acting")
    cooldown_weeks: float = param(
        13.0,
        "weeks between actions",
        "'the quicker the pivots are going to get'",
        gt=0,
        label="Time between CEO actions",
    )
    action_weights: dict[Literal["reorg", "blitz", "layoffs", "leadership_change"], NonNeg] = param(
        {"reorg": 0.4, "blitz": 0.25, "layoffs": 0.15, "leadership_change": 0.2},
        "relative",
        ASSUMED,
        label="Mix of CEO actions",
    )
    friction_growth: NonNeg = param(
        0.01, "friction/week per unit micromanagement", ASSUMED, label="Growth of friction with the CEO"
    )
    exit_hazard: NonNeg = param(
        0.02, "probability/week per unit friction", ASSUMED, label="Executive exit risk from friction"
    )
    successor_insider: NonNeg = param(
        0.15, "hazard rise below", "Hayes, Oyer & Schaefer (2006)", label="Turnover shock of an insider successor"
    )
    successor_outsider: NonNeg = param(
        0.30, "hazard rise below", "Hayes, Oyer & Schaefer (2006)", label="Turnover shock of an outsider successor"
    )
    shock_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0, label="Fading time of the leadership shock")
    action_layoff_share: Unit = param(0.05, "share of staff", ASSUMED, label="Size of a CEO-ordered layoff")
    action_blitz_weeks: int = param(8, "weeks", ASSUMED, ge=1, label="Length of a CEO-ordered blitz")


@dataclasses.dataclass
class Leadership:
    """M8's state. ``manager_shock`` per team is raised when an executive leaves and read by M3's hazard;
    per lab, ``aspiration`` is the frontier gap its CEO is used to (None before the first review) and
    ``ruled_out`` maps a lever to the last week the CEO has ruled it out; ``releases_read`` and ``slips_read``
    are how far the CEOs have read M9's release and slip logs."""

    manager_shock: np.ndarray
    aspiration: list[float | None]
    ruled_out: list[dict[str, int]]
    releases_read: int = 0
    slips_read: int = 0


def setup(model: OrgModel) -> Leadership:
    n = len(model.labs)
    return Leadership(np.zeros(len(model.team_names)), [None] * n, [{} for _ in range(n)])


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
    used_to = model.states["executives"].aspiration[lab.index]
    aspiration = gap if used_to is None else used_to
    shortfall = max(0.0, gap - aspiration) / model.params.releases.gap_unit
    drawdown = max(0.0, 1.0 - lab.share_price / lab.peak_price)
    return p.weight_gap * shortfall + p.weight_drawdown * drawdown


def adapt_aspiration(model: OrgModel, lab: Lab) -> None:
    """The gap a CEO is used to moves toward the current one, with a memory of ``aspiration_weeks``."""
    gap = frontier_gap(model, lab)
    aspiration = model.states["executives"].aspiration
    used_to = gap if aspiration[lab.index] is None else aspiration[lab.index]
    aspiration[lab.index] = used_to + (gap - used_to) / model.params.executives.aspiration_weeks


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
    """What the lever a CEO chose (:func:`review`) does; acting relieves the pressure."""
    p, lab = model.params.executives, ceo.lab
    ceo.last_action_week = model.week
    ceo.pressure *= 1.0 - p.relief
    model.decisions.append((model.week, lab.key, lever))
    if lever == "reorg":
        plugins.act(model, "reorganize", lab)
    elif lever == "layoffs":
        plugins.act(model, "lay_off", lab, int(round(p.action_layoff_share * lab.headcount)))
    elif lever == "blitz" and model.params.offers.enabled:
        event = Blitz(
            kind="blitz",
            date=model.date,
            until=model.date + dt.timedelta(weeks=p.action_blitz_weeks),
            lab=lab.key,
            capacity_multiplier=4.0,
            package_premium=2.0,
            cohort=f"ceo-blitz-{model.year}",
        )
        plugins.act(model, "blitz", lab, event, model.week + p.action_blitz_weeks)
    elif lever == "leadership_change":
        others = [e for e in lab.executives if e.active and e is not ceo]
        if others:
            leave(model, max(others, key=lambda e: e.friction), "outsider")


def read_setbacks(model: OrgModel) -> np.ndarray:
    """Per lab, failed releases (1 each) and slips (0.5) that M9 logged since the CEOs last read the logs."""
    leadership = model.states["executives"]
    setbacks = np.zeros(len(model.labs))
    for record in model.release_log[leadership.releases_read :]:
        setbacks[model.lab_by_key[record["lab"]].index] += 1.0 if record["outcome"] == "failure" else 0.0
    for record in model.slip_log[leadership.slips_read :]:
        setbacks[model.lab_by_key[record["lab"]].index] += 0.5
    leadership.releases_read, leadership.slips_read = len(model.release_log), len(model.slip_log)
    return setbacks


def step(model: OrgModel) -> None:
    """Each lab's leadership reviews the week (:func:`review_leadership`), in config order; manager-exit shocks fade."""
    p = model.params.executives
    if not p.enabled:
        return
    model.lab_agents.do(review_leadership, read_setbacks(model))
    manager_shock(model)[:] *= np.exp(-1.0 / p.shock_weeks)


def review_leadership(lab: Lab, setbacks: np.ndarray) -> None:
    """The CEO reviews the week (``setbacks[index]``: failed releases and slips since), then the others bear it.

    Those below are the lab's active executives after the CEO acted (a
    leadership change has replaced one), in the order they joined.
    """
    ceo = lab.ceo
    if ceo is not None:
        review(ceo, float(setbacks[lab.index]))
    boss = ceo.micromanagement if ceo is not None else 0.0
    below = [e for e in lab.executives if e.active and e is not ceo]
    AgentSet(below, random=lab.model.random).do(endure, boss)


def under_pressure(model: OrgModel, ceo: Executive) -> bool:
    """Pressure past this CEO's threshold: the configured one, scaled by patience."""
    return ceo.pressure > model.params.executives.threshold * (0.5 + ceo.patience)


def review(ceo: Executive, setbacks: float) -> None:
    """A CEO's week: pressure from the shortfall, the drawdown and the lab's setbacks; past the threshold, act.

    Rising pressure shortens the pause between pivots, down to half of
    ``cooldown_weeks`` ("the quicker the pivots are going to get").
    """
    model, p = ceo.model, ceo.model.params.executives
    previous = ceo.pressure
    felt = pressure_inputs(model, ceo.lab)
    ceo.pressure = p.pressure_memory * ceo.pressure + (1 - p.pressure_memory) * felt
    ceo.pressure += p.weight_failure * setbacks
    adapt_aspiration(model, ceo.lab)
    ceo.rising_weeks = ceo.rising_weeks + 1 if ceo.pressure > previous else 0
    cooldown = p.cooldown_weeks * (0.5 + 0.5 * np.exp(-ceo.rising_weeks / 8.0))
    if under_pressure(model, ceo) and model.week - ceo.last_action_week >= cooldown:
        lever = choose_lever(ceo)
        if lever is not None:
            pull(model, ceo, lever)


def choose_lever(ceo: Executive) -> str | None:
    """One lever, drawn by the configured weights; a risk-taker blitzes more; a lever the CEO has ruled out
    (``rule_out``) weighs nothing. None if every weight is 0."""
    p = ceo.model.params.executives
    ruled_out = ceo.model.states["executives"].ruled_out[ceo.lab.index]
    levers = list(p.action_weights)
    weights = np.array([p.action_weights[a] * (ruled_out.get(a, -1) < ceo.model.week) for a in levers], dtype=float)
    if "blitz" in levers:
        weights[levers.index("blitz")] *= 0.5 + ceo.risk_appetite
    if weights.sum() <= 0:
        return None
    return levers[ceo.model.stream("executives").choice(len(levers), p=weights / weights.sum())]


def forfeit_years(executive: Executive) -> float:
    """The package still unvested, in years of this executive's market pay (vesting on the lab's schedule)."""
    cliff, interval, total, _ = executive.model.lab_vesting[executive.lab.index]
    since = np.array([executive.model.week - executive.joined_week])
    vested = float(derived.vesting_fraction(since, cliff, interval, total)[0])
    return executive.package_musd * (1.0 - vested) / executive.pay_musd


def exit_probability(executive: Executive) -> float:
    """This week's chance of leaving: friction sets the odds (``exit_hazard`` per unit), the package divides them.

    The same decision in money as a researcher's (M3): what leaving forfeits,
    spread over ``attrition.horizon_years`` and in units of the decision
    scale, so a chief AI officer holding years of pay unvested puts up with
    friction a newcomer with nothing at stake would not.
    """
    p, decision = executive.model.params.executives, executive.model.params.attrition
    odds = p.exit_hazard * executive.friction
    if odds <= 0.0:
        return 0.0
    held = forfeit_years(executive) / (decision.horizon_years * decision.decision_scale)
    return float(expit(logit(min(odds, 1.0 - 1e-12)) - held))


def endure(executive: Executive, boss_micromanagement: float) -> None:
    """Below the CEO: friction grows with the boss's micromanagement, and with it the weekly chance of leaving.

    A scripted exit (a dated ``executive_exit``) is a fact the friction must not pre-empt.
    """
    p, rng = executive.model.params.executives, executive.model.stream("executives")
    executive.friction = min(1.0, executive.friction + p.friction_growth * boss_micromanagement)
    if not executive.scripted and rng.random() < exit_probability(executive):
        leave(executive.model, executive, "insider" if rng.random() < 0.5 else "outsider")


def manager_terms(model: OrgModel, slots) -> dict[str, np.ndarray]:
    """The fading shock of a manager's exit felt by each researcher's team (priced by M3)."""
    return {"manager_exit": manager_shock(model)[model.population.team[slots]]}


def apply_exit(model: OrgModel, event: ExecutiveExit) -> None:
    """Timeline handler: a named executive leaves (e.g. a chief scientist founding a start-up)."""
    if not model.params.executives.enabled:
        return
    executive = model.executive_by_key.get(event.executive)
    if executive is not None and executive.active:
        leave(model, executive, event.successor)


def rule_out(model: OrgModel, event: RuleOut) -> None:
    """Timeline handler: the lab's CEO rules out a lever until a date ("no further company-wide layoffs in 2026")."""
    lab = model.lab_by_key[event.lab]
    model.states["executives"].ruled_out[lab.index][event.lever] = model.spec.week_of(event.until)


MECHANISM = Mechanism(
    number=8,
    block="executives",
    params=ExecutiveParams,
    setup=setup,
    stage=3.0,
    step=step,
    stay_terms=StayTerms(manager_terms),
    actions={"under_pressure": under_pressure},
    handlers={"executive_exit": Handler(apply_exit, ORGANIZATION), "rule_out": Handler(rule_out, TERMS)},
)
