"""Quantities derived from model state, shared by several mechanisms.

Pure, vectorized readers: nothing here changes the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel

#: a count of weeks per researcher, or one for all
Weeks = np.ndarray | int


def lab_array(model: OrgModel, attribute: str) -> np.ndarray:
    """One value per lab, e.g. ``lab_array(model, "prestige")``."""
    return np.array([getattr(lab, attribute) for lab in model.labs], dtype=float)


def lab_arrays(model: OrgModel, *attributes: str) -> list[np.ndarray]:
    """:func:`lab_array` of each of ``attributes``, read in one pass over the labs."""
    rows = [[getattr(lab, a) for a in attributes] for lab in model.labs]
    return (
        [np.array(column, dtype=float) for column in zip(*rows, strict=True)]
        if rows
        else [np.empty(0) for _ in attributes]
    )


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


def price_arrivals(model: OrgModel, slots: np.ndarray) -> None:
    """Store what the market pays the arrivals ``slots`` at their skill and the best any lab pays them (neither
    changes in a run), and their mission fits (:class:`Fits`): every week's decision weighs them all."""
    pop = model.population
    skill = pop.skill[slots]
    pop.market_k[slots] = market_comp(model, skill)
    pop.pay_best[slots] = pay_at(model, slots).max(axis=1)
    model.fits.arrive(model, slots)


