"""M9 capability and releases.

Capability grows each week with effective talent (skill^k summed, so stars
count more, with diminishing returns), compute and the organizational code's
knowledge (M10), and is slowed by instability. Labs release on a cadence or
on dated timeline events; an outcome is judged against the target (dated
releases) or the best rival (cadence releases). Scenarios may force the
outcome. Outcomes shock morale, prestige, share price, recruiting momentum
and CEO pressure. A release can slip, be rushed forward under pressure at a
cost in quality, or game a leaderboard for a short gain and a later trust
loss (M12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import derived

if TYPE_CHECKING:
    from orgsim.agents import Lab
    from orgsim.model import OrgModel
    from orgsim.schema import Release

OUTCOME_SIGN = {"success": 1.0, "partial": -0.3, "failure": -1.0}


def effective_talent(model: OrgModel) -> np.ndarray:
    pop = model.population
    weights = pop.skill ** model.params.releases.star_exponent
    return np.bincount(pop.lab.astype(np.int64), weights=weights, minlength=len(model.labs))


def grow(model: OrgModel) -> None:
    p = model.params.releases
    talent = effective_talent(model) / model.reference_talent
    compute = derived.lab_array(model, "accelerators") / model.reference_compute
    knowledge = model.knowledge() if model.params.learning.enabled else np.zeros(len(model.labs))
    stability = derived.lab_array(model, "stability")
    rate = (
        p.growth * np.maximum(talent, 0) ** p.talent_returns * np.maximum(compute, 1e-9) ** p.compute_returns
        * (1.0 + p.knowledge_weight * np.maximum(knowledge, 0))
        * (1.0 - p.instability_penalty * (1.0 - stability))
    )
    for lab, r in zip(model.labs, rate, strict=True):
        lab.capability += float(r)


def judge(quality: float, target: float, band: float, forced: str) -> str:
    """Success at or above target, partial within ``band`` below it, failure further below."""
    if forced != "endogenous":
        return forced
    if quality >= target:
        return "success"
    return "partial" if quality >= target - band else "failure"


def release(model: OrgModel, lab: Lab, name: str, target: float | None = None, forced: str = "endogenous",
            quality_cost: float = 0.0, gamed: bool = False) -> str:
    """A lab ships a model; returns the outcome and applies its shocks.

    Without a dated target, a release is judged against the best rival: a
    success within one ``partial_band`` of it, partial within three.
    """
    p = model.params.releases
    band = p.partial_band
    if target is None:
        target = max(other.capability for other in model.labs if other is not lab) - band
        band = 2 * band
    quality = lab.capability + model.stream("releases").normal(0.0, p.quality_noise) - quality_cost
    outcome = judge(quality, target, band, forced)
    if outcome == "success":
        lab.capability = max(lab.capability, target)
    sign = OUTCOME_SIGN[outcome]
    pop = model.population
    members = pop.lab == lab.index
    pop.morale[members] = np.clip(pop.morale[members] + p.morale_effect * sign, 0.0, 1.0)
    lab.prestige = float(np.clip(lab.prestige + p.prestige_effect * sign, 0.0, 1.0))
    lab.momentum = float(np.clip(lab.momentum + sign, -1.0, 1.0))
    model.finance_shock(lab, p.price_effect * sign)
    if outcome == "failure":
        lab.failures += 1.0
    if gamed and model.params.reputation.enabled:
        lab.prestige = float(min(1.0, lab.prestige + p.gaming_gain))
        lab.pending_gaming.append(model.week + p.gaming_found_weeks)
    if lab is model.focal and name == model.config.outcomes.release:
        model.top_talent_watch.start()
    model.releases.append({"week": model.week, "lab": lab.key, "model": name, "outcome": outcome,
                           "quality": quality, "target": target})
    return outcome


class DatedRelease:
    """A timeline release: slips, optional rush under pressure, then lands."""

    def __init__(self, model: OrgModel, event: Release):
        self.model, self.event = model, event
        self.slips = list(event.slips_weeks)
        self.week = model.config.week_of(event.date)

    def schedule(self) -> None:
        e = self.event
        if e.pull_forward_weeks and self.week - e.pull_forward_weeks >= 0:
            self.model.schedule_week(self.week - e.pull_forward_weeks, self.consider_rush)
        self.model.schedule_week(self.week, self.due)

    def consider_rush(self) -> None:
        """Pressure above the CEO's threshold pulls the release forward at a quality cost."""
        lab = self.model.lab_by_key[self.event.lab]
        ceo = next((e for e in lab.executives if e.active and e.role == "ceo"), None)
        p = self.model.params.executives
        if ceo is not None and ceo.pressure > p.threshold * (0.5 + ceo.patience) and not self.slips:
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
            lab.failures += 0.5
            self.model.slips.append({"week": self.model.week, "lab": lab.key, "model": self.event.model, "delay_weeks": delay})
            self.model.schedule_week(self.model.week + delay, self.due)
            return
        self.land()

    def land(self, quality_cost: float = 0.0) -> None:
        e, model = self.event, self.model
        self.landed = True
        lab = model.lab_by_key[e.lab]
        lab.capability += e.capability_jump
        if e.open_weights is not None and model.params.mission.enabled:
            model.lab_mission[lab.index, 1] = 0.9 if e.open_weights else min(model.lab_mission[lab.index, 1], 0.2)
        release(model, lab, e.model, e.target, e.outcome, quality_cost, e.gamed)
        lab.last_release_week = model.week


def schedule_event(model: OrgModel, event: Release) -> DatedRelease:
    """Dated releases manage their own slips and rushes; the caller keeps the returned object alive."""
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
        every = lab.spec.release_every_weeks
        if every and model.week - lab.last_release_week >= every:
            release(model, lab, f"{lab.key}-w{model.week}")
            lab.last_release_week = model.week
