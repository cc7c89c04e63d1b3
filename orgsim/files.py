"""Writing a run to disk: metrics.parquet, events.parquet, manifest.json.

Every file is written to a temporary name and renamed into place, so an
interrupted run never leaves a half-written file where a good one stood.
Parquet bytes depend only on the data (no timestamps inside), so the same
config and seed give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

PACKAGES = ("orgsim", "mesa", "numpy", "pandas", "pyarrow", "pydantic")


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_pngs(directory: Path, names) -> dict[str, bytes]:
    """The figures ``names`` that ``directory`` holds as ``<name>.png`` (a written output read back for a report)."""
    return {name: (directory / f"{name}.png").read_bytes() for name in names if (directory / f"{name}.png").is_file()}


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file or folder, read on one thread: Arrow's reader threads could outlive a short command and
    abort it at exit ("terminate called without an active exception", seen once in CI); the files are small."""
    return pd.read_parquet(path, columns=columns, engine="pyarrow", use_threads=False)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd"))


def write_json(data: dict, path: Path) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=5, cwd=Path(__file__).resolve().parent
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_revision() -> str | None:
    """HEAD, with ``-dirty`` when the package's tree has uncommitted changes (the revision alone cannot reproduce it)."""
    head = _git("rev-parse", "HEAD")
    if not head:
        return None
    return f"{head}-dirty" if _git("status", "--porcelain", "--untracked-files=no", "--", ".") else head


def manifest(
    scenario: Any,
    *,
    seed: int,
    run_id: str,
    weeks: int,
    started: dt.datetime,
    finished: dt.datetime,
    source: str | None,
    overrides: list[str],
    headline: dict,
) -> dict:
    return {
        "run_id": run_id,
        "scenario": scenario.name,
        "source": source,
        "overrides": overrides,
        "seed": seed,
        "weeks": weeks,
        "config": scenario.model_dump(mode="json"),
        "versions": versions(),
        "git_revision": git_revision(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "headline": headline,
    }