def pay_at(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """What each lab pays each of ``slots`` at their skill (n x labs, k$/year), computed for the rows asked for
    (a few each week: M3's leavers at risk, M1's movers), not stored for everyone."""
    pay, skill = model.lab_pay, model.population.skill[slots]
    return (pay[:, 0] + pay[:, 1])[None, :] * skill[:, None] ** pay[None, :, 2]


def mission_fit(model: OrgModel, labs: np.ndarray | None, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """1 - weighted distance between a researcher's ideals and a lab's profile.

    ``labs`` may be (n,) or None for every lab (n x labs). With M13 off
    every fit is 0.5: no sorting. Computed for the rows asked for, not
    stored for everyone x labs: a few element-wise passes, each element as
    a pass over every lab would compute it, so the same bytes. A read
    brings the stored best and worst fits (:class:`Fits`) up to date.
    """
    if not model.params.mission.enabled:
        return np.full(len(model.labs) if labs is None else np.shape(labs), 0.5)
    model.fits.every_lab(model)
    return _fit(model, labs, slots)


#: researchers whose fits with every lab are computed at a time (:meth:`Fits.every_lab`)
FIT_BLOCK = 4096


class Fits:
    """Everyone's best and worst mission fit over the labs, kept in the population (``pop.fit_high``,
    ``pop.fit_low``) and recomputed for all only when a lab's profile has changed (M13's events, an open-weights
    release): ideals never change, and every week's bound on the odds of leaving weighs every lab."""

    def __init__(self) -> None:
        self.profile: np.ndarray | None = None  # the lab profiles the stored range was computed for

    def every_lab(self, model: OrgModel) -> None:
        """Refit everyone's range if a profile has changed, a block at a time (no n x labs array of everyone)."""
        pop = model.population
        if self.profile is None or not np.array_equal(self.profile, model.lab_mission):
            for start in range(0, len(pop), FIT_BLOCK):
                self._range(model, slice(start, start + FIT_BLOCK))
            self.profile = model.lab_mission.copy()

    def arrive(self, model: OrgModel, slots: np.ndarray) -> None:
        """The range of arrivals, with the profiles as they stand (a change since is caught at the next read).

        The first arrivals are a whole population (the world's build): the profiles they were fitted with are
        those the stored range stands for, so the first read does not fit them again.
        """
        if model.params.mission.enabled:
            self._range(model, slots)
            if self.profile is None:
                self.profile = model.lab_mission.copy()

    def range(self, model: OrgModel) -> tuple[np.ndarray, np.ndarray]:
        """Everyone's best and worst fit over the labs (a lab's mission fit, current)."""
        pop = model.population
        self.every_lab(model)
        return pop.fit_high, pop.fit_low

    @staticmethod
    def _range(model: OrgModel, slots: np.ndarray | slice) -> None:
        pop = model.population
        fit = _fit(model, None, slots)
        pop.fit_high[slots] = fit.max(axis=1)
        pop.fit_low[slots] = fit.min(axis=1)


def _fit(model: OrgModel, labs: np.ndarray | None, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    params, pop = model.params.mission, model.population
    profile = model.lab_mission if labs is None else model.lab_mission[labs]
    safety = pop.safety_pref[slots]
    openness = pop.openness_pref[slots]
    if labs is None:
        safety, openness = safety[:, None], openness[:, None]
    w = np.array([params.weight_safety, params.weight_openness, params.weight_product])
    distance = (
        w[0] * np.abs(safety - profile[..., 0])
        + w[1] * np.abs(openness - profile[..., 1])
        + w[2] * np.abs(0.5 - profile[..., 2])
    ) / max(w.sum(), 1e-12)
    return 1.0 - distance


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``scipy.special.logsumexp(a, axis=1)`` of a real 2-D array: its operations in its order, so its bytes,
    without the array-API dispatch that cost more than the sums (the largest entry of each row shifted out)."""
    top = a.max(axis=1, keepdims=True)
    is_top = a == top
    count = is_top.astype(a.dtype).sum(axis=1, keepdims=True, dtype=a.dtype)
    with np.errstate(invalid="ignore"):
        rest = np.exp(np.where(is_top, -np.inf, a) - top).sum(axis=1, keepdims=True, dtype=a.dtype)
    rest = np.where(rest == 0, rest, rest / count)
    out = (np.log1p(rest) + np.log(count) + top)[:, 0]
    bad = ~np.isfinite(out)
    if bad.any():
        with np.errstate(divide="ignore", over="ignore"):
            out[bad] = np.log(np.exp(a[bad]).sum(axis=1))
    return out


def vesting_fraction(since: np.ndarray, cliff: Weeks, interval: Weeks, total: Weeks) -> np.ndarray:
    """Share of a grant started ``since`` weeks ago that has vested: none before the cliff, then every interval."""
    past_cliff = since >= cliff
    steps = np.where(past_cliff, (since - cliff) // interval, 0)
    return np.where(past_cliff, np.minimum(1.0, (cliff + steps * interval) / total), 0.0)


def vested_share(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Share of each researcher's new-hire (or make-whole, or retention) grant vested by this week."""
    pop = model.population
    return model.vesting.vested(pop.lab[slots], model.week - pop.grant_week[slots])


def ladder(tenure: np.ndarray, interval: Weeks, total: Weeks) -> np.ndarray:
    """Unvested yearly refresh grants after ``tenure`` weeks, in years of equity pay.

    A refresh of one year's equity pay is granted on each anniversary of the
    hire and vests every interval over the grant's length, with no cliff, so
    a long-tenured researcher holds a ladder of overlapping grants (between
    1.5 and 2.5 years of equity for four-year grants vesting quarterly).
    """
    tenure = np.asarray(tenure)
    years = np.zeros(np.shape(tenure))
    for newer in range(int(np.ceil(np.max(total) / 52)) + 1):
        age = tenure % 52 + 52 * newer  # the grant of the (newer + 1)-th most recent anniversary
        years += np.where(tenure - age >= 52, 1.0 - vesting_fraction(age, np.zeros_like(age), interval, total), 0.0)
    return years


def grant_and_ladder(weeks: np.ndarray, cliff: int, interval: int, total: int) -> np.ndarray:
    """Years of equity pay unvested ``weeks`` after a hire: the new-hire grant (the grant's length in years of
    equity, on its schedule) plus the refresh ladder."""
    weeks = np.asarray(weeks)
    return total / 52.0 * (1.0 - vesting_fraction(weeks, cliff, interval, total)) + ladder(weeks, interval, total)


class VestingTables:
    """Per lab, the vested share of a grant and the unvested refresh ladder at each whole week since it started.

    Both depend only on the lab's schedule and a count of weeks, so they are
    tabulated once (by the same functions, so the numbers are the same bytes)
    and looked up for everyone each week instead of recomputed; a table
    grows by an eighth when a longer tenure asks for it (tenures grow a week
    a week: doubling would leave most of it unused).
    """

    def __init__(self, schedules: np.ndarray):
        self.schedules = schedules  # (labs, 4): cliff, interval, total weeks, claw-back window
        self._vested = self._ladder = np.empty((len(schedules), 0))

    def _extend(self, needed: int) -> None:
        weeks = np.arange(max(needed, self._vested.shape[1] + self._vested.shape[1] // 8, 1024))
        cliff, interval, total = (column[:, None] for column in self.schedules[:, :3].T)
        self._vested = vesting_fraction(weeks[None, :], cliff, interval, total)
        self._ladder = np.stack([ladder(weeks, i, t) for i, t in zip(interval[:, 0], total[:, 0], strict=True)])

    def _look_up(self, table: str, labs: np.ndarray, weeks: np.ndarray) -> np.ndarray:
        width = self._vested.shape[1]
        if len(weeks) and int(weeks.max()) >= width:
            self._extend(int(weeks.max()) + 1)
            width = self._vested.shape[1]
        # one flat index, not a pair: numpy's take of one index array is twice as fast as indexing by two
        return getattr(self, table).ravel().take(labs.astype(np.intp) * width + weeks)

    def vested(self, labs: np.ndarray, since: np.ndarray) -> np.ndarray:
        """:func:`vesting_fraction` of grants started ``since`` weeks ago at ``labs``."""
        return self._look_up("_vested", labs, since)

    def ladder(self, labs: np.ndarray, tenure: np.ndarray) -> np.ndarray:
        """:func:`ladder` after ``tenure`` weeks at ``labs``."""
        return self._look_up("_ladder", labs, tenure)


def refresh_years(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Each researcher's unvested refresh ladder, in years of equity pay (see :func:`ladder`)."""
    pop = model.population
    return model.vesting.ladder(pop.lab[slots], model.week - pop.hire_week[slots])


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
    return skill_line(model.population.skill, q)


def skill_line(skill: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``skill`` (inf with no one): the line above which researchers count as top talent."""
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
