"""The one Student-t interval for a mean over replications, used by every summary in the package.

Replications of a stochastic run are independent draws, so a mean over n
of them has the interval mean ± t(n - 1) · sd / √n. With one run there is
no interval (NaN), and when every run agrees it collapses to the mean.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats


def half_width(sd, n, level: float = 0.95):
    """Half the width of the t-interval for means of ``n`` values with standard deviation ``sd`` (NaN for n < 2)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n), np.nan)


def mean_interval(values, level: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t-interval over ``axis``, NaN values left out: ``(mean, low, high)``.

    >>> mean, low, high = mean_interval([1.0, 2.0, 3.0])
    >>> float(mean), round(float(high - mean), 3)
    (2.0, 2.484)
    """
    values = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(values), axis=axis)
    with warnings.catch_warnings():  # an empty or one-value slice is NaN, said by n
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=axis)
        sd = np.nanstd(values, axis=axis, ddof=1)
    half = half_width(sd, n, level)
    return mean, mean - half, mean + half
