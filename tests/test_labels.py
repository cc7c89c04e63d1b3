"""Plain-language names: every parameter and setting has a label, and every path the specs use resolves to one.

The labels live in the schema (a field's title) and in ``OUTCOMES``;
:mod:`orgsim.labels` composes them for concrete dotted paths.
"""

from __future__ import annotations

import csv
import typing
from pathlib import Path

import pytest
import yaml

from orgsim import labels, schema
from orgsim.config import load_scenario, models_of
from orgsim.outcomes import OUTCOMES
from orgsim.sim import plugins

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
#: fields that are free text naming the thing itself, not something a reader needs named


def _leaves(model: type, seen: set) -> typing.Iterator[tuple[type, str]]:
    """(model, field) for every field holding a value, not a block, in every model reachable from ``model``."""
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = typing.get_args(annotation)[1] if typing.get_origin(annotation) is dict else annotation
        blocks = [plugins.mechanisms_model()] if annotation is schema.Mechanisms else models_of(inner)
        if blocks:
            for block in blocks:
                yield from _leaves(block, seen)
        else:
            yield model, name


LEAVES = sorted({(m.__name__, n, m) for m, n in _leaves(schema.Scenario, set())}, key=lambda x: x[:2])


@pytest.mark.parametrize("owner,name,model", LEAVES, ids=[f"{o}.{n}" for o, n, _ in LEAVES])
def test_every_setting_has_a_label_of_its_own(owner: str, name: str, model: type) -> None:
    title = model.model_fields[name].title
    assert title and title.strip(), f"{owner}.{name} has no label (param(..., label=...) or setting(...))"
    assert labels.humanise(name).lower() != title.lower() or name == "kind", f"{owner}.{name}: the label only restates the field name"
    assert title[0].isupper() and not title.endswith("."), f"{owner}.{name}: sentence case, no full stop: {title!r}"
    extra = model.model_fields[name].json_schema_extra
    assert name == "kind" or isinstance(extra, dict) and extra.get("unit"), f"{owner}.{name} has no unit"


def test_leaves_cover_the_parameters() -> None:
    """The walk above reaches every block: a sample of fields from all corners of the schema."""
    found = {(o, n) for o, n, _ in LEAVES}
    for leaf in [("VestingParams", "max_wait_weeks"), ("RetentionGrant", "amount_years"), ("ExecutiveSpec", "patience"),
                 ("TeamSpec", "headcount"), ("PopulationSpec", "scale"), ("OutcomeSpec", "top_quantile"),
                 ("RetentionGrant", "label"), ("Blitz", "kind")]:
        assert leaf in found
    assert len(found) > 250


def _spec_paths(data: dict) -> set[str]:
    """The dotted config paths a spec file varies, fits, starts from or sets."""
    found: set[str] = set()
    design, explore = data.get("design") or {}, data.get("explore") or {}
    found |= set(design.get("parameters") or {})
    found |= set(explore.get("levers") or {}) | set((explore.get("uncertainties") or {}).get("parameters") or {})
    found |= set(data.get("parameters") or {}) | set((data.get("optimizer") or {}).get("start") or {})
    for item in data.get("set") or []:
        path, value = item.split("=", 1)
        if not value.lstrip().startswith("{"):  # a whole event is named by its key, checked below
            found.add(path)
    return found


SPECS = sorted(EXPERIMENTS.glob("*.yaml"))
SPEC_PATHS = sorted({(spec.name, path) for spec in SPECS
                     for path in _spec_paths(yaml.safe_load(spec.read_text(encoding="utf-8")))})
with open(ROOT / "configs" / "calibrated_accepted.csv", encoding="utf-8") as handle:
    DRAWN = [c for c in next(csv.reader(handle)) if "." in c]


def _scenario_of(spec: Path):
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    while "scenarios" not in data and "scenario" not in data and "extends" in data:
        data = {**yaml.safe_load((spec.parent / data.pop("extends")).read_text(encoding="utf-8")), **data}
    first = (data.get("scenarios") or [data.get("scenario")])[0]
    return load_scenario(spec.parent / first, data.get("set") or [])


@pytest.mark.parametrize("spec,path", SPEC_PATHS, ids=[f"{s}:{p}" for s, p in SPEC_PATHS])
def test_every_path_the_specs_use_has_a_label(spec: str, path: str) -> None:
    bare = labels.parameter(path)
    named = labels.parameter(path, _scenario_of(EXPERIMENTS / spec))
    for label in (bare, named):
        assert label.path == path
        assert label.text and "." not in label.text.split(" (")[0].replace("...", ""), label.text
        assert path not in str(label)


