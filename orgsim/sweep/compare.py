"""``orgsim compare``: a preset sweep of a few scenarios over common seeds, no design.

It writes the experiment spec into the results folder and runs it like any
sweep, so a comparison is resumable, stored and reportable the same way.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orgsim import lock
from orgsim.config import ConfigError
from orgsim.files import atomic_write
from orgsim.sweep.runner import ExecutorKind, SweepResult, run_sweep
from orgsim.sweep.store import Store

#: the spec's name, and the file it is written to inside the results folder
NAME, SPEC_FILE = "compare", "experiment.yaml"


@lock.writes
def write_spec(
    configs: list[Path],
    out: Path,
    replications: int,
    overrides: list[str] | None = None,
    weeks: int | None = None,
    resume: bool = False,
) -> Path:
    """The comparison as an experiment spec in ``out``: the scenarios as given, ``replications`` common seeds."""
    missing = [str(c) for c in configs if not Path(c).is_file()]
    if missing:
        raise ConfigError(missing[0], "", "file not found")
    spec = {
        "name": NAME,
        "scenarios": [str(Path(c).resolve()) for c in configs],
        "replications": replications,
        "seed": 1,
        "set": list(overrides or []),
        "outputs": {"metrics": True, "events": False},
    }
    if weeks is not None:
        spec["weeks"] = weeks
    path, text = out / SPEC_FILE, yaml.safe_dump(spec, sort_keys=False)
    if Store(out).has_results():
        if not resume:
            raise ConfigError(out, "--out", "already holds a sweep; use --resume to continue it, or another folder")
        if path.is_file() and path.read_text(encoding="utf-8") != text:
            raise ConfigError(
                out, "--out", f"holds a comparison of other scenarios or settings ({path}); cannot resume it with these"
            )
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


@lock.writes
def compare(
    configs: list[Path],
    out: Path,
    replications: int,
    overrides: list[str] | None = None,
    *,
    weeks: int | None = None,
    executor_kind: ExecutorKind = "process",
    workers: int | None = None,
    resume: bool = False,
    progress=None,
) -> SweepResult:
    """Run the scenarios with the same seeds into ``out`` (a sweep store); see ``analysis.headline_table``."""
    spec = write_spec(configs, Path(out), replications, overrides, weeks, resume)
    return run_sweep(spec, out, executor_kind=executor_kind, workers=workers, resume=resume, progress=progress)
