"""``orgsim optimize``: a many-objective search for retention policies that hold up across the uncertainty.

SPEC is an experiment spec with an ``explore`` block (its uncertainties and
its levers; the shipped one ``extends:`` the exploratory spec) and an
``optimize`` block. A candidate policy is one setting of the levers; it is
evaluated on the same K worlds (fitted vector plus unfitted strengths,
sampled as the exploration samples them) and S seeds as every other
candidate, and each objective is a robust statistic of its K x S values:
the mean, a percentile on the bad side, or the worst case. Optuna's
multi-objective TPE sampler proposes the candidates; its SQLite study (with
heartbeats) holds every trial, so a killed search resumes: trials that were
in flight go stale, Optuna fails them and ``RetryHeartbeatStaleTrialCallback``
queues each one's levers again, and the search runs only the trials still
missing. The status quo (the levers as configured) is the first trial.
Then the chosen front policies and the status quo are re-evaluated on
fresh worlds and seeds, paired. Written to DIR::

    optuna.db            the study: levers, robust objectives, per-evaluation outcomes of every trial
    manifest.json        resolved spec, versions, git revision; per session the trials run and the seconds
    trials.csv           one row per trial: state, levers, robust objectives and their means
    pareto.csv           the non-dominated trials, and which of them are picked
    pareto.png           every pair of objectives: all trials, the front, the picks, the status quo
    reevaluation.csv     per policy and outcome: mean [95% CI] on fresh draws, and the paired difference
                         to the status quo [95% CI]
    optimize.md          the front and the re-evaluation as Markdown
    reevaluation.png, reevaluation_runs.csv
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from orgsim import catalog, labels, lock, tables
from orgsim.analysis import clip_to_domain, mean_ci
from orgsim.config import ConfigError, apply_overrides, load_scenario, load_spec, scenario_from_dict, week_of
from orgsim.extras import require
from orgsim.files import atomic_write, git_revision, read_pngs, versions, write_json
from orgsim.schema import Scenario, Strict
from orgsim.studies import open_study
from orgsim.sweep import design as designs
from orgsim.sweep import explore
from orgsim.sweep.runner import ExecutorKind, RunSpec, as_finished, executor, run_one, run_seeds, spec_changes
from orgsim.sweep.spec import Experiment

STALE_BEATS = 5  # heartbeats a trial may miss before it counts as killed: a loaded machine delays them

#: outcomes a search may optimize, and the direction that is better
OBJECTIVES = {
    "cohort_retention": "maximize",
    "top_talent_retention": "maximize",
    "retention_spend_musd": "minimize",
    "focal_top_talent_share_end": "maximize",
    "focal_headcount_end": "maximize",
}
SPEND = "retention_spend_musd"


class EvaluationFailed(RuntimeError):
    """A candidate's run failed: the trial is recorded as failed and the search goes on."""


class Objective(Strict):
    outcome: Literal[tuple(OBJECTIVES)]  # type: ignore[valid-type]

    @property
    def direction(self) -> str:
        return OBJECTIVES[self.outcome]


class Robustness(Strict):
    """How a candidate's K x S values become one number per objective.

    ``percentile`` takes the value the policy does at least as well as in
    all but ``percentile`` per cent of the evaluations (the 10th percentile
    of a retention, the 90th of a cost); ``worst`` the worst value.
    """

    worlds: Annotated[int, Field(ge=1)] = 4
    seeds: Annotated[int, Field(ge=1)] = 2
    statistic: Literal["mean", "percentile", "worst"] = "mean"
    percentile: Annotated[float, Field(gt=0, lt=50)] = 10.0


class Search(Strict):
    trials: Annotated[int, Field(ge=1)] = 48
    parallel_trials: Annotated[int, Field(ge=1)] = 2
    startup_trials: Annotated[int, Field(ge=1)] = 12
    heartbeat_seconds: Annotated[int, Field(ge=1)] = 10
    objectives: Annotated[list[Objective], Field(min_length=2)] = [
        Objective(outcome="cohort_retention"),
        Objective(outcome="top_talent_retention"),
        Objective(outcome=SPEND),
    ]
    robustness: Robustness = Robustness()
    picks: Annotated[int, Field(ge=1, le=5)] = 3
    fresh_draws: Annotated[int, Field(ge=2)] = 30  # worlds x seeds pairs for the re-evaluation


