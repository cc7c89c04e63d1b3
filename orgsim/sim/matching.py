"""M3's learning about match quality (Jovanovic 1979), and the staff a lab starts with.

A researcher's match with their lab, μ in market pay-years per year, is drawn
at hire from N(0, ``match_sd``²) and is unknown to them. Each week on the job
brings a signal μ + noise of sd ``match_sd`` · √k, k = ``match_learning_weeks``,
so the belief, the posterior mean Σ signals / (weeks + k), starts at the prior
(0) and spreads over the first months. It enters the value of staying: bad
matches learn it and leave unless what they would forfeit outweighs it, good
ones settle. That is the early-tenure hump of quits (Farber 1994) without a
hump of its own.

The staff at the start are the survivors of that process. A synthetic cohort
of entrants (a fixed-seed numerical device, not the run's randomness) learns
its matches under the lab's typical terms by tenure; its survival gives the
lab's stable tenure distribution (Lotka) and, for each tenure, the matches
and beliefs of those still there, which the initial researchers are drawn
from. So churn does not drift merely because the first staff age or learn.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np

from orgsim.sim import derived

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel

#: synthetic entrants per lab, and the weeks over which they learn (later, beliefs barely move)
COHORT, LEARNING_WEEKS = 400, 156
#: initial researchers matched to the cohort at a time
CHUNK = 256


def belief(model: OrgModel, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
    """What each researcher believes their match is worth (market pay-years per year)."""
    pop = model.population
    weeks = np.maximum(model.week - pop.hire_week[slots], 0)
    return pop.match_sum[slots] / (weeks + model.params.attrition.match_learning_weeks)


def learn(model: OrgModel) -> None:
    """A week's signal for everyone hired before this week (stage 5, before the decision)."""
    pop, p = model.population, model.params.attrition
    on_the_job = model.week - pop.hire_week > 0
    noise = model.streams.per_researcher("matching", model.week, pop.uid, normal=True)
    signal = pop.match + p.match_sd * np.sqrt(p.match_learning_weeks) * noise
    pop.match_sum += np.where(on_the_job, signal, 0.0)


def draw(model: OrgModel, k: int) -> np.ndarray:
    """True match qualities of ``k`` new arrivals."""
    return model.stream("matching").normal(0.0, model.params.attrition.match_sd, size=k)


@dataclasses.dataclass(frozen=True)
class Cohort:
    """Synthetic entrants of one lab: true matches, beliefs and survival by tenure, and the stable tenure pmf."""

    match: np.ndarray  # (K,)
    belief: np.ndarray  # (K, L + 1): belief at each tenure up to L = the weeks of learning
    alive: np.ndarray  # (K, L + 1): chance of still being there at each tenure up to L
    hazard: np.ndarray  # (K,): weekly hazard after L, where it stays
    pmf: np.ndarray  # (max_weeks + 1,): stable tenure distribution

    def survival(self, tenure: np.ndarray) -> np.ndarray:
        """(K, n): each entrant's chance of being there at each of ``tenure``."""
        learned = self.alive.shape[1] - 1
        beyond = np.maximum(tenure - learned, 0)
        return self.alive[:, np.minimum(tenure, learned)] * np.exp(-self.hazard[:, None] * beyond[None, :])


def typical_terms(model: OrgModel, lab: int, weeks: np.ndarray) -> np.ndarray:
    """The parts of a new entrant's log odds of leaving that move with tenure (firm-specific capital and the
    forfeit, both lowering them), for a researcher of skill 1."""
    p = model.params.attrition
    cliff, interval, total, _ = model.lab_vesting[lab]
    equity_years = model.lab_pay[lab, 1] / derived.market_comp(model, np.ones(1))[0]
    held = derived.grant_and_ladder(weeks, cliff, interval, total) if model.params.vesting.enabled else 0.0
    return -(p.price_tenure * np.log1p(weeks / 52.0) + equity_years * held / p.horizon_years) / p.decision_scale


