"""The people side against the record, at full scale over many seeds (slow).

Who Meta approached and hired in the summer of 2025 and how many of them it
kept, where its hires came from with and without make-whole offers, the flow
matrix between the labs with and without mission sorting, and voluntary
churn per lab. Each figure is printed with its 95% interval (``pytest -s``);
the assertions are the record's bounds. Seeds 1-30 (summer hires) and 1-10
(the rest), full scale, the calibrated baseline.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import CONFIGS

from orgsim import OrgModel, load_scenario
from orgsim.intervals import mean_interval

pytestmark = pytest.mark.slow

SUMMER_END, YEAR_END, TWO_YEARS = 12, 30, 104   # weeks of 2025-08-31, 2025-12-31 and 2027-05-30
LABS = ("meta", "openai", "deepmind", "anthropic", "apple", "microsoft", "xai")


def _run(args: tuple[str, tuple[str, ...], int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario, overrides, seed, weeks = args
    model = OrgModel(load_scenario(CONFIGS / scenario, list(overrides)), rng=seed).run(weeks)
    metrics = model.metrics_frame()
    headcount = metrics[metrics.metric == "headcount"].pivot(index="week", columns="lab", values="value")
    return model.events_frame(), headcount


@cache
def runs(scenario: str, overrides: tuple[str, ...], seeds: int, weeks: int) -> tuple:
    """Each seed's event log and weekly headcounts (week x lab), simulated on two processes."""
    with ProcessPoolExecutor(2) as pool:
        return tuple(pool.map(_run, [(scenario, overrides, seed, weeks) for seed in range(1, seeds + 1)]))


def interval(values) -> str:
    mean, lo, hi = mean_interval(np.asarray(values, dtype=float))
    return f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"


def summer(events: pd.DataFrame) -> tuple[int, int]:
    """Offers accepted into Meta from rival labs in June-August 2025, and how many of those researchers left
    Meta or never started (stayed on a counteroffer) by 2025-12-31."""
    window = events[events.week <= SUMMER_END]
    accepted = set(window.researcher_id[(window.kind == "accept") & (window.to_lab == "meta")])
    countered = int(((window.kind == "counter") & (window.to_lab == "meta")).sum())
    later = events[(events.week <= YEAR_END) & events.kind.isin(["quit", "move", "layoff"])
                   & (events.from_lab == "meta")]
    return len(accepted), len(accepted & set(later.researcher_id)) + countered


def summer_counts() -> np.ndarray:
    """Per seed (30): offers accepted into Meta Jun-Aug 2025, and how many of those left or never started."""
    counts = np.array([summer(e) for e, _ in runs("baseline.yaml", ("population.scale=1",), 30, YEAR_END + 1)])
    print(f"\naccepted Jun-Aug: {interval(counts[:, 0])}; left or never started by 2025-12-31: "
          f"{interval(counts[:, 1])}")
    return counts


def test_few_summer_hires_left_by_the_end_of_2025() -> None:
    """The press: three of the ~50 left or never started by the end of 2025 (within 1-6). 30 seeds; measured
    2.37 [1.81, 2.93]."""
    assert 1 <= summer_counts()[:, 1].mean() <= 6


def test_about_fifty_summer_hires() -> None:
    """The press: ~50 summer hires (tolerance 10). 30 seeds."""
    assert 40 <= summer_counts()[:, 0].mean() <= 60


def by_source(events: pd.DataFrame, kind: str, last_week: int) -> pd.Series:
    made = events[(events.kind == kind) & (events.to_lab == "meta") & (events.week <= last_week)]
    return made.from_lab.astype(str).value_counts().reindex(LABS[1:], fill_value=0)


def test_where_metas_approaches_and_hires_came_from() -> None:
    """June's approaches lean on OpenAI (the fit's target: 45% of ~100); the summer's hires come from OpenAI first
    once offers make targets whole, which they do not without it (OpenAI's researchers hold the most unvested).
    10 seeds each way."""
    table = {}
    for make_whole in (True, False):
        overrides = ("population.scale=1", f"mechanisms.offers.make_whole={str(make_whole).lower()}")
        logs = [e for e, _ in runs("baseline.yaml", overrides, 10, SUMMER_END + 1)]
        suffix = "" if make_whole else " (no make-whole)"
        table[f"approached, June{suffix}"] = sum(by_source(e, "offer", 3) for e in logs) / len(logs)
        table[f"hired, Jun-Aug{suffix}"] = sum(by_source(e, "accept", SUMMER_END) for e in logs) / len(logs)
    frame = pd.DataFrame(table)
    print("\n" + frame.round(1).to_string())
    hired, bare = frame["hired, Jun-Aug"], frame["hired, Jun-Aug (no make-whole)"]
    approached = frame["approached, June"]
    assert 0.37 <= approached["openai"] / approached.sum() <= 0.53
    assert hired.idxmax() == "openai", hired
    assert hired["openai"] / hired.sum() > bare["openai"] / bare.sum()


