"""What a store's runs were made from, and whether a resume may add to them.

Every run record carries the digest of its resolved scenario config, the
code revision and the outcome settings; the configs themselves are stored
once each under ``configs/<digest>.json``. A resume compares the digest of
every finished run with the run the spec plans now and refuses (exit 2)
when they differ, naming the changed fields and the scenario files: a store
holds one version of each run, never a mix. A new code revision is not a
refusal (each session's revision is in the manifest and every record's in
``code_revision``), since committing a fix must not orphan a long sweep.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from orgsim.config import ConfigError

#: the config fields the headline outcomes and the report depend on, as run-record columns
SETTINGS = ("focal_lab", "outcomes.cohort", "outcomes.release", "outcomes.retention_weeks", "outcomes.top_quantile")


def config_digest(config: dict) -> str:
    """A short content hash of a resolved config (canonical JSON: key order and spacing do not matter)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def settings(config: dict) -> dict:
    """The outcome settings of a resolved config, keyed as in ``SETTINGS``."""
    out = {}
    for name in SETTINGS:
        node = config
        for key in name.split("."):
            node = node[key]
        out[name] = node
    return out


def changed_fields(old: object, new: object, path: str = "") -> list[str]:
    """Dotted paths where two resolved configs differ (a whole subtree when one side lacks it)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in sorted(set(old) | set(new), key=str)
            for change in changed_fields(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        ]
    return [] if old == new else [path]


def refuse_changed(spec_path: Path, out: Path, changed: dict[str, tuple[dict | None, dict, str]]) -> None:
    """Raise the resume refusal for runs whose config changed: ``run_id -> (stored config, planned config, file)``."""
    if not changed:
        return
    fields: dict[str, None] = {}
    files: dict[str, None] = {}
    for old, new, file in changed.values():
        files[file] = None
        unknown = ["(unknown: an older store, its records carry no config digest)"]
        fields.update(dict.fromkeys(changed_fields(old, new) if old is not None else unknown))
    shown = ", ".join(list(fields)[:8]) + (f" and {len(fields) - 8} more" if len(fields) > 8 else "")
    raise ConfigError(
        spec_path,
        shown,
        f"changed in {', '.join(files)} since {len(changed)} finished run(s) of the "
        f"sweep in {out} were made; --resume will not mix versions: revert the change or use a new "
        "--out folder",
    )
