"""The report's typed summary: intervals contain their means and are clipped only to each outcome's domain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_analysis import tiny_store

from orgsim import analysis
from orgsim.analysis import briefing
from orgsim.analysis.briefing import DIFFERENCE, Estimate
from orgsim.outcomes import OUTCOMES

#: where a value is drawn when its domain is open on that side (the capability gap, headcounts, weeks)
SPAN = 5_000.0


def _values(key: str) -> st.SearchStrategy:
    spec = OUTCOMES[key]
    low = spec.low if math.isfinite(spec.low) else -SPAN
    high = spec.high if math.isfinite(spec.high) else SPAN
    # runs that often sit on the domain's edge, where a blanket clip would bite
    edge = st.sampled_from([low, high])
    return st.lists(st.one_of(edge, st.floats(low, high, allow_nan=False)), min_size=2, max_size=30)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_headline_interval_contains_its_mean_and_stays_in_its_domain(data):
    """Hypothesis: 200 random stores of 2-30 runs per scenario; per outcome, low <= mean <= high within its domain."""
    rows = []
    for scenario in ("a", "b"):
        values = {key: data.draw(_values(key), label=f"{scenario}:{key}") for key in OUTCOMES}
        n = min(len(v) for v in values.values())
        rows += [{"scenario": scenario, "point": 0, **{k: v[i] for k, v in values.items()}} for i in range(n)]
    table = analysis.headline_table(pd.DataFrame(rows))
    assert set(table["outcome"]) == set(OUTCOMES)
    for _, row in table.iterrows():
        spec = OUTCOMES[row["outcome"]]
        eps = 1e-9 * max(1.0, abs(row["mean"]))
        assert spec.low - eps <= row["ci_low"] <= row["mean"] + eps <= row["ci_high"] + 2 * eps <= spec.high + 3 * eps


def test_the_capability_gap_gets_a_real_interval_below_zero():
    """A negative outcome is not clipped at 0 (it printed -0.45 [0.00, 0.00] when every interval was)."""
    gaps = pd.DataFrame({"scenario": "s", "point": 0, "capability_gap_end": [-0.6, -0.5, -0.4, -0.3]})
    row = analysis.headline_table(gaps).iloc[0]
    assert row["mean"] == pytest.approx(-0.45)
    assert row["ci_low"] < row["mean"] < row["ci_high"] < 0
    assert Estimate.of(row, "num").cell() == f"-0.45 [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"


def test_a_share_is_clipped_to_one_but_a_headcount_is_not():
    runs = pd.DataFrame({"scenario": "s", "point": 0, "cohort_retention": [1.0, 1.0, 0.9],
                         "focal_headcount_end": [10.0, 10.0, 3000.0]})
    table = analysis.headline_table(runs).set_index("outcome")
    assert table.loc["cohort_retention", "ci_high"] == 1.0
    assert table.loc["focal_headcount_end", "ci_high"] > 3000.0
    assert table.loc["focal_headcount_end", "ci_low"] == 0.0  # a count's interval stops at 0


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    return briefing.brief(analysis.load(tiny_store(tmp_path_factory.getbasetemp())))


def test_the_briefing_of_a_store(brief):
    """The tiny store (3 replications of success and failure): every estimate within its domain, and the answer."""
    for outcome, scenario, estimate, domain in brief.intervals():
        if estimate.has_interval:
            assert domain.low <= estimate.low <= estimate.mean <= estimate.high <= domain.high, (outcome, scenario)
    gap = brief.estimate("capability_gap_end", "avocado_failure")
    assert gap.mean < 0 and gap.low < gap.mean  # a real interval, not [0, 0]
    assert [v.release_outcome for v in brief.scenarios] == ["success", "failure"]
    assert [v.title for v in brief.scenarios] == ["Avocado succeeds", "Avocado fails"]  # from the stored configs
    assert [k.label for k in brief.key_numbers] == ["If Avocado succeeds", "If Avocado fails", "What a failure costs"]
    cost = brief.key_numbers[2].estimate
    assert cost.kind == "pp" and cost == brief.differences["cohort_retention"]["avocado_failure"]
    answer = brief.answer()
    success = brief.estimate("cohort_retention", "avocado_success").value
    assert f"Meta still has {success} 52 weeks after the Avocado release if it succeeds" in answer


def test_estimates_print_for_readers():
    share = Estimate(0.857, 0.815, 0.9, 30, "pct")
    assert (share.value, share.interval, share.cell()) == ("85.7%", "81.5–90.0%", "85.7% [81.5%, 90.0%]")
    assert share.phrase() == "85.7% (95% CI 81.5–90.0%)"
    points = Estimate(-0.036, -0.067, -0.004, 30, "pp")
    assert points.phrase() == "-3.6 pp (95% CI -6.7 to -0.4 pp)"
    assert Estimate(0.5, np.nan, np.nan, 1, "pct").phrase() == "50.0% (1 run: no interval)"


def test_a_bound_that_rounds_to_zero_reads_as_zero():
    """An interval's end just below zero prints as 0.0, not -0.0 (the demo printed '95% CI -0.0 to 1.8')."""
    points = Estimate(-0.009, -0.018, -0.0004, 30, "pp")
    assert points.phrase() == "-0.9 pp (95% CI -1.8 to +0.0 pp)"
    assert Estimate(0.9, -0.00004, 1.8, 30, "change").interval == "+0.00 to +1.80"
    assert "-0.0" not in Estimate(0.5, -0.0004, 0.9, 30, "pct").cell()


