"""Researcher state as a struct of numpy arrays.

One contiguous array per hot field; a researcher is a slot. Removal swaps
the last slot into the hole so arrays stay dense and every weekly pass is a
numpy operation over ``[:n]``. The population keeps both maps current through
swaps: slot -> agent (``agents``) and researcher id -> slot (:meth:`slot_of`,
which ``Researcher.slot`` reads), an array rather than a number held by each
agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

# field name -> (dtype, trailing shape key or None, fill value)
FIELDS: dict[str, tuple[Any, str | None, Any]] = {
    "uid": (np.int32, None, -1),  # Mesa's unique_id: a count of the model's agents
    "lab": (np.int16, None, -1),
    "team": (np.int16, None, -1),
    "prev_lab": (np.int16, None, -1),
    "cohort": (np.int16, None, 0),
    "skill": (np.float64, None, 1.0),
    "hire_week": (np.int32, None, 0),
    "team_since": (np.int32, None, 0),
    "insider": (np.bool_, None, False),
    "newcomer_until": (np.int32, None, -1),
    "base_k": (np.float64, None, 0.0),
    "equity_k": (np.float64, None, 0.0),
    "grant_k": (np.float64, None, 0.0),
    "grant_week": (np.int32, None, 0),
    "grant_price": (np.float64, None, 1.0),
    "ladder_price": (np.float64, None, 1.0),
    "signon_k": (np.float64, None, 0.0),
    "signon_week": (np.int32, None, -10_000),
    "countered_week": (np.int32, None, -1),
    "approached_week": (np.int32, None, -10_000),
    "morale": (np.float64, None, 0.7),
    "match": (np.float64, None, 0.0),
    "match_sum": (np.float64, None, 0.0),
    "leaving_week": (np.int32, None, -1),
    "prefs": (np.float64, "prefs", 1.0),
    "safety_pref": (np.float64, None, 0.5),
    "openness_pref": (np.float64, None, 0.5),
    "beliefs": (np.int8, "beliefs", 0),
    # fixed by skill at arrival (:func:`orgsim.sim.derived.price_arrivals`): the market's pay (each lab's is
    # orgsim.sim.derived.pay_at, computed for the few rows that need it)
    "market_k": (np.float64, None, 1.0),
    # the best of each researcher's pay (derived.pay_at) and mission fit over the labs (and the worst fit,
    # orgsim.sim.derived.Fits): M3's bound on the odds of leaving (orgsim.sim.decision.leave_odds_bound) reads these
    # instead of reducing over the labs every week
    "pay_best": (np.float64, None, 0.0),
    "fit_high": (np.float64, None, 0.5),
    "fit_low": (np.float64, None, 0.5),
}

#: what researchers weigh beside pay, each relative to pay (money is the numeraire of every decision, M3)
PREFERENCES = ("mission", "compute", "prestige", "stability")


class Population:
    """Dense arrays of researcher state, grown by a sixteenth when full."""

    def __init__(self, dimensions: int, capacity: int = 1024, labs: int = 1):
        self.n = 0
        self._shapes: dict[str | None, tuple[int, ...]] = {
            "prefs": (len(PREFERENCES),),
            "beliefs": (dimensions,),
            "labs": (labs,),
        }
        self._capacity = max(capacity, 16)
        self._data: dict[str, np.ndarray] = {}
        for name, (dtype, shape_key, fill) in FIELDS.items():
            shape = (self._capacity, *self._shapes.get(shape_key, ()))
            self._data[name] = np.full(shape, fill, dtype=dtype)
        self._views()
        self.agents: list[Any] = []
        self._slots = np.empty(0, dtype=np.int32)  # the slot of each researcher id (-1: not here)
        self.version = 0  # counts additions and removals: what is cached by slot is stale when it moves
        self.placement = 0  # counts additions, removals and moves between labs (orgsim.sim.transitions)
        self._counted: tuple[int, np.ndarray] | None = None  # (placement, headcount per lab) when last counted
        #: the headcount per lab of the world this population stands for, when it is only a block of it (the
        #: initial staff's candidates, orgsim.sim.world); None: its own
        self.headcounts: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n

    def _views(self) -> None:
        """Hold each field's live rows, ``[:n]``, as an instance attribute: a weekly pass reads fields thousands of
        times between two changes of ``n``, and a plain attribute costs no call. Renewed whenever ``n`` or the
        arrays change."""
        views = {name: arr[: self.n] for name, arr in self._data.items()}
        self.__dict__.update(views)

    if TYPE_CHECKING:  # the fields, to a type checker: attributes set by _views

        def __getattr__(self, name: str) -> np.ndarray: ...

    def __setattr__(self, name: str, value: Any) -> None:
        # ``pop.morale += x`` rebinds the attribute: write into the array instead of shadowing it
        if name in FIELDS:
            self._data[name][: self.n] = value
        else:
            super().__setattr__(name, value)

    def lab_counts(self, labs: int) -> np.ndarray:
        """Researchers per lab (read-only), counted again only after someone arrived, left or moved."""
        if self._counted is None or self._counted[0] != self.placement:
            counts = np.bincount(self.lab.astype(np.int64), minlength=labs)
            counts.flags.writeable = False
            self._counted = (self.placement, counts)
        return self._counted[1]

    def slot_of(self, uid: int) -> int:
        """The slot of researcher ``uid``, -1 if not in the population."""
        return int(self._slots[uid]) if 0 <= uid < len(self._slots) else -1

    def _place(self, slots: np.ndarray) -> None:
        """Record where the researchers now at ``slots`` are (rows without an id, a candidate pool's, are none)."""
        uid = self._data["uid"][slots]
        uid, slots = uid[uid >= 0], slots[uid >= 0]
        if len(uid) and int(uid.max()) >= len(self._slots):
            grown = np.full(max(int(uid.max()) + 1, len(self._slots) + len(self._slots) // 16), -1, dtype=np.int32)
            grown[: len(self._slots)] = self._slots
            self._slots = grown
        self._slots[uid] = slots

    def column(self, name: str) -> np.ndarray:
        """The live view of one field (same as attribute access)."""
        return self._data[name][: self.n]

    def _grow(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        while self._capacity < needed:
            # by a sixteenth: appends stay amortized O(1), a field is copied at a time (only its old and new
            # arrays are held at once) and the room left unused is at most a sixteenth of the world, not a quarter
            self._capacity += max(self._capacity // 16, 16)
        for name, arr in self._data.items():
            grown = np.full((self._capacity, *arr.shape[1:]), FIELDS[name][2], dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self._data[name] = grown
            self.__dict__[name] = grown[: self.n]  # its view too, or every old array is held to the end

    def add(self, agents: list[Any], **values: Any) -> np.ndarray:
        """Append researchers; ``values`` are scalars or arrays per field. Returns the new slots."""
        k = len(agents)
        self._grow(self.n + k)
        slots = np.arange(self.n, self.n + k)
        for name, arr in self._data.items():
            arr[slots] = values.get(name, FIELDS[name][2])
        self._place(slots)
        self.agents.extend(agents)
        self.n += k
        self._views()
        self.version += 1
        self.placement += 1
        return slots

    def remove(self, slots: np.ndarray) -> list[Any]:
        """Remove slots by swapping in the last live rows; returns the removed agents.

        The rows end where removing one slot at a time, highest first, would
        put them; each field is then moved in one pass.
        """
        order = sorted((int(s) for s in slots), reverse=True)
        source: dict[int, int] = {}  # destination slot -> the original row that ends there
        rows = []
        n = self.n
        for slot in order:
            last = n - 1
            rows.append(source.get(slot, slot))
            if slot != last:
                source[slot] = source.pop(last, last)
            else:
                source.pop(slot, None)
            n -= 1
        removed = [self.agents[row] for row in rows]
        gone = self._data["uid"][rows]
        self._slots[gone[gone >= 0]] = -1
        if source:
            dst = np.fromiter(source.keys(), dtype=np.int64, count=len(source))
            src = np.fromiter(source.values(), dtype=np.int64, count=len(source))
            for arr in self._data.values():
                arr[dst] = arr[src]
            moved = [self.agents[s_] for s_ in src.tolist()]
            for d, agent in zip(dst.tolist(), moved, strict=True):
                self.agents[d] = agent
            self._place(dst)
        del self.agents[n:]
        self.n = n
        self._views()
        self.version += 1
        self.placement += 1
        return removed
