"""The ``orgsim`` command.

Bad input (config errors, missing files, bad options) prints one line naming
the file, the field and the reason, and exits with status 2; so does a
command whose optional dependency (an extra) is not installed. Each command
imports what it needs when it runs, so ``--help`` and ``--version`` stay quick.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import statistics
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Agent-based simulation of the 2025-26 race for AI research talent.",
)
console = Console(width=None if sys.stdout.isatty() else 120)


def _progress(*fields: str):
    """A progress bar: what runs, the bar, done of total, one text column per template in ``fields``, the time
    elapsed and remaining."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    texts = (TextColumn(field) for field in fields)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), *texts)
    return Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console)


err_console = Console(stderr=True)


SCENARIO_HELP = "Scenario: a YAML file, or the name of a shipped one (orgsim scenarios)"

# options shared by the commands that run on an executor
ExecutorOption = Annotated[str, typer.Option(help="serial, process or dask")]
WorkersOption = Annotated[int | None, typer.Option(help="Worker processes (default: all cores)", min=1)]
SchedulerOption = Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")]
ConnectTimeoutOption = Annotated[float, typer.Option(help="Seconds to wait for the Dask scheduler to answer", min=0.1)]
ResumeOption = Annotated[bool, typer.Option("--resume", help="Run only what is missing or failed")]


def fail(message: str) -> None:
    """Print each line of ``message`` (a ConfigError holds one per problem) and exit 2."""
    for line in message.splitlines() or [""]:
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from orgsim import __version__

        console.print(f"orgsim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")
    ] = False,
) -> None:
    """Agent-based simulation of the 2025-26 race for AI research talent."""


def main() -> None:
    """The ``orgsim`` command: a missing extra is one line and exit 2, like bad input."""
    from orgsim.extras import MissingExtra

    try:
        app(prog_name="orgsim")
    except MissingExtra as exc:  # raised outside typer's handling: print the line and leave as fail() does
        try:
            fail(str(exc))
        except typer.Exit as leave:
            sys.exit(leave.exit_code)


def _named(label) -> str:
    """A table cell naming a parameter or outcome for readers: its label, and its path or key dimmed below."""
    return f"{escape(str(label))}\n[dim]{escape(label.path)}[/]"


def _load(path: Path, overrides: list[str] | None = None):
    from orgsim.config import ConfigError, load_scenario

    try:
        return load_scenario(path, overrides or [])
    except ConfigError as exc:
        fail(str(exc))


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option}: expected comma-separated numbers, got {text!r}")
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        fail(f"{option}: probabilities must lie in [0, 1], got {text!r}")
    return values


def _check_executor(executor: str, scheduler: str | None, connect_timeout: float | None = None) -> None:
    """Refuse an unknown executor or a scheduler without Dask; set Dask's connect timeout for the scheduler."""
    if executor not in ("serial", "process", "dask"):
        fail(f"--executor: expected serial, process or dask, got {executor!r}")
    if scheduler and executor != "dask":
        fail("--scheduler: only with --executor dask")
    if scheduler and connect_timeout is not None:
        from orgsim.extras import require

        require("dask", "--executor dask").config.set({"distributed.comm.timeouts.connect": f"{connect_timeout}s"})


