"""Peak memory of a sweep stays flat as runs accumulate: results stream to disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PROBE = """
import resource, sys
from orgsim.sweep import run_sweep
result = run_sweep(sys.argv[1], sys.argv[2], executor_kind="serial")
assert result.all_ok, result.failed
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb(tmp_path: Path, runs: int) -> float:
    spec = tmp_path / f"mem{runs}.yaml"
    spec.write_text(f"name: mem{runs}\nscenarios: [{CONFIGS / 'avocado_failure.yaml'}]\nreplications: {runs}\n"
                    "weeks: 8\nset: [population.scale=0.02]\nbatch_size: 4\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PROBE, str(spec), str(tmp_path / f"out{runs}")],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


@pytest.mark.slow
def test_peak_memory_flat_from_100_to_1000_runs(tmp_path: Path) -> None:
    """Serial executor (everything in one process), 8-week runs at scale 0.02.

    Tolerance: the 1,000-run peak may exceed the 100-run peak by at most 15%.
    """
    small, large = peak_rss_mb(tmp_path, 100), peak_rss_mb(tmp_path, 1000)
    print(f"peak RSS: 100 runs {small:.0f} MB, 1000 runs {large:.0f} MB")
    assert large <= 1.15 * small, f"peak RSS grew from {small:.0f} MB (100 runs) to {large:.0f} MB (1000 runs)"
