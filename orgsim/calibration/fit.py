"""Simulation-based fitting with Optuna, through the sweep executors.

One calibration, in ``DIR``::

    manifest.json        resolved spec, scenario digest, seeds, versions, git revision, times
    optuna.db            the Optuna study (SQLite): every trial, its parameters, loss and per-target means
    trials.csv           the same, one row per trial
    refine.json          the best candidates re-run on fresh seeds (written after each one)
    verify/scale=S.csv   per-seed statistics at the fitted values, one file per population scale
    fit.json             fitted values, their uncertainty and how it was obtained
    (output.accepted)    the accepted parameter vectors, CSV: what sweeps draw from (parameter_draws)
    fit_table.csv/.md    target vs simulated: mean, 95% CI of the mean, 2.5-97.5% of seeds
    predictive.csv       the best accepted vectors re-run on fresh seeds (posterior predictive), per run
    predictive_table.csv/.md  each target's spread over the accepted set, and the share of vectors within tolerance
    loss.png             loss over trials; params.png: each parameter over trials

Search: a TPE sampler (seeded from the spec) proposes a candidate; the
candidate runs on the same R seeds as every other candidate (common random
numbers), one task per seed (or small batch) on a serial, process or Dask
executor; loss = sum over targets of ((mean over seeds - target) /
tolerance)^2. Every trial is committed to the study as it ends, so a killed
calibration resumes: trials that were in flight (left RUNNING) are marked
failed and their candidates re-run first. The sampler is re-seeded with
the spec seed plus the number of trials so far, so a resumed search never
replays the random start-up candidates it already tried.

Then the best few candidates are re-run on fresh seeds (``refine``) and the
lowest loss there is the fit (rounded to 4 significant digits); the
uncertainty is the spread of the accepted trials (loss at most
``accept_loss``; the top-k trials if too few), and the fit is verified on
``verify.replications`` fresh seeds at each ``verify.scales``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from orgsim import catalog, lock, tables
from orgsim.calibration.targets import (
    CalibrationSpec,
    Target,
    load_calibration,
    loss,
    measure,
    param_overrides,
    scenario_for,
)
from orgsim.config import ConfigError, _read_yaml
from orgsim.extras import require
from orgsim.files import atomic_write, git_revision, versions, write_json
from orgsim.intervals import mean_interval
from orgsim.studies import open_study
from orgsim.sweep.runner import ExecutorKind, RunSpec, as_finished, executor, run_one

# which parts of the spec the finished trials depend on: resuming with others changed is refused
SEARCH_FIELDS = ("scenario", "set", "weeks", "seed", "replications", "parameters", "targets")

Progress = Callable[..., None]


def _quiet(*_args, **_kwargs) -> None:
    return None


# ------------------------------------------------------------------ seeds and runs


def stream_seeds(seed: int, stream: int, n: int) -> list[int]:
    """``n`` run seeds from stream 0 (search), 1 (refine) or 2 (verify) of the spec seed."""
    children = np.random.SeedSequence([seed, stream]).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def measure_runs(runs: list[RunSpec], targets: dict[str, dict]) -> list[dict]:
    """Worker task: simulate each run and return only its statistics (never raises)."""
    from orgsim.calibration.targets import Target
    from orgsim.config import scenario_from_dict

    parsed = {name: Target.model_validate(t) for name, t in targets.items()}
    rows = []
    for run in runs:
        record, tables = run_one(run)
        row = {
            "run_id": run.run_id,
            "point": run.point,
            "seed": run.seed,
            "status": record["status"],
            "error": record.get("error", ""),
            "duration_s": record["duration_s"],
        }
        if record["status"] == "ok":
            try:
                row.update(measure(parsed, scenario_from_dict(run.config), tables["metrics"], tables["events"]))
            except Exception as exc:  # a statistic that cannot be computed fails the run, not the calibration
                row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        rows.append(row)
    return rows


@dataclass
class Candidate:
    key: int  # trial number, or a refine/verify index
    values: dict[str, float]
    config: dict | None = None
    error: str = ""


def evaluate(
    pool,
    slots: int,
    candidates: list[Candidate],
    seeds: list[int],
    spec: CalibrationSpec,
    label: str,
    on_run: Progress = _quiet,
) -> dict[int, pd.DataFrame]:
    """Run every candidate on every seed; per candidate, one row of statistics per seed."""
    targets = {name: t.model_dump(mode="json") for name, t in spec.targets.items()}
    tasks = []
    for cand in candidates:
        if cand.config is None:
            continue
        runs = [
            RunSpec(
                f"{label}{cand.key:04d}-r{rep:03d}",
                "calibration",
                cand.config,
                seed,
                cand.key,
                rep,
                cand.values,
                spec.weeks,
                ("metrics", "events"),
            )
            for rep, seed in enumerate(seeds)
        ]
        tasks += [runs[i : i + spec.batch_size] for i in range(0, len(runs), spec.batch_size)]
    rows: list[dict] = []
    for future in as_finished(pool, functools.partial(measure_runs, targets=targets), tasks, slots):
        for row in future.result():
            rows.append(row)
            on_run(row)
    frame = pd.DataFrame(rows)
    return {
        c.key: frame[frame["point"] == c.key].sort_values("run_id").reset_index(drop=True) if len(frame) else frame
        for c in candidates
        if c.config is not None
    }


def summarize(spec: CalibrationSpec, frame: pd.DataFrame) -> dict:
    """Per-target mean and sd over seeds, the loss, and the first error if a run failed."""
    ok = frame[frame["status"] == "ok"] if len(frame) else frame
    failed = frame[frame["status"] != "ok"] if len(frame) else frame
    means = {name: float(ok[name].mean()) if name in ok and len(ok) else float("nan") for name in spec.targets}
    sds = {name: float(ok[name].std(ddof=1)) if name in ok and len(ok) > 1 else float("nan") for name in spec.targets}
    return {
        "means": means,
        "sds": sds,
        "loss": loss(spec.targets, means) if len(failed) == 0 else float("inf"),
        "ok_runs": int(len(ok)),
        "failed_runs": int(len(failed)),
        "error": str(failed["error"].iloc[0]) if len(failed) else "",
    }


def _config(spec: CalibrationSpec, base: Path, values: dict[str, float], extra: list[str] | None = None) -> Candidate:
    cand = Candidate(-1, values)
    try:
        cand.config = scenario_for(spec, base, values, extra).model_dump(mode="json")
    except ConfigError as exc:
        cand.error = str(exc)
    return cand


# ------------------------------------------------------------------ the study


def _study(spec: CalibrationSpec, out: Path):
    o = spec.optimizer
    study, _ = open_study(
        out,
        spec.name,
        seed=spec.seed,
        directions=["minimize"],
        startup_trials=o.startup_trials,
        multivariate=o.multivariate,
        parallel_trials=o.parallel_trials,
    )
    if spec.optimizer.start and not any(t.params == spec.optimizer.start for t in study.trials):
        study.enqueue_trial(spec.optimizer.start)  # a known-good point (new or edited): tried next
    return study


def _requeue_interrupted(study) -> list[int]:
    """Trials a kill left RUNNING: told failed, and queued again by Optuna's own retry callback.

    The search asks and tells in batches, so its trials beat no heartbeat for
    Optuna to find them stale by; a resume is the moment they are known to be.
    """
    import optuna
    from optuna.trial import TrialState

    retry = optuna.storages.RetryHeartbeatStaleTrialCallback()
    stale = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    for number in stale:
        study.tell(number, state=TrialState.FAIL)
        retry(study, study.trials[number])
    return stale


#: the user attribute that marks the local phase's candidates, and their index among its draws
LOCAL_PHASE, LOCAL_INDEX = "phase", "local_index"


def local_draws(spec: CalibrationSpec, center: dict[str, float]) -> list[dict[str, float]]:
    """The local phase's candidates: each parameter uniform within ``spread`` of its range around ``center`` (on
    the log scale for log parameters), clipped to its bounds; seeded by the spec, so a resume draws the same."""
    local = spec.optimizer.local
    rng = np.random.default_rng([spec.seed, 3])
    draws = []
    for _ in range(local.trials):
        values: dict[str, float] = {}
        for name, par in spec.parameters.items():
            scale = np.log if par.log else (lambda x: x)
            low, high, at = scale(par.low), scale(par.high), scale(center[name])
            half = local.spread * (high - low)
            value = float(rng.uniform(max(low, at - half), min(high, at + half)))
            value = float(np.exp(value)) if par.log else value
            values[name] = float(np.clip(round(value) if par.integer else value, par.low, par.high))
        draws.append(values)
    return draws


def _enqueue_local(study, spec: CalibrationSpec) -> None:
    """Queue the local phase's candidates that no trial holds yet, around the best finished trial (kept in the
    study, so a resume draws around the same centre)."""
    if not spec.optimizer.local.trials:
        return
    center = study.user_attrs.get("local_center")
    if center is None:
        center = study.best_trial.params
        study.set_user_attr("local_center", center)
    held = {t.user_attrs.get(LOCAL_INDEX) for t in study.get_trials(deepcopy=False)}
    for index, values in enumerate(local_draws(spec, center)):
        if index not in held:
            study.enqueue_trial(values, user_attrs={LOCAL_PHASE: "local", LOCAL_INDEX: index})


def _suggest(trial, spec: CalibrationSpec) -> dict[str, float]:
    values = {}
    for name, par in spec.parameters.items():
        if par.integer:
            values[name] = trial.suggest_int(name, int(par.low), int(par.high), log=par.log)
        else:
            values[name] = trial.suggest_float(name, par.low, par.high, log=par.log)
    return values


def trials_frame(study, spec: CalibrationSpec) -> pd.DataFrame:
    """One row per trial; ``rerun_of`` and ``interrupted`` come from Optuna's retry history."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback as Retry

    trials = study.get_trials(deepcopy=False)
    interrupted = {number for t in trials for number in Retry.retry_history(t)}
    rows = []
    for t in trials:
        history = Retry.retry_history(t)
        row = {
            "trial": t.number,
            "state": t.state.name,
            "loss": t.value if t.value is not None else np.nan,
            "seconds": t.user_attrs.get("seconds", np.nan),
            "rerun_of": history[-1] if history else np.nan,
            "interrupted": t.number in interrupted,
            "error": t.user_attrs.get("error", ""),
            "phase": t.user_attrs.get(LOCAL_PHASE, "search"),
        }
        row.update({f"param:{k}": t.params.get(k, np.nan) for k in spec.parameters})
        row.update({f"sim:{k}": t.user_attrs.get("means", {}).get(k, np.nan) for k in spec.targets})
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ results


