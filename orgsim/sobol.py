"""``orgsim sensitivity``: a Sobol sweep, then first- and total-order indices of the Avocado outcomes.

A sensitivity spec is an experiment spec whose design is ``kind: sobol``
over parameter ranges. The sweep runs (and resumes) like any other, into
``OUT``; then, for each design scenario and each outcome the spec lists,
first- (S1) and total-order (ST) indices with bootstrap intervals. Written
beside the store::

    sobol_indices.csv   method, scenario, outcome, parameter, label, S1 [low, high], ST [low, high]
    sobol_indices.md    the same as tables, parameters ranked by ST, by label with the path beside it
    sobol.png           S1 and ST of the metamodel with intervals, one panel per outcome
    sensitivity.json    N, D, runs, resamples, confidence level, git revision, and per session the
                        runs simulated and the seconds taken (a resumed analysis appends a session)

Two estimates (see :mod:`orgsim.analysis.sensitivity`): ``metamodel``, the
indices of a polynomial fitted to the mean response (robust to seed noise,
the one to read), and ``direct``, SALib's estimator on the single runs.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orgsim import catalog, labels, lock, tables
from orgsim.analysis import metamodel_indices, read_runs, sobol_indices
from orgsim.config import ConfigError, load_scenario
from orgsim.files import atomic_write, git_revision, write_json
from orgsim.schema import Scenario
from orgsim.sweep.runner import ExecutorKind, run_sweep
from orgsim.sweep.spec import Experiment, load_experiment


@dataclass
class SensitivityResult:
    out: Path
    runs: int
    failed: list[str]
    indices: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: dict[str, float] = field(default_factory=dict)
    ran: int = 0  # runs simulated in this session (the rest were already in the store)
    scenario: Scenario | None = None  # the first design scenario: names the parameters (orgsim.labels)


def load_sensitivity(spec_path: Path) -> tuple[Experiment, Path]:
    spec, base = load_experiment(spec_path)
    if spec.design.kind != "sobol":
        raise ConfigError(spec_path, "design.kind", f"is {spec.design.kind!r}; a sensitivity analysis needs 'sobol'")
    return spec, base


def design_scenarios(spec: Experiment, base: Path) -> list[Scenario]:
    """The scenarios the Sobol design runs on (with the spec's overrides)."""
    files = spec.design.scenarios or spec.scenarios
    return [load_scenario(catalog.scenario_path(f, base), spec.set) for f in files]


@lock.writes
def run_sensitivity(
    spec_path: str | Path,
    out: str | Path,
    *,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    resamples: int = 1000,
    conf_level: float = 0.95,
    progress=None,
) -> SensitivityResult:
    """Run (or resume) the Sobol sweep of ``spec_path`` into ``out`` and write its indices.

    With failed runs the indices are not computed (every point is needed):
    the result lists them and ``--resume`` reruns only those.
    """
    spec_path, out = Path(spec_path), Path(out)
    spec, base = load_sensitivity(spec_path)
    sweep = run_sweep(
        spec_path,
        out,
        executor_kind=executor_kind,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        progress=progress,
    )
    scenarios = design_scenarios(spec, base)
    result = SensitivityResult(
        out,
        sweep.planned,
        sweep.failed,
        seconds={"sweep": round(sweep.seconds, 1)},
        ran=sweep.planned - sweep.skipped,
        scenario=scenarios[0],
    )
    if sweep.failed:
        return result
    started = time.perf_counter()
    runs = read_runs(out)
    outcomes = [o for o in spec.outcomes if o != "release_week"]
    indices = pd.concat(
        [
            estimate(
                runs, spec.design, scenario.name, outcomes, resamples=resamples, conf_level=conf_level, seed=spec.seed
            )
            for scenario in scenarios
            for estimate in (metamodel_indices, sobol_indices)
        ],
        ignore_index=True,
    )
    result.indices = labels.labelled(indices, "parameter", result.scenario)
    result.seconds["analysis"] = round(time.perf_counter() - started, 1)
    write_outputs(result, spec, resamples, conf_level)
    return result


def write_outputs(result: SensitivityResult, spec: Experiment, resamples: int, conf_level: float) -> None:
    from orgsim.report.figures import sobol_figure

    out, indices = result.out, result.indices
    atomic_write(out / "sobol_indices.csv", lambda tmp: indices.to_csv(tmp, index=False))
    atomic_write(
        out / "sobol_indices.md", lambda tmp: tmp.write_text(markdown(indices, result.scenario), encoding="utf-8")
    )
    figure = sobol_figure(indices[indices["method"] == "metamodel"].dropna(subset=["parameter"]))
    atomic_write(out / "sobol.png", lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    meta_path = out / "sensitivity.json"
    previous = json.loads(meta_path.read_text(encoding="utf-8")).get("sessions", []) if meta_path.is_file() else []
    session = {
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs_simulated": result.ran,
        **{f"{k}_seconds": v for k, v in result.seconds.items()},
    }
    write_json(
        {
            "experiment": spec.name,
            "base_samples": spec.design.samples,
            "parameters": len(spec.design.parameters),
            "points": spec.design.samples * (len(spec.design.parameters) + 2),
            "replications_per_point": spec.design.replications or spec.replications,
            "runs": result.runs,
            "resamples": resamples,
            "conf_level": conf_level,
            "sessions": [*previous, session],
            "git_revision": git_revision(),
        },
        meta_path,
    )


def markdown(indices: pd.DataFrame, scenario: Scenario | None = None) -> str:
    """One table per method, scenario and outcome, parameters ranked by total-order index.

    Outcomes and parameters are named by their labels (from ``scenario``,
    the design's, when given); each parameter's path stays beside it.
    """
    parts = []
    for (method, name, outcome), group in indices.groupby(["method", "scenario", "outcome"], sort=False):
        undefined = int(group["points_undefined"].max())
        parts.append(f"### {labels.outcome(outcome, scenario).text} ({name}), {METHODS[method]}\n")
        if group["parameter"].isna().all():
            parts.append(f"Not computed: the outcome is undefined at {undefined} design points, or constant.\n")
            continue
        if method == "metamodel":
            first = group.iloc[0]
            parts.append(
                f"Degree-{int(first['metamodel_degree'])} polynomial; the parameters explain "
                f"{first['explained']:.0%} of the run-to-run variance (cross-validated R²), the rest is "
                "seed noise. Indices are shares of the explained part.\n"
            )
        parts.append(f"Outcome `{outcome}`, in {labels.outcome(outcome, scenario).unit}.\n")
        parts.append("\n".join(tables.head(["rank", "parameter", "path", "S1 [95% CI]", "ST [95% CI]"])))
        for i, row in group.sort_values("ST", ascending=False).reset_index(drop=True).iterrows():
            label = labels.parameter(row["parameter"], scenario)
            estimates = [
                f"{tables.number(row[index], 'num')} [{tables.number(row[f'{index}_low'], 'num')}, "
                f"{tables.number(row[f'{index}_high'], 'num')}]"
                for index in ("S1", "ST")
            ]
            parts.append(tables.row([str(i + 1), str(label), f"`{row['parameter']}`", *estimates]))
        parts.append("")
    return "\n".join(parts) + "\n"


METHODS = {
    "metamodel": "metamodel of the mean response (polynomial chaos)",
    "direct": "direct estimate on single runs (seed noise included)",
}
