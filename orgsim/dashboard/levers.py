"""The dashboard's controls as scenario overrides, and "send to a sweep".

Every control becomes a ``PATH=VALUE`` override applied through
:func:`orgsim.load_scenario`, so the dashboard validates exactly like
``orgsim run --set``; a control left at the scenario's own value adds no
override, so the overrides say what was changed. The same list becomes the
``set:`` of an experiment spec.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orgsim import labels
from orgsim.config import load_scenario
from orgsim.files import atomic_write
from orgsim.schema import Mechanisms, RetentionGrant, Scenario
from orgsim.sweep.spec import load_experiment

#: configs that exist only to be extended, not to be run on their own
BASES = ("world_2025", "calibrated")
#: share of the focal lab's researchers who get the retention grant (as in experiments/avocado_retention.yaml)
GRANT_SHARE = 0.2
GRANT_EVENT = "post_release_grant"
GRANT_TITLE = "Retention grant after the release"
COUNTER_MATCHES = ("1.0", "1.1", "1.25", "1.5", "2.0")
SWEEP_REPLICATIONS = 20


def scenario_files(folder: Path) -> dict[str, Path]:
    """The runnable scenarios in ``folder`` by name (file stem)."""
    return {path.stem: path for path in sorted(Path(folder).glob("*.yaml")) if path.stem not in BASES}


def mechanism_names(mechanisms: Mechanisms) -> list[str]:
    """Mechanisms that can be switched off, in the schema's order."""
    return [name for name, params in mechanisms if hasattr(params, "enabled")]


def _ceo(scenario: Scenario) -> str:
    executives = scenario.labs[scenario.focal_lab].executives
    return next(key for key, spec in executives.items() if spec.role == "ceo")


@dataclass(frozen=True)
class Lever:
    """A numeric control bound to one scenario field; its label is the field's (:mod:`orgsim.labels`)."""

    name: str
    low: float
    high: float
    step: float
    path: Callable[[Scenario], str]

    def value(self, scenario: Scenario) -> float:
        node: Any = scenario
        for key in self.path(scenario).split("."):
            node = node[key] if isinstance(node, dict) else getattr(node, key)
        return float(node)

    def label(self, scenario: Scenario) -> str:
        return str(labels.parameter(self.path(scenario), scenario))


LEVERS = (
    Lever("ceo_patience", 0.0, 1.0, 0.05, lambda s: f"labs.{s.focal_lab}.executives.{_ceo(s)}.patience"),
    Lever("reorg_depth", 0.0, 1.0, 0.05, lambda s: "mechanisms.reorgs.reassign_share"),
    Lever("poaching_budget", 0.0, 10_000.0, 250.0, lambda s: f"labs.{s.focal_lab}.finance.comp_budget_musd"),
)


def grant_label(scenario: Scenario) -> str:
    """The retention-grant control's label: the grant's size as the override below sets it."""
    grant = RetentionGrant(kind="retention_grant", date=grant_date(scenario), lab=scenario.focal_lab, label=GRANT_TITLE)
    with_grant = scenario.model_copy(update={"timeline": {**scenario.timeline, GRANT_EVENT: grant}})
    return str(labels.parameter(f"timeline.{GRANT_EVENT}.amount_years", with_grant))


def mechanism_label(scenario: Scenario, name: str) -> str:
    return str(labels.parameter(f"mechanisms.{name}.enabled", scenario))


def counter_policy(scenario: Scenario) -> str:
    """``off`` or the counteroffer's multiple of the rival offer."""
    hiring = scenario.labs[scenario.focal_lab].hiring
    return f"{hiring.counter_match:g}" if hiring.counteroffer else "off"


