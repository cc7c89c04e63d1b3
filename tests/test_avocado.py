"""The headline question: does the blitz cohort stay less after an Avocado failure than after a success?"""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsim.compare import compare, mean_ci

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.slow
def test_blitz_cohort_retention_lower_after_failure_than_success() -> None:
    """Seeds 1-20 (shared by both scenarios), full scale, 12-month retention after the release.

    Asserts the failure mean is below the success mean and reports both with
    95% t-intervals; a paired comparison (same seeds) must also favour success
    in most seeds (at least 12 of 20).
    """
    frame = compare([CONFIGS / "avocado_success.yaml", CONFIGS / "avocado_failure.yaml"], list(range(1, 21)))
    by = {name: g.set_index("seed")["cohort_retention"] for name, g in frame.groupby("scenario", observed=True)}
    success, failure = by["avocado_success"], by["avocado_failure"]
    s, f = mean_ci(success), mean_ci(failure)
    report = (f"success {s[0]:.3f} [{s[1]:.3f}, {s[2]:.3f}] vs failure {f[0]:.3f} [{f[1]:.3f}, {f[2]:.3f}]"
              f" (20 seeds, full scale)")
    print(report)
    assert f[0] < s[0], report
    assert (success > failure).sum() >= 12, report