def test_differences_print_in_their_outcomes_unit_and_a_missing_value_says_why():
    """A share's difference in points, a headcount's in researchers, weeks in weeks, an index in index points."""
    cells = {kind: Estimate(mean, low, high, 6, DIFFERENCE[kind]).cell() for kind, (mean, low, high) in {
        "pct": (0.028, -0.029, 0.086), "count": (-133.3, -465.2, 198.6), "week": (2.0, -1.0, 5.0),
        "num": (0.05, -1.03, 1.14)}.items()}
    assert cells == {"pct": "+2.8 pp [-2.9, +8.6]", "count": "-133 researchers [-465, +199]",
                     "week": "+2.0 weeks [-1.0, +5.0]", "num": "+0.05 index points [-1.03, +1.14]"}
    assert Estimate(-13.3, -46.5, 19.9, 6, "researchers").phrase() == \
        "-13.3 researchers (95% CI -46.5 to +19.9 researchers)"
    missing = Estimate(np.nan, np.nan, np.nan, 0, "pct", "no Avocado release in the weeks simulated")
    assert (missing.value, missing.note, missing.cell()) == ("not measured", missing.why, missing.why)
    assert not Estimate(np.inf, np.nan, np.nan, 3, "num").defined, "an infinite mean is no estimate"


def test_release_shifts_measure_each_driver_from_the_week_before_to_weeks_after():
    """Two runs released in week 10 and 20: morale at week 9/19 against week 23/33 gives -0.2 and -0.4."""
    runs = pd.DataFrame({"run_id": ["r1", "r2", "r3"], "scenario": ["s", "s", "s"], "release_week": [10, 20, np.nan]})
    rows = [{"run_id": r, "week": w, "lab": "meta", "metric": "morale", "value": v}
            for r, w, v in (("r1", 9, 0.7), ("r1", 23, 0.5), ("r2", 19, 0.8), ("r2", 33, 0.4), ("r3", 9, 0.1))]
    rows.append({"run_id": "r1", "week": 9, "lab": "openai", "metric": "morale", "value": 0.0})  # another lab
    shifts = analysis.drivers.release_shifts(pd.DataFrame(rows), runs, "meta", weeks=13)
    row = shifts.iloc[0]
    assert (row["metric"], row["scenario"], row["n"]) == ("morale", "s", 2)
    assert row["mean"] == pytest.approx(-0.3) and row["ci_low"] < -0.3 < row["ci_high"]
