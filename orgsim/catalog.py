"""The scenarios and experiments shipped with orgsim, addressed by name from any folder.

The repository's ``configs/`` and ``experiments/`` are the package data: a
wheel carries them as ``orgsim/shipped/`` (``setup.py`` maps them there, so
they never move in the repository) and a checkout reads them in place. A
reference that is an existing file always wins; only a bare name
(``avocado_failure`` or ``avocado_failure.yaml``, no folder) falls back to
the shipped file, so a mistyped path is still reported as not found.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from orgsim import yamlfile

#: the folder holding the shipped ``configs/`` and ``experiments/``
ROOT = next(
    p
    for p in (Path(__file__).resolve().parent / "shipped", Path(__file__).resolve().parent.parent)
    if (p / "configs").is_dir()
)
SCENARIOS, EXPERIMENTS = ROOT / "configs", ROOT / "experiments"


def _find(ref: str | Path, base: Path, folder: Path) -> Path:
    given = Path(base) / ref
    if yamlfile.file_problem(given) is None or Path(ref).parent != Path("."):  # no OSError for a name too long
        return given
    name = Path(ref).name
    shipped = folder / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    return shipped if yamlfile.file_problem(shipped) is None else given


def scenario_path(ref: str | Path, base: str | Path = ".") -> Path:
    """The scenario file ``ref`` means: ``base / ref`` when it exists, else the shipped scenario of that name.

    An unknown name comes back as ``base / ref``, so the caller's "not found" names what was asked for.
    """
    return _find(ref, Path(base), SCENARIOS)


def experiment_path(ref: str | Path, base: str | Path = ".") -> Path:
    """The experiment (or calibration, validation, optimization) spec ``ref`` means, like :func:`scenario_path`."""
    return _find(ref, Path(base), EXPERIMENTS)


@dataclass(frozen=True)
class Entry:
    """One shipped file: what it is, the name that runs it and its one-line title."""

    kind: str  # "scenario" or "experiment"
    name: str
    title: str
    path: Path


def _title(data: dict, text: str) -> str:
    """A scenario's ``title``; an experiment's description (else its leading comment), first sentence,
    cut at a word to fit one line of a listing."""
    comment = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    words = str(data.get("title") or data.get("description") or comment).split(". ")[0].removesuffix(".").split()
    line = ""
    for word in words:
        if len(line) + len(word) > 90:
            return line + " ..."
        line = f"{line} {word}".strip()
    return line


def entries() -> list[Entry]:
    """The shipped scenarios (files with a ``title``; parents such as ``world_2025`` are not run on their
    own) and the experiment specs, in name order."""
    found = []
    for kind, folder in (("scenario", SCENARIOS), ("experiment", EXPERIMENTS)):
        for path in sorted(folder.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text) or {}
            if kind == "experiment" or data.get("title"):
                found.append(Entry(kind, path.stem, _title(data, text), path))
    return found


def copy_to(target: Path) -> list[Path]:
    """Copy the shipped ``configs/`` and ``experiments/`` into ``target`` as an editable set.

    The experiments keep their relative paths (``../configs/...``), so they
    run on the copies. Refuses (FileExistsError) to overwrite a folder.
    """
    written = []
    for folder in (SCENARIOS, EXPERIMENTS):
        dest = target / folder.name
        if dest.exists():
            raise FileExistsError(f"{dest}: already exists; choose an empty folder")
    for folder in (SCENARIOS, EXPERIMENTS):
        written.append(
            Path(
                shutil.copytree(
                    folder, target / folder.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
                )
            )
        )
    return written
