"""The built wheel, installed with the core dependencies only into a fresh environment, used from an empty folder.

Slow (it downloads the core dependencies unless pip's cache has them): ``make test-slow``.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: none of these may come with the core install
EXTRAS = {"dask", "distributed", "optuna", "ema-workbench", "statsmodels", "salib", "scikit-learn", "solara"}


def _run(command: list, cwd: Path, expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == expect, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_the_core_wheel_runs_shipped_scenarios_from_anywhere(tmp_path):
    dist, env, work = tmp_path / "dist", tmp_path / "env", tmp_path / "empty"
    work.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", ROOT, "-w", dist], tmp_path)
    venv.create(env, with_pip=True)
    python, orgsim = env / "bin" / "python", env / "bin" / "orgsim"
    _run([python, "-m", "pip", "install", "--quiet", *dist.glob("orgsim-*.whl")], tmp_path)
    installed = {line.split("==")[0].lower() for line in _run([python, "-m", "pip", "freeze"], work).stdout.split()}
    assert not installed & EXTRAS
    assert installed >= {"mesa", "pandas", "pyarrow", "seaborn", "jinja2"}

    assert _run([orgsim, "--version"], work).stdout.startswith("orgsim ")
    listing = _run([orgsim, "scenarios"], work).stdout
    assert "avocado_failure" in listing and "Avocado fails" in listing
    ran = _run([orgsim, "run", "avocado_failure", "--seed", "1", "--weeks", "20", "--out", "x"], work)
    assert "wrote x/metrics.parquet" in ran.stdout
    assert {p.name for p in (work / "x").iterdir()} == {"metrics.parquet", "events.parquet", "manifest.json"}
    _run([orgsim, "init", "mine"], work)
    assert "ok mine/configs/baseline.yaml" in _run([orgsim, "validate", "mine/configs/baseline.yaml"], work).stdout
    missing = _run([orgsim, "sweep", "smoke", "--out", "s", "--executor", "dask"], work, expect=2)
    assert missing.stderr.strip() == ("error: --executor dask needs the 'dask' extra (distributed is not installed): "
                                      "pip install 'orgsim[dask]'")
