"""Reference digests: hashes of the outputs of a few seeded runs, so a refactor or a speed-up can prove it
changed no byte.

Each case is a scenario, a seed and overrides chosen to reach every mechanism (CEO levers, layoffs, blitzes,
counteroffers, switched-off mechanisms, the full-scale world). Its digest is one SHA-256 per output: the weekly
metrics, the event log, the CEOs' decisions, the releases and dated events, and the headline.

Regenerate after a change that alters outputs on purpose (and say which digests changed, and why, in its
commit): ``make digests``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "digests.json"
ROOT = HERE.parent.parent

#: name -> (scenario, seed, population scale, weeks or None for the horizon, overrides)
CASES: dict[str, tuple[str, int, float, int | None, dict]] = {
    "baseline-s1": ("baseline", 1, 0.1, None, {}),
    "calibrated-s2": ("calibrated", 2, 0.1, None, {}),
    "history_2026-s3": ("history_2026", 3, 0.1, None, {}),
    "avocado_success-s4": ("avocado_success", 4, 0.1, None, {}),
    "avocado_failure-levers-s2": ("avocado_failure", 2, 0.1, None, {"mechanisms.executives.threshold": 0.3}),
    "avocado_delayed-switches-s5": (
        "avocado_delayed",
        5,
        0.1,
        None,
        {
            "mechanisms.vesting.enabled": False,
            "mechanisms.mission.enabled": False,
            "mechanisms.counteroffers.enabled": False,
            "mechanisms.learning.enabled": False,
        },
    ),
    "calibrated-full-s1": ("calibrated", 1, 1.0, 20, {}),
}


def _frame_digest(frame: pd.DataFrame) -> str:
    """Every column's name, dtype and raw bytes (categoricals: their categories and codes)."""
    h = hashlib.sha256()
    for name in frame.columns:
        column = frame[name]
        h.update(f"{name}:{column.dtype}".encode())
        if isinstance(column.dtype, pd.CategoricalDtype):
            h.update(json.dumps([str(c) for c in column.cat.categories]).encode())
            h.update(np.ascontiguousarray(column.cat.codes.to_numpy()).tobytes())
        else:
            h.update(np.ascontiguousarray(column.to_numpy()).tobytes())
    return h.hexdigest()


def _json_digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()


def run_case(name: str):
    """The model of one case, run to its end."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import run_model

    scenario, seed, scale, weeks, overrides = CASES[name]
    return run_model(scenario, seed=seed, weeks=weeks, scale=scale, **overrides)


def digest(name: str) -> dict[str, str]:
    """The digests of one case's outputs."""
    model = run_case(name)
    metrics, events = model.metrics_frame(), model.events_frame()
    headline = {k: repr(v) for k, v in model.headline(metrics, events).as_dict().items()}
    return {
        "metrics": _frame_digest(metrics),
        "events": _frame_digest(events),
        "decisions": _json_digest(model.decisions),
        "releases": _json_digest([model.release_log, model.slip_log, model.fired]),
        "headline": _json_digest(headline),
    }


def stored() -> dict[str, dict[str, str]]:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {DIGESTS.name} (else: compare and report)")
    args = parser.parse_args()
    old = stored() if DIGESTS.exists() else {}
    new = {name: digest(name) for name in CASES}
    for name, parts in new.items():
        changed = [part for part, value in parts.items() if old.get(name, {}).get(part) != value]
        print(f"{name}: {'changed ' + ', '.join(changed) if changed else 'same'}")
    if args.write:
        DIGESTS.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {DIGESTS.relative_to(ROOT)}")
    elif new != old:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
