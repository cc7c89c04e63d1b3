"""M10 organizational learning (March 1991), vectorized over individuals.

Every function works on *individuals with a group index*: ``beliefs`` is an
int8 array (N, m) with values in {-1, 0, 1}, ``group`` an int array (N,)
giving each individual's group, ``code`` an int8 array (G, m) with one
organizational code per group.  The same functions serve two callers:

* the organization model: N researchers in G labs, one shared reality (m,);
* the March validation mode (:mod:`orgsim.march`): R independent runs are R
  groups of n individuals, each run with its own reality row (R, m).

All functions are pure: they return new arrays and leave their inputs
untouched, so a caller can update beliefs and code *simultaneously* from
the same start-of-period state.  All randomness comes from the numpy
``Generator`` passed in.

March's program as Christensen (2015) reconstructs it, with one reading
of our own: socialization is gradual (one step toward the code per
success, as in Christensen) rather than March's jump straight to the code's
value.  Each period the individuals *act* (a belief of 0 acts as a fair
coin flip); those actions give the scores and, for the superior group, are
the votes the code learns from (``learn_code``).  Turbulence flips each
dimension of reality independently with probability p4 per period.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orgsim.schema import Switchable, Unit, param
from orgsim.sim.plugins import Mechanism


class LearningParams(Switchable):
    """M10 organizational learning (March 1991)."""

    dimensions: int = param(
        30, "dimensions of reality", "March (1991): m = 30", ge=1, le=256, label="Dimensions of the research problem"
    )
    p1: Unit = param(
        0.1,
        "probability/week",
        "March (1991) socialization rate",
        label="Socialization rate (people learn from the code)",
    )
    p2: Unit = param(
        0.5,
        "probability/week",
        "March (1991) code learning rate",
        label="Code learning rate (the code learns from the best)",
    )
    p4: Unit = param(
        0.002, "probability/week per dimension", "the field moves (turbulence)", label="Turbulence of the field"
    )
    warmup_weeks: int = param(
        52,
        "weeks",
        "labs start near their own equilibrium; at most ten years (a resource bound: the warm-up runs before week 0)",
        ge=0,
        le=520,
        label="Learning warm-up before the start",
    )


__all__ = [
    "random_beliefs",
    "random_reality",
    "socialize",
    "act",
    "scores",
    "learn_code",
    "knowledge",
    "turnover",
    "turbulence",
    "at_equilibrium",
]


def random_beliefs(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Fresh beliefs, uniform on {-1, 0, 1}: March's newcomers know nothing in particular."""
    return rng.integers(-1, 2, size=(n, m), dtype=np.int8)