class OptimizationSpec(Experiment):
    optimize: Search = Search()

    @model_validator(mode="after")
    def _searchable(self) -> OptimizationSpec:
        if self.explore is None or not self.explore.levers:
            raise ValueError("explore: an optimization needs an explore block with levers")
        if len(self.scenarios) != 1:
            raise ValueError("scenarios: an optimization runs on one scenario")
        return self


def load_optimization(path: str | Path) -> tuple[OptimizationSpec, Path]:
    spec, base = load_spec(Path(path), OptimizationSpec)
    if not catalog.scenario_path(spec.scenarios[0], base).is_file():
        raise ConfigError(path, "scenarios[0]", f"scenario file {spec.scenarios[0]!r} not found")
    return spec, base


# ------------------------------------------------------------ evaluations


def spend(config: dict, metrics: pd.DataFrame) -> float:
    """M$ of the focal lab's retention grants: recipients (share of its headcount the week before) x their
    amount, years of pay counted at the lab's reference package (the recipients are its best paid, so a floor)."""
    focal = config["focal_lab"]
    pay = config["labs"][focal]["pay"]
    package = (pay["base_k"] + pay["equity_k"]) / 1000
    headcount = metrics[(metrics["lab"] == focal) & (metrics["metric"] == "headcount")].set_index("week")["value"]
    start = dt.date.fromisoformat(str(config["start"]))
    total = 0.0
    for event in config["timeline"].values():
        if event["kind"] != "retention_grant" or event["lab"] != focal:
            continue
        week = week_of(start, dt.date.fromisoformat(str(event["date"])))
        recipients = round(event["share"] * headcount.get(week - 1, 0.0))
        total += recipients * (event["amount_k"] / 1000 + event["amount_years"] * package)
    return float(total)


def measure(batch: list[RunSpec]) -> list[dict]:
    """Worker task: simulate each run, keep its headline and retention spend, drop its tables."""
    records = []
    for run in batch:
        record, tables_ = run_one(run)
        if record["status"] == "ok":
            record[SPEND] = spend(run.config, tables_["metrics"])
        records.append(record)
    return records


@dataclass
class Evaluations:
    """The common draws every candidate runs on: worlds x seeds, as override lists."""

    data: dict
    path: Path
    source: Path
    seeds: list[int]
    overrides: list[list[str]]  # per (world, seed) pair
    worlds: list[int]  # the world of each pair

    @classmethod
    def make(
        cls,
        spec: OptimizationSpec,
        base: Path,
        source: Path,
        worlds: int,
        seeds: list[int],
        stream: int,
        paired: bool = False,
    ) -> Evaluations:
        """``worlds`` worlds from ``stream``; every world with every seed, or (``paired``) world i with seed i."""
        path = catalog.scenario_path(spec.scenarios[0], base)
        data = load_scenario(path, spec.set).model_dump(mode="json")
        table = explore.draws_table(spec.explore, base, source)
        values, drawn = explore.worlds(
            spec.explore.uncertainties, table, spec.explore.sampler, worlds, [spec.seed, stream]
        )
        per_world = [(drawn[w].overrides() if drawn else []) + designs.overrides(values.iloc[w]) for w in range(worlds)]
        pairs = (
            [(w, w) for w in range(worlds)] if paired else [(w, s) for w in range(worlds) for s in range(len(seeds))]
        )
        return cls(
            data, path, source, [seeds[s] for _, s in pairs], [per_world[w] for w, _ in pairs], [w for w, _ in pairs]
        )

    def runs(self, label: str, key: int, levers: dict[str, float], spec: OptimizationSpec) -> list[RunSpec]:
        lever_overrides = designs.overrides(pd.Series(levers, dtype=float))
        runs = []
        for i, (seed, overrides) in enumerate(zip(self.seeds, self.overrides, strict=False)):
            try:
                config = scenario_from_dict(apply_overrides(self.data, overrides + lever_overrides), self.path)
            except ConfigError as exc:
                raise ConfigError(self.source, f"{label} {key} ({exc.field})", exc.reason) from None
            runs.append(
                RunSpec(
                    f"{label}{key:04d}-e{i:03d}",
                    config.name,
                    config.model_dump(mode="json"),
                    seed,
                    key,
                    i,
                    levers,
                    spec.weeks,
                    ("metrics",),
                )
            )
        return runs