class _Notices(logging.Handler):
    """What the library says in passing (a stale lock taken over, a scheduler without workers): one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(f"[yellow]notice:[/] {escape(record.getMessage())}", highlight=False, soft_wrap=True)


logging.getLogger("orgsim").addHandler(_Notices(logging.WARNING))


@app.command()
def validate(
    config: Annotated[Path, typer.Argument(help=SCENARIO_HELP)],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE")] = None,
) -> None:
    """Check a scenario file (and its extends: chain) without running it."""
    scenario = _load(config, set_)
    n = sum(team.headcount for lab in scenario.labs.values() for team in lab.teams.values())
    console.print(
        f"[green]ok[/] {config}: scenario {scenario.name!r}, {len(scenario.labs)} labs, "
        f"{round(n * scenario.population.scale):,} researchers, {scenario.weeks} weeks, "
        f"{len(scenario.timeline)} timeline events"
    )


@app.command()
def scenarios() -> None:
    """List the shipped scenarios and experiments; any of them runs by name from any folder."""
    from orgsim import catalog

    table = Table(
        "kind",
        "name",
        "title",
        title="shipped with orgsim (orgsim run NAME, orgsim sweep NAME; orgsim init DIR copies them to edit)",
    )
    for entry in catalog.entries():
        table.add_row(entry.kind, entry.name, escape(entry.title))
    console.print(table)


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder to write configs/ and experiments/ into")]) -> None:
    """Copy the shipped scenarios and experiments into DIRECTORY as an editable set."""
    from orgsim import catalog

    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: exists and is not a folder")
    try:
        written = catalog.copy_to(directory)
    except FileExistsError as exc:
        fail(str(exc))
    console.print(
        f"wrote {', '.join(f'{p}/' for p in written)}; try: orgsim validate {directory}/configs/baseline.yaml",
        highlight=False,
    )


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout")] = None) -> None:
    """Export the scenario JSON Schema (for editor completion and validation)."""
    from orgsim.files import atomic_write
    from orgsim.sim import plugins

    text = json.dumps(plugins.scenario_model().model_json_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        console.print(f"wrote {out}")


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help=SCENARIO_HELP)],
    seed: Annotated[int, typer.Option(help="Random seed")] = 1,
    out: Annotated[Path, typer.Option(help="Output directory")] = Path("results/run"),
    weeks: Annotated[int | None, typer.Option(help="Weeks to simulate (default: to the horizon)", min=1)] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override PATH=VALUE, e.g. population.scale=0.1")
    ] = None,
) -> None:
    """Run one scenario and write metrics.parquet, events.parquet and manifest.json."""
    from orgsim.adequacy import run_warnings
    from orgsim.files import manifest, write_json, write_parquet
    from orgsim.run_table import summary_table
    from orgsim.sim.model import OrgModel

    scenario = _load(config, set_)
    if out.exists() and not out.is_dir():
        fail(f"{out}: --out exists and is not a directory")
    started = dt.datetime.now(dt.UTC)
    model = OrgModel(scenario, rng=seed, run_id=f"{scenario.name}-seed{seed}")
    total = weeks or scenario.weeks
    with console.status(f"simulating {total} weeks of {len(model.population):,} researchers") as status:
        for week in range(total):
            model.step()
            if week % 10 == 0:
                status.update(f"simulating week {week + 1}/{total} ({model.date})")
    metrics, events = model.metrics_frame(), model.events_frame()
    headline = model.headline(metrics, events)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(metrics, out / "metrics.parquet")
    write_parquet(events, out / "events.parquet")
    write_json(
        manifest(
            scenario,
            seed=seed,
            run_id=model.run_id,
            weeks=total,
            started=started,
            finished=dt.datetime.now(dt.UTC),
            source=str(config),
            overrides=list(set_ or []),
            headline=headline.as_dict(),
        ),
        out / "manifest.json",
    )
    console.print(summary_table(model, metrics, events, headline))
    console.print(f"wrote {out}/metrics.parquet, events.parquet, manifest.json")
    watched = model.top_talent_watch.watched
    _warn(run_warnings(headline.as_dict(), float("nan") if watched is None else len(watched)))


@app.command()
def compare(
    configs: Annotated[list[Path], typer.Argument(help="Scenario YAML files to compare")],
    out: Annotated[Path, typer.Option(help="Results folder (a sweep store)")] = Path("results/compare"),
    seeds: Annotated[int, typer.Option(help="Replications per scenario (common seeds across scenarios)", min=1)] = 5,
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    resume: ResumeOption = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE in every scenario")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write one row per scenario and replication here")] = None,
) -> None:
    """Run scenarios with the same seeds and compare headline outcomes (mean and 95% CI): a preset sweep."""
    from orgsim import labels
    from orgsim.analysis import StoreError, headline_table, read_runs
    from orgsim.analysis.briefing import Estimate
    from orgsim.config import ConfigError
    from orgsim.files import atomic_write
    from orgsim.outcomes import OUTCOMES
    from orgsim.sweep import compare as preset
    from orgsim.sweep.runner import run_sweep
    from orgsim.sweep.spec import load_experiment

    _check_executor(executor, None)
    try:
        spec = preset.write_spec(configs, out, seeds, set_, resume=resume)
    except ConfigError as exc:
        fail(str(exc))
    result = _run_planned(spec, load_experiment, run_sweep, executor, None, out=out, workers=workers, resume=resume)
    try:
        runs = read_runs(out)
    except StoreError as exc:
        fail(str(exc))
    names = list(dict.fromkeys(_load(path, set_).name for path in configs))
    summary = headline_table(runs)
    table = Table("outcome", *names, title=f"{len(names)} scenarios x {seeds} seeds: mean [95% CI]")
    first = _load(configs[0], set_)
    for column in COMPARED:
        rows = [summary[(summary["scenario"] == s) & (summary["outcome"] == column)].iloc[0] for s in names]
        table.add_row(
            _named(labels.outcome(column, first)),
            *[escape(Estimate.of(row, OUTCOMES[column].kind).cell()) for row in rows],
        )
    console.print(table)
    if csv is not None:
        atomic_write(csv, lambda tmp: runs.to_csv(tmp, index=False))
        console.print(f"wrote {csv}")
    console.print(f"{result.ok} runs ok, {result.skipped} already done; results in {out} (orgsim report {out})")
    _report_failed(result.failed)


#: the headline outcomes ``orgsim compare`` prints (named by orgsim.labels)
COMPARED = ("cohort_retention", "focal_top_talent_share_end", "focal_headcount_end")


@contextmanager
def _run_bar(name: str, total: int):
    """A progress bar over ``total`` runs; yields the per-run callback the sweep driver takes."""
    bar = _progress("[red]{task.fields[failed]} failed", "{task.fields[rate]}")
    task = bar.add_task(name, total=total, failed=0, rate="")
    started = time.perf_counter()
    failed = 0

    def advance(record: dict) -> None:
        nonlocal failed
        if not bar.live.is_started:  # drawn from the first run on: a refusal before it prints one line only
            bar.start()
        failed += record["status"] != "ok"
        done = bar.tasks[task].completed + 1
        bar.update(task, advance=1, failed=failed, rate=f"{done / max(time.perf_counter() - started, 1e-9):.2f} runs/s")

    try:
        yield advance
        bar.update(task, completed=total)
    finally:
        bar.stop()


def _run_planned(
    spec: Path, load, run, executor: str, scheduler: str | None, connect_timeout: float | None = None, **options
):
    """Validate ``spec`` with ``load`` (a bad spec exits 2), then ``run`` it under a progress bar over its runs;
    the lock on ``out`` is taken first, so a second writer is refused before any planning."""
    from orgsim.config import ConfigError
    from orgsim.sweep.runner import plan

    _check_executor(executor, scheduler, connect_timeout)
    with _writing(options["out"], options["resume"]):
        try:
            experiment, base = load(spec)
            total = len(plan(experiment, base, spec))
        except ConfigError as exc:
            fail(str(exc))
        with _run_bar(experiment.name, total) as advance:
            try:
                return run(spec, executor_kind=executor, scheduler=scheduler, progress=advance, **options)
            except ConfigError as exc:
                fail(str(exc))


@contextmanager
def _writing(out: Path, resume: bool):
    """The lock on ``out`` taken before a progress display is drawn, so a refusal is one line (the command's own
    function takes it again, re-entrantly)."""
    from orgsim import lock
    from orgsim.config import ConfigError

    with ExitStack() as stack:
        try:
            stack.enter_context(lock.writing(out, resume))
        except ConfigError as exc:
            fail(str(exc))
        yield


def _warn(lines: list[str]) -> None:
    """Each line as a one-line warning (a world too small to answer, see orgsim.adequacy)."""
    for line in lines:
        err_console.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def _warn_small(store: Path) -> None:
    from orgsim.adequacy import store_warnings
    from orgsim.analysis import StoreError, read_runs

    try:
        _warn(store_warnings(read_runs(store)))
    except StoreError:
        return  # no successful run: the failures are reported on their own


def _report_failed(failed: list[str]) -> None:
    if failed:
        err_console.print(
            f"[bold red]failed runs[/] ({len(failed)}): {', '.join(failed)}"
            f" - see runs.parquet (error column); rerun with --resume"
        )
        raise typer.Exit(1)


@app.command()
def sweep(
    spec: Annotated[Path, typer.Argument(help="Experiment spec: a YAML file or a shipped name (orgsim scenarios)")],
    out: Annotated[Path, typer.Option(help="Results folder")],
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    resume: ResumeOption = False,
    wait_for_workers: Annotated[
        float | None,
        typer.Option(
            help="With --scheduler: stop the sweep (finished runs kept) after this many seconds without a Dask worker",
            min=1,
        ),
    ] = None,
) -> None:
    """Run an experiment: scenarios x design x replications, results streamed to OUT."""
    from orgsim.sweep.runner import run_sweep
    from orgsim.sweep.spec import load_experiment

    if wait_for_workers is not None and not scheduler:
        fail("--wait-for-workers: only with --executor dask --scheduler ADDRESS")
    result = _run_planned(
        spec,
        load_experiment,
        run_sweep,
        executor,
        scheduler,
        connect_timeout,
        out=out,
        workers=workers,
        resume=resume,
        wait_for_workers=wait_for_workers,
    )
    console.print(
        f"{result.ok} runs ok, {len(result.failed)} failed, {result.skipped} already done; "
        f"{result.seconds:.1f} s; results in {out}"
    )
    _warn_small(out)
    _report_failed(result.failed)


@app.command()
def sensitivity(
    spec: Annotated[Path, typer.Argument(help="Sensitivity spec: an experiment spec with a sobol design")],
    out: Annotated[Path, typer.Option(help="Results folder (the sweep store plus the indices)")],
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    resume: ResumeOption = False,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals", min=10)] = 1000,
) -> None:
    """Global sensitivity: run the Sobol design, then first- and total-order indices of each outcome."""
    from orgsim import labels
    from orgsim.analysis import ranking
    from orgsim.sobol import load_sensitivity, run_sensitivity

    result = _run_planned(
        spec,
        load_sensitivity,
        run_sensitivity,
        executor,
        scheduler,
        connect_timeout,
        out=out,
        workers=workers,
        resume=resume,
        resamples=resamples,
    )
    _report_failed(result.failed)
    defined = result.indices.dropna(subset=["parameter"])
    defined = defined[defined["method"] == "metamodel"]
    for (scenario, outcome), part in defined.groupby(["scenario", "outcome"], sort=False):
        named = labels.outcome(outcome, result.scenario)
        table = Table(
            "parameter",
            "S1 [95% CI]",
            "ST [95% CI]",
            title=f"{escape(named.text)} ({outcome}, {scenario}): parameters explain "
            f"{part['explained'].iloc[0]:.0%} of the run-to-run variance; indices are shares of that",
        )
        for _, row in ranking(defined[defined["scenario"] == scenario], outcome).iterrows():
            table.add_row(
                _named(labels.parameter(row["parameter"], result.scenario)),
                f"{row['S1']:.2f} [{row['S1_low']:.2f}, {row['S1_high']:.2f}]",
                f"{row['ST']:.2f} [{row['ST_low']:.2f}, {row['ST_high']:.2f}]",
            )
        console.print(table)
    for _, row in result.indices[result.indices["parameter"].isna()].drop_duplicates("outcome").iterrows():
        console.print(
            f"{escape(labels.outcome(row['outcome'], result.scenario).text)} ({row['outcome']}, "
            f"{row['scenario']}): undefined at {row['points_undefined']} points, or constant; no indices"
        )
    console.print(
        f"{result.runs} runs ({result.seconds['sweep']:.1f} s this session), indices in "
        f"{result.seconds['analysis']:.1f} s; wrote {out / 'sobol_indices.csv'} and {out / 'sobol.png'}"
    )


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="Results folder of `orgsim sweep`")],
    out: Annotated[Path, typer.Option(help="HTML file to write (figures go beside it as PNG)")] = Path("report.html"),
    sensitivity: Annotated[
        Path | None, typer.Option(help="Output folder of `orgsim sensitivity`: adds its section")
    ] = None,
    discovery: Annotated[Path | None, typer.Option(help="Output folder of `orgsim discover`: adds its section")] = None,
    optimize: Annotated[Path | None, typer.Option(help="Output folder of `orgsim optimize`: adds its section")] = None,
    validation: Annotated[
        Path | None,
        typer.Option(help="Markdown of `orgsim validation` (docs/VALIDATION.md): states which facts the model meets"),
    ] = None,
) -> None:
    """Write the retention report of a sweep: one self-contained HTML file plus the figures as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # headless: the report never needs a display
    from orgsim.analysis import StoreError
    from orgsim.labels import LabelError
    from orgsim.report import write_report

    if out.exists() and out.is_dir():
        fail(f"{out}: --out is a directory; give a file name such as {out / 'report.html'}")
    try:
        result = write_report(directory, out, sensitivity, discovery, optimize, validation)
    except StoreError as exc:
        fail(str(exc))
    except LabelError as exc:  # a section folder made by an older model names parameters this one lacks
        fail(
            f"{', '.join(str(p) for p in (sensitivity, discovery, optimize) if p)}: made for another version of "
            f"the model ({exc}); re-run the command that made it"
        )
    console.print(f"wrote {out} and {len(result.figures)} figures beside it in {result.seconds:.1f} s")
    _warn_small(directory)


