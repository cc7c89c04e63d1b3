"""M3 voluntary attrition: a proportional weekly hazard and the leaver's destination.

``h = c_lab · h0(tenure) · exp(Σ β_k x_k) + contagion excess``. ``h0`` rises
in the first months and falls with tenure (Farber 1994). ``c_lab`` is set at
the start so each lab's mean hazard equals its configured annual quit rate;
every β is a config value, so a Cox fit on the event log can recover it.
Golden handcuffs enter as log(1 + forfeited / market pay) (M5): money lost
by leaving, measured against what the market would pay the person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orgsim import derived, schema
from orgsim.mechanisms import executives
from orgsim.plugins import HazardTerms, Mechanism, Slots
from orgsim.population import PREFERENCES

if TYPE_CHECKING:
    from orgsim.model import OrgModel

MONEY, MISSION, PRESTIGE = (PREFERENCES.index(k) for k in ("money", "mission", "prestige"))


def tenure_baseline(model: OrgModel, tenure_weeks: np.ndarray) -> np.ndarray:
    """h0 shape: 1 at hire, 1 + amplitude at the peak, then a decline that levels off at ``tenure_floor``."""
    p = model.params.attrition
    t = np.maximum(tenure_weeks, 0) / p.tenure_peak_weeks
    hump = 1.0 + p.tenure_peak_amplitude * t * np.exp(1.0 - t)
    decline = np.exp(-p.tenure_decline * np.maximum(tenure_weeks, 0) / 52.0)
    return hump * (p.tenure_floor + (1.0 - p.tenure_floor) * decline)


def steady_state_tenure(model: OrgModel, quit_rate: float, growth: float, max_weeks: int) -> np.ndarray:
    """Probabilities of tenure 0..max_weeks weeks in a lab that has long replaced its leavers.

    A population that replaces its leavers and grows at a steady rate has
    the stable age distribution S(a)·(1 + growth)^(-a/52) (Lotka), S being
    the survival curve of h0. Its scale is set so that the mean hazard is
    the lab's quit rate. Starting from it, churn does not drift merely
    because the first staff age.
    """
    weeks = np.arange(max_weeks + 1)
    shape = tenure_baseline(model, weeks)
    exposure = np.concatenate(([0.0], np.cumsum(shape)[:-1]))      # Σ h0 before each week
    discount = (1.0 + growth) ** (-weeks / 52.0)
    scales = np.geomspace(1e-6, 1.0, 481)[:, None]
    weight = np.exp(-scales * exposure) * discount
    mean_hazard = (scales * shape * weight).sum(axis=1) / weight.sum(axis=1)
    scale = np.interp(quit_rate / 52.0, mean_hazard, scales[:, 0])
    pmf = np.exp(-scale * exposure) * discount
    return pmf / pmf.sum()


def own_covariates(model: OrgModel, slots: Slots) -> dict[str, np.ndarray]:
    """This mechanism's hazard terms (their βs are attrition parameters, whichever mechanism drives them)."""
    params, pop = model.params, model.population
    labs = pop.lab[slots].astype(np.int64)
    skill = pop.skill[slots]
    zeros = np.zeros(len(labs))
    if params.layoffs.enabled:
        layoff_shock = derived.lab_array(model, "layoff_shock")[labs] * (1.0 - params.layoffs.fairness)
    else:
        layoff_shock = zeros
    return {
        "morale": pop.morale[slots].astype(float),
        "pay_gap": np.maximum(0.0, np.log(derived.market_comp(model, skill) / np.maximum(derived.current_comp(model, slots), 1.0))),
        "mission_fit": derived.mission_fit(model, labs, slots),
        "instability": 1.0 - derived.lab_array(model, "stability")[labs],
        "layoff_shock": layoff_shock,
        "manager_exit": executives.manager_shock(model)[pop.team[slots]],
        "newcomer": (pop.newcomer_until[slots] > model.week).astype(float) if params.acquisitions.enabled else zeros,
    }


def covariates(model: OrgModel, slots: Slots = slice(None)) -> dict[str, np.ndarray]:
    """Every registered hazard covariate for ``slots`` and the resulting weekly quit probability."""
    x: dict[str, np.ndarray] = {}
    for mechanism in model.hazard_mechanisms:
        x.update(mechanism.hazard_terms.values(model, slots))
    labs = model.population.lab[slots].astype(np.int64)
    excess = sum((x[name] for m in model.hazard_mechanisms for name in m.hazard_terms.excess), 0.0)
    x["hazard"] = 1.0 - np.exp(-(weekly_rate(model, labs, slots, x) + excess))
    return x


def log_hazard_ratio(model: OrgModel, x: dict[str, np.ndarray]) -> np.ndarray:
    """Σ β_k x_k over the registered proportional terms."""
    total = 0.0
    for name, beta in model.hazard_betas:
        total = total + beta * x[name]
    return total


