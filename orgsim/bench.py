"""``orgsim bench``: orgsim's speed, and Mesa's own Boltzmann wealth example as the anchor.

Timing an agent-based model alone says little (the machine, the load); timing
Mesa's reference example at the same agent count, in the same process,
gives a ratio that travels. orgsim is timed on whole runs (build, every week,
the output frames); Boltzmann on its steps alone (its build is trivial), so
the ratio is, if anything, unfair to orgsim.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc

from orgsim.schema import Scenario


def orgsim_times(scenario: Scenario, weeks: int, repeats: int) -> list[float]:
    """Wall time of ``repeats`` whole runs (seeds 1..repeats): build, ``weeks`` steps and the output frames."""
    from orgsim.sim.model import OrgModel

    times = []
    for rep in range(repeats):
        start = time.perf_counter()
        model = OrgModel(scenario, rng=rep + 1).run(weeks)
        model.metrics_frame(), model.events_frame()
        times.append(time.perf_counter() - start)
    return times


def peak_bytes(scenario: Scenario, weeks: int) -> int:
    """Peak memory traced (``tracemalloc``, numpy's arrays included) over one whole run of seed 1: build, ``weeks``
    steps and the output frames, the module-level caches warmed first, as in a sweep. Its own, untimed run: tracing
    slows every allocation."""
    from orgsim.sim.model import OrgModel

    OrgModel(scenario, rng=1).run(1)
    tracemalloc.start()
    try:
        model = OrgModel(scenario, rng=1).run(weeks)
        model.metrics_frame(), model.events_frame()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def boltzmann_rate(agents: int, steps: int, repeats: int) -> float:
    """Median agent-steps per second of Mesa's Boltzmann wealth example with ``agents`` agents (one per cell)."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    side = max(1, math.isqrt(agents))
    rates = []
    for rep in range(repeats):
        model = BoltzmannWealth(BoltzmannScenario(n=agents, width=side, height=side, rng=rep + 1))
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        rates.append(agents * steps / (time.perf_counter() - start))
    return statistics.median(rates)
