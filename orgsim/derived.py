"""Quantities derived from model state, shared by several mechanisms.

Pure, vectorized readers: nothing here changes the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from orgsim.model import OrgModel


def lab_array(model: OrgModel, attribute: str) -> np.ndarray:
    """One value per lab, e.g. ``lab_array(model, "prestige")``."""
    return np.array([getattr(lab, attribute) for lab in model.labs], dtype=float)


def current_comp(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Annual cash + equity pay in k$."""
    pop = model.population
    return pop.base_k[slots] + pop.equity_k[slots]


def lab_comp(model: OrgModel, labs: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """What lab ``labs[i]`` pays a researcher of ``skill[i]`` (k$/year)."""
    base = model.lab_pay[labs, 0]
    equity = model.lab_pay[labs, 1]
    elasticity = model.lab_pay[labs, 2]
    return (base + equity) * skill**elasticity


def market_comp(model: OrgModel, skill: np.ndarray) -> np.ndarray:
    """Mean pay across labs at a skill level (k$/year): the yardstick every value of the leaving decision is in."""
    pay = model.lab_pay
    return ((pay[:, 0] + pay[:, 1])[None, :] * skill[:, None] ** pay[None, :, 2]).mean(axis=1)


def mission_fit(model: OrgModel, labs: np.ndarray, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """1 - weighted distance between a researcher's ideals and a lab's profile.

    ``labs`` may be (n,) or (n, k) for k candidate labs per researcher.
    With M13 off every fit is 0.5: no sorting.
    """
    params = model.params.mission
    labs = np.asarray(labs)
    if not params.enabled:
        return np.full(labs.shape, 0.5)
    pop = model.population
    profile = model.lab_mission[labs]
    safety = pop.safety_pref[slots]
    openness = pop.openness_pref[slots]
    if labs.ndim == 2:
        safety, openness = safety[:, None], openness[:, None]
    w = np.array([params.weight_safety, params.weight_openness, params.weight_product])
    distance = (
        w[0] * np.abs(safety - profile[..., 0])
        + w[1] * np.abs(openness - profile[..., 1])
        + w[2] * np.abs(0.5 - profile[..., 2])
    ) / max(w.sum(), 1e-12)
    return 1.0 - distance


def vesting_fraction(since: np.ndarray, cliff: np.ndarray, interval: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Share of a grant started ``since`` weeks ago that has vested: none before the cliff, then every interval."""
    past_cliff = since >= cliff
    steps = np.where(past_cliff, (since - cliff) // interval, 0)
    return np.where(past_cliff, np.minimum(1.0, (cliff + steps * interval) / total), 0.0)


def vested_share(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Share of each researcher's new-hire (or make-whole, or retention) grant vested by this week."""
    pop = model.population
    cliff, interval, total = model.lab_vesting[pop.lab[slots], :3].T
    return vesting_fraction(model.week - pop.grant_week[slots], cliff, interval, total)


def ladder(tenure: np.ndarray, interval: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Unvested yearly refresh grants after ``tenure`` weeks, in years of equity pay.

    A refresh of one year's equity pay is granted on each anniversary of the
    hire and vests every interval over the grant's length, with no cliff, so
    a long-tenured researcher holds a ladder of overlapping grants (between
    1.5 and 2.5 years of equity for four-year grants vesting quarterly).
    """
    tenure = np.asarray(tenure)
    years = np.zeros(np.shape(tenure))
    for newer in range(int(np.ceil(np.max(total) / 52)) + 1):
        age = tenure % 52 + 52 * newer                     # the grant of the (newer + 1)-th most recent anniversary
        years += np.where(tenure - age >= 52, 1.0 - vesting_fraction(age, np.zeros_like(age), interval, total), 0.0)
    return years


def grant_and_ladder(weeks: np.ndarray, cliff: int, interval: int, total: int) -> np.ndarray:
    """Years of equity pay unvested ``weeks`` after a hire: the new-hire grant (the grant's length in years of
    equity, on its schedule) plus the refresh ladder."""
    weeks = np.asarray(weeks)
    return total / 52.0 * (1.0 - vesting_fraction(weeks, cliff, interval, total)) + ladder(weeks, interval, total)


def refresh_years(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Each researcher's unvested refresh ladder, in years of equity pay (see :func:`ladder`)."""
    pop = model.population
    _, interval, total = model.lab_vesting[pop.lab[slots], :3].T
    return ladder(model.week - pop.hire_week[slots], interval, total)


def weeks_to_vest(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Weeks from now to the next vesting date (inf when nothing is left to vest)."""
    pop = model.population
    cliff, interval, _ = model.lab_vesting[pop.lab[slots], :3].T
    since = model.week - pop.grant_week[slots]
    grant = np.where(since < cliff, cliff - since, interval - (since - cliff) % interval).astype(float)
    grant[vested_share(model, slots) >= 1.0] = np.inf
    tenure = model.week - pop.hire_week[slots]
    first = 52 + interval
    refresh = np.where(tenure < first, first - tenure, interval - (tenure - 52) % interval).astype(float)
    return np.minimum(grant, refresh)


def unvested_value(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Unvested equity at today's share price (k$): the grant not yet vested plus the refresh ladder (valued
    from the price at hire, as if every refresh had been granted at it)."""
    pop = model.population
    price = model.lab_price()[pop.lab[slots]]
    grant = pop.grant_k[slots] * (1.0 - vested_share(model, slots)) * price / pop.grant_price[slots]
    return grant + pop.equity_k[slots] * refresh_years(model, slots) * price / pop.ladder_price[slots]


def clawback_owed(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Sign-on bonus still repayable on leaving (k$)."""
    pop = model.population
    window = model.lab_vesting[pop.lab[slots], 3]
    return np.where(model.week - pop.signon_week[slots] < window, pop.signon_k[slots], 0.0)


def forfeited(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """What leaving costs in money (k$): unvested equity at today's price plus any sign-on claw-back.

    Zero without M5 (no vesting schedule, nothing to forfeit).
    """
    owed = clawback_owed(model, slots)
    return owed + unvested_value(model, slots) if model.params.vesting.enabled else owed


def former_colleagues(model: OrgModel) -> np.ndarray:
    """``F[dest, src]``: the share of ``dest``'s researchers who came from ``src`` (a share, so it does not grow
    with the world's scale)."""
    pop = model.population
    n_labs = len(model.labs)
    came = pop.prev_lab >= 0
    flat = pop.lab[came].astype(np.int64) * n_labs + pop.prev_lab[came]
    counts = np.bincount(flat, minlength=n_labs * n_labs).reshape(n_labs, n_labs)
    return counts / np.maximum(model.headcounts(), 1)[:, None]


def star_tier(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """1 for stars (above the initial top-talent threshold), else 0."""
    return (model.population.skill[slots] >= model.star_threshold).astype(np.int64)


def market_quantile(model: OrgModel, q: float) -> float:
    """The skill quantile of everyone at the labs now (inf with no one)."""
    skill = model.population.skill
    return float(np.quantile(skill, q)) if len(skill) else np.inf


class WeekQuantiles:
    """The market's skill quantiles of one week, so thresholds do not move with each hire.

    Each is computed at its first use in a week (stage 4's recruiters and
    counteroffers) and kept while ``model.week`` stays the same: the cache is
    keyed by the week, nobody clears it.
    """

    def __init__(self) -> None:
        self.week: int | None = None
        self.values: dict[float, float] = {}

    def get(self, model: OrgModel, q: float) -> float:
        if model.week != self.week:
            self.week, self.values = model.week, {}
        if q not in self.values:
            self.values[q] = market_quantile(model, q)
        return self.values[q]


def skill_quantile(model: OrgModel, q: float) -> float:
    """The market's skill quantile, fixed for the week (see :class:`WeekQuantiles`)."""
    return model.week_quantiles.get(model, q)


def team_sizes(model: OrgModel) -> np.ndarray:
    return np.bincount(model.population.team, minlength=len(model.team_names))