def weekly_rate(model: OrgModel, labs: np.ndarray, slots, x: dict[str, np.ndarray]) -> np.ndarray:
    tenure = model.week - model.population.hire_week[slots]
    return model.quit_scale[labs] * tenure_baseline(model, tenure) * np.exp(log_hazard_ratio(model, x))


def calibrate_scale(model: OrgModel) -> np.ndarray:
    """Per-lab constants making each lab's mean weekly hazard its annual quit rate / 52."""
    model.quit_scale = np.ones(len(model.labs))
    x = covariates(model)
    labs = model.population.lab.astype(np.int64)
    tenure = model.week - model.population.hire_week
    raw = tenure_baseline(model, tenure) * np.exp(log_hazard_ratio(model, x))
    mean_raw = np.bincount(labs, weights=raw, minlength=len(model.labs)) / np.maximum(np.bincount(labs, minlength=len(model.labs)), 1)
    target = derived.lab_array(model, "quit_rate") / 52.0
    return np.where(mean_raw > 0, target / np.maximum(mean_raw, 1e-12), 0.0)


def destinations(model: OrgModel, slots: np.ndarray) -> np.ndarray:
    """Where leavers go: a rival lab index, or -1 for outside (start-ups, other firms, academia).

    A nested choice. A leaver goes to one of the other simulated labs with
    probability ``rival_share`` (a documented assumption: most people leaving
    a big lab go elsewhere), then picks among the labs with open positions
    by a multinomial logit on pay, mission fit and prestige (each weighted
    by the person's own preferences: M13 sorts by type), release momentum
    and former colleagues there (Gumbel-max). A lab takes no more walk-ins
    than it has open positions; the rest go outside.
    """
    p, pop = model.params.attrition, model.population
    rng = model.stream("destinations")
    n_labs = len(model.labs)
    skill = pop.skill[slots]
    own = pop.lab[slots].astype(np.int64)
    candidates = np.broadcast_to(np.arange(n_labs), (len(slots), n_labs))
    comp_there = derived.lab_comp(model, candidates.ravel(), np.repeat(skill, n_labs)).reshape(len(slots), n_labs)
    colleagues = derived.former_colleagues(model)[:, own].T
    w = pop.prefs[slots]
    utility = (
        p.dest_beta_pay * w[:, [MONEY]] * np.log(comp_there / np.maximum(derived.current_comp(model, slots), 1.0)[:, None])
        + p.dest_beta_mission * w[:, [MISSION]] * derived.mission_fit(model, candidates, slots)
        + p.dest_beta_prestige * w[:, [PRESTIGE]] * derived.lab_array(model, "prestige")[None, :]
        + p.dest_beta_momentum * derived.lab_array(model, "momentum")[None, :]
        + p.dest_beta_colleagues * np.log1p(colleagues)
    )
    vacancies = model.vacancies()
    closed = (candidates == own[:, None]) | (vacancies[None, :] < 1)
    utility = np.where(closed, -np.inf, utility)
    choice = np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)
    to_rival = (rng.random(len(slots)) < p.rival_share) & ~closed.all(axis=1)
    dest = np.where(to_rival, choice, -1)
    for lab in np.unique(dest[dest >= 0]):
        chosen = np.flatnonzero(dest == lab)
        room = int(vacancies[lab])
        if len(chosen) > room:
            dest[rng.choice(chosen, size=len(chosen) - room, replace=False)] = -1
    return dest


def step(model: OrgModel) -> None:
    """Draw this week's voluntary quits and send each leaver to a rival or outside."""
    if not model.params.attrition.enabled or len(model.population) == 0:
        return
    from orgsim import transitions

    x = covariates(model)
    leaving = np.flatnonzero(model.streams.per_researcher("attrition", model.week, model.population.uid) < x["hazard"])
    if len(leaving) == 0:
        return
    dest = destinations(model, leaving)
    chosen = {name: values[leaving] for name, values in x.items()}
    to_rival = dest >= 0
    movers = leaving[to_rival]
    if len(movers):
        skill = model.population.skill[movers]
        transitions.move(model, movers, dest[to_rival], derived.lab_comp(model, dest[to_rival], skill),
                         f"moved-{model.year}", covariates={k: v[to_rival] for k, v in chosen.items()})
    # moves keep slots; departures renumber them, so they go last
    transitions.depart(model, leaving[~to_rival], "quit", covariates={k: v[~to_rival] for k, v in chosen.items()})


MECHANISM = Mechanism(
    number=3, block="attrition", params=schema.AttritionParams, stage=5.0, step=step,
    hazard_terms=HazardTerms(own_covariates, betas={
        "morale": "beta_morale", "pay_gap": "beta_pay_gap", "mission_fit": "beta_mission_fit",
        "instability": "beta_instability", "layoff_shock": "beta_layoff_shock",
        "manager_exit": "beta_manager_exit", "newcomer": "beta_newcomer",
    }),
)