def grant_date(scenario: Scenario) -> dt.date:
    """The week after the focal release (its scheduled date), else mid-horizon."""
    release = scenario.timeline.get(scenario.outcomes.release)
    if release is not None:
        return release.date + dt.timedelta(weeks=1)
    return scenario.start + dt.timedelta(weeks=scenario.weeks // 2)


def defaults(scenario: Scenario, name: str, scale: float = 0.2, seed: int = 1) -> dict[str, Any]:
    """Control values that reproduce ``scenario`` as configured (at ``scale``)."""
    return {
        "config": name,
        "seed": str(seed),
        "scale": scale,
        "retention_grant": 0.0,
        **{lever.name: lever.value(scenario) for lever in LEVERS},
        "counteroffer": counter_policy(scenario),
        **{f"mechanism_{m}": getattr(scenario.mechanisms, m).enabled for m in mechanism_names(scenario.mechanisms)},
    }


def _differs(a: float, b: float) -> bool:
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def overrides(scenario: Scenario, values: dict[str, Any]) -> list[str]:
    """The ``--set`` overrides that turn ``scenario`` into what the controls show."""
    focal = scenario.focal_lab
    out = []
    if _differs(float(values["scale"]), scenario.population.scale):
        out.append(f"population.scale={float(values['scale']):g}")
    if float(values["retention_grant"]) > 0:
        out.append(
            f"timeline.{GRANT_EVENT}={{date: {grant_date(scenario)}, kind: retention_grant, lab: {focal}, "
            f"share: {GRANT_SHARE:g}, amount_years: {float(values['retention_grant']):g}, "
            f"label: {GRANT_TITLE}}}"
        )
    for lever in LEVERS:
        if _differs(float(values[lever.name]), lever.value(scenario)):
            out.append(f"{lever.path(scenario)}={float(values[lever.name]):g}")
    policy, own = values["counteroffer"], counter_policy(scenario)
    if policy != own:
        hiring = f"labs.{focal}.hiring"
        if (policy == "off") != (own == "off"):
            out.append(f"{hiring}.counteroffer={'false' if policy == 'off' else 'true'}")
        if policy != "off" and _differs(float(policy), scenario.labs[focal].hiring.counter_match):
            out.append(f"{hiring}.counter_match={policy}")
    for name in mechanism_names(scenario.mechanisms):
        enabled = bool(values[f"mechanism_{name}"])
        if enabled != getattr(scenario.mechanisms, name).enabled:
            out.append(f"mechanisms.{name}.enabled={str(enabled).lower()}")
    return out


def seed_of(text: str | int) -> int:
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ValueError(f"seed: expected a non-negative integer, got {text!r}") from None
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {text!r}")
    return seed


def build(path: Path, values: dict[str, Any]) -> tuple[Scenario, list[str]]:
    """The scenario the controls describe, validated like ``--set`` overrides, and those overrides."""
    changes = overrides(load_scenario(path), values)
    return load_scenario(path, changes), changes


def spec_path(folder: Path, config: str, changes: list[str]) -> Path:
    """Default spec file: one per scenario and set of overrides."""
    digest = hashlib.sha1("\n".join(changes).encode()).hexdigest()[:8]
    return Path(folder) / f"dashboard_{config}_{digest}.yaml"


def write_spec(path: Path, config: Path, changes: list[str], seed: int, replications: int = SWEEP_REPLICATIONS) -> Path:
    """Write (and validate) an experiment spec running ``config`` with ``changes``.

    The spec's seed is the dashboard's; the sweep derives every replication's
    seed from it, as for any spec, so its runs are not the one on screen.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "name": path.stem,
        "description": f"Written by orgsim dashboard: {config.stem} with {len(changes)} override(s).",
        "scenarios": [Path(os.path.relpath(Path(config).resolve(), path.resolve().parent)).as_posix()],
        "replications": int(replications),
        "seed": int(seed),
        "set": changes,
        "outcomes": ["cohort_retention", "top_talent_retention", "focal_top_talent_share_end"],
    }
    text = yaml.safe_dump(spec, sort_keys=False, width=1000)
    header = "# Written by `orgsim dashboard` (send to a sweep).\n"
    atomic_write(path, lambda tmp: tmp.write_text(header + text, encoding="utf-8"))
    load_experiment(path)
    return path


def sweep_command(spec: Path) -> str:
    return f"orgsim sweep {spec} --out results/{Path(spec).stem}"