def evaluate(pool, runs: list[RunSpec], batch_size: int) -> pd.DataFrame:
    """Run ``runs`` on the executor (from any thread); one record per run, in run order."""
    batches = [runs[i : i + batch_size] for i in range(0, len(runs), batch_size)]
    records = [r for future in as_finished(pool, measure, batches) for r in future.result()]
    return pd.DataFrame(records).sort_values("replication").reset_index(drop=True)


def robust(values: np.ndarray, direction: str, rule: Robustness) -> float:
    """The robustness statistic of one objective over a candidate's evaluations (undefined ones dropped)."""
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan")
    if rule.statistic == "mean":
        return float(values.mean())
    if rule.statistic == "worst":
        return float(values.min() if direction == "maximize" else values.max())
    q = rule.percentile if direction == "maximize" else 100 - rule.percentile
    return float(np.percentile(values, q))


# ------------------------------------------------------------ the study


def status_quo(spec: OptimizationSpec, data: dict) -> dict[str, float]:
    """The levers as the scenario configures them."""
    out = {}
    for name in spec.explore.levers:
        node = data
        for key in name.split("."):
            node = node[key]
        out[name] = float(node)
    return out


def _study(spec: OptimizationSpec, out: Path):
    import optuna

    o, beat = spec.optimize, spec.optimize.heartbeat_seconds
    return open_study(
        out,
        spec.name,
        seed=spec.seed,
        directions=[objective.direction for objective in o.objectives],
        startup_trials=o.startup_trials,
        multivariate=True,
        parallel_trials=o.parallel_trials,
        heartbeat_interval=beat,
        grace_period=STALE_BEATS * beat,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3),
    )


def recover(study, storage, grace: int) -> int:
    """Fail the trials a killed search left running once their heartbeat is stale (their levers are queued again
    by RetryHeartbeatStaleTrialCallback); returns how many. Refuses if they keep beating: another search holds
    the study.

    A trial killed between being created and its first heartbeat has none, and Optuna never counts it as stale;
    so every running trial first gets one beat here: a live one keeps beating anyway, a dead one goes stale
    after the grace period like the others.
    """
    import optuna
    from optuna.trial import TrialState

    found = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    study_id = storage.get_study_id_from_name(study.study_name)
    for trial in found:
        storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(study_id, trial.number))
    deadline = time.monotonic() + 2 * grace + 5
    while study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        optuna.storages.fail_stale_trials(study)
        if time.monotonic() > deadline:
            raise ConfigError(None, "--resume", "trials of this study are still running in another process")
        time.sleep(0.5)
    return len(found)


@dataclass
class OptimizeResult:
    out: Path
    trials: pd.DataFrame
    front: pd.DataFrame
    reevaluation: pd.DataFrame
    evaluations: int  # simulated runs in the search, all sessions
    ran: int  # trials run in this session
    recovered: int  # trials found interrupted and queued again
    seconds: dict
    scenario: Scenario | None = None  # the scenario searched on, as configured: names levers and outcomes