@app.command()
def discover(
    store: Annotated[Path, typer.Argument(help="Results folder of an exploratory (or design) sweep")],
    outcome: Annotated[str, typer.Option(help="Headline outcome of the runs, e.g. cohort_retention")],
    below: Annotated[float | None, typer.Option(help="Cases of interest: the outcome below this value")] = None,
    above: Annotated[float | None, typer.Option(help="Cases of interest: the outcome above this value")] = None,
    scenario: Annotated[str | None, typer.Option(help="Scenario of the design runs (needed when several)")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for tables and figures (default: STORE/discovery)")] = None,
    min_coverage: Annotated[
        float, typer.Option(help="Chosen box: the densest with at least this coverage", min=0.0, max=1.0)
    ] = 0.6,
    max_dims: Annotated[int, typer.Option(help="Chosen box: restricting at most this many inputs", min=1)] = 3,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for the restrictions' stability", min=1)] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and the feature scores")] = 0,
) -> None:
    """Scenario discovery: the region of the inputs where OUTCOME collapses (PRIM, CART, feature scores)."""
    import matplotlib

    matplotlib.use("Agg")
    from orgsim import labels
    from orgsim.analysis import StoreError
    from orgsim.decision.discovery import Question, condition, write
    from orgsim.decision.discovery import discover as run_discovery

    if (below is None) == (above is None):
        fail("--below/--above: give exactly one threshold")
    question = Question(outcome, below if below is not None else above, below is not None)
    try:
        result = run_discovery(
            store, question, scenario, min_coverage=min_coverage, max_dims=max_dims, resamples=resamples, seed=seed
        )
    except StoreError as exc:
        fail(str(exc))
    out = out or store / "discovery"
    if out.exists() and not out.is_dir():
        fail(f"{out}: --out exists and is not a directory")
    files = write(result, out)
    table = Table("input", "restriction", "role", "quasi-p", "reappears in bootstrap", title=result.sentence)
    for _, row in result.box.iterrows():
        qp = ", ".join(f"{v:.2g}" for v in (row["qp_low"], row["qp_high"]) if v == v)
        table.add_row(
            _named(labels.input_label(row["parameter"])), condition(row), row["role"], qp, f"{row['reappears']:.0%}"
        )
    console.print(table)
    console.print(
        f"{len(result.cases.x)} runs, {int(result.cases.collapsed.sum())} with {question.phrase()}; "
        f"wrote {len(files)} files to {out}"
    )


@app.command()
def optimize(
    spec: Annotated[Path, typer.Argument(help="Optimization spec: an explore block (levers) and an optimize block")],
    out: Annotated[Path, typer.Option(help="Folder for the Optuna study, the front and the re-evaluation")],
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the search in OUT")] = False,
) -> None:
    """Many-objective search over the levers, each policy judged over common uncertainty draws and seeds."""
    import matplotlib

    from orgsim.config import ConfigError

    matplotlib.use("Agg")
    from orgsim import labels
    from orgsim.decision.optimize import load_optimization
    from orgsim.decision.optimize import optimize as run_optimize

    _check_executor(executor, scheduler, connect_timeout)
    try:
        loaded, _ = load_optimization(spec)
    except ConfigError as exc:
        fail(str(exc))
    with _writing(out, resume), _progress("{task.fields[info]}") as bar:
        task = bar.add_task(f"{loaded.name} trials", total=None, info="")

        def progress(number: int, values) -> None:
            text = ", ".join(f"{v:.3g}" for v in values) if values else "failed"
            bar.update(task, advance=1, info=f"trial {number}: {text}")

        try:
            result = run_optimize(
                spec,
                out,
                executor_kind=executor,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                progress=progress,
            )
        except ConfigError as exc:
            fail(str(exc))
    levers, objectives = list(loaded.explore.levers), [o.outcome for o in loaded.optimize.objectives]
    named = [
        *(labels.parameter(n, result.scenario) for n in levers),
        *(labels.outcome(n, result.scenario) for n in objectives),
    ]
    front = Table(
        "trial",
        "pick",
        *map(_named, named),
        title=f"Pareto front: {len(result.front)} of {int((result.trials['state'] == 'COMPLETE').sum())} "
        f"complete trials, {result.evaluations} evaluations",
    )
    for _, row in result.front.iterrows():
        front.add_row(str(int(row["trial"])), row["pick"], *[f"{row[c]:.3g}" for c in [*levers, *objectives]])
    console.print(front)
    table = Table(
        "policy",
        "outcome",
        "mean [95% CI]",
        "minus status quo [95% CI]",
        title=f"re-evaluated on {loaded.optimize.fresh_draws} fresh worlds and seeds",
    )
    for _, r in result.reevaluation.iterrows():
        table.add_row(
            r["policy"],
            _named(labels.outcome(r["outcome"], result.scenario)),
            f"{r['mean']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]",
            f"{r['diff']:+.3g} [{r['diff_low']:+.3g}, {r['diff_high']:+.3g}]",
        )
    console.print(table)
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(
        f"{result.ran} trials run now ({result.recovered} interrupted ones queued again); {timing}; "
        f"wrote {out}/trials.csv, pareto.csv, pareto.png, reevaluation.csv, optimize.md"
    )


@app.command()
def calibrate(
    spec: Annotated[Path, typer.Argument(help="Calibration spec (experiments/calibration.yaml)")],
    out: Annotated[Path, typer.Option(help="Calibration folder (Optuna study, tables, plots)")] = Path(
        "results/calibration"
    ),
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the calibration in OUT")] = False,
    trials: Annotated[
        int | None,
        typer.Option(
            help="Total finished search trials wanted (default: the spec's; the local phase's come on top)", min=1
        ),
    ] = None,
) -> None:
    """Fit scenario parameters to the public facts (Optuna), verify the fit and write the calibrated config."""
    from orgsim import labels
    from orgsim.calibration.fit import CalibrationFailed, fact_cells
    from orgsim.calibration.fit import calibrate as run_calibration
    from orgsim.calibration.targets import load_calibration
    from orgsim.config import ConfigError

    _check_executor(executor, scheduler, connect_timeout)
    try:
        load_calibration(spec)
    except ConfigError as exc:
        fail(str(exc))
    with _writing(out, resume), _progress("{task.fields[info]}") as bar:
        state: dict = {"stage": None, "runs": None}

        def progress(kind: str, **info) -> None:
            if kind == "stage":
                if state["stage"] is not None:
                    bar.update(state["stage"], completed=bar.tasks[state["stage"]].total)
                state["stage"] = bar.add_task(info["name"], total=info["total"], completed=info["done"], info="")
                if state["runs"] is None:
                    state["runs"] = bar.add_task("  runs", total=info["runs"], info="")
                bar.update(state["runs"], total=info["runs"], completed=0, visible=info["runs"] > 1)
            elif kind == "run":
                if info.get("advance"):
                    bar.advance(state["stage"])
                else:
                    task = bar.tasks[state["runs"]]
                    bar.update(state["runs"], completed=(task.completed + 1) if task.completed < task.total else 1)
            elif kind == "trial":
                best = info.get("best")
                loss = info["loss"]
                text = (
                    f"trial {info['number']}: loss {loss:.2f}"
                    if loss != float("inf")
                    else f"trial {info['number']} failed"
                )
                bar.update(state["stage"], advance=1, info=text + (f", best {best:.2f}" if best is not None else ""))
                bar.update(state["runs"], completed=0)

        try:
            result = run_calibration(
                spec,
                out,
                executor_kind=executor,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                trials=trials,
                progress=progress,
            )
        except ConfigError as exc:
            fail(str(exc))
        except CalibrationFailed as exc:
            err_console.print(f"[bold red]calibration failed:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    params = Table("parameter", "fitted", "mean ± sd", "5-95%", title=f"fitted values ({result.method})")
    for r in result.uncertainty.itertuples():
        params.add_row(
            _named(labels.input_label(r.parameter)),
            f"{r.fitted:.4g}",
            f"{r.mean:.4g} ± {r.sd:.2g}",
            f"{r.q05:.4g} to {r.q95:.4g}",
        )
    console.print(params)
    for scale, rows in result.table.groupby("scale", sort=False):
        table = Table(
            "target",
            "fact",
            "tolerance",
            "simulated mean",
            "95% CI",
            "2.5-97.5% of seeds",
            "within",
            title=f"target vs simulated, population.scale {scale}, {int(rows['seeds'].min())} seeds",
        )
        for r in rows.itertuples():
            pct = bool(r.percent)
            fmt = (lambda v: f"{100 * v:.1f}%") if pct else (lambda v: f"{v:,.0f}")
            table.add_row(
                r.label,
                *fact_cells(r),
                fmt(r.mean),
                f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
                f"[{fmt(r.seed_p025)}, {fmt(r.seed_p975)}]",
                "[green]yes" if r.within else "[red]no",
            )
        console.print(table)
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(
        f"{result.trials_done} trials finished ({result.trials_run} run now"
        f"{f', {len(result.requeued)} re-queued after an interruption' if result.requeued else ''}); {timing}"
    )
    console.print(
        f"wrote {out}/fit.json, fit_table.md, trials.csv, loss.png" + (f" and {result.config}" if result.config else "")
    )
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if not result.table["within"].all():
        err_console.print("[yellow]warning:[/] some targets are outside their tolerance (see the table)")


@app.command()
def validation(
    spec: Annotated[Path, typer.Argument(help="Validation spec (experiments/validation.yaml)")],
    out: Annotated[Path, typer.Option(help="Results folder (the runs, then the table)")] = Path("results/validation"),
    executor: ExecutorOption = "process",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    resume: ResumeOption = False,
    doc: Annotated[Path | None, typer.Option(help="Also write the Markdown page here (docs/VALIDATION.md)")] = None,
) -> None:
    """Check the model on facts the calibration never sees: run them, then print and write the pass/fail table."""
    from orgsim.config import ConfigError
    from orgsim.files import atomic_write
    from orgsim.validation import cells, check_out, doc_page, load_validation, planned_runs, run_validation

    _check_executor(executor, scheduler, connect_timeout)
    try:
        loaded, base, _ = load_validation(spec)
        total = planned_runs(loaded, base, spec)
        check_out(out, resume)
    except ConfigError as exc:
        fail(str(exc))
    with _run_bar(loaded.name, total) as advance:
        try:
            result = run_validation(
                spec, out, executor_kind=executor, workers=workers, scheduler=scheduler, resume=resume, progress=advance
            )
        except ConfigError as exc:
            fail(str(exc))
    table = Table(
        "fact",
        "measured on",
        "target",
        "tolerance",
        "simulated mean",
        "95% CI",
        "runs",
        "result",
        title=f"{loaded.name}: {result.passed} of {len(result.table)} facts pass",
    )
    for row in result.table.itertuples():
        c = cells(row)
        table.add_row(
            row.label,
            row.measured_on,
            c["target"],
            c["tolerance"],
            c["mean"],
            c["ci"],
            str(row.runs),
            "[green]pass" if row.passed else "[bold red]FAIL",
        )
    console.print(table)
    if doc is not None:
        page = doc_page(result, spec)
        atomic_write(doc, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    console.print(
        f"{result.simulated} of {result.runs} runs and March cells simulated now; {result.seconds:.1f} s; "
        f"wrote {out}/validation.csv, validation.md, validation.json" + (f" and {doc}" if doc else "")
    )
    _report_failed(result.failed)


@app.command()
def march(
    p1: Annotated[str, typer.Option(help="Socialization rates, comma-separated")] = "0.1,0.5,0.9",
    p2: Annotated[str, typer.Option(help="Code-learning rates, comma-separated")] = "0.1,0.5,0.9",
    p3: Annotated[str, typer.Option(help="Turnover rates (time paths when > 0)")] = "0",
    p4: Annotated[str, typer.Option(help="Turbulence rates (time paths when > 0)")] = "0",
    periods: Annotated[int | None, typer.Option(help="Periods per run when p3 or p4 > 0", min=1)] = None,
    runs: Annotated[int, typer.Option(help="Runs per cell", min=2)] = 80,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV: p1,p2,p3,p4,runs,mean,ci_low,ci_high")] = False,
) -> None:
    """March (1991) validation mode on orgsim's own M10 code."""
    from orgsim import march as march_model

    grids = [_floats(v, name) for v, name in ((p1, "--p1"), (p2, "--p2"), (p3, "--p3"), (p4, "--p4"))]
    started = time.perf_counter()
    results = march_model.simulate_grid(*grids, runs=runs, periods=periods, seed=seed)
    table = march_model.table_frame(results)
    if csv:
        sys.stdout.write(table.to_csv(index=False, float_format="%.4f"))
        return
    console.print(march_model.render_table(table))
    if any(v > 0 for v in grids[2] + grids[3]):
        console.print(march_model.render_paths(march_model.paths_frame(results)))
    console.print(f"{len(results)} cells x {runs} runs in {time.perf_counter() - started:.1f} s")


@app.command()
def bench(
    config: Annotated[Path, typer.Argument(help=SCENARIO_HELP)] = Path("baseline"),
    repeats: Annotated[int, typer.Option(help="Repeats per size", min=1)] = 3,
    researchers: Annotated[str, typer.Option(help="World sizes to time: 'full' or researcher counts")] = "full,10000",
    weeks: Annotated[int | None, typer.Option(help="Weeks per run (default: full horizon)", min=1)] = None,
    boltzmann_steps: Annotated[int, typer.Option(help="Steps per timed Boltzmann run", min=1)] = 20,
    memory: Annotated[
        bool, typer.Option(help="Also trace one more run's peak memory (tracemalloc) and give it per researcher")
    ] = False,
) -> None:
    """Median wall time of whole runs at several world sizes, against Mesa's Boltzmann wealth example."""
    from orgsim.bench import boltzmann_rate, orgsim_times, peak_bytes

    base = _load(config)
    full = sum(team.headcount for lab in base.labs.values() for team in lab.teams.values()) * base.population.scale
    table = Table(
        "researchers",
        "weeks",
        "median s",
        "min s",
        "max s",
        "researcher-weeks/s",
        "Boltzmann agent-steps/s",
        "ratio",
        *(["peak bytes/researcher"] if memory else []),
        title=f"orgsim bench {config} (Boltzmann: Mesa's example, same agent count, {boltzmann_steps} steps)",
    )
    for size in researchers.split(","):
        scale = base.population.scale if size.strip() == "full" else base.population.scale * float(size) / full
        scenario = _load(config, [f"population.scale={scale!r}"])
        n_weeks = weeks or scenario.weeks
        n = round(full * scale / base.population.scale)
        # progress as plain lines on stderr: a spinner's thread would share the interpreter with the timed runs
        err_console.print(
            f"{n:,} researchers: timing whole runs ({repeats}), then Mesa's Boltzmann example", highlight=False
        )
        times = orgsim_times(scenario, n_weeks, repeats)
        med = statistics.median(times)
        rate, anchor = n * n_weeks / med, boltzmann_rate(n, boltzmann_steps, repeats)
        peak = None
        if memory:
            err_console.print(f"{n:,} researchers: tracing one more run's memory", highlight=False)
            peak = peak_bytes(scenario, n_weeks) / n
        table.add_row(
            f"{n:,}",
            str(n_weeks),
            f"{med:.2f}",
            f"{min(times):.2f}",
            f"{max(times):.2f}",
            f"{rate:,.0f}",
            f"{anchor:,.0f}",
            f"{rate / anchor:.2f}",
            *([f"{peak:,.0f}"] if peak is not None else []),
        )
    console.print(table)


@app.command()
def dashboard(
    config: Annotated[
        Path, typer.Argument(help="Scenario to start with (file or shipped name); the configs beside it can be picked")
    ] = Path("avocado_failure"),
    host: Annotated[str, typer.Option(help="Interface to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8765,
) -> None:
    """Serve the live dashboard (Mesa SolaraViz): step, move the levers, inspect researchers, send to a sweep."""
    from orgsim import catalog
    from orgsim.extras import MissingExtra, require

    _load(config)
    config = catalog.scenario_path(config)  # a shipped name: the dashboard picks among the files beside it
    try:
        require("solara", "orgsim dashboard")
    except MissingExtra as exc:
        fail(str(exc))
    from orgsim.dashboard import serve

    if host not in serve.LOOPBACK:
        err_console.print(
            f"[bold yellow]warning:[/] --host {host} exposes the model, its controls and spec writing "
            "to the network; the default is 127.0.0.1",
            highlight=False,
        )
    console.print(f"orgsim dashboard: http://{host}:{port}/ (scenario {config}; Ctrl-C stops it)", highlight=False)
    sys.stdout.flush()
    serve.exec_server(config, host, port)