def round_sig(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def fitted_values(spec: CalibrationSpec, values: dict[str, float]) -> dict[str, float | int]:
    """The fit as written to the config: integers stay integers, floats keep 4 significant digits."""
    return {
        name: int(round(values[name])) if par.integer else round_sig(values[name])
        for name, par in spec.parameters.items()
    }


def accepted_trials(spec: CalibrationSpec, trials: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The trials with loss <= accept_loss, or the top-k if too few were accepted, and how they were chosen."""
    done = trials[trials["state"] == "COMPLETE"].sort_values(["loss", "trial"])
    accepted = done[done["loss"] <= spec.accept_loss]
    if len(accepted) >= spec.uncertainty.min_accepted:
        return (
            f"accepted set: the {len(accepted)} trials with loss <= {spec.accept_loss:g} (of {len(done)} finished)"
        ), accepted
    return (
        f"top-{min(len(done), spec.uncertainty.top_k)} trials by loss (only {len(accepted)} "
        f"had loss <= {spec.accept_loss:g})"
    ), done.head(spec.uncertainty.top_k)


def uncertainty(spec: CalibrationSpec, accepted: pd.DataFrame, fit: dict[str, float]) -> pd.DataFrame:
    """Each fitted parameter's spread over the accepted trials."""
    rows = []
    for name in spec.parameters:
        v = accepted[f"param:{name}"].astype(float)
        rows.append(
            {
                "parameter": name,
                "fitted": fit[name],
                "mean": v.mean(),
                "sd": v.std(ddof=1),
                "q05": v.quantile(0.05),
                "q95": v.quantile(0.95),
                "min": v.min(),
                "max": v.max(),
                "low": spec.parameters[name].low,
                "high": spec.parameters[name].high,
                "n": len(v),
            }
        )
    return pd.DataFrame(rows)


def write_accepted(spec: CalibrationSpec, base: Path, accepted: pd.DataFrame) -> Path:
    """The accepted parameter vectors as CSV (trial, loss, one column per parameter path) for parameter draws."""
    path = (base / spec.output.accepted_file).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"trial": accepted["trial"].astype(int), "loss": accepted["loss"].round(3)})
    for name, par in spec.parameters.items():
        values = accepted[f"param:{name}"].astype(float)
        table[name] = values.round().astype(int) if par.integer else values.map(round_sig)
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
    return path