@lock.writes
def optimize(
    spec_path: str | Path,
    out: str | Path,
    *,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress=None,
) -> OptimizeResult:
    """Run (or resume) the search of ``spec_path`` into ``out``, then re-evaluate its picks; writes every output.

    ``progress(trial_number, values)`` is called as each trial ends.
    """
    require("optuna", "orgsim optimize")
    from optuna.trial import TrialState

    spec_path, out = Path(spec_path), Path(out)
    spec, base = load_optimization(spec_path)
    search = spec.optimize
    resolved = spec.model_dump(mode="json")
    manifest_path = out / "manifest.json"
    previous = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else None
    if (out / "optuna.db").is_file() and not resume:
        raise ConfigError(out, "--out", "already holds a search; use --resume to continue it, or another folder")
    changed = spec_changes(previous["spec"], resolved) if resume and previous else []
    if changed:
        raise ConfigError(
            spec_path,
            ", ".join(changed),
            f"differs from the spec of the search in {out}; cannot resume it (use another folder)",
        )
    common = Evaluations.make(
        spec, base, spec_path, search.robustness.worlds, run_seeds(spec.seed, search.robustness.seeds), explore.WORLDS
    )
    study, storage = _study(spec, out)
    recovered = recover(study, storage, STALE_BEATS * search.heartbeat_seconds) if resume else 0
    baseline = status_quo(spec, common.data)
    inside = all(r.low <= baseline[n] <= r.high for n, r in spec.explore.levers.items())
    if not study.trials and inside:
        study.enqueue_trial(baseline, user_attrs={"policy": "status quo"})
    seconds: dict = {}
    started = time.perf_counter()
    complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    remaining = max(search.trials - complete, 0)
    with executor(executor_kind, workers, scheduler) as (pool, _slots):

        def objective(trial) -> list[float]:
            levers = {n: trial.suggest_float(n, r.low, r.high) for n, r in spec.explore.levers.items()}
            t0 = time.perf_counter()
            records = evaluate(pool, common.runs("t", trial.number, levers, spec), spec.batch_size)
            failed = records[records["status"] != "ok"]
            if len(failed):
                raise EvaluationFailed(f"{len(failed)} evaluations failed: {failed['error'].iloc[0]}")
            values = []
            for objective_ in search.objectives:
                column = records[objective_.outcome].to_numpy(float)
                trial.set_user_attr(f"values:{objective_.outcome}", [None if np.isnan(v) else v for v in column])
                trial.set_user_attr(
                    f"mean:{objective_.outcome}", float(np.nanmean(column)) if (~np.isnan(column)).any() else None
                )
                values.append(robust(column, objective_.direction, search.robustness))
            trial.set_user_attr("evaluations", len(records))
            trial.set_user_attr("seconds", round(time.perf_counter() - t0, 1))
            return values

        callbacks = [lambda study_, trial: progress(trial.number, trial.values)] if progress else []
        # queued trials (the status quo, re-runs of killed ones) go one at a time: SQLite has no row locks,
        # so two threads could pop the same queued trial and the second would tell a finished trial
        queued = min(remaining, len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,))))
        for n_trials, n_jobs in ((queued, 1), (remaining - queued, search.parallel_trials)):
            if n_trials:
                study.optimize(
                    objective, n_trials=n_trials, n_jobs=n_jobs, callbacks=callbacks, catch=(EvaluationFailed,)
                )
        seconds["search"] = round(time.perf_counter() - started, 1)
        trials = trials_frame(study, spec)
        front = pareto(trials, spec)
        t0 = time.perf_counter()
        reevaluation, reeval_runs = reevaluate(pool, spec, base, spec_path, front, baseline)
        seconds["reevaluation"] = round(time.perf_counter() - t0, 1)
    sessions = (previous or {}).get("sessions", [])
    sessions.append(
        {
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "trials_run": remaining,
            "recovered": recovered,
            **{f"{k}_seconds": v for k, v in seconds.items()},
        }
    )
    evaluations = int(trials.loc[trials["state"] == "COMPLETE", "evaluations"].sum())
    write_json(
        {
            "name": spec.name,
            "spec_file": str(spec_path),
            "spec": resolved,
            "versions": versions(),
            "git_revision": git_revision(),
            "status_quo": baseline,
            "evaluations": evaluations,
            "runs_per_trial": len(common.seeds),
            "sessions": sessions,
        },
        manifest_path,
    )
    result = OptimizeResult(
        out,
        trials,
        front,
        reevaluation,
        evaluations,
        remaining,
        recovered,
        seconds,
        scenario_from_dict(common.data, common.path),
    )
    write_outputs(result, spec, reeval_runs)
    return result


def trials_frame(study, spec: OptimizationSpec) -> pd.DataFrame:
    """One row per trial: its state, levers, robust objectives and their plain means."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row = {
            "trial": t.number,
            "state": t.state.name,
            "policy": t.user_attrs.get("policy", ""),
            "retry_of": retried(t),
            "evaluations": t.user_attrs.get("evaluations", 0),
            "seconds": t.user_attrs.get("seconds", np.nan),
            **t.params,
        }
        for i, objective in enumerate(spec.optimize.objectives):
            row[objective.outcome] = t.values[i] if t.values else np.nan
            row[f"mean:{objective.outcome}"] = t.user_attrs.get(f"mean:{objective.outcome}", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def retried(trial) -> float:
    """The number of the interrupted trial this one re-runs (NaN if none)."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    number = RetryHeartbeatStaleTrialCallback.retried_trial_number(trial)
    return np.nan if number is None else number


