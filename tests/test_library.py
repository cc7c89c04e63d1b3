"""orgsim as a library: shipped scenarios by name, extras, Mesa's batch_run and DataCollector."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import mesa
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import orgsim
from orgsim import OrgModel, adequacy, catalog, extras, load_scenario
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.sweep.spec import load_experiment

runner = CliRunner()

#: modules the core (import orgsim, build and step a model) must never import
HEAVY = ("dask", "distributed", "optuna", "ema_workbench", "statsmodels", "SALib", "sklearn", "matplotlib")


def test_building_and_stepping_a_model_imports_no_extra():
    code = ("import sys, orgsim\n"
            "m = orgsim.OrgModel('avocado_failure', rng=1, **{'population.scale': 0.05})\n"
            "m.run(weeks=3)\n"
            f"print([name for name in {HEAVY!r} if name in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_batch_run_varies_config_paths_and_reports_whole_weeks():
    rows = mesa.batch_run(OrgModel, parameters={"scenario": "avocado_failure", "population.scale": [0.05, 0.1],
                                                "mechanisms.reorgs.reassign_share": [0.1, 0.5]},
                          rng=[1, 2], max_steps=8, data_collection_period=-1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 8
    assert set(frame["Step"]) == {8}
    assert sorted(frame["population.scale"].unique()) == [0.05, 0.1]
    assert sorted(frame["mechanisms.reorgs.reassign_share"].unique()) == [0.1, 0.5]
    assert {"headcount_meta", "headcount_openai", "tracked_cohort", "top_talent_share", "capability",
            "share_price"} <= set(frame.columns)
    by_scale = frame.groupby("population.scale")["headcount_meta"].mean()
    assert 1.7 < by_scale[0.1] / by_scale[0.05] < 2.3  # the scale setting reached the model


def test_datacollector_rows_are_the_weeks_the_recorder_saw():
    model = OrgModel("avocado_failure", rng=3, **{"population.scale": 0.05}).run(weeks=5)
    series = model.datacollector.get_model_vars_dataframe()
    assert model.datacollector._collection_steps == [0, 1, 2, 3, 4, 5]
    metrics = model.metrics_frame()
    meta = metrics[(metrics["lab"] == "meta") & (metrics["metric"] == "headcount")].set_index("week")["value"]
    assert series["headcount_meta"].iloc[1:].tolist() == meta.loc[0:4].tolist()  # row w + 1 closes week w


def test_the_public_scenario_class_reads_every_mechanism_block():
    """orgsim.Scenario validates a whole config, though each mechanism's params class lives in its own module."""
    scenario = load_scenario("baseline", ["mechanisms.contagion.per_quit=0.3"])
    again = orgsim.Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again == scenario and again.mechanisms.contagion.per_quit == 0.3
    with pytest.raises(ValidationError, match="mechanisms.nonesuch"):
        orgsim.Scenario.model_validate({**scenario.model_dump(mode="json"), "mechanisms": {"nonesuch": {}}})


def test_keyword_settings_are_validated_like_set():
    scenario = load_scenario("baseline", ["population.scale=0.05"])
    assert OrgModel(scenario, rng=1, **{"mechanisms.reorgs.reassign_share": 0.2}).config.mechanisms.reorgs \
        .reassign_share == 0.2
    with pytest.raises(ConfigError, match="population.scal") as bad_path:
        OrgModel("baseline", **{"population.scal": 0.1})
    assert "unknown segment" in str(bad_path.value)
    with pytest.raises(ConfigError, match="population.scale"):
        OrgModel("baseline", **{"population.scale": "lots"})


def test_a_name_finds_the_shipped_scenario_and_a_path_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_scenario("avocado_failure").name == "avocado_failure"
    assert load_scenario("avocado_failure.yaml").title == "Avocado fails"
    (tmp_path / "avocado_failure.yaml").write_text("extends: " + str(catalog.SCENARIOS / "baseline.yaml")
                                                   + "\nname: mine\n", encoding="utf-8")
    assert load_scenario("avocado_failure.yaml").name == "mine"
    with pytest.raises(ConfigError, match="file not found"):
        load_scenario("elsewhere/avocado_failure.yaml")  # a path with a folder never falls back to a name


