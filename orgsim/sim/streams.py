"""Random streams: one per mechanism and week, spawned from the run's seed.

Two scenarios that differ in one lever should draw the same random numbers
wherever their states agree (common random numbers), so their paired
difference carries the lever's effect and little noise. One shared generator
loses that alignment at the first extra draw: after the Avocado release a
success and a failure run would desynchronize everywhere. Here each
mechanism draws from its own generator, re-spawned every week from
``(seed, mechanism, week)``, so a divergence in one mechanism or one week
does not shift the draws of any other. Per-researcher draws go further and
are indexed by the researcher's id (:meth:`Streams.per_researcher`), so a
researcher whose state is the same in both runs gets the same draw.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 32-bit key for a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class Streams:
    """Named, weekly re-spawned numpy generators for one run."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._week: int | None = None
        self._open: dict[str, np.random.Generator] = {}

    def get(self, name: str, week: int) -> np.random.Generator:
        """The generator of ``name`` in ``week``; calls within the same week continue one stream."""
        if week != self._week:
            self._week, self._open = week, {}
        rng = self._open.get(name)
        if rng is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(_name_key(name), week + 1_000))
            rng = self._open[name] = np.random.default_rng(sequence)
        return rng

    def per_researcher(self, name: str, week: int, uid: np.ndarray, *, normal: bool = False) -> np.ndarray:
        """One uniform (or standard normal) draw per researcher, keyed by id: the same person gets the same number
        in both runs."""
        if len(uid) == 0:
            return np.empty(0)
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(_name_key(name), week + 1_000, 1)))
        size = int(uid.max()) + 1
        return (rng.standard_normal(size) if normal else rng.random(size))[uid]
