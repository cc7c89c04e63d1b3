"""Worlds too small to answer: a headline share needs a group of at least :data:`MINIMUM` researchers.

A retention share of ``n`` people moves by ``100 / n`` points with each
leaver, and its binomial 95% interval at 75% retention is about ``±85 /
sqrt(n)`` points: ±27 at 10 people, ±38 at 5. Below ten, a share says more
about the seed than the scenario, so ``orgsim run``, ``sweep`` and
``report`` say so in one line and the report marks its headline figure.

The groups scale with ``population.scale``. In the shipped Avocado
scenarios (seeds 1 and 2) the blitz cohort at Meta at the release holds
0-5 researchers at scale 0.1, 2-6 at 0.25, 8-11 at 0.5 and 17-27 at 1;
Meta's top talent at the release 8-13, 15-19, 30-38 and 78-79. Hence
:data:`SMALLEST_SCALE`.
"""

from __future__ import annotations

import math

import pandas as pd

#: the fewest members a headline share may rest on
MINIMUM = 10

#: per headline share: the group it is a share of, and the smallest population.scale at which that group
#: reaches MINIMUM in the shipped scenarios
GROUPS = {
    "cohort_retention": ("the tracked cohort at the release", 1.0),
    "top_talent_retention": ("the focal lab's top talent at the release", 0.25),
}


def warning(outcome: str, size: float, where: str = "") -> str | None:
    """One line when ``outcome`` rests on a group of ``size`` < MINIMUM (None if it does not, or never formed)."""
    if size is None or math.isnan(size) or size >= MINIMUM:
        return None
    group, scale = GROUPS[outcome]
    return (
        f"{where}{outcome} rests on {group}: {size:g} researchers, below the {MINIMUM} a share needs "
        f"(use population.scale >= {scale:g})"
    )


def run_warnings(headline: dict, top_talent: float) -> list[str]:
    """The warnings of one run: its tracked cohort and the top talent watched at the release."""
    found = [
        warning("cohort_retention", headline["cohort_size_at_release"]),
        warning("top_talent_retention", top_talent),
    ]
    return [line for line in found if line]


def small_cohorts(runs: pd.DataFrame) -> dict[str, float]:
    """Scenario -> the median run's tracked cohort at the release, for those below MINIMUM."""
    if "cohort_size_at_release" not in runs:
        return {}
    sizes = runs.groupby("scenario", sort=False)["cohort_size_at_release"].median()
    return {scenario: float(size) for scenario, size in sizes.items() if size < MINIMUM}


def store_warnings(runs: pd.DataFrame) -> list[str]:
    """Per scenario of a store's runs: a warning when the median run's tracked cohort is below MINIMUM."""
    return [
        warning("cohort_retention", size, f"{scenario}: median run: ") for scenario, size in small_cohorts(runs).items()
    ]