def cohort(model: OrgModel, lab: int, quit_rate: float, growth: float, max_weeks: int) -> Cohort:
    p = model.params.attrition
    key = (
        quit_rate,
        growth,
        max_weeks,
        p.match_sd,
        p.match_learning_weeks,
        p.decision_scale,
        tuple(typical_terms(model, lab, np.arange(LEARNING_WEEKS + 1))),
    )
    return _cohort(*key)


@functools.lru_cache(maxsize=64)
def _cohort(
    quit_rate: float,
    growth: float,
    max_weeks: int,
    match_sd: float,
    learning_weeks: float,
    scale: float,
    terms: tuple[float, ...],
) -> Cohort:
    """Survival of entrants whose weekly odds of leaving are e^(c - belief / scale + terms(tenure)).

    c is set so that, in a lab that has long replaced its leavers and grows
    at ``growth`` a year, the mean weekly hazard is ``quit_rate`` / 52.
    After ``LEARNING_WEEKS`` each entrant's hazard stays where it is.
    """
    rng = np.random.default_rng(1979)
    learned = min(LEARNING_WEEKS, max_weeks)
    match = rng.normal(0.0, match_sd, COHORT)
    signals = match[:, None] + match_sd * np.sqrt(learning_weeks) * rng.standard_normal((COHORT, learned))
    weeks = np.arange(learned + 1)
    belief = np.concatenate([np.zeros((COHORT, 1)), np.cumsum(signals, axis=1)], axis=1) / (weeks + learning_weeks)
    odds = np.exp(-belief / scale + np.asarray(terms)[: learned + 1])  # e^-c times the weekly odds
    exposure = np.concatenate([np.zeros((COHORT, 1)), np.cumsum(odds[:, :-1], axis=1)], axis=1)
    step = (1.0 + growth) ** (-1.0 / 52.0)
    discount = step**weeks
    later = max_weeks - learned  # weeks past the learning

    def mean_hazard(c: float) -> float:
        hazard = np.minimum(np.exp(c) * odds, 1.0)
        weight = np.exp(-np.exp(c) * exposure) * discount
        # after the learning each hazard stays put: a geometric tail of survival x discount
        ratio = step * np.exp(-hazard[:, -1])
        tail = weight[:, -1] * np.where(ratio < 1.0, ratio * (1.0 - ratio**later) / (1.0 - ratio), later)
        return float(((weight * hazard).sum() + (tail * hazard[:, -1]).sum()) / (weight.sum() + tail.sum()))

    low, high = -30.0, 10.0
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if mean_hazard(mid) < quit_rate / 52.0 else (low, mid)
    c = 0.5 * (low + high)
    alive = np.exp(-np.exp(c) * exposure)
    survivors = Cohort(match, belief, alive, np.minimum(np.exp(c) * odds[:, -1], 1.0), np.empty(0))
    tenure = np.arange(max_weeks + 1)
    # survivors at each tenure, summed over the cohort a block of tenures at a time (the whole (K, weeks) matrix
    # of an old lab was the build's peak of memory)
    alive_at = np.concatenate(
        [survivors.survival(tenure[i : i + CHUNK]).sum(axis=0) for i in range(0, len(tenure), CHUNK)]
    )
    pmf = alive_at * step**tenure
    return dataclasses.replace(survivors, pmf=pmf / pmf.sum())


def initial_staff(model: OrgModel, cohort: Cohort, tenure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True match and summed signals of researchers with ``tenure``, drawn from the cohort's survivors."""
    draws = model.stream("population").random(len(tenure))
    pick = np.empty(len(tenure), dtype=np.int64)
    for start in range(0, len(tenure), CHUNK):  # (rows, K) at a time: the whole (n, K) matrix was the run's peak
        rows = slice(start, start + CHUNK)
        cumulative = np.cumsum(cohort.survival(tenure[rows]).T + 1e-300, axis=1)
        pick[rows] = (cumulative < draws[rows, None] * cumulative[:, -1:]).sum(axis=1)
    learned = np.minimum(tenure, cohort.belief.shape[1] - 1)
    belief = cohort.belief[pick, learned]
    return cohort.match[pick], belief * (tenure + model.params.attrition.match_learning_weeks)
