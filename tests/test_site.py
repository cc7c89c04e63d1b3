"""The documentation site's pages keep up with what ships (the build itself: make docs, strict, in CI)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orgsim import adequacy, catalog

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_shipped_scenario_and_experiment_has_its_row():
    scenarios = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    experiments = (DOCS / "experiments.md").read_text(encoding="utf-8")
    for entry in catalog.entries():
        page = scenarios if entry.kind == "scenario" else experiments
        row = re.search(rf"^\| `{entry.name}` \|(.*)$", page, re.M)
        assert row, f"docs/{entry.kind}s.md has no row for {entry.name}"
        if entry.kind == "scenario":
            assert entry.title in row.group(1)


def test_the_smallest_useful_scales_are_the_ones_the_code_warns_with():
    page = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    assert f"below **{adequacy.MINIMUM} people**" in " ".join(page.split())
    for outcome, (_, scale) in adequacy.GROUPS.items():
        row = re.search(rf"^\| `{outcome}` \|.*\| ([\d.]+) \|$", page, re.M)
        assert row and float(row.group(1)) == scale, outcome


def test_every_page_of_the_nav_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    mounts = config["plugins"][1]["mkdocs-jupyter"]["notebook_dirs"]

    def pages(nav):
        for item in nav:
            for value in item.values():
                yield from pages(value) if isinstance(value, list) else [value]

    for page in pages(config["nav"]):
        mount, _, rest = page.partition("/")
        path = ROOT / mounts[mount] / rest if mount in mounts else DOCS / page
        assert path.is_file(), page