def fit_table(spec: CalibrationSpec, frame: pd.DataFrame, scale_label: str) -> pd.DataFrame:
    """Target vs simulated: mean, 95% CI of the mean (t), 2.5-97.5% of the seeds, within tolerance."""
    ok = frame[frame["status"] == "ok"]
    rows = []
    for name, t in spec.targets.items():
        v = ok[name].dropna().astype(float)
        n = len(v)
        mean, low, high = map(float, mean_interval(v.to_numpy()))
        if t.percent:  # a share's interval stays within 0-100% (with 2 seeds it reached -128% to 295%)
            low, high = max(low, 0.0), min(high, 1.0)
        rows.append(
            {
                "scale": scale_label,
                "target": name,
                "label": t.label or name,
                "value": t.value,
                "tolerance": t.tolerance,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "seed_p025": float(v.quantile(0.025)) if n else np.nan,
                "seed_p975": float(v.quantile(0.975)) if n else np.nan,
                "seeds": n,
                "within": t.within(mean) if n else False,
                "range": t.range,
                "percent": t.percent,
            }
        )
    return pd.DataFrame(rows)


def predictive_table(spec: CalibrationSpec, per_run: pd.DataFrame) -> pd.DataFrame:
    """Each target's spread over the accepted set: the mean of each vector's runs, summarized across vectors.

    ``within`` is the share of vectors whose mean lands within the target's tolerance (or range).
    """
    ok = per_run[per_run["status"] == "ok"]
    rows = []
    for name, t in spec.targets.items():
        by_vector = ok.groupby("point")[name].mean().dropna() if len(ok) else pd.Series(dtype=float)
        rows.append(
            {
                "target": name,
                "label": t.label or name,
                "value": t.value,
                "tolerance": t.tolerance,
                "range": t.range,
                "percent": t.percent,
                "vectors": len(by_vector),
                "mean": float(by_vector.mean()) if len(by_vector) else np.nan,
                "q05": float(by_vector.quantile(0.05)) if len(by_vector) else np.nan,
                "q95": float(by_vector.quantile(0.95)) if len(by_vector) else np.nan,
                "within_share": float(np.mean([t.within(v) for v in by_vector])) if len(by_vector) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def predictive_markdown(table: pd.DataFrame, replications: int) -> str:
    n = int(table["vectors"].max()) if len(table) else 0
    lines = [
        f"{n} accepted parameter vectors, {replications} fresh seeds each",
        "",
        *tables.head(
            ["target", "fact", "tolerance", "mean over vectors", "5-95% of vectors", "vectors within"], "lrrrrr"
        ),
    ]
    for r in table.itertuples():
        p = bool(r.percent)
        fact, tol = fact_cells(r)
        lines.append(
            f"| {r.label} | {fact} | {tol} | {_fmt(r.mean, p)} | {_fmt(r.q05, p)} to {_fmt(r.q95, p)} | "
            f"{r.within_share:.0%} |"
        )
    return "\n".join(lines) + "\n"


def _fmt(value: float, percent: bool) -> str:
    return tables.number(value, "pct" if percent else "int")


def fact_cells(row) -> tuple[str, str]:
    """The fact and its tolerance as printed: a point ± tolerance, or a plausibility range."""
    p = bool(row.percent)
    if row.range:
        return f"{_fmt(row.value - row.tolerance, p)} to {_fmt(row.value + row.tolerance, p)}", "range"
    return _fmt(row.value, p), (f"±{100 * row.tolerance:.1f} pp" if p else f"±{row.tolerance:,.0f}")


def table_markdown(table: pd.DataFrame) -> str:
    lines = []
    for scale, rows in table.groupby("scale", sort=False):
        seeds = int(rows["seeds"].min())
        lines += [
            f"population.scale = {scale}, {seeds} seeds",
            "",
            *tables.head(
                ["target", "fact", "tolerance", "simulated mean", "95% CI of mean", "2.5-97.5% of seeds", "within"],
                "lrrrrrc",
            ),
        ]
        for r in rows.itertuples():
            p = bool(r.percent)
            fact, tol = fact_cells(r)
            lines.append(
                f"| {r.label} | {fact} | {tol} | {_fmt(r.mean, p)} | "
                f"[{_fmt(r.ci_low, p)}, {_fmt(r.ci_high, p)}] | [{_fmt(r.seed_p025, p)}, {_fmt(r.seed_p975, p)}] | "
                f"{'yes' if r.within else '**no**'} |"
            )
        lines.append("")
    return "\n".join(lines)


def plot(trials: pd.DataFrame, spec: CalibrationSpec, fit_trial: int | None, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = trials[trials["state"] == "COMPLETE"].sort_values("trial")
    paths = []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.scatter(done["trial"], done["loss"], s=14, color="tab:blue", alpha=0.7, label="trial loss")
    ax.step(done["trial"], done["loss"].cummin(), where="post", color="tab:red", label="best so far")
    ax.axhline(spec.accept_loss, color="grey", ls="--", lw=1, label=f"accepted (loss ≤ {spec.accept_loss:g})")
    ax.axvline(spec.optimizer.startup_trials - 0.5, color="grey", ls=":", lw=1, label="end of random start-up")
    if fit_trial is not None and (done["trial"] == fit_trial).any():
        ax.scatter(
            [fit_trial],
            done.loc[done["trial"] == fit_trial, "loss"],
            s=80,
            facecolor="none",
            edgecolor="black",
            label="fit",
        )
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss = Σ ((sim − target) / tolerance)²")
    ax.set_title(f"{spec.name}: loss over trials ({spec.replications} seeds per candidate)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(out / "loss.png", lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)
    paths.append(out / "loss.png")
    names = list(spec.parameters)
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    good = done["loss"] <= spec.accept_loss
    for ax, name in zip(axes.ravel(), names, strict=False):
        ax.scatter(
            done["trial"], done[f"param:{name}"], s=8, c=np.log10(done["loss"].clip(lower=1e-3)), cmap="viridis_r"
        )
        ax.scatter(
            done.loc[good, "trial"], done.loc[good, f"param:{name}"], s=20, facecolor="none", edgecolor="red", lw=0.6
        )
        ax.set_title(name, fontsize=8)
        ax.set_ylim(spec.parameters[name].low, spec.parameters[name].high)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle("parameters over trials (colour: log10 loss, dark = low; red rings: accepted)", fontsize=9)
    fig.tight_layout()
    atomic_write(out / "params.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    paths.append(out / "params.png")
    return paths


def _nested(values: dict[str, float | int]) -> dict:
    root: dict = {}
    for dotted, value in values.items():
        node = root
        keys = dotted.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return root


def _rel(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def write_config(
    spec: CalibrationSpec, spec_path: Path, base: Path, fit: dict, unc: pd.DataFrame, method: str, info: dict
) -> Path:
    """``configs/calibrated.yaml``: extends the world, overrides only the fitted parameters, says how it was made."""
    path = (base / spec.output.config).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = unc.set_index("parameter")
    header = [
        "# Calibrated parameters: written by `orgsim calibrate`, do not edit by hand.",
        f"# Spec: {_rel(spec_path, path.parent)} ({len(spec.targets)} public facts, {len(spec.parameters)} parameters).",
        f"# Made {info['date']} (git {info['git'] or 'unknown'}): {info['trials']} Optuna TPE trials on "
        f"{spec.replications} seeds each ({', '.join(spec.set) or 'scenario as configured'}),",
        f"# best {spec.refine.top} re-run on {spec.refine.replications} fresh seeds"
        f"{'' if spec.refine.scale is None else f' at population.scale {spec.refine.scale:g}'}; fit = lowest loss there "
        f"({info['loss']:.2f}); verified on {spec.verify.replications} fresh seeds"
        f"{' at population.scale ' + ' and '.join(f'{x:g}' for x in spec.verify.scales) if spec.verify.scales else ''}.",
        f"# Uncertainty (after each value): mean ± sd and 5-95% range over the {method}.",
        "# Re-calibrate: edit the spec, run `orgsim calibrate <spec> --out <dir>`, commit this file.",
        "",
    ]
    body = yaml.safe_dump({"extends": spec.output.extends}, sort_keys=False)
    lines: list[str] = []

    def emit(node: dict, path: list[str], depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                lines.append(f"{'  ' * depth}{key}:")
                emit(value, [*path, key], depth + 1)
                continue
            s = stats.loc[".".join([*path, key])]
            leaf = yaml.safe_dump({key: value}, default_flow_style=True).strip()[1:-1]
            lines.append(
                f"{'  ' * depth}{leaf}   # {s['mean']:.4g} ± {s['sd']:.2g} (5-95%: {s['q05']:.4g} to "
                f"{s['q95']:.4g}; bounds {s['low']:g} to {s['high']:g})"
            )

    emit(_nested(fit), [], 0)
    text = "\n".join(header) + body + "\n".join(lines) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def chain_warnings(spec: CalibrationSpec, base: Path, written: Path) -> list[str]:
    """Does the calibrated scenario actually use the written config? (extends chain, nothing shadowing it)."""
    warns = []
    path = catalog.scenario_path(spec.scenario, base).resolve()
    before: list[Path] = []
    seen = set()
    while path not in seen:
        seen.add(path)
        if path == written.resolve():
            break
        before.append(path)
        parent = _read_yaml(path).get("extends")
        if not isinstance(parent, str):
            warns.append(
                f"{Path(spec.scenario).name} does not extend {written.name} yet: "
                f"set `extends: {written.name}` in its chain to use the fit"
            )
            return warns
        path = (path.parent / parent).resolve()
    for file in before:
        data = _read_yaml(file)
        for name in spec.parameters:
            node = data
            for key in name.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                warns.append(f"{file.name} sets {name} itself, which overrides {written.name}")
    return warns


# ------------------------------------------------------------------ the driver


@dataclass
class CalibrationResult:
    out: Path
    trials_done: int
    trials_run: int
    requeued: list[int]
    fitted: dict[str, float]
    method: str
    uncertainty: pd.DataFrame
    table: pd.DataFrame
    config: Path | None
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _search_digest(spec: CalibrationSpec, base: Path) -> str:
    """A digest of the scenario the search runs on, blind to the fitted fields (every candidate sets them).

    So switching the scenario to extend the calibrated config does not block a resume, while any other
    change to the scenario does.
    """
    data = scenario_for(spec, base, {}).model_dump(mode="json")
    for name in spec.parameters:
        *parents, leaf = name.split(".")
        node = data
        for key in parents:
            node = node[key]
        node.pop(leaf, None)
    return _digest(data)


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


@lock.writes
def calibrate(
    spec_path: str | Path,
    out: str | Path,
    *,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    trials: int | None = None,
    write_config_file: bool = True,
    progress: Progress = _quiet,
) -> CalibrationResult:
    """Run (or resume) the calibration of ``spec_path`` into ``out``: search, refine, verify, the posterior
    predictive, then the written fit (one function per stage below).

    ``trials`` is the total number of finished trials wanted (default: the
    spec's), counting those a resumed study already has; the local phase's
    (``optimizer.local``) come on top. ``progress(kind,
    **info)`` receives ``stage`` (name, total, done), ``trial`` and ``run``
    events for a progress bar.
    """
    require("optuna", "orgsim calibrate")
    spec_path, out = Path(spec_path), Path(out)
    spec, base = load_calibration(spec_path)
    manifest = _start(spec, spec_path, base, out, resume, executor_kind, workers)
    study = _study(spec, out)
    requeued = _requeue_interrupted(study)
    seconds: dict[str, float] = {}
    with executor(executor_kind, workers, scheduler) as (pool, slots):
        with _timed(seconds, "search"):
            wanted = trials or spec.trials
            ran = _search(study, spec, base, pool, slots, wanted, manifest["search_seeds"], progress)
            _enqueue_local(study, spec)
            wanted += spec.optimizer.local.trials
            ran += _search(study, spec, base, pool, slots, wanted, manifest["search_seeds"], progress)
            frame = trials_frame(study, spec)
            atomic_write(out / "trials.csv", lambda tmp: frame.to_csv(tmp, index=False))
        with _timed(seconds, "refine"):
            fit_trial, fit_loss, fit = _refine(spec, base, out, frame, pool, slots, progress)
        with _timed(seconds, "verify"):
            tables = _verify(spec, spec_path, base, out, fit, pool, slots, progress)
        method, accepted = accepted_trials(spec, frame)
        if spec.predictive.draws:
            with _timed(seconds, "predictive"):
                _predictive(spec, base, out, accepted, pool, slots, progress)
    table = pd.concat(tables, ignore_index=True)
    atomic_write(out / "fit_table.csv", lambda tmp: table.to_csv(tmp, index=False))
    markdown = table_markdown(table)
    atomic_write(out / "fit_table.md", lambda tmp: tmp.write_text(markdown, encoding="utf-8"))
    unc = uncertainty(spec, accepted, fit)
    plot(frame, spec, fit_trial, out)
    info = {
        "date": dt.date.today().isoformat(),
        "git": (git_revision() or "")[:10],
        "trials": int((frame["state"] == "COMPLETE").sum()),
        "loss": fit_loss,
    }
    config_path = accepted_path = None
    warns: list[str] = []
    if write_config_file:
        config_path = write_config(spec, spec_path, base, fit, unc, method, info)
        accepted_path = write_accepted(spec, base, accepted)
        warns = chain_warnings(spec, base, config_path)
    fit_doc = {
        "fitted": fit,
        "fit_trial": fit_trial,
        "fit_loss_refined": info["loss"],
        "uncertainty_method": method,
        "uncertainty": unc.to_dict(orient="records"),
        "accept_loss": spec.accept_loss,
        "trials_complete": info["trials"],
        "trials_failed": int((frame["state"] == "FAIL").sum()),
        "requeued_after_interrupt": requeued,
        "seconds_this_session": {k: round(v, 1) for k, v in seconds.items()},
        "search_seconds_all_sessions": round(float(frame.loc[frame["state"] == "COMPLETE", "seconds"].sum()), 1),
        "config": config_path.name if config_path else None,
        "accepted_file": accepted_path.name if accepted_path else None,
        "warnings": warns,
    }
    write_json(fit_doc, out / "fit.json")
    manifest["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_json(manifest, out / "manifest.json")
    return CalibrationResult(out, info["trials"], ran, requeued, fit, method, unc, table, config_path, warns, seconds)


@contextlib.contextmanager
def _timed(seconds: dict[str, float], stage: str):
    """Add the stage's wall time to ``seconds`` (the session's timings in fit.json)."""
    started = time.perf_counter()
    yield
    seconds[stage] = time.perf_counter() - started


def _start(
    spec: CalibrationSpec,
    spec_path: Path,
    base: Path,
    out: Path,
    resume: bool,
    executor_kind: ExecutorKind,
    workers: int | None,
) -> dict:
    """Refuse a folder that holds another calibration (or this one, without ``resume``, or with its search
    changed); write and return the session's manifest."""
    manifest_path = out / "manifest.json"
    previous = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else None
    if (out / "optuna.db").exists() and not resume:
        raise ConfigError(out, "--out", "already holds a calibration; use --resume to continue it, or another folder")
    resolved = spec.model_dump(mode="json")
    search = {k: resolved[k] for k in SEARCH_FIELDS}
    scenario_digest = _search_digest(spec, base)
    if resume and previous is not None:
        if previous.get("search") != search:
            changed = [k for k in SEARCH_FIELDS if previous.get("search", {}).get(k) != search[k]]
            raise ConfigError(
                spec_path,
                ", ".join(changed),
                f"differs from the calibration in {out}; cannot resume it (use another folder)",
            )
        if previous.get("scenario_digest") != scenario_digest:
            raise ConfigError(spec_path, "scenario", f"the scenario changed since the calibration in {out} started")
    manifest = {
        "calibration": spec.name,
        "spec_file": spec_path.name,
        "spec": resolved,
        "search": search,
        "scenario_digest": scenario_digest,
        "executor": executor_kind,
        "workers": workers,
        "search_seeds": stream_seeds(spec.seed, 0, spec.replications),
        "versions": versions(),
        "git_revision": git_revision(),
        "started": (previous or {}).get("started") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sessions": [*(previous or {}).get("sessions", []), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
    }
    write_json(manifest, manifest_path)
    return manifest


def _search(
    study, spec: CalibrationSpec, base: Path, pool, slots: int, wanted: int, seeds: list[int], progress: Progress
) -> int:
    """Ask, run and tell trials in batches until ``wanted`` have finished; returns the trials run now."""
    from optuna.trial import TrialState

    ran = 0
    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    progress("stage", name="search", total=wanted, done=min(done, wanted), runs=spec.replications)
    failed_in_a_row = 0
    while done < wanted:
        batch = []
        for _ in range(min(spec.optimizer.parallel_trials, wanted - done)):
            trial = study.ask()
            cand = _config(spec, base, _suggest(trial, spec))
            cand.key = trial.number
            batch.append((trial, cand))
        t0 = time.perf_counter()
        frames = evaluate(
            pool, slots, [c for _, c in batch], seeds, spec, "t", on_run=lambda row: progress("run", row=row)
        )
        for trial, cand in batch:
            if cand.config is None:
                summary = {"means": {}, "sds": {}, "loss": float("inf"), "error": cand.error}
            else:
                summary = summarize(spec, frames[cand.key])
            trial.set_user_attr("means", summary["means"])
            trial.set_user_attr("sds", summary["sds"])
            trial.set_user_attr("seconds", round(time.perf_counter() - t0, 2))
            if math.isfinite(summary["loss"]):
                study.tell(trial, summary["loss"])
                done += 1
                failed_in_a_row = 0
            else:
                trial.set_user_attr("error", summary["error"] or "a statistic was NaN")
                study.tell(trial, state=TrialState.FAIL)
                failed_in_a_row += 1
            ran += 1
            progress(
                "trial",
                number=trial.number,
                loss=summary["loss"],
                error=summary.get("error", ""),
                best=_best_value(study),
            )
        if failed_in_a_row >= spec.optimizer.max_failed_in_a_row:
            last = trials_frame(study, spec).iloc[-1]
            raise CalibrationFailed(f"{failed_in_a_row} trials in a row failed; last error: {last['error']}")
    return ran


def _refine(
    spec: CalibrationSpec, base: Path, out: Path, frame: pd.DataFrame, pool, slots: int, progress: Progress
) -> tuple[int, float, dict[str, float]]:
    """The best few distinct candidates on fresh seeds (resumable through refine.json); returns the fitted
    trial, its loss and its values."""
    complete = frame[frame["state"] == "COMPLETE"].sort_values(["loss", "trial"])
    top = complete.drop_duplicates(subset=[f"param:{k}" for k in spec.parameters]).head(spec.refine.top)
    refine_path = out / "refine.json"
    refined = json.loads(refine_path.read_text(encoding="utf-8")) if refine_path.is_file() else {}
    refined = {k: v for k, v in refined.items() if int(k) in set(top["trial"].astype(int))}  # only the current top
    refine_seeds = stream_seeds(spec.seed, 1, spec.refine.replications)
    refine_extra = [] if spec.refine.scale is None else [f"population.scale={spec.refine.scale!r}"]
    todo = [
        int(t)
        for t in top["trial"]
        if str(int(t)) not in refined
        or refined[str(int(t))]["seeds"] != refine_seeds
        or refined[str(int(t))].get("scale") != spec.refine.scale
    ]
    progress("stage", name="refine", total=len(top), done=len(top) - len(todo), runs=spec.refine.replications)
    for number in todo:
        row = complete[complete["trial"] == number].iloc[0]
        values = {k: float(row[f"param:{k}"]) for k in spec.parameters}
        cand = _config(spec, base, values, refine_extra)
        cand.key = number
        result = summarize(
            spec,
            evaluate(pool, slots, [cand], refine_seeds, spec, "refine", on_run=lambda r: progress("run", row=r))[
                number
            ],
        )
        refined[str(number)] = {
            "values": values,
            "seeds": refine_seeds,
            "scale": spec.refine.scale,
            "search_loss": float(row["loss"]),
            **result,
        }
        write_json(refined, refine_path)
        progress("trial", number=number, loss=result["loss"], best=None)
    pool_best = {int(k): v for k, v in refined.items() if int(k) in set(top["trial"].astype(int))}
    if pool_best:
        fit_trial = min(pool_best, key=lambda k: (pool_best[k]["loss"], k))
        return fit_trial, float(pool_best[fit_trial]["loss"]), fitted_values(spec, pool_best[fit_trial]["values"])
    first = complete.iloc[0]
    raw = {k: float(first[f"param:{k}"]) for k in spec.parameters}
    return int(first["trial"]), float(first["loss"]), fitted_values(spec, raw)


def _verify(
    spec: CalibrationSpec,
    spec_path: Path,
    base: Path,
    out: Path,
    fit: dict[str, float],
    pool,
    slots: int,
    progress: Progress,
) -> list[pd.DataFrame]:
    """The fit at each verification scale on fresh seeds (resumable per scale); one fit table per scale."""
    verify_seeds = stream_seeds(spec.seed, 2, spec.verify.replications)
    scales = spec.verify.scales or [None]
    tables = []
    (out / "verify").mkdir(exist_ok=True)
    fit_digest = _digest({"fit": fit, "seeds": verify_seeds, "weeks": spec.weeks})
    for i, scale in enumerate(scales):
        label = "as configured" if scale is None else f"{scale:g}"
        path = out / "verify" / f"scale={label.replace(' ', '_')}.csv"
        meta = path.with_suffix(".json")
        if path.is_file() and meta.is_file() and json.loads(meta.read_text())["digest"] == fit_digest:
            per_seed = pd.read_csv(path)
        else:
            progress("stage", name=f"verify (scale {label})", total=spec.verify.replications, done=0, runs=1)
            extra = [] if scale is None else [f"population.scale={scale!r}"]
            cand = _config(spec, base, fit, extra)
            cand.key = i
            if cand.config is None:
                raise ConfigError(spec_path, "verify.scales", cand.error)
            per_seed = evaluate(
                pool,
                slots,
                [cand],
                verify_seeds,
                spec,
                f"verify{i}-",
                on_run=lambda r: progress("run", row=r, advance=True),
            )[i]
            atomic_write(path, lambda tmp, f=per_seed: f.to_csv(tmp, index=False))
            write_json({"digest": fit_digest, "fit": fit, "scale": label}, meta)
        if (per_seed["status"] != "ok").any():
            bad = per_seed[per_seed["status"] != "ok"].iloc[0]
            raise CalibrationFailed(f"verification run {bad['run_id']} failed: {bad['error']}")
        tables.append(fit_table(spec, per_seed, label))
    return tables


def _predictive(
    spec: CalibrationSpec, base: Path, out: Path, accepted: pd.DataFrame, pool, slots: int, progress: Progress
) -> pd.DataFrame:
    """Run the best accepted vectors on fresh seeds (stream 3); resumable through ``predictive.csv`` and its digest."""
    vectors = accepted.head(spec.predictive.draws)
    seeds = stream_seeds(spec.seed, 3, spec.predictive.replications)
    values = {int(r["trial"]): {k: float(r[f"param:{k}"]) for k in spec.parameters} for _, r in vectors.iterrows()}
    digest = _digest({"values": values, "seeds": seeds, "weeks": spec.weeks})
    path, meta = out / "predictive.csv", out / "predictive.json"
    if path.is_file() and meta.is_file() and json.loads(meta.read_text())["digest"] == digest:
        per_run = pd.read_csv(path)
    else:
        progress("stage", name="posterior predictive", total=len(values), done=0, runs=len(seeds))
        cands = []
        for number, vals in values.items():
            cand = _config(spec, base, vals)
            cand.key = number
            cands.append(cand)
        frames = evaluate(pool, slots, cands, seeds, spec, "pred", on_run=lambda r: progress("run", row=r))
        per_run = pd.concat(frames.values(), ignore_index=True) if frames else pd.DataFrame()
        atomic_write(path, lambda tmp: per_run.to_csv(tmp, index=False))
        write_json({"digest": digest, "trials": list(values), "seeds": seeds}, meta)
    table = predictive_table(spec, per_run)
    atomic_write(out / "predictive_table.csv", lambda tmp: table.to_csv(tmp, index=False))
    text = predictive_markdown(table, len(seeds))
    atomic_write(out / "predictive_table.md", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return table


def _best_value(study) -> float | None:
    try:
        return float(study.best_value)
    except ValueError:
        return None


class CalibrationFailed(RuntimeError):
    """Trials or verification runs kept failing: a model error, not bad input."""


__all__ = [
    "calibrate",
    "CalibrationResult",
    "CalibrationFailed",
    "measure_runs",
    "stream_seeds",
    "Target",
    "load_calibration",
    "param_overrides",
]