def flows(logs) -> pd.DataFrame:
    """Moves from lab (rows) to lab (columns) over the first two years, a run's mean."""
    moves = pd.concat([e[(e.kind == "move") & (e.week < TWO_YEARS)] for e, _ in logs])
    matrix = pd.crosstab(moves.from_lab.astype(str), moves.to_lab.astype(str))
    return matrix.reindex(index=LABS, columns=LABS, fill_value=0) / len(logs)


@pytest.mark.xfail(strict=True, reason="known miss: OpenAI->Anthropic 1.95:1 with mission sorting, 2.91:1 without; "
                   "DeepMind->Anthropic 1.23:1 (docs/VALIDATION.md)")
def test_the_flow_matrix_leans_toward_anthropic() -> None:
    """Moves over the first two years, a seed's mean (10 seeds): OpenAI->Anthropic and DeepMind->Anthropic each at
    least 3 to 1 against the reverse (SignalFire 2025: 8.2 and 10.6); with mission sorting off the lean shrinks."""
    sorted_ = flows(runs("baseline.yaml", ("population.scale=1",), 10, TWO_YEARS))
    unsorted = flows(runs("baseline.yaml", ("population.scale=1", "mechanisms.mission.enabled=false"), 10, TWO_YEARS))
    print("\nmoves a run, first two years, M13 on:\n" + sorted_.round(1).to_string())
    print("M13 off:\n" + unsorted.round(1).to_string())
    for lab in ("openai", "deepmind"):
        on = sorted_.loc[lab, "anthropic"] / sorted_.loc["anthropic", lab]
        off = unsorted.loc[lab, "anthropic"] / unsorted.loc["anthropic", lab]
        print(f"{lab} -> anthropic over the reverse: {on:.2f} with mission sorting, {off:.2f} without")
        assert on >= 3.0 and on > off, (lab, on, off)


def churn(logs, start: int, end: int) -> pd.Series:
    """Quits and moves to a rival a year over the window's mean headcount, per lab, a seed's mean."""
    rates = []
    for events, headcount in logs:
        window = events[(events.week >= start) & (events.week <= end) & events.kind.isin(["quit", "move"])]
        leavers = window.from_lab.astype(str).value_counts().reindex(LABS, fill_value=0)
        staff = headcount.loc[start:end].mean().rename(index=str).reindex(LABS)
        rates.append(leavers / staff / ((end - start + 1) / 52))
    return pd.concat(rates, axis=1).mean(axis=1)


@cache
def churn_table() -> pd.DataFrame:
    """Voluntary attrition per lab in the baseline's first two years and in 2026 as it happened, and the share
    of leavers joining a rival lab; 10 seeds each."""
    base = runs("baseline.yaml", ("population.scale=1",), 10, TWO_YEARS)
    history = runs("history_2026.yaml", ("population.scale=1",), 10, 83)
    table = pd.DataFrame({"year 1": churn(base, 0, 51), "year 2": churn(base, 52, 103),
                          "2026 (as it happened)": churn(history, 30, 82)})
    leavers = pd.concat([e[e.kind.isin(["quit", "move"]) & (e.week < TWO_YEARS)] for e, _ in base])
    table["to a rival lab"] = leavers.groupby(leavers.from_lab.astype(str)).kind.apply(lambda k: (k == "move").mean())
    print("\n" + table.round(3).to_string())
    return table


def test_voluntary_churn_per_lab_is_plausible() -> None:
    """5-30% a year at every lab in each of the first two years (baseline); the share of leavers joining a
    rival lab stays a minority at every lab."""
    table = churn_table()
    assert table[["year 1", "year 2"]].stack().between(0.05, 0.30).all()
    assert (table["to a rival lab"] < 0.5).all()


@pytest.mark.xfail(strict=True, reason="known miss: Meta's 2026 churn is 39.2% (10 seeds; round 6: 40.7%); "
                   "without 2026's dated inputs it is 23%: the May layoff, Avocado's partial outcome, three reorgs "
                   "and a point release (Avocado 1.1) add most of the rest (docs/VALIDATION.md)")
def test_metas_churn_in_2026_is_plausible() -> None:
    """5-30% at Meta in 2026, as it happened (history_2026)."""
    assert 0.05 <= churn_table().loc["meta", "2026 (as it happened)"] <= 0.30
