"""Peak memory of a sweep stays flat as runs accumulate: results stream to disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
# one sweep of 1,000 runs in a fresh process; peak RSS sampled as runs finish
PROBE = """
import json, resource, sys
from orgsim.sweep import run_sweep
peaks, done = {}, [0]
def sample(record):
    done[0] += 1
    if done[0] % 100 == 0:
        peaks[done[0]] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = run_sweep(sys.argv[1], sys.argv[2], executor_kind="serial", progress=sample)
assert result.all_ok, result.failed
print(json.dumps(peaks))
"""


@pytest.mark.slow
def test_peak_memory_flat_from_100_to_1000_runs(tmp_path: Path) -> None:
    """Serial executor (everything in one process), 1,000 runs of 8 weeks at scale 0.02.

    The first ~200 runs warm up (imports, allocator, Arrow pools); after that
    the peak must not grow: tolerance 5% between 200 and 1,000 runs.
    """
    spec = tmp_path / "mem.yaml"
    spec.write_text(f"name: mem\nscenarios: [{CONFIGS / 'avocado_failure.yaml'}]\nreplications: 1000\n"
                    "weeks: 8\nset: [population.scale=0.02]\nbatch_size: 4\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PROBE, str(spec), str(tmp_path / "out")],
                         capture_output=True, text=True, check=True)
    peaks = {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    print("peak RSS (MB) by runs done:", {k: round(v) for k, v in sorted(peaks.items())})
    assert peaks[1000] <= 1.05 * peaks[200], f"peak RSS grew from {peaks[200]:.0f} MB (200) to {peaks[1000]:.0f} MB"
