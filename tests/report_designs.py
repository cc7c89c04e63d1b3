"""Stores of designs other than the demo's, for the report tests (made once per test session, small and short).

``one-lever grid``: the issue's 2-point grid over the reorg share on the
failure scenario, 3 replications. ``LHS over three parameters``: 6 samples, 2
replications, 60 weeks (the retention window runs past them). ``single run``:
one scenario, one replication. ``13 weeks``: two scenarios and a grid,
stopped before the release. ``every run failed``: runs made to raise.
"""

from __future__ import annotations

import os
from pathlib import Path

from orgsim.sweep import run_sweep
from orgsim.sweep.runner import FAIL_ENV

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
FAILURE, SUCCESS = CONFIGS / "avocado_failure.yaml", CONFIGS / "avocado_success.yaml"

DESIGNS = {
    "one-lever grid": f"""
scenarios: [{FAILURE}]
design: {{kind: grid, parameters: {{mechanisms.reorgs.reassign_share: [0.1, 0.6]}}}}
replications: 3
weeks: 100
""",
    "LHS over three parameters": f"""
scenarios: [{FAILURE}]
design:
  kind: lhs
  samples: 6
  parameters:
    mechanisms.reorgs.reassign_share: {{low: 0.1, high: 0.6}}
    labs.meta.hiring.counter_match: {{low: 1.0, high: 1.5}}
    labs.meta.executives.meta_ceo.patience: {{low: 0.2, high: 0.8}}
replications: 2
weeks: 60
""",
    "single run": f"""
scenarios: [{FAILURE}]
replications: 1
weeks: 100
""",
    "13 weeks": f"""
scenarios: [{SUCCESS}, {FAILURE}]
design: {{kind: grid, parameters: {{labs.meta.hiring.counter_match: [1.0, 1.5]}}, scenarios: [{FAILURE}]}}
replications: 2
weeks: 13
""",
    "every run failed": f"""
scenarios: [{FAILURE}]
replications: 2
weeks: 13
""",
}


def design_store(root: Path, design: str) -> Path:
    """The store of ``design`` under ``root`` (made on first use)."""
    out = root / "designs" / design.replace(" ", "_")
    if (out / "runs.parquet").is_file():
        return out
    spec = root / "designs" / f"{design.replace(' ', '_')}.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(f"name: {design.replace(' ', '_')}\nseed: 19\nset: [population.scale=0.05]\n"
                    + DESIGNS[design], encoding="utf-8")
    failing = design == "every run failed"
    if failing:
        os.environ[FAIL_ENV] = "*"
    try:
        result = run_sweep(spec, out, executor_kind="serial")
    finally:
        os.environ.pop(FAIL_ENV, None)
    assert len(result.failed) == (result.planned if failing else 0), result.failed
    return out
