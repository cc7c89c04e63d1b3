"""The sweep driver: one loop over ``concurrent.futures``, three executors.

Runs are planned up front (every scenario x design point validated before
anything starts), grouped into small batches, and submitted to a serial
executor, a local process pool or Dask distributed. At most a few batches
are in flight at once and every finished run is written to the store as it
arrives, so memory stays flat however long the sweep. A run that raises is
recorded as failed with its error and the sweep goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from orgsim import catalog, lock
from orgsim.config import ConfigError, Problem, apply_overrides, load_scenario, scenario_from_dict
from orgsim.extras import require
from orgsim.files import git_revision, versions
from orgsim.sweep import cluster, draws, explore, provenance
from orgsim.sweep import design as designs
from orgsim.sweep.draws import Draw
from orgsim.sweep.spec import Experiment, load_experiment
from orgsim.sweep.store import Store

ExecutorKind = Literal["serial", "process", "dask"]
#: test-only switch: runs whose id matches one of these comma-separated patterns raise
FAIL_ENV = "ORGSIM_FAIL_RUNS"


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    scenario: str
    config: dict
    seed: int
    point: int
    replication: int
    parameters: dict
    weeks: int | None
    keep: tuple[str, ...]
    draw: Draw | None = None
    source: str = ""  # the scenario file, as the spec names it


@dataclass
class SweepResult:
    out: Path
    planned: int
    skipped: int
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False  # the session stopped before every run finished (no Dask worker)

    @property
    def all_ok(self) -> bool:
        return not self.failed

    @property
    def finished(self) -> int:
        """Runs in the store now, ok or failed."""
        return self.skipped + self.ok + len(self.failed)


# ------------------------------------------------------------ planning


def run_seeds(experiment_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every scenario and design point (common random numbers)."""
    children = np.random.SeedSequence(experiment_seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def plan(spec: Experiment, base: Path, source: Path) -> list[RunSpec]:
    replications = max(
        spec.replications, spec.design.replications or 0, spec.explore.replications if spec.explore else 0
    )
    seeds = run_seeds(spec.seed, replications)
    table = designs.points(spec.design, spec.seed)
    keep = tuple(name for name in ("metrics", "events") if getattr(spec.outputs, name))
    drawn = parameter_draws(spec, base, source, replications)
    explored, world_draws = explore.crossed(spec.explore, base, source, spec.seed) if spec.explore else (None, None)
    runs = []
    for scenario_file in spec.scenarios:
        path = catalog.scenario_path(scenario_file, base)
        data = load_scenario(path, spec.set).model_dump(mode="json")
        points = [(0, pd.Series(dtype=object), seeds, None)]
        if spec.design.kind != "none" and (spec.design.scenarios is None or scenario_file in spec.design.scenarios):
            design_seeds = seeds[: spec.design.replications or spec.replications]
            points += [(i + 1, row, design_seeds, None) for i, row in table.iterrows()]
        if explored is not None:  # each point runs its world's drawn vector on every seed
            points += [
                (i + 1, row, seeds[: spec.explore.replications], world_draws[i] if world_draws else None)
                for i, row in explored.iterrows()
            ]
        for point, row, point_seeds, point_draw in points:
            params = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for rep, seed in enumerate(point_seeds):
                draw = point_draw or (drawn[rep] if drawn else None)
                if draw is not None or rep == 0:  # one config per point, or per draw when parameters are drawn
                    # the drawn parameters first: a design point's own values win
                    overrides = (draw.overrides() if draw else []) + designs.overrides(row)
                    where = f"design point {point}" + (f", draw {draw.id}" if draw else "")
                    config = _configure(data, path, overrides, source, where)
                    resolved = config.model_dump(mode="json")
                runs.append(
                    RunSpec(
                        f"{config.name}-p{point:03d}-r{rep:03d}",
                        config.name,
                        resolved,
                        seed,
                        point,
                        rep,
                        params,
                        spec.weeks,
                        keep,
                        draw,
                        scenario_file,
                    )
                )
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise ConfigError(source, "scenarios", "two scenarios share a name; run ids would collide")
    return runs


def parameter_draws(spec: Experiment, base: Path, source: Path, replications: int) -> list[Draw] | None:
    """One parameter vector per replication index, or None without ``parameter_draws``."""
    if spec.parameter_draws is None:
        return None
    table = draws.read_table(base / spec.parameter_draws.file, source)
    swept = set(spec.design.parameters) & set(table.columns)
    if swept:
        raise ConfigError(source, "parameter_draws.file", f"{sorted(swept)[0]} is both drawn and a design parameter")
    return draws.draw(table, spec.seed, replications)


def spec_changes(previous: dict, current: dict) -> list[str]:
    """The top-level fields that differ; a field added to the spec format since, and left unset, is no change."""
    return [
        key
        for key in sorted(set(previous) | set(current))
        if previous.get(key) != current.get(key) and not (key not in previous and current.get(key) is None)
    ]


def draws_manifest(spec: Experiment, runs: list[RunSpec]) -> dict | None:
    """Which vector each replication (in an exploration: each design point) drew, and a digest of the values
    (a resume must draw the same)."""
    source = spec.parameter_draws or (spec.explore.uncertainties.draws if spec.explore else None)
    if source is None:
        return None
    # by replication; an exploration draws one vector per design point instead
    key = (lambda r: r.point) if spec.parameter_draws is None else (lambda r: r.replication)
    by_key = {key(r): r.draw for r in runs if r.draw is not None}
    values = json.dumps([by_key[k].values for k in sorted(by_key)], sort_keys=True)
    return {
        "file": source.file,
        "pool": next(iter(by_key.values())).pool,
        "ids": [by_key[k].id for k in sorted(by_key)],
        "sha256": hashlib.sha256(values.encode()).hexdigest()[:16],
    }


def _check_finished(store: Store, runs: list[RunSpec], digests: dict[int, str], spec_path: Path, out: Path) -> set[str]:
    """The finished runs a resume keeps; refuses (ConfigError) if any was made from a config that has changed since."""
    records = {r["run_id"]: r for r in store.records() if r["status"] == "ok"}
    changed = {}
    for run in runs:
        record = records.get(run.run_id)
        if record is not None and record.get("config_digest") != digests[id(run.config)]:
            old = store.config(record["config_digest"]) if record.get("config_digest") else None
            changed[run.run_id] = (old, run.config, run.source or run.scenario)
    provenance.refuse_changed(spec_path, out, changed)
    return set(records)


def _configure(data: dict, path: Path, overrides: list[str], source: Path, where: str):
    """The scenario at one design point (or draw); errors name the point and the spec line or override at fault."""
    origins: dict = {}
    try:
        return scenario_from_dict(apply_overrides(data, overrides, source, origins), path, origins)
    except ConfigError as exc:
        raise ConfigError(
            source, problems=[Problem(p.where, f"{where} ({p.field})", p.reason) for p in exc.problems]
        ) from None


# ------------------------------------------------------------ running (in workers)


def run_one(run: RunSpec) -> tuple[dict, dict]:
    """Simulate one run; never raises: failures come back as a failed record."""
    from orgsim.sim.model import OrgModel

    started = time.perf_counter()
    record = {
        "run_id": run.run_id,
        "scenario": run.scenario,
        "point": run.point,
        "replication": run.replication,
        "seed": run.seed,
        **{f"param:{k}": v for k, v in run.parameters.items()},
    }
    if run.draw is not None:
        record.update({"draw": run.draw.id, **{f"draw:{k}": v for k, v in run.draw.values.items()}})
    tables = {}
    try:
        patterns = [p for p in os.environ.get(FAIL_ENV, "").split(",") if p]
        if any(fnmatch(run.run_id, p) for p in patterns):
            raise RuntimeError(f"test failure injected by {FAIL_ENV}")
        model = OrgModel(scenario_from_dict(run.config), rng=run.seed, run_id=run.run_id).run(run.weeks)
        metrics, events = model.metrics_frame(), model.events_frame()
        record.update(model.headline(metrics, events).as_dict(), status="ok", error="")
        tables = {name: frame for name, frame in (("metrics", metrics), ("events", events)) if name in run.keep}
    except Exception as exc:  # a failed run is data, not a crash
        record.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback="".join(traceback.format_exception(exc)[-3:]),
        )
    record["duration_s"] = round(time.perf_counter() - started, 3)
    return record, tables


