"""A polynomial-chaos metamodel of a noisy simulator's mean response, and its Sobol indices.

A stochastic simulation gives a different answer on every run, so Sobol
estimators applied to single runs measure seed noise as much as parameters
(every parameter then looks like it carries most of the variance). Fitting
the mean response first, by least squares (statsmodels OLS) over all design runs, averages the
noise out (Marrel et al. 2012, Reliab. Eng. Syst. Saf. 100). The basis is
orthonormal Legendre polynomials on the unit cube (uniform inputs), so the
Sobol indices of the fit follow from its coefficients exactly (Sudret 2008,
Reliab. Eng. Syst. Saf. 93): each term's squared coefficient is its share of
the variance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from orgsim.extras import require


def _legendre(x: np.ndarray, order: int) -> np.ndarray:
    """Shifted Legendre polynomials on [0, 1], orthonormal for the uniform distribution."""
    if order == 1:
        return np.sqrt(3) * (2 * x - 1)
    return np.sqrt(5) * (6 * x**2 - 6 * x + 1)


def terms(dimensions: int, degree: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(variables, orders) of each non-constant term: linear, then for degree 2 squares and pairwise products."""
    out = [((i,), (1,)) for i in range(dimensions)]
    if degree == 2:
        out += [((i,), (2,)) for i in range(dimensions)]
        out += [((i, j), (1, 1)) for i, j in itertools.combinations(range(dimensions), 2)]
    return out


def features(x: np.ndarray, degree: int) -> np.ndarray:
    """The design matrix: a constant column, then one column per term."""
    columns = [np.ones(len(x))]
    for variables, orders in terms(x.shape[1], degree):
        columns.append(np.prod([_legendre(x[:, v], o) for v, o in zip(variables, orders, strict=False)], axis=0))
    return np.column_stack(columns)


@dataclass(frozen=True)
class Polynomial:
    degree: int
    dimensions: int
    beta: np.ndarray
    cv_r2: float  # out-of-sample share of the run-to-run variance the parameters explain

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, degree: int, cv_r2: float = np.nan) -> Polynomial:
        sm = require("statsmodels.api", "the Sobol metamodel (OLS)")
        beta = sm.OLS(y, features(x, degree)).fit().params
        return cls(degree, x.shape[1], np.asarray(beta), cv_r2)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return features(x, self.degree) @ self.beta

    def sobol(self) -> tuple[np.ndarray, np.ndarray]:
        """First- and total-order indices of the fitted response, from its coefficients."""
        dimensions = self.dimensions
        share = self.beta[1:] ** 2
        total = share.sum()
        first, total_order = np.zeros(dimensions), np.zeros(dimensions)
        for (variables, _), part in zip(terms(dimensions, self.degree), share, strict=False):
            for v in variables:
                total_order[v] += part
            if len(variables) == 1:
                first[variables[0]] += part
        return (first / total, total_order / total) if total > 0 else (first, total_order)


def cross_validated_r2(x: np.ndarray, y: np.ndarray, degree: int, rng: np.random.Generator, folds: int = 5) -> float:
    """Out-of-sample R² over ``folds`` random folds: what the fit predicts for runs it has not seen."""
    order = rng.permutation(len(y))
    predicted = np.empty_like(y)
    for held in np.array_split(order, folds):
        train = np.setdiff1d(order, held)
        predicted[held] = Polynomial.fit(x[train], y[train], degree)(x[held])
    total = ((y - y.mean()) ** 2).sum()
    return float(1 - ((y - predicted) ** 2).sum() / total) if total > 0 else np.nan


def choose(x: np.ndarray, y: np.ndarray, seed: int) -> Polynomial:
    """The degree (1 or 2) that predicts held-out runs better; degree 2 only with enough runs for its terms."""
    degrees = [1, 2] if len(y) > 2 * (1 + len(terms(x.shape[1], 2))) else [1]
    scores = {d: cross_validated_r2(x, y, d, np.random.default_rng(seed)) for d in degrees}
    best = max(scores, key=lambda d: (scores[d], -d))
    return Polynomial.fit(x, y, best, scores[best])