def test_an_experiment_names_its_scenarios(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text("name: mine\nscenarios: [avocado_failure, baseline.yaml]\nreplications: 1\n", encoding="utf-8")
    experiment, base = load_experiment(spec)
    assert [catalog.scenario_path(s, base) for s in experiment.scenarios] == [
        catalog.SCENARIOS / "avocado_failure.yaml", catalog.SCENARIOS / "baseline.yaml"]
    spec.write_text("name: mine\nscenarios: [nowhere]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="scenarios\\[0\\].*'nowhere' not found"):
        load_experiment(spec)


def test_scenarios_lists_the_shipped_files_with_titles():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name, title in (("avocado_failure", "Avocado fails"), ("smoke", "A tiny experiment")):
        line = next(line for line in result.output.splitlines() if f" {name} " in line)
        assert title in line
    assert " world_2025 " not in result.output  # a parent, not a scenario to run


def test_init_copies_an_editable_set_once(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "mine")])
    assert result.exit_code == 0, result.output
    copied = load_experiment(tmp_path / "mine" / "experiments" / "smoke.yaml")[1]
    assert catalog.scenario_path("../configs/avocado_failure.yaml", copied).is_file()
    again = runner.invoke(app, ["init", str(tmp_path / "mine")])
    assert again.exit_code == 2 and "already exists" in again.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"orgsim {__import__('orgsim').__version__}"


@pytest.mark.parametrize("root, hint", [("checkout", "pip install -e '.[decision]' (in the orgsim checkout)"),
                                        ("wheel", "pip install 'orgsim[decision]'")])
def test_a_missing_extra_names_it_and_the_install_for_this_install(tmp_path, monkeypatch, root, hint):
    (tmp_path / "configs").mkdir()
    if root == "checkout":
        (tmp_path / "orgsim").mkdir()
    monkeypatch.setattr(catalog, "ROOT", tmp_path)

    def absent(name):
        raise ModuleNotFoundError(f"No module named {name!r}", name="statsmodels")

    monkeypatch.setattr(extras.importlib, "import_module", absent)
    with pytest.raises(extras.MissingExtra) as missing:
        extras.require("statsmodels.api", "lever effects")
    assert str(missing.value) == f"lever effects needs the 'decision' extra (statsmodels is not installed): {hint}"


def test_the_console_script_turns_a_missing_extra_into_one_line(monkeypatch, capsys):
    import orgsim.cli

    def absent(**_options):
        raise extras.MissingExtra("orgsim calibrate needs the 'calibrate' extra")

    monkeypatch.setattr(orgsim.cli, "app", absent)
    with pytest.raises(SystemExit) as leave:
        orgsim.cli.main()
    assert leave.value.code == 2
    assert capsys.readouterr().err.strip() == "error: orgsim calibrate needs the 'calibrate' extra"


def test_the_manifest_of_a_run_names_the_shipped_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "avocado_failure", "--seed", "1", "--weeks", "2", "--out", "x",
                                 "--set", "population.scale=0.05"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["source"] == "avocado_failure"


def test_the_quick_start_prints_a_retention_number(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "avocado_failure", "--seed", "1", "--out", "fail"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    retention = re.search(r"cohort still at Meta 52 weeks after the Avocado release: (\d+\.\d)%", text)
    assert retention and 0 < float(retention.group(1)) <= 100
    assert "warning:" not in text


def test_a_too_small_world_is_named_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "avocado_failure", "--seed", "1", "--out", "fail",
                                 "--set", "population.scale=0.1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("warning:")]
    cohort = re.fullmatch(r"warning: cohort_retention rests on the tracked cohort at the release: (\d+) researchers, "
                          rf"below the {adequacy.MINIMUM} a share needs \(use population.scale >= 1\)", lines[0])
    assert cohort and int(cohort.group(1)) < adequacy.MINIMUM


def test_a_sweep_of_small_worlds_says_so(tmp_path):
    result = runner.invoke(app, ["sweep", "smoke", "--out", str(tmp_path / "smoke"), "--executor", "serial"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warned and all(re.match(r"warning: avocado_(success|failure): median run: cohort_retention rests on the "
                                   r"tracked cohort at the release: [\d.]+ researchers", line) for line in warned)
