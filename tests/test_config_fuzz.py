"""A seeded fuzz of the input boundary: every mutated config is refused cleanly, or it builds and runs.

Each mutant is the resolved baseline (at a small population scale) with one
to three changes: a wrong type, NaN or infinity, a huge, negative or zero
number, a missing key or a misspelt one. ``scenario_from_dict`` must either
refuse it with a :class:`ConfigError` or return a scenario that builds and
runs six weeks; anything else (an exception, or a run over its time limit)
is a crash, and there must be none.
"""

from __future__ import annotations

import copy
import signal
import traceback
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from orgsim.config import ConfigError, load_scenario, scenario_from_dict
from orgsim.model import OrgModel

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.yaml"
#: one bad value each; numbers that are huge, tiny, negative or not finite, and values of the wrong type
VALUES = (float("nan"), float("inf"), float("-inf"), 1e300, -1e300, 1e18, 2**63, 10**12, -1, -1e9, -0.5, 0, 0.0,
          1e-300, "x", "", [1, 2], {"a": 1}, True, None, "2025-13-01", 3)
SECONDS = 20  # a mutant that runs longer than this counts as a crash (a hang)


class Hang(Exception):
    pass


def _leaves(node, path=()):
    """Every path into a nested mapping/list, inner nodes included."""
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _leaves(value, (*path, key))


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parent(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


def mutate(base: dict, rng: np.random.Generator) -> tuple[dict, list[str]]:
    """A copy of ``base`` with one to three random changes, and what they were."""
    data = copy.deepcopy(base)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        paths = [p for p in _leaves(data) if p]
        numbers = [p for p in paths if _is_number(_parent(data, p)[p[-1]])]
        pool = numbers if numbers and rng.random() < 0.5 else paths  # half the changes hit a number
        path = pool[int(rng.integers(len(pool)))]
        parent, key = _parent(data, path), path[-1]
        how = rng.random()
        if how < 0.12 and isinstance(parent, dict):
            del parent[key]
            done.append(f"drop {'.'.join(map(str, path))}")
        elif how < 0.22 and isinstance(parent, dict) and isinstance(key, str) and key:
            i = int(rng.integers(len(key)))
            typo = key[:i] + key[i + 1:] + "x" if rng.random() < 0.5 else key + "s"
            parent[typo] = parent.pop(key)
            done.append(f"rename {'.'.join(map(str, path))} -> {typo}")
        else:
            value = copy.deepcopy(VALUES[int(rng.integers(len(VALUES)))])
            if _is_number(parent[key]) and rng.random() < 0.4:
                value = parent[key] * float(rng.choice([-1.0, 1e3, 1e9, 1e-9]))
            parent[key] = value
            done.append(f"set {'.'.join(map(str, path))} = {value!r}")
    return data, done


def _alarm(signum, frame):
    raise Hang(f"ran over {SECONDS} s")


def fuzz(mutants: int, seed: int = 2026, scale: float = 0.02, weeks: int = 6) -> tuple[Counter, list[str]]:
    """Counts of ``refused`` / ``ran`` / ``crashed`` mutants, and a description of each crash."""
    base = load_scenario(BASELINE, [f"population.scale={scale}"]).model_dump(mode="json")
    rng = np.random.default_rng(seed)
    counts, crashes = Counter(), []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i in range(mutants):
            data, changes = mutate(base, rng)
            try:
                scenario = scenario_from_dict(data)
            except ConfigError:
                counts["refused"] += 1
                continue
            except Exception as exc:  # noqa: BLE001 - the point is to catch anything
                counts["crashed"] += 1
                crashes.append(f"mutant {i} ({'; '.join(changes)}): validation raised {exc!r}")
                continue
            signal.alarm(SECONDS)
            try:
                OrgModel(scenario, rng=i).run(weeks)
                counts["ran"] += 1
            except Exception as exc:  # noqa: BLE001
                counts["crashed"] += 1
                tail = traceback.format_exception(exc)[-2].strip().splitlines()[0]
                crashes.append(f"mutant {i} ({'; '.join(changes)}): {type(exc).__name__}: {exc} at {tail}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return counts, crashes


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # huge values overflow to inf on purpose
def test_fuzzed_configs_are_refused_or_run() -> None:
    counts, crashes = fuzz(1000)
    print(f"fuzz: {sum(counts.values())} mutants, {counts['refused']} refused, {counts['ran']} ran, "
          f"{counts['crashed']} crashed")
    assert sum(counts.values()) == 1000 and counts["ran"] > 100
    assert not crashes, "\n".join(crashes[:20])
