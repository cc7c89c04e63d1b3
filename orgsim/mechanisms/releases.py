"""M9 capability and releases.

Capability is an index on a public composite-benchmark scale (docs/ODD.md,
M9). Each lab's internal capability grows with its own research, with
diminishing returns to effective talent (skill^k summed, so stars count
more), to compute (log compute, as in scaling laws) and to the code's
knowledge (M10), slowed by instability; and followers gain a share of
their gap to the public frontier each week (papers, open weights,
distillation), plus the know-how that movers carry from a stronger lab.
What rivals, the press and researchers see is the lab's public standing,
which jumps to the internal level, with quality noise, only when the lab
releases (on a cadence or on dated timeline events), so the lead changes
hands through release timing without being scripted. A release is judged
against its target (dated releases) or the best rival's standing (cadence
releases); scenarios may force the outcome or the index reached. Outcomes
shock morale, prestige, share price, recruiting momentum and CEO pressure.
A release can slip, be rushed forward under pressure at a cost in quality,
or game a leaderboard for a short gain and a later trust loss (M12).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, NonNeg, Switchable, Unit, param
from orgsim.sim import derived, plugins
from orgsim.sim.plugins import RELEASES, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import Release
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class ReleaseParams(Switchable):
    """M9 capability and releases; capability in index points of a public composite benchmark (ODD, M9)."""

    growth: NonNeg = param(
        0.165,
        "index points/week at reference talent, compute and knowledge 0",
        "leaders 47-48 (June 2025) to 57 (April 2026): ~0.2/week at the frontier",
        label="Capability growth",
    )
    star_exponent: float = param(
        1.5, "talent = sum skill^k", "stars carry output", ge=1, label="Weight of stars in research talent"
    )
    talent_returns: Unit = param(
        0.2,
        "elasticity of growth to talent",
        "strongly diminishing: Anthropic stays at the frontier with a third of "
        "DeepMind's effective talent (assumption)",
        label="Returns of capability to talent",
    )
    compute_returns: NonNeg = param(
        0.1,
        "growth multiplier gained per doubling of compute",
        "scaling laws: capability linear in log compute (Kaplan et al. 2020); size assumed",
        label="Returns of capability to compute",
    )
    knowledge_weight: NonNeg = param(
        0.5,
        "growth multiplier per unit knowledge",
        "M10 code feeds M9",
        label="Returns of capability to organizational knowledge",
    )
    instability_penalty: Unit = param(
        0.5,
        "growth lost at zero stability",
        "'experience not crystallising'",
        label="Capability growth lost to instability",
    )
    diffusion: Unit = param(
        0.0192,
        "share of the gap to the public frontier closed per week (1/52)",
        "a follower with no research of its own trails by 1/diffusion weeks; open models "
        "trail the closed frontier by about a year (Epoch AI 2024, 'How far behind are open "
        "models?': 5-22 months)",
        label="Catch-up to the public frontier",
    )
    know_how: Unit = param(
        0.5,
        "share of a mover's old lab's lead carried, per unit of talent share",
        "learning-by-hiring (Song, Almeida & Wu 2003); half stays tacit (assumption)",
        label="Know-how carried by movers",
    )
    gap_unit: float = param(
        15.0,
        "index points per unit of gap in CEO pressure (M8 weight_gap)",
        "keeps Meta's mean gap term over the calibration window (weeks 0-103) at its calibrated "
        "size: 0.33 former units (a runaway frontier) = 4.9 points (a bounded one); baseline "
        "seeds 1-6, scale 0.5",
        gt=0,
        label="Capability gap worth one unit of CEO pressure",
    )
    quality_noise: NonNeg = param(
        1.5, "index points (sd of a release's quality)", ASSUMED, label="Uncertainty of a release's quality"
    )
    partial_band: NonNeg = param(
        2.5, "index points below target still 'partial'", ASSUMED, label="Margin below target still judged partial"
    )
    morale_effect: NonNeg = param(
        0.12, "morale units (success +, failure -)", ASSUMED, label="Morale effect of a release"
    )
    prestige_effect: NonNeg = param(0.1, "prestige units", ASSUMED, label="Prestige effect of a release")
    price_effect: NonNeg = param(0.08, "log share price", ASSUMED, label="Share-price effect of a release")
    momentum_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0, label="Fading time of release momentum")
    slip_morale: NonNeg = param(0.03, "morale units per slip", ASSUMED, label="Morale lost per release slip")
    rush_quality_cost: NonNeg = param(
        0.5, "index points per week pulled forward", "a rushed AI-video feed", label="Quality cost of rushing a release"
    )
    gaming_gain: NonNeg = param(
        0.05, "prestige units", "a tuned variant ranked #2 (press)", label="Prestige from gaming a benchmark"
    )
    gaming_trust_loss: NonNeg = param(
        0.1,
        "trust units when found out",
        "the released model ranked ~32nd",
        label="Trust lost when benchmark gaming comes out",
    )
    gaming_found_weeks: int = param(
        6, "weeks until found out", ASSUMED, ge=0, label="Time until benchmark gaming comes out"
    )


OUTCOME_SIGN = {"success": 1.0, "partial": -0.3, "failure": -1.0}


def effective_talent(model: OrgModel) -> np.ndarray:
    pop = model.population
    weights = pop.skill**model.params.releases.star_exponent
    return np.bincount(pop.lab.astype(np.int64), weights=weights, minlength=len(model.labs))


def public_frontier(model: OrgModel) -> float:
    """The best public standing: the frontier as rivals, the press and researchers see it."""
    return max(lab.standing for lab in model.labs)


@dataclasses.dataclass
class Releases:
    """M9's state: the mean lab's effective talent and compute at the start (the units of a lab's own progress)
    and each lab's last release week (the first drawn within one cadence before the start)."""

    talent: float
    compute: float
    last_week: np.ndarray


def setup(model: OrgModel) -> Releases:
    rng = model.stream("releases")
    last = [-int(rng.integers(0, max(lab.spec.release_every_weeks, 1))) for lab in model.labs]
    return Releases(
        float(np.mean(effective_talent(model))) or 1.0,
        float(np.mean(derived.lab_array(model, "accelerators"))) or 1.0,
        np.array(last, dtype=np.int64),
    )


def own_progress(model: OrgModel) -> np.ndarray:
    """Index points a lab's own research adds this week (before catch-up)."""
    p, reference = model.params.releases, model.states["releases"]
    talent = effective_talent(model) / reference.talent
    compute = derived.lab_array(model, "accelerators") / reference.compute
    zeros = np.zeros(len(model.labs))
    knowledge = plugins.act(model, "knowledge", default=zeros) if model.params.learning.enabled else zeros
    stability = derived.lab_array(model, "stability")
    return (
        p.growth
        * np.maximum(talent, 0) ** p.talent_returns
        * np.maximum(1.0 + p.compute_returns * np.log2(np.maximum(compute, 1e-9)), 0.0)
        * (1.0 + p.knowledge_weight * np.maximum(knowledge, 0))
        * (1.0 - p.instability_penalty * (1.0 - stability))
    )


def grow(model: OrgModel) -> None:
    """Own progress plus diffusion: a follower closes ``diffusion`` of its gap to the public frontier."""
    p = model.params.releases
    capability = derived.lab_array(model, "capability")
    gain = own_progress(model) + p.diffusion * np.maximum(public_frontier(model) - capability, 0.0)
    for lab, g in zip(model.labs, gain, strict=True):
        lab.capability += float(g)


def carry_know_how(model: OrgModel, from_labs: np.ndarray, to_labs: np.ndarray, skill: np.ndarray) -> None:
    """Movers from a stronger lab pull their new lab toward its level.

    Each mover weighs skill^k in the new lab's effective talent (movers
    included); the new lab gains ``know_how`` times that share of the
    capability lead of the lab they left. Called after the move.
    """
    p = model.params.releases
    if not p.enabled or p.know_how == 0:
        return
    capability = derived.lab_array(model, "capability")
    lead = np.maximum(capability[from_labs] - capability[to_labs], 0.0)
    carried = np.bincount(to_labs, weights=skill**p.star_exponent * lead, minlength=len(model.labs))
    gain = p.know_how * carried / np.maximum(effective_talent(model), 1e-12)
    for lab, g in zip(model.labs, gain, strict=True):
        lab.capability += float(g)


def judge(quality: float, target: float, floor: float, forced: str) -> str:
    """Success at or above ``target``, partial down to ``floor``, failure below it."""
    if forced != "endogenous":
        return forced
    if quality >= target:
        return "success"
    return "partial" if quality >= floor else "failure"


def force_quality(quality: float, target: float, floor: float, forced: str) -> float:
    """A forced outcome moves the released quality into that outcome's range."""
    if forced == "success":
        return max(quality, target)
    if forced == "partial":
        return float(np.clip(quality, floor, target))
    if forced == "failure":
        return min(quality, floor)
    return quality


def release(
    model: OrgModel,
    lab: Lab,
    name: str,
    *,
    target: float | None = None,
    floor: float | None = None,
    forced: str = "endogenous",
    standing: float | None = None,
    quality_cost: float = 0.0,
    gamed: bool = False,
    reported: float | None = None,
) -> str:
    """A lab ships a model; its public standing jumps to the quality; returns the outcome and applies its shocks.

    Without a target, a release is judged against the best rival's standing:
    a success within one ``partial_band`` of it, partial within three. A
    forced outcome or a forced ``standing`` (the index reached) sets the
    quality, and the lab's capability is at least that level afterwards.
    """
    p = model.params.releases
    band = p.partial_band
    if target is None:
        target = max(other.standing for other in model.labs if other is not lab) - band
        floor = target - 2 * band
    floor = target - band if floor is None else floor
    quality = lab.capability + model.stream("releases").normal(0.0, p.quality_noise) - quality_cost
    quality = standing if standing is not None else force_quality(quality, target, floor, forced)
    outcome = judge(quality, target, floor, forced)
    if forced != "endogenous" or standing is not None:
        lab.capability = max(lab.capability, quality)
    lab.standing = max(lab.standing, quality)
    sign = OUTCOME_SIGN[outcome]
    pop = model.population
    members = pop.lab == lab.index
    pop.morale[members] = np.clip(pop.morale[members] + p.morale_effect * sign, 0.0, 1.0)
    lab.prestige = float(np.clip(lab.prestige + p.prestige_effect * sign, 0.0, 1.0))
    lab.momentum = float(np.clip(lab.momentum + sign, -1.0, 1.0))
    plugins.act(model, "reprice", lab, p.price_effect * sign)
    if gamed:
        plugins.act(model, "game_leaderboard", lab)
    if lab is model.focal and name == model.spec.outcomes.release:
        model.top_talent_watch.start()
    model.release_log.append(
        {
            "week": model.week,
            "lab": lab.key,
            "model": name,
            "outcome": outcome,
            "quality": quality,
            "target": target,
            "floor": floor,
            "reported": reported,
        }
    )
    model.states["releases"].last_week[lab.index] = model.week
    return outcome


class DatedRelease:
    """A timeline release: slips, optional rush under pressure, then lands."""

    def __init__(self, model: OrgModel, event: Release):
        self.model, self.event = model, event
        self.slips = list(event.slips_weeks)
        self.week = model.spec.week_of(event.date)

    def schedule(self) -> None:
        e = self.event
        if e.pull_forward_weeks and self.week - e.pull_forward_weeks >= 0:
            self.model.schedule_week(self.week - e.pull_forward_weeks, self.consider_rush, RELEASES)
        self.model.schedule_week(self.week, self.due, RELEASES)

    def consider_rush(self) -> None:
        """Pressure above the CEO's threshold pulls the release forward at a quality cost."""
        ceo = self.model.lab_by_key[self.event.lab].ceo
        if ceo is not None and plugins.act(self.model, "under_pressure", ceo, default=False) and not self.slips:
            self.land(quality_cost=self.model.params.releases.rush_quality_cost * self.event.pull_forward_weeks)

    def due(self) -> None:
        if getattr(self, "landed", False):
            return
        if self.slips:
            delay = self.slips.pop(0)
            lab = self.model.lab_by_key[self.event.lab]
            members = self.model.population.lab == lab.index
            m = self.model.population.morale
            m[members] = np.clip(m[members] - self.model.params.releases.slip_morale, 0.0, 1.0)
            self.model.slip_log.append(
                {"week": self.model.week, "lab": lab.key, "model": self.event.model, "delay_weeks": delay}
            )
            self.model.schedule_week(self.model.week + delay, self.due, RELEASES)
            return
        self.land()

    def land(self, quality_cost: float = 0.0) -> None:
        e, model = self.event, self.model
        self.landed = True
        lab = model.lab_by_key[e.lab]
        if e.open_weights is not None and model.params.mission.enabled:
            model.lab_mission[lab.index, 1] = 0.9 if e.open_weights else min(model.lab_mission[lab.index, 1], 0.2)
        release(
            model,
            lab,
            e.model,
            target=e.target,
            floor=e.floor,
            forced=e.outcome,
            standing=e.standing,
            quality_cost=quality_cost,
            gamed=e.gamed,
            reported=e.reported,
        )


def schedule_event(model: OrgModel, event: Release) -> DatedRelease | None:
    """Dated releases manage their own slips and rushes; the caller keeps the returned object alive."""
    if not model.params.releases.enabled:
        return None
    dated = DatedRelease(model, event)
    dated.schedule()
    return dated


def step(model: OrgModel) -> None:
    p = model.params.releases
    if not p.enabled:
        return
    grow(model)
    decay = np.exp(-1.0 / p.momentum_weeks)
    for lab in model.labs:
        lab.momentum *= decay
    model.lab_agents.do(ship_if_due)


def ship_if_due(lab: Lab) -> None:
    """A lab releases on its cadence, ``release_every_weeks`` after its last release."""
    every = lab.spec.release_every_weeks
    if every and lab.model.week - lab.model.states["releases"].last_week[lab.index] >= every:
        release(lab.model, lab, f"{lab.key}-w{lab.model.week}")


def on_move(model: OrgModel, slots: np.ndarray, from_labs: np.ndarray, to_labs: np.ndarray) -> None:
    carry_know_how(model, from_labs, to_labs, model.population.skill[slots])


MECHANISM = Mechanism(
    number=9,
    block="releases",
    params=ReleaseParams,
    setup=setup,
    stage=7.0,
    step=step,
    on_move=on_move,
    handlers={"release": Handler(None, RELEASES, schedule=schedule_event)},
)
