"""orgsim.analysis: estimators on hand-built tables with known answers, then a small generated store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from orgsim import analysis
from orgsim.analysis.retention import EventLog, life_table
from orgsim.sim.recording import EVENT_KINDS

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
LABS = ["outside", "a", "b"]
START = pd.Timestamp("2025-06-02")


def tiny_store(root: Path) -> Path:
    """A small sweep long enough for 52-week retention after the release, with a 2 x 2 grid (made once per session).

    The report tests import this too, so the store is built once under the
    session's base temp folder.
    """
    from orgsim.sweep import run_sweep

    out = root / "tiny_store"
    if (out / "runs.parquet").is_file():
        return out
    spec = root / "tiny.yaml"
    spec.write_text(f"""
name: tiny
scenarios: [{CONFIGS / 'avocado_success.yaml'}, {CONFIGS / 'avocado_failure.yaml'}]
design:
  kind: grid
  parameters:
    labs.meta.hiring.counter_match: [1.0, 1.5]
    labs.meta.executives.meta_ceo.patience: [0.2, 0.8]
  scenarios: [{CONFIGS / 'avocado_failure.yaml'}]
  replications: 2
replications: 3
seed: 5
weeks: 95
set: [population.scale=0.2]
batch_size: 4
""", encoding="utf-8")
    result = run_sweep(spec, out, executor_kind="serial")
    assert result.all_ok, result.failed
    return out


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return tiny_store(tmp_path_factory.getbasetemp())


def events_table(rows: list[tuple], scenario: str = "s") -> pd.DataFrame:
    """An event log from (run_id, week, researcher_id, kind, from_lab, to_lab, cohort[, cohort_after], skill) tuples.

    Without a ``cohort_after`` the event leaves the cohort as it was.
    """
    rows = [row if len(row) == 9 else (*row[:7], row[6], row[7]) for row in rows]
    columns = ["run_id", "week", "researcher_id", "kind", "from_lab", "to_lab", "cohort", "cohort_after", "skill"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(1, "scenario", pd.Categorical([scenario] * len(frame)))
    frame["run_id"] = frame["run_id"].astype("category")
    frame["kind"] = pd.Categorical(frame["kind"], categories=list(EVENT_KINDS))
    for column in ("from_lab", "to_lab"):
        frame[column] = pd.Categorical(frame[column], categories=LABS)
    for column in ("cohort", "cohort_after"):
        frame[column] = frame[column].astype("category")
    frame["date"] = START + pd.to_timedelta(7 * frame["week"], unit="D")
    return frame


def metrics_table(levels: dict[tuple[str, str, str], list[float]]) -> pd.DataFrame:
    """Tidy metrics from {(run_id, lab, metric): weekly values}."""
    parts = [pd.DataFrame({"run_id": run, "scenario": "s", "lab": lab, "metric": metric, "week": np.arange(len(values)),
                           "value": np.asarray(values, float)}) for (run, lab, metric), values in levels.items()]
    frame = pd.concat(parts, ignore_index=True)
    frame["date"] = START + pd.to_timedelta(7 * frame["week"], unit="D")
    return frame


# ------------------------------------------------------------ intervals


def test_mean_ci_matches_student_t_and_collapses_for_a_constant():
    frame = pd.DataFrame({"g": ["x"] * 3 + ["c"] * 4 + ["one"], "value": [1.0, 2.0, 3.0, 5, 5, 5, 5, 7]})
    out = analysis.mean_ci(frame, ["g"]).set_index("g")
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert out.loc["x", "mean"] == 2.0 and out.loc["x", "n"] == 3
    assert out.loc["x", "ci_low"] == pytest.approx(2 - half) and out.loc["x", "ci_high"] == pytest.approx(2 + half)
    assert out.loc["c", ["mean", "ci_low", "ci_high"]].tolist() == [5.0, 5.0, 5.0]
    assert np.isnan(out.loc["one", "ci_low"]) and out.loc["one", "n"] == 1
    clipped = analysis.mean_ci(frame[frame["g"] == "x"].assign(value=[0.0, 0.0, 0.9]), ["g"], bounds=(0, 1))
    assert clipped["ci_low"].iloc[0] == 0.0


# ------------------------------------------------------------ Kaplan-Meier and competing risks


def stays(durations, causes, followup=None) -> pd.DataFrame:
    return pd.DataFrame({"g": "x", "duration": durations, "cause": causes, "n": 1,
                         "followup": followup if followup is not None else max(durations)})


def test_kaplan_meier_with_censoring_by_hand():
    # at t=1 one of 4 leaves; t=2 one censored; t=3 one of 2 leaves, one censored
    table = life_table(stays([1, 2, 3, 3], ["quit", "censored", "rival", "censored"]), ["g"]).set_index("t")
    assert table["at_risk"].tolist() == [4, 4, 3, 2]
    assert table["survival"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.375])
    assert table["cif_quit"].iloc[-1] == pytest.approx(0.25)
    assert table["cif_rival"].iloc[-1] == pytest.approx(0.75 * 0.5)
    # survival + all incidences = 1 (Aalen-Johansen is consistent with KM)
    total = table["survival"] + table[["cif_rival", "cif_quit", "cif_layoff"]].sum(axis=1)
    assert total.tolist() == pytest.approx([1.0] * 4)


def test_a_cohort_that_has_all_left_stays_at_zero_to_the_end_of_follow_up():
    table = life_table(stays([2, 2], ["quit", "quit"], followup=[5, 6]), ["g"]).set_index("t")
    assert table.index.max() == 6
    assert table.loc[6, "survival"] == 0.0 and table.loc[6, "at_risk"] == 0


def test_life_table_matches_lifelines():
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

    rng = np.random.default_rng(3)
    n = 60
    durations = rng.permutation(np.arange(1, n + 1))  # distinct times: lifelines' AJ jitters ties
    causes = rng.choice(["rival", "quit", "layoff", "censored"], size=n, p=[0.35, 0.25, 0.1, 0.3])
    ours = life_table(stays(durations, causes), ["g"]).set_index("t")
    event = causes != "censored"
    km = KaplanMeierFitter().fit(durations, event)
    expected = km.survival_function_at_times(ours.index).to_numpy()
    assert ours["survival"].to_numpy() == pytest.approx(expected)
    code = pd.Series(causes).map({"rival": 1, "quit": 2, "layoff": 3, "censored": 0}).to_numpy()
    aj = AalenJohansenFitter(calculate_variance=False).fit(durations, code, event_of_interest=1)
    cif = aj.cumulative_density_.iloc[:, 0]
    at = cif.reindex(ours.index, method="ffill").fillna(0.0).to_numpy()
    assert ours["cif_rival"].to_numpy() == pytest.approx(at)


# ------------------------------------------------------------ stays and cohorts from an event log


def log_rows() -> list[tuple]:
    """Run r1 (10 weeks): a hire who is poached, a walk-in mover, poached arrivals with and without later rows."""
    return [
        ("r1", 2, 1, "hire", "outside", "a", "hire-2025", 1.0),
        ("r1", 3, 2, "quit", "a", "outside", "incumbent", 2.0),
        ("r1", 4, 3, "move", "b", "a", "incumbent", "moved-2025", 1.5),        # walk-in
        ("r1", 5, 1, "accept", "a", "b", "hire-2025", 1.0),
        ("r1", 5, 4, "accept", "a", "b", "incumbent", 3.0),
        ("r1", 5, 1, "move", "a", "b", "hire-2025", "poached-2025", 1.0),
        ("r1", 5, 4, "move", "a", "b", "incumbent", "poached-2025", 3.0),      # no later row
        ("r1", 6, 5, "accept", "b", "a", "incumbent", 2.5),
        ("r1", 6, 5, "move", "b", "a", "incumbent", "blitz-2025", 2.5),
        ("r1", 7, 6, "accept", "b", "a", "incumbent", 1.0),
        ("r1", 7, 6, "move", "b", "a", "incumbent", "ceo-blitz-2025", 1.0),
        ("r1", 8, 7, "accept", "b", "a", "incumbent", 1.0),
        ("r1", 8, 7, "move", "b", "a", "incumbent", "ceo-blitz-2025", 1.0),
        ("r1", 9, 7, "offer", "a", "b", "ceo-blitz-2025", 1.0),
        ("r1", 9, 1, "quit", "b", "outside", "poached-2025", 1.0),
    ]


def log_metrics(tracked_rise_week: int = 6) -> pd.DataFrame:
    weeks = 11
    tracked = [0.0] * tracked_rise_week + [1.0] * (weeks - tracked_rise_week)
    return metrics_table({
        ("r1", "a", "headcount"): [5] * weeks, ("r1", "b", "headcount"): [6] * weeks,
        ("r1", "a", "tracked_cohort"): tracked, ("r1", "b", "tracked_cohort"): [0] * weeks,
    })


def stay(table: pd.DataFrame, lab: str, start: int, skill: float | None = None) -> pd.Series:
    """The one stay that began at ``lab`` in week ``start`` (of the researcher with ``skill``)."""
    rows = table[(table["lab"] == lab) & (table["start"] == start) & (table["cohort"] != "incumbent")]
    if skill is not None:
        rows = rows[rows["skill"] == skill]
    assert len(rows) == 1
    return rows.iloc[0]


def test_stays_take_the_cohort_the_arrival_row_records():
    table = analysis.spells(events_table(log_rows()), pd.Series({"r1": 10}), log_metrics())
    fields = ["cohort", "duration", "cause"]
    assert "imputed" not in table
    assert stay(table, "a", 2)[fields].tolist() == ["hire-2025", 3, "rival"]
    assert stay(table, "b", 5, 1.0)[fields].tolist() == ["poached-2025", 4, "quit"]
    assert stay(table, "b", 5, 3.0)[fields].tolist() == ["poached-2025", 5, "censored"]  # no later row: still exact
    assert stay(table, "a", 4)[fields].tolist() == ["moved-2025", 6, "censored"]
    assert stay(table, "a", 6)[fields].tolist() == ["blitz-2025", 4, "censored"]
    assert stay(table, "a", 7)[fields].tolist() == ["ceo-blitz-2025", 3, "censored"]
    assert stay(table, "a", 8)[fields].tolist() == ["ceo-blitz-2025", 2, "censored"]
    # incumbents: 5 at a and 6 at b at the start; 2 and 4 left a, 3, 5, 6 and 7 left b
    incumbents = table[table["cohort"] == "incumbent"]
    assert incumbents.groupby("lab", observed=True)["n"].sum().to_dict() == {"a": 5, "b": 6}
    left = incumbents[incumbents["cause"] != "censored"].set_index("skill")
    assert left.loc[2.0, ["lab", "duration", "cause"]].tolist() == ["a", 3, "quit"]
    assert (table["followup"] == 10 - table["start"]).all()


def test_without_metrics_incumbents_are_left_out():
    table = analysis.spells(events_table(log_rows()), pd.Series({"r1": 10}))
    assert not (table["cohort"] == "incumbent").any()
    assert stay(table, "a", 6)["cohort"] == "blitz-2025"  # no metric needed to know the arrival's cohort


# ------------------------------------------------------------ flows, levers, headline


def test_flow_matrix_counts_per_run_with_zeros():
    rows = log_rows() + [("r2", 1, 50, "hire", "outside", "b", "hire-2025", 1.0)]
    flows = analysis.flow_matrix(events_table(rows)).set_index(["from_lab", "to_lab"])
    assert flows.loc[("a", "b"), ["mean", "n"]].tolist() == [1.0, 2]           # r1: 2 moves, r2: none
    assert flows.loc[("b", "a"), "mean"] == 2.0                                 # r1: 4 moves
    assert flows.loc[("outside", "b"), "mean"] == 0.5
    assert flows.loc[("b", "outside"), "mean"] == 0.5
    assert ("a", "a") not in flows.index
    assert list(flows.index.get_level_values(0).categories) == ["a", "b", "outside"]


def test_lever_effects_rank_the_lever_that_drives_the_outcome():
    rng = np.random.default_rng(0)
    n = 40
    x1, x2 = rng.uniform(0, 10, n), rng.uniform(0, 1, n)
    runs = pd.DataFrame({"scenario": "f", "point": np.arange(1, n + 1), "param:x1": x1, "param:x2": x2,
                         "cohort_retention": 0.05 * x1 + rng.normal(0, 0.01, n)})
    out = analysis.lever_effects(runs).set_index("lever")
    assert out.loc["x1", "src"] > 0.95 and out.loc["x1", "src_low"] > 0.9
    assert out.loc["x2", "src_low"] < 0 < out.loc["x2", "src_high"]
    spread = x1.max() - x1.min()
    assert out.loc["x1", "range_effect"] == pytest.approx(0.05 * spread, rel=0.05)
    assert analysis.lever_effects(runs.assign(point=0)).empty  # no design points, no effects


def test_headline_table_uses_point_zero_only():
    runs = pd.DataFrame({"scenario": ["s", "s", "s"], "point": [0, 0, 1], "cohort_retention": [0.5, 0.7, 0.0]})
    row = analysis.headline_table(runs).set_index("outcome").loc["cohort_retention"]
    assert row["mean"] == pytest.approx(0.6) and row["n"] == 2


def test_paired_differences_pair_runs_by_replication():
    runs = pd.DataFrame({"scenario": ["s"] * 3 + ["f"] * 3, "point": 0, "replication": [0, 1, 2] * 2,
                         "cohort_retention": [0.9, 0.5, 0.7, 0.8, 0.4, 0.6]})
    row = analysis.paired_differences(runs, "cohort_retention", "s").set_index("scenario").loc["f"]
    assert row["mean"] == pytest.approx(-0.1) and row["ci_low"] == pytest.approx(-0.1) and row["n"] == 3
    assert analysis.paired_differences(runs, "top_talent_retention", "s").empty


def test_a_folder_that_is_not_a_store_raises_store_error(tmp_path):
    with pytest.raises(analysis.StoreError, match="no runs.parquet"):
        analysis.load(tmp_path)
    with pytest.raises(analysis.StoreError, match="not a directory"):
        analysis.load(tmp_path / "missing")


# ------------------------------------------------------------ a generated store


def test_generated_store_is_consistent(store):
    data = analysis.load(store)
    log = EventLog.of(data.events)
    table = analysis.spells(log, data.last_week, data.metrics)
    # the tracked cohort (blitz-2025) read off the log's cohort_after matches the weekly tracked_cohort level exactly
    blitz = table[table["cohort"] == "blitz-2025"]
    weeks = int(data.last_week.max()) + 1
    members = np.zeros((len(log.runs), len(log.places), weeks))
    codes = lambda s, cats: pd.Categorical(s.astype(str), categories=cats).codes  # noqa: E731
    run, lab = codes(blitz["run_id"], log.runs), codes(blitz["lab"], log.places)
    np.add.at(members, (run, lab, blitz["start"].to_numpy()), blitz["n"].to_numpy())
    gone = blitz["cause"] != "censored"
    np.add.at(members, (run[gone], lab[gone], (blitz["start"] + blitz["duration"])[gone].to_numpy()), -blitz["n"][gone])
    members = members.cumsum(axis=2)
    level = log.dense(data.metrics, "tracked_cohort")
    assert level.sum() > 0 and np.array_equal(members, level)
    curves = analysis.life_table(table, ["run_id", "lab", "cohort"])
    assert curves["survival"].between(0, 1).all()
    assert (curves.groupby(["run_id", "lab", "cohort"], observed=True)["survival"].diff().dropna() <= 1e-12).all()
    # flows close the headcount accounting: start + inflows - outflows = end, per run and lab
    counts = analysis.flow_counts(log)
    net = counts.groupby(["run_id", "to_lab"], observed=True)["value"].sum().sub(
        counts.groupby(["run_id", "from_lab"], observed=True)["value"].sum()).drop(index="outside", level=1)
    head = log.dense(data.metrics, "headcount")
    incumbents = table[table["cohort"] == "incumbent"].groupby(["run_id", "lab"], observed=True)["n"].sum()
    for (run_id, lab), change in net.items():
        end = head[log.runs.index(run_id), log.places.index(lab), int(data.last_week[run_id])]
        assert incumbents.get((run_id, lab), 0) + change == end


def test_generated_store_summaries(store):
    data = analysis.load(store)
    headline = analysis.headline_table(data.runs)
    assert set(headline["scenario"]) == {"avocado_success", "avocado_failure"}
    retention = headline[headline["outcome"].isin(["cohort_retention", "top_talent_retention"])]
    assert (retention["n"] == 3).all() and retention["mean"].between(0, 1).all()
    wide = analysis.weekly(data.metrics)
    assert (wide["gap"] <= 0).all() and (wide.groupby(["run_id", "week"], observed=True)["gap"].max() == 0).all()
    bands = analysis.metric_bands(wide, ["headcount"])
    assert (bands["ci_low"] <= bands["mean"]).all() and (bands["mean"] <= bands["ci_high"]).all()
    two_year = analysis.two_year_retention_table(data.events, data.last_week)
    assert two_year["mean"].between(0, 1).all()
    effects = analysis.lever_effects(data.runs, "focal_top_talent_share_end")
    assert set(effects["lever"]) == {"labs.meta.hiring.counter_match", "labs.meta.executives.meta_ceo.patience"}
    assert (effects["n"] == 8).all()
