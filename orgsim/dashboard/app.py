"""orgsim's live dashboard, a Mesa SolaraViz app (``orgsim dashboard`` serves it).

The start scenario is ``ORGSIM_DASHBOARD_CONFIG`` (default
``configs/avocado_failure.yaml``); every runnable config beside it can be
picked in the controls. Mesa's Reset rebuilds the model from the controls
(:class:`~orgsim.dashboard.model.DashboardModel`); "Send to a sweep" writes
them as an experiment spec.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import solara
from mesa.visualization import Slider, SolaraViz, make_plot_component

from orgsim import labels
from orgsim.config import ConfigError, load_scenario
from orgsim.dashboard import levers, views
from orgsim.dashboard.model import DashboardModel

CONFIG = Path(os.environ.get("ORGSIM_DASHBOARD_CONFIG", "configs/avocado_failure.yaml"))
SPEC_FOLDER = Path("experiments")  # specs go beside the others (relative to where the dashboard runs)
SCENARIOS = {**levers.scenario_files(CONFIG.parent), CONFIG.stem: CONFIG}


def model_params(values: dict, scenario) -> dict:
    """SolaraViz controls (Mesa's ``model_params``) starting at ``values``, named as in ``scenario``."""
    policies = list(dict.fromkeys(["off", *levers.COUNTER_MATCHES, values["counteroffer"]]))
    params = {
        "scenarios": values["scenarios"],
        "config": {
            "type": "Select",
            "value": values["config"],
            "values": list(values["scenarios"]),
            "label": "Scenario",
        },
        "seed": {"type": "InputText", "value": values["seed"], "label": "Seed"},
        "scale": Slider(str(labels.parameter("population.scale")), values["scale"], 0.05, 1.0, 0.05),
        "retention_grant": Slider(levers.grant_label(scenario), values["retention_grant"], 0.0, 3.0, 0.25),
        **{
            lever.name: Slider(lever.label(scenario), values[lever.name], lever.low, lever.high, lever.step)
            for lever in levers.LEVERS
        },
        "counteroffer": {
            "type": "Select",
            "value": values["counteroffer"],
            "values": policies,
            "label": "Counteroffer policy (off, or x the rival offer)",
        },
    }
    for key in values:
        if key.startswith("mechanism_"):
            params[key] = {
                "type": "Checkbox",
                "value": values[key],
                "label": levers.mechanism_label(scenario, key.split("_", 1)[1]),
            }
    return params


START = load_scenario(CONFIG)
INITIAL = {"scenarios": SCENARIOS, **levers.defaults(START, CONFIG.stem)}  # the start scenario at scale 0.2
PARAMS = model_params(INITIAL, START)
FOCAL = labels.lab_name(START.focal_lab, START)  # the start scenario names the focal lab in the page-1 titles


def _pre(text: str, css: str):
    solara.HTML(
        tag="pre",
        unsafe_innerHTML=html.escape(text),
        classes=[css],
        style={"white-space": "pre-wrap", "font-size": "12px", "margin": "4px 0"},
    )


@solara.component
def RunCard(model, week: int):
    """The run on screen: week, overrides, step time; and "send to a sweep"."""
    replications, set_replications = solara.use_state(str(levers.SWEEP_REPLICATIONS))
    target, set_target = solara.use_state("")
    written, set_written = solara.use_state(None)
    error, set_error = solara.use_state(None)
    default = levers.spec_path(SPEC_FOLDER, model.path.stem, model.changes)

    def send():
        try:
            count = int(replications)
            spec = levers.write_spec(Path(target.strip() or default), model.path, model.changes, model.seed, count)
        except (ConfigError, ValueError, OSError) as exc:
            set_written(None)
            set_error(str(exc))
        else:
            set_error(None)
            set_written(str(spec))

    step_ms = 1000 * model.step_seconds[-1] if model.step_seconds else float("nan")
    with solara.Card("This run", style={"height": "100%", "overflow": "auto"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(
                f"week {model.week} ({model.date}), {len(model.population):,} researchers, seed {model.seed}; "
                f"last model step {step_ms:.1f} ms"
            ),
            classes=["orgsim-week"],
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(
                f"{model.path.name}; the grant goes to {levers.GRANT_SHARE:.0%} of {model.spec.focal_lab} "
                f"on {levers.grant_date(model.spec)}. Overrides:"
            ),
        )
        _pre("\n".join(model.changes) or "(none)", "orgsim-overrides")
        with solara.Row():
            solara.InputText("replications", value=replications, on_value=set_replications, continuous_update=True)
            solara.InputText(f"spec file (blank: {default})", value=target, on_value=set_target, continuous_update=True)
        solara.Button("Send to a sweep", color="primary", on_click=send, classes=["orgsim-send"])
        if error:
            solara.Error(error)
        if written:
            solara.Text(f"wrote {written}; run it with:")
            _pre(levers.sweep_command(Path(written)), "orgsim-sweep-command")


def Run(model):
    return RunCard(model, model.week)


def _titled(title: str):
    return lambda ax: ax.set_title(title, fontsize=10)


COMPONENTS = [
    Run,
    *(views.plot_component(draw) for draw in views.PLOTS),
    views.Ticker,
    views.InspectorView,
    # page 1: Mesa's own plots of the model's DataCollector; each redraws in full, so they sit on a page of their own
    make_plot_component(
        "focal_top_talent_share", post_process=_titled(f"{FOCAL}: share of the world's top talent"), page=1
    ),
    make_plot_component("focal_headcount", post_process=_titled(f"{FOCAL}: researchers"), page=1),
    make_plot_component("frontier", post_process=_titled("frontier capability"), page=1),
]


@solara.component
def Page():
    model = solara.use_memo(lambda: DashboardModel(**INITIAL), [])
    SolaraViz(model, components=COMPONENTS, model_params=PARAMS, name="orgsim: the talent race, week by week")
