"""The results store of a sweep, on disk.

Layout of ``DIR``::

    manifest.json                         resolved spec, seeds; one entry per session (versions, git revision, times)
    configs/<digest>.json                 each resolved scenario config the runs used, stored once
    runs/<run_id>.json                    one record per finished run (written last: the commit point)
    runs.parquet                          all records, one row per run, sorted by run_id
    metrics/scenario=<name>/<run_id>.parquet
    events/scenario=<name>/<run_id>.parquet

Every file is written to a temporary name and renamed, so a sweep killed at
any moment leaves only whole files; a run counts as done only once its
record exists, so ``--resume`` re-runs anything half-written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from orgsim.files import read_parquet, write_json, write_parquet

#: columns that differ between otherwise identical sweeps (timing, and the checkout they ran in)
VOLATILE = ("duration_s", "code_revision")
LEADING = (
    "run_id",
    "scenario",
    "point",
    "replication",
    "seed",
    "status",
    "error",
    "duration_s",
    "config_digest",
    "code_revision",
)


class Store:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"

    def table_dir(self, table: str, scenario: str) -> Path:
        return self.root / table / f"scenario={scenario}"

    def prepare(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.rglob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)

    def has_results(self) -> bool:
        return self.runs_dir.is_dir() and any(self.runs_dir.glob("*.json"))

    def records(self) -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.runs_dir.glob("*.json"))]

    def write_run(self, record: dict, tables: dict[str, pd.DataFrame]) -> None:
        for table, frame in tables.items():
            folder = self.table_dir(table, record["scenario"])
            folder.mkdir(parents=True, exist_ok=True)
            write_parquet(frame, folder / f"{record['run_id']}.parquet")
        write_json(record, self.runs_dir / f"{record['run_id']}.json")

    def consolidate(self) -> pd.DataFrame:
        """Gather every run record into ``runs.parquet`` (sorted, rewritten atomically)."""
        frame = pd.DataFrame(self.records())
        if not frame.empty:
            first = [c for c in LEADING if c in frame.columns]
            params = sorted(c for c in frame.columns if c.startswith("param:"))
            rest = sorted(set(frame.columns) - set(first) - set(params))
            frame = frame[first + params + rest].sort_values("run_id", kind="stable").reset_index(drop=True)
        write_parquet(frame, self.root / "runs.parquet")
        return frame

    def write_config(self, digest: str, config: dict) -> None:
        path = self.root / "configs" / f"{digest}.json"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(config, path)

    def config(self, digest: str) -> dict | None:
        """A stored resolved config by digest; None if the store does not hold it."""
        path = self.root / "configs" / f"{digest}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_manifest(self, manifest: dict) -> None:
        write_json(manifest, self.root / "manifest.json")

    def read_manifest(self) -> dict | None:
        path = self.root / "manifest.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def runs(self) -> pd.DataFrame:
        return read_parquet(self.root / "runs.parquet")

    def table(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole table across runs (hive partition ``scenario`` becomes a column)."""
        folder = self.root / table
        if not folder.is_dir():
            return pd.DataFrame()
        return read_parquet(folder, columns=columns)


def frame_digest(frame: pd.DataFrame) -> str:
    """A content hash of a frame's values (row order and dtypes as given)."""
    h = hashlib.sha256()
    h.update(",".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def content_hashes(root: str | Path) -> dict[str, str]:
    """Hashes of what a sweep computed, blind to timings and to the order runs finished in."""
    store = Store(root)
    runs = store.runs().drop(columns=[c for c in VOLATILE if c in store.runs().columns])
    hashes = {"runs": frame_digest(runs)}
    for table in ("metrics", "events"):
        frame = store.table(table)
        if not frame.empty:
            frame = frame.assign(scenario=frame["scenario"].astype(str), run_id=frame["run_id"].astype(str))
            frame = frame.sort_values(["run_id"], kind="stable").reset_index(drop=True)
            for col in frame.select_dtypes("category").columns:
                frame[col] = frame[col].astype(str)
            hashes[table] = frame_digest(frame)
    return hashes