def pareto(trials: pd.DataFrame, spec: OptimizationSpec) -> pd.DataFrame:
    """The non-dominated complete trials; ``pick`` names the ones re-evaluated: the best on each objective but
    the last, then the closest to the ideal point (each objective scaled to the front's range); never the
    status quo, which is re-evaluated anyway."""
    objectives = spec.optimize.objectives
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=[o.outcome for o in objectives])
    signed = np.column_stack([done[o.outcome] * (1 if o.direction == "maximize" else -1) for o in objectives])
    front = np.array([not ((signed >= s).all(axis=1) & (signed > s).any(axis=1)).any() for s in signed], bool)
    front_rows = done[front].copy().reset_index(drop=True)
    if front_rows.empty:
        return front_rows.assign(pick="")
    scaled = signed[front]
    span = np.ptp(scaled, axis=0)
    scaled = (scaled - scaled.min(axis=0)) / np.where(span > 0, span, 1)
    candidates = [(int(np.argmax(scaled[:, j])), f"best {o.outcome}") for j, o in enumerate(objectives[:-1])]
    candidates += [(int(i), "balanced") for i in np.argsort(np.linalg.norm(1 - scaled, axis=1), kind="stable")]
    picks: dict[int, str] = {}
    for i, label in candidates:
        if len(picks) < spec.optimize.picks and front_rows.loc[i, "policy"] != "status quo":
            picks.setdefault(i, label)
    front_rows["pick"] = [picks.get(i, "") for i in range(len(front_rows))]
    return front_rows