def test_every_spec_path_was_found() -> None:
    """The collection above is not empty by accident: the levers of the Avocado experiment are in it."""
    assert ("avocado_retention.yaml", "timeline.post_release_grant.amount_years") in SPEC_PATHS
    assert ("calibration.yaml", "labs.meta.hiring.source_weights.openai") in SPEC_PATHS
    assert ("explore_failure.yaml", "mechanisms.attrition.price_momentum") in SPEC_PATHS


@pytest.mark.parametrize("path", DRAWN)
def test_every_drawn_parameter_has_a_label(path: str) -> None:
    assert labels.parameter(path).text


def test_the_labels_read_as_names() -> None:
    scenario = _scenario_of(EXPERIMENTS / "avocado_retention.yaml")
    grant = labels.parameter("timeline.post_release_grant.amount_years", scenario)
    assert grant.text == "Retention grant after the release: grant size"
    assert grant.unit == "years of each recipient's pay"
    assert str(grant) == "Retention grant after the release: grant size (years of each recipient's pay)"
    assert labels.parameter("labs.meta.quit_rate").text == "Meta: voluntary quit rate"
    assert labels.parameter("labs.openai.quit_rate", scenario).text == "OpenAI: voluntary quit rate"
    assert labels.parameter("labs.meta.executives.meta_ceo.patience", scenario).text == "Meta CEO: patience under pressure"
    assert labels.parameter("labs.meta.teams.products.headcount").text == "Meta, products team: target headcount"
    assert labels.parameter("labs.meta.hiring.source_weights.openai", scenario).text.endswith(": OpenAI")
    assert labels.parameter("mechanisms.vesting.enabled").text == "Golden handcuffs switched on"
    assert str(labels.parameter("mechanisms.vesting.enabled")) == "Golden handcuffs switched on"  # a flag has no unit
    # an event the scenario does not label: its key and its kind
    assert labels.parameter("timeline.layoffs_october.n", scenario).text == "Layoffs october (layoffs): researchers laid off"
    assert labels.parameter("timeline.post_release_grant", scenario).text == "Retention grant after the release"


@pytest.mark.parametrize("path,problem", [
    ("mechanisms.vesting.beta_forfet", "unknown segment 'beta_forfet'"),
    ("labs.meta.quit_rate.annual", "is a value"),
    ("labs.meta.hiring", "names a block"),
    ("labs", "names a block"),
    ("nonsense", "unknown segment 'nonsense'"),
])
def test_an_unknown_path_is_a_clear_error(path: str, problem: str) -> None:
    with pytest.raises(labels.LabelError, match=problem) as caught:
        labels.parameter(path)
    assert path.split(".")[0] in str(caught.value)


def test_outcomes_are_named_from_their_definitions() -> None:
    scenario = load_scenario(ROOT / "configs" / "avocado_failure.yaml")
    for key, definition in OUTCOMES.items():
        label = labels.outcome(key, scenario)
        assert label.unit == definition.unit and label.path == key
        assert "{" not in label.text and "_" not in label.text
    assert labels.outcome("cohort_retention", scenario).text == (
        "Blitz-2025 cohort still at Meta 52 weeks after the Avocado release")
    assert labels.outcome("cohort_retention", window=26).text.startswith("Blitz-2025 cohort still at Meta 26 weeks")
    assert str(labels.outcome("retention_spend_musd")) == "Money spent on the retention grant (M$)"
    with pytest.raises(labels.LabelError, match="not an outcome"):
        labels.outcome("cohort_retentoin")


def test_labelled_adds_a_label_column_and_keeps_the_path() -> None:
    import pandas as pd

    frame = pd.DataFrame({"parameter": ["labs.meta.quit_rate", None], "ST": [0.5, 0.1]})
    out = labels.labelled(frame)
    assert list(out.columns) == ["parameter", "label", "ST"]
    assert out["label"].iloc[0] == str(labels.parameter("labs.meta.quit_rate")) and pd.isna(out["label"].iloc[1])
    assert list(out["parameter"]) == list(frame["parameter"])
    synthetic = labels.labelled(pd.DataFrame({"parameter": ["x1"]}))  # a design input that is no config path
    assert synthetic["label"].iloc[0] == "x1"


def test_the_cli_tables_name_outcomes_by_label(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from orgsim.cli import app

    result = CliRunner().invoke(app, ["run", str(ROOT / "configs" / "baseline.yaml"), "--out", str(tmp_path),
                                      "--weeks", "6", "--set", "population.scale=0.05"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # rich wraps the caption
    scenario = load_scenario(ROOT / "configs" / "baseline.yaml")
    for key in ("cohort_size_at_release", "cohort_retention", "focal_top_talent_share_start"):
        assert labels.outcome(key, scenario).text in shown, key
    assert "cohort_retention" not in shown
