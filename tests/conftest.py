"""Shared fixtures: small worlds built from the real configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsim import OrgModel, load_scenario
from orgsim.config import apply_overrides, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


def make_scenario(name: str = "baseline", scale: float = 0.1, **overrides):
    """A scenario from ``configs/<name>.yaml`` at ``scale`` with dotted overrides.

    ``make_scenario(**{"mechanisms.offers.enabled": False})`` switches M1 off.
    Values may be any YAML-able Python value (dicts merge into the config).
    """
    base = load_scenario(CONFIGS / f"{name}.yaml", [f"population.scale={scale}"])
    data = base.model_dump(mode="json")
    for path, value in overrides.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return scenario_from_dict(apply_overrides(data, []), f"{name}.yaml")


def run_model(name: str = "baseline", seed: int = 1, weeks: int | None = None, scale: float = 0.1, **overrides) -> OrgModel:
    model = OrgModel(make_scenario(name, scale, **overrides), rng=seed)
    return model.run(weeks)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> Path:
    """A small results store (experiments/smoke.yaml: 8 runs, 100 weeks), made once per test session."""
    from orgsim.sweep import run_sweep

    out = tmp_path_factory.mktemp("store") / "smoke"
    result = run_sweep(ROOT / "experiments" / "smoke.yaml", out, executor_kind="serial")
    assert result.all_ok, result.failed
    return out


@pytest.fixture(scope="session")
def design_reports(tmp_path_factory) -> dict[str, Path]:
    """The report of every design in report_designs (a one-lever grid, an LHS, a single run, 13 weeks, every run
    failed), by design: made once for the report and browser tests."""
    from report_designs import DESIGNS, design_store

    from orgsim.report import write_report

    root = tmp_path_factory.getbasetemp()
    return {design: write_report(design_store(root, design), tmp_path_factory.mktemp("designs") / "report.html").html
            for design in DESIGNS}