def run_batch(batch: list[RunSpec]) -> list[tuple[dict, dict]]:
    return [run_one(run) for run in batch]


# ------------------------------------------------------------ executors


def as_finished(
    pool: Executor, fn: Callable[[Any], Any], tasks: Iterable[Any], slots: int | None = None
) -> Iterator[Future]:
    """Submit ``fn(task)`` for every task and yield each future as it finishes: the one submit-and-wait loop of
    sweeps, calibration and optimization.

    With ``slots``, at most two tasks per slot are in flight (the queue is fed
    as they finish, so a long sweep never holds every pending task in the
    scheduler); without, all are submitted at once.
    """
    pending: set[Future] = set()
    queue = iter(tasks)
    limit = 2 * slots if slots else float("inf")
    while True:
        while len(pending) < limit and (task := next(queue, None)) is not None:
            pending.add(pool.submit(fn, task))
        if not pending:
            return
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from finished


class SerialExecutor(Executor):
    """Runs each task at submit time: the reference every other executor must match."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@contextmanager
def executor(
    kind: ExecutorKind, workers: int | None, scheduler: str | None, wait_for_workers: float | None = None
) -> Iterator[tuple[Executor, int]]:
    """The executor and how many tasks it runs at once.

    With a Dask ``scheduler``: ConfigError if it does not answer (:mod:`orgsim.sweep.cluster`); with
    ``wait_for_workers``, runs still unfinished after that many seconds without a worker come back cancelled.
    """
    if kind == "serial":
        yield SerialExecutor(), 1
    elif kind == "process":
        n = workers or os.cpu_count() or 1
        # spawn: forking a process that already runs threads can deadlock
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool, n
    elif kind == "dask" and scheduler:
        with cluster.scheduler_pool(scheduler, wait_for_workers) as (pool, n):
            yield pool, n
    elif kind == "dask":
        distributed = require("distributed", "--executor dask")
        Client, LocalCluster = distributed.Client, distributed.LocalCluster

        n = workers or os.cpu_count() or 1
        with (
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as local,
            Client(local) as client,
        ):
            yield client.get_executor(pure=False), n
    else:
        raise ValueError(f"unknown executor {kind!r}")


# ------------------------------------------------------------ the driver


@lock.writes
def run_sweep(
    spec_path: str | Path,
    out: str | Path,
    *,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress=None,
    wait_for_workers: float | None = None,
) -> SweepResult:
    """Run (or resume) the sweep of ``spec_path`` into ``out``; returns counts and failed run ids.

    ``out`` is locked while the sweep writes (:mod:`orgsim.lock`); nothing is written before the executor is
    up, so an unreachable scheduler leaves no store. ``progress(record)`` is called once per finished run (the
    CLI draws a bar with it). With ``wait_for_workers``, a Dask scheduler without a worker for that many seconds
    stops the sweep: the finished runs are kept and :class:`cluster.NoWorkers` says how to resume.
    """
    spec_path = Path(spec_path)
    spec, base = load_experiment(spec_path)
    runs = plan(spec, base, spec_path)
    store = Store(out)
    previous = _session_checks(store, spec, runs, spec_path, Path(out), resume)
    digests = {id(run.config): provenance.config_digest(run.config) for run in runs}  # shared per point
    done = _check_finished(store, runs, digests, spec_path, Path(out)) if resume else set()
    with executor(executor_kind, workers, scheduler, wait_for_workers) as (pool, slots):
        result = _sweep(pool, slots, store, spec, spec_path, runs, digests, done, previous, executor_kind, progress)
    if result.stopped:
        raise cluster.NoWorkers(
            scheduler,
            "--wait-for-workers",
            f"no Dask worker joined for {wait_for_workers:g} s; "
            f"stopped with {result.finished} of {result.planned} runs finished, kept in {out}; "
            "start workers and rerun with --resume",
        )
    return result


def _session_checks(
    store: Store, spec: Experiment, runs: list[RunSpec], spec_path: Path, out: Path, resume: bool
) -> dict | None:
    """The manifest of the sweep already in ``out`` (None if none); ConfigError if this one cannot go there."""
    previous = store.read_manifest()
    if store.has_results() and not resume:
        raise ConfigError(out, "--out", "already holds a sweep; use --resume to continue it, or another folder")
    changed = (
        spec_changes(previous.get("spec", {}), spec.model_dump(mode="json")) if resume and previous is not None else []
    )
    if changed:
        raise ConfigError(
            spec_path,
            ", ".join(changed),
            f"differs from the spec of the sweep in {out}; cannot resume it (use another folder)",
        )
    if resume and previous is not None and previous.get("parameter_draws") != draws_manifest(spec, runs):
        raise ConfigError(
            spec_path, "parameter_draws.file", f"its vectors changed since the sweep in {out} started; cannot resume it"
        )
    return previous


def _sweep(
    pool: Executor,
    slots: int,
    store: Store,
    spec: Experiment,
    spec_path: Path,
    runs: list[RunSpec],
    digests: dict[int, str],
    done: set[str],
    previous: dict | None,
    executor_kind: str,
    progress,
) -> SweepResult:
    """Write the session's manifest and configs, run what is not ``done`` on ``pool``, write every run as it
    arrives, then consolidate. A cancelled run (the Dask watcher gave up waiting for a worker) stops the session."""
    store.prepare()
    for run in runs:
        store.write_config(digests[id(run.config)], run.config)
    # a replication's runs (one seed; with parameter_draws, one drawn vector) go out together, so that what a worker
    # caches of the drawn parameters (M3's synthetic cohorts, orgsim.sim.matching) serves each of them; the order
    # runs arrive in never shows in the store, which sorts them
    todo = sorted((r for r in runs if r.run_id not in done), key=lambda r: r.replication)
    revision = git_revision()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    session = {
        "started": now,
        "git_revision": revision,
        "versions": versions(),
        "executor": executor_kind,
        "runs_planned": len(runs),
        "runs_to_simulate": len(todo),
    }
    manifest = {
        "experiment": spec.name,
        "spec_file": str(spec_path),
        "spec": spec.model_dump(mode="json"),
        "experiment_seed": spec.seed,
        "run_seeds": run_seeds(spec.seed, max(spec.replications, spec.design.replications or 0)),
        "planned_runs": len(runs),
        "parameter_draws": draws_manifest(spec, runs),
        "versions": session["versions"],
        "git_revision": revision,
        "executor": executor_kind,
        "started": (previous or {}).get("started") or now,
        "sessions": [*(previous or {}).get("sessions", []), session],
    }
    store.write_manifest(manifest)
    by_id = {run.run_id: run for run in runs}
    result = SweepResult(store.root, planned=len(runs), skipped=len(runs) - len(todo))
    started = time.perf_counter()
    batches = [todo[i : i + spec.batch_size] for i in range(0, len(todo), spec.batch_size)]
    for future in as_finished(pool, run_batch, batches, slots):
        if future.cancelled():  # the Dask scheduler had no worker for wait_for_workers seconds
            result.stopped = True
            continue
        for record, tables in future.result():
            config = by_id[record["run_id"]].config
            record.update(config_digest=digests[id(config)], code_revision=revision, **provenance.settings(config))
            store.write_run(record, tables)
            if record["status"] == "ok":
                result.ok += 1
            else:
                result.failed.append(record["run_id"])
            if progress:
                progress(record)
    result.seconds = time.perf_counter() - started
    store.consolidate()
    manifest["finished"] = session["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    manifest["failed_runs"] = sorted(r["run_id"] for r in store.records() if r["status"] != "ok")
    session.update(runs_ok=result.ok, runs_failed=len(result.failed), seconds=round(time.perf_counter() - started, 1))
    if result.stopped:
        session["stopped"] = "no Dask worker joined within --wait-for-workers"
    store.write_manifest(manifest)
    result.failed.sort()
    return result
