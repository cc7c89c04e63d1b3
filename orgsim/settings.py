"""A scenario from what a Mesa or EMA Workbench user passes: a name, a path or a Scenario, plus settings.

Mesa's ``batch_run`` and EMA Workbench vary a model through keyword
arguments, so every config path is one: ``{"population.scale": 0.1}``. The
settings become ``--set`` overrides and are validated the same way (an
unknown path or a bad value is a :class:`~orgsim.config.ConfigError`
naming it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orgsim.config import apply_overrides, load_scenario, scenario_from_dict
from orgsim.schema import Scenario


def override(path: str, value: Any) -> str:
    """``PATH=VALUE`` for one setting; the value in YAML flow form, so it parses back to itself."""
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and "e" in repr(value) and "." not in repr(value):
        return f"{path}={repr(value).replace('e', '.0e')}"  # YAML 1.1 reads 1e-05 as text, 1.0e-05 as a number
    return f"{path}={value if isinstance(value, str) else json.dumps(value)}"


def scenario_of(scenario: Scenario | str | Path, settings: Mapping[str, Any] | None = None) -> Scenario:
    """``scenario`` (a shipped name, a YAML path or a Scenario) with ``settings`` applied and validated."""
    items = [override(path, value) for path, value in (settings or {}).items()]
    if not isinstance(scenario, Scenario):
        return load_scenario(scenario, items)
    if not items:
        return scenario
    return scenario_from_dict(apply_overrides(scenario.model_dump(mode="json"), items, scenario.name), scenario.name)