def reevaluate(
    pool, spec: OptimizationSpec, base: Path, source: Path, front: pd.DataFrame, baseline: dict[str, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The picks and the status quo on fresh paired draws: one world and one seed each, the same for every policy."""
    search = spec.optimize
    children = np.random.SeedSequence([spec.seed, explore.FRESH]).spawn(search.fresh_draws)
    seeds = [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
    fresh = Evaluations.make(spec, base, source, search.fresh_draws, seeds, explore.FRESH, paired=True)
    policies = {"status quo": baseline}
    for _, row in front[front["pick"] != ""].iterrows():
        policies[f"trial {int(row['trial'])} ({row['pick']})"] = {n: float(row[n]) for n in spec.explore.levers}
    runs = []
    for key, (name, levers) in enumerate(policies.items()):
        records = evaluate(pool, fresh.runs("f", key, levers, spec), spec.batch_size)
        runs.append(records.assign(policy=name))
    runs = pd.concat(runs, ignore_index=True)
    outcomes = [o.outcome for o in search.objectives]
    long = runs.melt(id_vars=["policy", "replication"], value_vars=outcomes, var_name="outcome")
    summary = clip_to_domain(mean_ci(long, ["policy", "outcome"]))  # a share's interval stays within 0-100%
    quo = long[long["policy"] == "status quo"].set_index(["replication", "outcome"])["value"]
    diff = long.assign(
        value=long["value"] - quo.reindex(pd.MultiIndex.from_frame(long[["replication", "outcome"]])).to_numpy()
    )
    paired = (
        mean_ci(diff, ["policy", "outcome"])
        .rename(columns={"mean": "diff", "ci_low": "diff_low", "ci_high": "diff_high"})
        .drop(columns="n")
    )
    table = summary.merge(paired, on=["policy", "outcome"])
    table["policy"] = pd.Categorical(table["policy"], list(policies))
    table = table.sort_values(["policy", "outcome"]).reset_index(drop=True)
    table["policy"] = table["policy"].astype(str)
    return table, runs


# ------------------------------------------------------------ outputs


def markdown(result: OptimizeResult, spec: OptimizationSpec) -> str:
    rule = spec.optimize.robustness
    statistic = {
        "mean": "mean",
        "worst": "worst case",
        "percentile": f"{rule.percentile:g}th percentile on the bad side",
    }
    levers, objectives = list(spec.explore.levers), [o.outcome for o in spec.optimize.objectives]
    named = {
        **{n: labels.parameter(n, result.scenario) for n in levers},
        **{n: labels.outcome(n, result.scenario) for n in objectives},
    }
    front = result.front[["trial", "pick", *levers, *objectives]].rename(
        columns={n: name.text for n, name in named.items()}
    )
    key = pd.DataFrame(
        {
            "column": [name.text for name in named.values()],
            "unit": [name.unit for name in named.values()],
            "path or outcome": [f"`{n}`" for n in named],
            "role": ["lever"] * len(levers) + [OBJECTIVES[n] for n in objectives],
        }
    )
    shown = result.reevaluation.assign(
        **{
            "mean [95% CI]": [
                f"{r['mean']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]" for _, r in result.reevaluation.iterrows()
            ],
            "minus status quo [95% CI]": [
                f"{r['diff']:+.3g} [{r['diff_low']:+.3g}, {r['diff_high']:+.3g}]"
                for _, r in result.reevaluation.iterrows()
            ],
        }
    )
    complete = int((result.trials["state"] == "COMPLETE").sum())
    return "\n".join(
        [
            f"# Policies that hold up ({spec.name})\n",
            f"{complete} complete trials, {result.evaluations} evaluations ({spec.optimize.robustness.worlds} worlds x "
            f"{spec.optimize.robustness.seeds} seeds each); objectives: the {statistic[rule.statistic]} of each over "
            "the evaluations.\n",
            "## Pareto front\n",
            tables.markdown(front),
            "Columns:\n",
            tables.markdown(key),
            f"## Picks re-evaluated on {spec.optimize.fresh_draws} fresh worlds and seeds, paired with the status quo\n",
            tables.markdown(
                labels.labelled(shown, "outcome", result.scenario, kind="outcome")[
                    ["policy", "label", "outcome", "mean [95% CI]", "minus status quo [95% CI]", "n"]
                ]
            ),
        ]
    )


def write_outputs(result: OptimizeResult, spec: OptimizationSpec, reeval_runs: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    from orgsim.report.figures import pareto_figure, reevaluation_figure

    out = result.out
    frames = {
        "trials.csv": result.trials,
        "pareto.csv": result.front,
        "reevaluation.csv": labels.labelled(result.reevaluation, "outcome", result.scenario, kind="outcome"),
        "reevaluation_runs.csv": reeval_runs,
    }
    for name, frame in frames.items():
        atomic_write(out / name, lambda tmp, f=frame: f.to_csv(tmp, index=False))
    atomic_write(out / "optimize.md", lambda tmp: tmp.write_text(markdown(result, spec), encoding="utf-8"))
    objectives = [o.outcome for o in spec.optimize.objectives]
    for name, figure in (
        ("pareto", pareto_figure(result.trials, result.front, objectives)),
        ("reevaluation", reevaluation_figure(result.reevaluation)),
    ):
        atomic_write(out / f"{name}.png", lambda tmp, f=figure: f.savefig(tmp, format="png", dpi=100))
        plt.close(figure)


@dataclass
class Written:
    """What ``orgsim optimize`` wrote in a folder, as the report reads it."""

    manifest: dict
    trials: pd.DataFrame
    front: pd.DataFrame
    reevaluation: pd.DataFrame
    figures: dict[str, bytes]


#: the figures ``write_outputs`` saves, with their captions
FIGURES = {
    "pareto": "The search (Optuna, multi-objective TPE): every complete trial's robust objectives, pair by pair; "
    "blue: the Pareto front; circled: the picks; X: the status quo, evaluated on the same draws.",
    "reevaluation": "The picks on fresh worlds and seeds: each minus the status quo on the same draws (paired), "
    "mean with 95% t-interval.",
}


def read(directory: str | Path) -> Written:
    """The search in ``directory``; StoreError if it is not the output folder of ``orgsim optimize``."""
    from orgsim.analysis import StoreError

    directory = Path(directory)
    needed = ["manifest.json", "trials.csv", "pareto.csv", "reevaluation.csv"]
    missing = [name for name in needed if not (directory / name).is_file()]
    if missing:
        raise StoreError(f"{directory}: no {missing[0]} here; is it the --out folder of `orgsim optimize`?")
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        trials, front, reevaluation = (pd.read_csv(directory / name) for name in needed[1:])
        OptimizationSpec.model_validate(manifest["spec"])
    except (ValueError, OSError, KeyError) as exc:
        raise StoreError(f"{directory}: unreadable optimization output ({type(exc).__name__}: {exc})") from None
    figures = read_pngs(directory, FIGURES)
    trials["policy"], front["pick"] = trials["policy"].fillna(""), front["pick"].fillna("")
    return Written(manifest, trials, front, reevaluation, figures)