def random_reality(g: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``g`` realities of ``m`` dimensions, each ±1 with probability 0.5."""
    return (2 * rng.integers(0, 2, size=(g, m), dtype=np.int8) - 1).astype(np.int8)


def _per_row(p, rows: np.ndarray) -> np.ndarray | float:
    """A scalar probability as is, or a per-group/per-individual array picked at ``rows``."""
    p = np.asarray(p, dtype=float)
    return float(p) if p.ndim == 0 else p[rows]


def _reality_rows(reality: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Reality as seen by each individual: one shared (m,) vector or the row of its group."""
    return reality if reality.ndim == 1 else reality[group]


def _code_scores(code: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Σ code·reality per group; a 0 in the code scores nothing."""
    return (code * reality).sum(axis=-1, dtype=np.int32)


#: individuals socialized at a time
BLOCK = 4096


def socialize(beliefs, code, group, p1, rng: np.random.Generator, out: np.ndarray | None = None) -> np.ndarray:
    """Individuals drift toward their group's code; returns new beliefs (in ``out`` if given, which may be
    ``beliefs`` itself: each block is read before it is written; the model's population needs no second copy).

    On each dimension where the code is non-zero and the belief differs, the
    belief moves ONE step toward the code (-1 → 0 → 1, 1 → 0 → -1) with
    probability ``p1`` (scalar or per group, shape (G,)).  Dimensions where
    the code is 0 are left alone: the code has nothing to teach there.
    """
    if out is None:
        out = beliefs.copy()
    elif out is not beliefs:
        out[:] = beliefs
    m = beliefs.shape[1]
    # a block of individuals at a time, the draws in cell order as one call would give them: the cells that may
    # move are most of them before the codes settle, and their indices and draws were the build's peak of memory
    for start in range(0, len(out), BLOCK):
        rows = slice(start, start + BLOCK)
        block = group[rows]
        target = np.take(code, block, axis=0).ravel()  # code[group], without fancy indexing's overhead
        flat = out[rows].reshape(-1)
        cells = np.flatnonzero((target != 0) & (flat != target))
        cells = cells[rng.random(cells.size) < _per_row(p1, block[cells // m])]
        flat[cells] += np.sign(target[cells] - flat[cells]).astype(np.int8)
    return out


def act(beliefs, rng: np.random.Generator) -> np.ndarray:
    """Actions (int8, shape (N, m)): the belief, or a fair coin flip ±1 where the belief is 0.

    Drawn once per period and used twice, for the scores and for the code's
    vote, so the code learns from what the superior members did.
    """
    out = beliefs.copy()
    flat = out.reshape(-1)
    unsure = (flat == 0).nonzero()[0]  # by index: a boolean mask's assignment costs twice the whole pass
    flat[unsure] = 2 * rng.integers(0, 2, size=unsure.size, dtype=np.int8) - 1
    return out


def scores(actions, group, reality) -> np.ndarray:
    """Σ action·reality per individual (int32, shape (N,)).

    With one shared reality it is numpy's own sum of products (``einsum``), in
    whole numbers as before and twice as fast as the int8 products summed by
    row. (A single-precision matrix product through BLAS was faster still, and
    exact, but BLAS's worker threads stalled a run whenever the other core was
    busy.)
    """
    if reality.ndim == 1:
        return np.einsum("ij,j->i", actions, reality, dtype=np.int32)
    return (actions * _reality_rows(reality, group)).sum(axis=1, dtype=np.int32)


def learn_code(code, actions, group, reality, p2, rng: np.random.Generator) -> np.ndarray:
    """The code learns from the actions of its superior members; returns the new code.

    ``actions`` come from :func:`act` on the start-of-period beliefs;
    ``reality`` is (m,) shared or (G, m) per group; ``p2`` is a scalar or
    per group (G,).  The superior group of a code is its members whose
    action score strictly exceeds Σ code·reality.  On each dimension their
    ±1 actions vote: with net = Σ of superior actions, the strict majority
    is sign(net) and k = |net| = majority minus minority.  Where the
    majority differs from the code, the code adopts it with probability
    1 − (1 − p2)^k: a larger effective majority is more persuasive.
    """
    g, m = code.shape
    superior = scores(actions, group, reality) > _code_scores(code, reality)[group]
    voters = group[superior]
    votes = actions[superior]
    net = np.zeros((g, m))  # whole numbers, as a float bincount of the ±1 votes sums them
    for code_ in np.unique(voters):
        net[code_] = votes[voters == code_].sum(axis=0)
    majority = np.sign(net).astype(np.int8).ravel()
    out = code.copy()
    flat = out.reshape(-1)
    cells = np.flatnonzero((majority != 0) & (majority != flat))
    p = 1.0 - (1.0 - _per_row(p2, cells // m)) ** np.abs(net.ravel()[cells])
    cells = cells[rng.random(cells.size) < p]
    flat[cells] = majority[cells]
    return out


def knowledge(code, reality) -> np.ndarray:
    """Σ code·reality / m per group: +1 all right, 0 nothing known (or as much right as wrong)."""
    return _code_scores(code, reality) / code.shape[-1]


def turnover(beliefs, p3, rng: np.random.Generator) -> np.ndarray:
    """Each individual leaves with probability ``p3`` (scalar or (N,)); newcomers get fresh random beliefs."""
    out = beliefs.copy()
    leave = np.flatnonzero(rng.random(beliefs.shape[0]) < np.asarray(p3, dtype=float))
    out[leave] = random_beliefs(leave.size, beliefs.shape[1], rng)
    return out


def turbulence(reality, p4, rng: np.random.Generator) -> np.ndarray:
    """The environment moves: each dimension flips sign independently with probability ``p4`` per period."""
    flip = rng.random(reality.shape) < p4
    return np.where(flip, -reality, reality).astype(np.int8)


def at_equilibrium(beliefs, code, group, reality) -> np.ndarray:
    """Per group (bool (G,)): nothing can change any more without p3 or p4.

    True when no member's best possible score (Σ belief·reality plus its
    number of 0 beliefs, all coin flips landing right) exceeds the code's
    score, and every member's beliefs equal the code.  Then socialization
    has nothing to move and no superior member can outvote the code.
    """
    g = code.shape[0]
    best = (beliefs * _reality_rows(reality, group)).sum(axis=1, dtype=np.int32)
    best += (beliefs == 0).sum(axis=1, dtype=np.int32)
    can_beat = best > _code_scores(code, reality)[group]
    differs = (beliefs != code[group]).any(axis=1)
    unsettled = np.bincount(group[can_beat | differs], minlength=g)
    return unsettled == 0


# ---------------------------------------------------------------- in the organization model
# Labs are the groups; reality is one shared vector (the state of the field).
# Researchers carry their beliefs when they move, so poaching transfers
# knowledge (March's p3 is endogenous here); reorgs disrupt socialization.


@dataclasses.dataclass
class Codes:
    """M10's state, its own: the shared reality (the state of the field) and one organizational code per lab."""

    reality: np.ndarray  # (m,) in {-1, 1}
    code: np.ndarray  # (labs, m) in {-1, 0, 1}


def setup(model) -> Codes:
    """Shared reality, empty lab codes, then a warm-up so labs start near their own equilibrium."""
    p = model.params.learning
    state = Codes(
        random_reality(1, p.dimensions, model.stream("learning"))[0],
        np.zeros((len(model.labs), p.dimensions), dtype=np.int8),
    )
    if p.enabled:
        for _ in range(p.warmup_weeks):
            _learn(model, state, turbulence_on=False)
    return state


def _learn(model, state: Codes, turbulence_on: bool = True) -> None:
    p, pop = model.params.learning, model.population
    if len(pop) == 0:
        return
    group = pop.lab  # indices as they are stored: a 64-bit copy of everyone's would only cost memory
    disruption = model.params.reorgs.socialization_disruption if model.params.reorgs.enabled else 0.0
    stability = np.array([lab.stability for lab in model.labs])
    p1 = p.p1 * (1.0 - disruption * (1.0 - stability))
    beliefs = pop.beliefs
    actions = act(beliefs, model.stream("learning"))
    socialize(beliefs, state.code, group, p1, model.stream("learning"), out=beliefs)
    state.code = learn_code(state.code, actions, group, state.reality, p.p2, model.stream("learning"))
    if turbulence_on and p.p4 > 0:
        state.reality = turbulence(state.reality, p.p4, model.stream("learning"))


def step(model) -> None:
    if model.params.learning.enabled:
        _learn(model, model.states["learning"])


def lab_knowledge(model) -> np.ndarray:
    """Each lab's code knowledge, Σ code·reality / m."""
    state = model.states["learning"]
    return knowledge(state.code, state.reality)


MECHANISM = Mechanism(
    number=10,
    block="learning",
    params=LearningParams,
    setup=setup,
    stage=6.0,
    step=step,
    actions={"knowledge": lab_knowledge},
)
