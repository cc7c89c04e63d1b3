"""The dashboard without a browser: controls as overrides, the spec it writes, what the views read, the CLI."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from orgsim import OrgModel, load_scenario
from orgsim.dashboard import levers
from orgsim.sim import decision
from orgsim.sweep.spec import load_experiment

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "avocado_failure.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(CONFIG)


def controls(scenario, **changes):
    return {"scenarios": {CONFIG.stem: CONFIG}, **levers.defaults(scenario, CONFIG.stem), **changes}


def test_catalog_lists_runnable_configs_not_bases():
    names = levers.scenario_files(ROOT / "configs")
    assert {"baseline", "avocado_success", "avocado_failure", "avocado_delayed"} <= set(names)
    assert not set(levers.BASES) & set(names)


def test_controls_left_alone_add_only_the_scale(scenario):
    assert levers.overrides(scenario, controls(scenario)) == ["population.scale=0.2"]
    assert levers.overrides(scenario, controls(scenario, scale=scenario.population.scale)) == []


def test_each_lever_becomes_a_validated_override(scenario):
    values = controls(scenario, retention_grant=1.5, ceo_patience=0.8, reorg_depth=0.1, poaching_budget=2000.0,
                      counteroffer="off", mechanism_contagion=False)
    built, changes = levers.build(CONFIG, values)
    meta = built.labs["meta"]
    assert meta.executives["meta_ceo"].patience == 0.8
    assert built.mechanisms.reorgs.reassign_share == 0.1
    assert meta.finance.comp_budget_musd == 2000.0
    assert meta.hiring.counteroffer is False
    assert built.mechanisms.contagion.enabled is False
    grant = built.timeline[levers.GRANT_EVENT]
    assert (grant.kind, grant.amount_years, grant.share) == ("retention_grant", 1.5, levers.GRANT_SHARE)
    assert grant.date == scenario.timeline[scenario.outcomes.release].date + dt.timedelta(weeks=1)
    assert len(changes) == 7  # scale + the six controls moved


def test_counteroffer_policy_sets_only_what_differs(scenario):
    assert levers.counter_policy(scenario) == "1.1"
    match, off = (levers.overrides(scenario, controls(scenario, counteroffer=p))[1:] for p in ("1.5", "off"))
    assert match == ["labs.meta.hiring.counter_match=1.5"]
    assert off == ["labs.meta.hiring.counteroffer=false"]


def test_bad_seed_is_one_clear_error():
    with pytest.raises(ValueError, match="seed: expected a non-negative integer, got 'x'"):
        levers.seed_of("x")


def test_spec_runs_the_scenario_with_the_overrides(scenario, tmp_path):
    changes = levers.overrides(scenario, controls(scenario, ceo_patience=0.9))
    path = levers.spec_path(tmp_path / "experiments", CONFIG.stem, changes)
    assert path == levers.spec_path(tmp_path / "experiments", CONFIG.stem, list(changes))  # same settings, same file
    levers.write_spec(path, CONFIG, changes, seed=5, replications=3)
    spec, base = load_experiment(path)
    assert (spec.replications, spec.seed, spec.set) == (3, 5, changes)
    assert (base / spec.scenarios[0]).resolve() == CONFIG.resolve()
    assert levers.sweep_command(path) == f"orgsim sweep {path} --out results/{path.stem}"


def test_dashboard_model_is_the_cli_run_with_those_overrides(scenario):
    """Same controls, same seed: the same weekly numbers as OrgModel on load_scenario(config, overrides)."""
    pytest.importorskip("mesa.visualization", reason="the dashboard extra is not installed")
    from orgsim.dashboard.model import DashboardModel

    values = controls(scenario, scale=0.05, seed="3", ceo_patience=0.9)
    model = DashboardModel(**values)
    plain = OrgModel(load_scenario(CONFIG, model.changes), rng=3)
    for _ in range(8):
        model.step()
        plain.step()
    assert np.array_equal(model.recorder.levels, plain.recorder.levels)
    assert len(model.step_seconds) == 8


@pytest.fixture(scope="module")
def stepped(scenario):
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    from orgsim.dashboard.model import DashboardModel

    model = DashboardModel(**controls(scenario, scale=0.1))
    for _ in range(60):
        model.step()
    return model


def test_event_log_and_ticker_agree_with_the_events_frame(stepped):
    from orgsim.dashboard import views

    events = stepped.events_frame()
    log = views.event_log(stepped)
    assert log.moves.sum() == (events.kind == "move").sum() > 0
    assert len(log.exits) == (events.kind == "executive_exit").sum()
    items = views.ticker(stepped)
    assert [week for week, *_ in items] == sorted((week for week, *_ in items), reverse=True)
    kinds = {kind for _, kind, _ in items}
    assert {"release", "reorg"} <= kinds
    assert sum(kind == "decision" for _, kind, _ in items) == len(stepped.decisions)
    assert any("avocado" in text for _, kind, text in items if kind == "release")


def test_the_data_collector_holds_what_the_page_1_plots_read_and_nothing_else(stepped):
    """Mesa's DataCollector is the dashboard's: one row a week of exactly the series its make_plot_component plots."""
    from orgsim.dashboard.model import REPORTERS

    frame = stepped.datacollector.get_model_vars_dataframe()
    plotted = ["focal_top_talent_share", "focal_headcount", "frontier"]  # orgsim.dashboard.app's make_plot_component series
    assert list(frame.columns) == list(REPORTERS) == plotted
    assert len(frame) == stepped.week == 60
    levels = stepped.metrics_frame().query("lab == 'meta'").pivot(index="week", columns="metric", values="value")
    assert np.allclose(frame["focal_headcount"], levels["headcount"])
    assert np.allclose(frame["focal_top_talent_share"], levels["top_talent_share"])
    assert (frame["frontier"].diff().dropna() >= -1e-9).all(), "capability only grows"


def test_inspector_shows_the_hazard_and_history(stepped):
    from orgsim.dashboard import views

    focal = stepped.focal.index
    slots = views.top_slots(stepped, focal, 5)
    skills = stepped.population.skill[slots]
    assert np.all(np.diff(skills) <= 0) and np.all(stepped.population.lab[slots] == focal)
    uid = int(stepped.population.uid[slots[0]])
    shown = views.researcher(stepped, uid)
    direct = decision.covariates(stepped, slots[:1])
    assert shown["hazard"] == pytest.approx(direct["hazard"][0])
    assert set(shown["terms"]) == set(direct) - {"hazard"}  # whatever covariates the hazard has, shown generically
    assert 0 < shown["hazard"] < 1 and shown["lab"] == stepped.focal.key
    events = stepped.events_frame()
    mover = int(events.loc[events.kind == "move", "researcher_id"].iloc[0])
    assert len(views.history(stepped, mover)) == (events.researcher_id == mover).sum()
    assert views.researcher(stepped, -5) is None


@pytest.mark.parametrize("scale", [0.2, 1.0])
def test_step_and_redraw_time(scale, scenario, benchmark):
    """One week as the page does it (model step, then every plot updated and encoded); the median is printed.

    The browser test times the same from click to redrawn page.
    """
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    from orgsim.dashboard import views
    from orgsim.dashboard.model import DashboardModel

    model = DashboardModel(**controls(scenario, scale=scale))

    def week() -> list[bytes]:
        model.step()
        return [draw(model).png() for draw in views.PLOTS]

    times = []
    for _ in range(20):
        started = time.perf_counter()
        images = week()
        times.append(time.perf_counter() - started)
    benchmark.pedantic(week, rounds=5, iterations=1)
    assert len(images) == len(views.PLOTS) and all(png.startswith(b"\x89PNG") for png in images)
    print(f"\nscale {scale}: {len(model.population):,} researchers, step + redraw median {np.median(times):.3f} s "
          f"(n={len(times)}; model step alone {np.median(model.step_seconds):.4f} s)")


def test_cli_warns_off_loopback_and_defaults_to_it(monkeypatch):
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    from orgsim.cli import app
    from orgsim.dashboard import serve

    served = []
    monkeypatch.setattr(serve, "exec_server", lambda config, host, port: served.append((host, port)))
    runner = CliRunner()
    exposed = runner.invoke(app, ["dashboard", str(CONFIG), "--host", "0.0.0.0"])
    assert exposed.exit_code == 0 and "exposes the model" in exposed.output
    local = runner.invoke(app, ["dashboard", str(CONFIG)])
    assert local.exit_code == 0 and "exposes" not in local.output
    assert "http://127.0.0.1:8765/" in local.output
    assert served == [("0.0.0.0", 8765), ("127.0.0.1", 8765)]
    bad = runner.invoke(app, ["dashboard", "no/such.yaml"])
    assert bad.exit_code == 2 and "file not found" in bad.output
