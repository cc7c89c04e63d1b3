"""What the dashboard shows, read from the model's public state each week.

Plots are matplotlib figures built once per model and updated in place; a
time series redraws only its lines over a cached background (see
:class:`Lines`). The event log is read incrementally: each week only the
batches recorded since the last look are scanned.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import dataclass, field

import matplotlib.dates as mdates
import numpy as np
import PIL.Image
import reacton.ipywidgets as rw
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from orgsim import labels
from orgsim.sim import decision, derived
from orgsim.sim.recording import EVENT_KINDS, LEVELS

FIGSIZE, DPI = (6.6, 4.0), 80
EXECUTIVE_EXIT, MOVE = EVENT_KINDS.index("executive_exit"), EVENT_KINDS.index("move")


def _state(model, key, build):
    """Per-model drawing state, built on first use (a reset brings a new model, hence fresh state)."""
    if key not in model.views:
        model.views[key] = build()
    return model.views[key]


def dates(model) -> np.ndarray:
    return np.datetime64(model.spec.start, "D") + np.arange(model.week) * np.timedelta64(7, "D")


def level(model, name: str) -> np.ndarray:
    """``(weeks so far, labs)`` of one recorded level."""
    return model.recorder.levels[: model.week, :, LEVELS.index(name)]


def horizon(model) -> tuple[np.datetime64, np.datetime64]:
    start = np.datetime64(model.spec.start, "D")
    return start, start + np.timedelta64(7 * model.spec.weeks, "D")


class Drawing:
    """A matplotlib figure on its own Agg canvas, encoded to PNG without savefig's extra passes."""

    def __init__(self):
        self.figure = Figure(figsize=FIGSIZE, dpi=DPI)  # fixed margins: a constrained layout doubles the draw time
        self.canvas = FigureCanvasAgg(self.figure)

    def draw(self) -> None:
        self.canvas.draw()

    def png(self) -> bytes:
        self.draw()
        width, height = self.canvas.get_width_height()
        out = io.BytesIO()
        PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            out, format="png", compress_level=1
        )
        return out.getvalue()


class Lines(Drawing):
    """A time-series figure over the scenario's horizon, redrawn incrementally.

    The axes (ticks, labels, legend) are drawn once and kept as a background;
    each week only the lines are drawn on it. The x range is the whole
    horizon and y limits only ever widen, with room to spare, so the
    background rarely has to be redrawn.
    """

    def __init__(self, model, title: str, ylabel: str, labels: list[str], twin: str | None = None):
        super().__init__()
        self.figure.subplots_adjust(left=0.11, right=0.89 if twin else 0.97, top=0.92, bottom=0.24)
        self.ax = self.figure.subplots()
        self.ax.set_title(title, fontsize=10)
        self.ax.set_ylabel(ylabel)
        locator = mdates.AutoDateLocator()
        self.ax.xaxis.set_major_locator(locator)
        self.ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        self.ax.set_xlim(*horizon(model))
        self.axes = [self.ax] * len(labels)
        if twin:
            right = self.ax.twinx()
            right.set_ylabel(twin)
            self.axes[-1] = right
        colors = [f"C{i}" for i in range(len(labels))]
        self.lines = [
            ax.plot([], [], label=label, color=color, lw=1.6)[0]
            for ax, label, color in zip(self.axes, labels, colors, strict=True)
        ]
        self.figure.legend(handles=self.lines, loc="lower center", ncols=min(len(labels), 4), fontsize=8, frameon=False)
        self.background = None
        self.fitted: set = set()
        self.marked = 0

    def update(self, x: np.ndarray, ys: list[np.ndarray]) -> None:
        for line, y in zip(self.lines, ys, strict=True):
            line.set_data(x, y)
        for ax in set(self.axes):
            values = np.concatenate(
                [line.get_ydata() for line, on in zip(self.lines, self.axes, strict=True) if on is ax]
            )
            values = values[np.isfinite(values)]
            if not len(values):
                continue
            low, high = values.min(), values.max()
            below, above = ax.get_ylim()
            if ax not in self.fitted or low < below or high > above:
                room = 0.25 * (high - low) or 0.1 * abs(high) or 1.0
                ax.set_ylim(
                    min(low - room, below) if ax in self.fitted else low - room,
                    max(high + room, above) if ax in self.fitted else high + room,
                )
                self.fitted.add(ax)
                self.background = None

    def draw(self) -> None:
        if self.background is None:
            for line in self.lines:
                line.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            for line in self.lines:
                line.set_visible(True)
        else:
            self.canvas.restore_region(self.background)
        for ax, line in zip(self.axes, self.lines, strict=True):
            ax.draw_artist(line)


def show(model, drawing: Drawing):
    """The drawing as an image, encoded once per model and week."""
    rw.Image(value=solara.use_memo(drawing.png, [id(model), model.week]), format="png")


# ---------------------------------------------------------------- plots: each brings its drawing up to this week


def _lab_lines(model, key: str, title: str, ylabel: str, metric: str) -> Lines:
    lines = _state(model, key, lambda: Lines(model, title, ylabel, [lab.key for lab in model.labs]))
    lines.update(dates(model), list(level(model, metric).T))
    return lines


def headcount(model) -> Lines:
    return _lab_lines(model, "headcount", "Headcount by lab", "researchers", "headcount")


def top_talent(model) -> Lines:
    top = 1 - model.spec.outcomes.top_quantile
    return _lab_lines(
        model, "top_talent", f"Share of the world's top talent (top {top:.0%} by skill)", "share", "top_talent_share"
    )


def morale(model) -> Lines:
    return _lab_lines(model, "morale", "Morale by lab (mean)", "morale", "morale")


def cohort(model) -> Lines:
    name, focal = model.spec.outcomes.cohort, model.focal
    lab = labels.lab_name(focal.key, model.spec)
    lines = _state(
        model, "cohort", lambda: Lines(model, f"The {name} cohort still at {lab}", "researchers", [f"{name} at {lab}"])
    )
    lines.update(dates(model), [level(model, "tracked_cohort")[:, focal.index]])
    return lines


def capability(model) -> Lines:
    focal = model.focal
    lab = labels.lab_name(focal.key, model.spec)
    lines = _state(
        model,
        "capability",
        lambda: Lines(
            model, f"{lab}: capability against the frontier", "capability (index points)", [lab, "frontier (best lab)"]
        ),
    )
    capability = level(model, "capability")
    lines.update(dates(model), [capability[:, focal.index], capability.max(axis=1)])
    own = [r for r in model.release_log if r["lab"] == focal.key]
    for release in own[lines.marked :]:
        when = np.datetime64(model.spec.start, "D") + np.timedelta64(7 * int(release["week"]), "D")
        headline = release["model"] == model.spec.outcomes.release
        lines.ax.axvline(when, color="crimson" if headline else "grey", lw=1.4 if headline else 0.6, ls="--")
        if headline:
            lines.ax.annotate(
                f"{release['model']}: {release['outcome']}",
                (when, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                color="crimson",
                fontsize=8,
            )
    if len(own) > lines.marked:
        lines.background = None  # new markers belong to the background
    lines.marked = len(own)
    return lines


def finance(model) -> Lines:
    focal = model.focal
    lines = _state(
        model,
        "finance",
        lambda: Lines(
            model,
            f"{labels.lab_name(focal.key, model.spec)}: share price and CEO pressure",
            "share price",
            ["share price", "CEO pressure"],
            twin="CEO pressure",
        ),
    )
    lines.update(dates(model), [level(model, "share_price")[:, focal.index], level(model, "pressure")[:, focal.index]])
    return lines


# ---------------------------------------------------------------- the event log, read incrementally


@dataclass
class EventLog:
    """Lab-to-lab moves and executive exits, accumulated from the recorder's batches."""

    labs: int
    read: int = 0
    moves: np.ndarray = None
    exits: list[tuple[int, int, int]] = field(default_factory=list)  # (week, executive id, lab)

    def __post_init__(self):
        self.moves = np.zeros((self.labs, self.labs), dtype=np.int64)

    def catch_up(self, batches: list[dict]) -> EventLog:
        for batch in batches[self.read :]:
            kind = batch["kind"]
            move = kind == MOVE
            np.add.at(self.moves, (batch["from_lab"][move], batch["to_lab"][move]), 1)
            for i in np.flatnonzero(kind == EXECUTIVE_EXIT):
                self.exits.append((int(batch["week"][i]), int(batch["researcher_id"][i]), int(batch["from_lab"][i])))
        self.read = len(batches)
        return self


def event_log(model) -> EventLog:
    return _state(model, "events", lambda: EventLog(len(model.labs))).catch_up(model.recorder._batches)


class Matrix(Drawing):
    """A from-lab x to-lab heatmap whose cells and counts are refreshed in place."""

    def __init__(self, names: list[str]):
        super().__init__()
        n = len(names)
        self.figure.subplots_adjust(left=0.05, right=0.95, top=0.92, bottom=0.2)
        ax = self.ax = self.figure.subplots()
        self.image = ax.imshow(np.zeros((n, n)), cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        self.texts = [[ax.text(j, i, "", ha="center", va="center", fontsize=7) for j in range(n)] for i in range(n)]

    def update(self, counts: np.ndarray, title: str) -> None:
        top = max(int(counts.max()), 1)
        self.image.set_data(counts)
        self.image.set_clim(0, top)
        for i, row in enumerate(self.texts):
            for j, text in enumerate(row):
                text.set_text(str(counts[i, j]) if counts[i, j] else "")
                text.set_color("white" if counts[i, j] > top / 2 else "black")
        self.ax.set_title(title, fontsize=10)


def flows(model) -> Matrix:
    matrix = _state(model, "flows", lambda: Matrix([lab.key for lab in model.labs]))
    log = event_log(model)
    matrix.update(log.moves, f"Researchers moving lab to lab, weeks 0-{model.week} ({log.moves.sum():,})")
    return matrix


#: the page's plots, in order
PLOTS = (headcount, top_talent, cohort, capability, finance, morale, flows)


def plot_component(draw):
    """A SolaraViz component (a function of the model) showing ``draw``'s figure."""

    def Plot(model):
        show(model, draw(model))

    Plot.__name__ = Plot.__qualname__ = f"Plot_{draw.__name__}"
    return Plot


def ticker(model) -> list[tuple[int, str, str]]:
    """(week, kind, text) of every dated event, CEO decision, release and executive exit so far, newest first."""
    items = []
    for week, key in model.fired:
        event = model.spec.timeline[key]
        items.append((week, event.kind, f"{event.lab}: {key}" + (f" ({event.note})" if event.note else "")))
    items += [(week, "decision", f"{lab} CEO: {action}") for week, lab, action in model.decisions]
    items += [(r["week"], "release", f"{r['lab']} releases {r['model']}: {r['outcome']}") for r in model.release_log]
    names = {e.unique_id: e.name for lab in model.labs for e in lab.executives}
    items += [
        (week, "executive exit", f"{model.labs[lab].key}: {names.get(uid, uid)} leaves")
        for week, uid, lab in event_log(model).exits
    ]
    return sorted(items, key=lambda item: -item[0])


def Ticker(model):
    rows = "".join(
        f"<tr><td style='white-space: nowrap'>{model.spec.start + dt.timedelta(weeks=week)}</td>"
        f"<td style='white-space: nowrap'><b>{html.escape(kind)}</b>"
        f"</td><td>{html.escape(text)}</td></tr>"
        for week, kind, text in ticker(model)[:60]
    )
    with solara.Card("Events and decisions", style={"height": "100%", "overflow": "auto"}):
        solara.HTML(
            tag="table",
            unsafe_innerHTML=rows,
            classes=["orgsim-ticker"],
            style={"font-size": "12px", "line-height": "1.3"},
        )


# ---------------------------------------------------------------- the researcher inspector


def top_slots(model, lab: int, k: int) -> np.ndarray:
    """Slots of the ``k`` most skilled researchers at ``lab``."""
    slots = np.flatnonzero(model.population.lab == lab)
    return slots[np.argsort(-model.population.skill[slots], kind="stable")[:k]]


def researcher(model, uid: int) -> dict | None:
    """What the inspector shows of researcher ``uid`` now, or None once they left the model."""
    pop = model.population
    found = np.flatnonzero(pop.uid == uid)
    if not len(found):
        return None
    slot = found[:1]
    pay = derived.current_comp(model, slot)
    terms = {name: float(values[0]) for name, values in decision.covariates(model, slot).items()}
    return {
        "lab": model.labs[int(pop.lab[slot][0])].key,
        "team": model.team_names[int(pop.team[slot][0])],
        "cohort": model.cohorts[int(pop.cohort[slot][0])],
        "skill": float(pop.skill[slot][0]),
        "tenure_weeks": int(model.week - pop.hire_week[slot][0]),
        "pay_k": float(pay[0]),
        "unvested_k": float(derived.unvested_value(model, slot)[0]),
        "morale": float(pop.morale[slot][0]),
        "hazard": terms.pop("hazard"),
        "terms": terms,
    }


def history(model, uid: int) -> list[tuple[int, str, str, str]]:
    """(week, kind, from, to) of every offer, counter, move, hire or exit of researcher ``uid``."""
    places = ["outside", *(lab.key for lab in model.labs)]
    rows = []
    for batch in model.recorder._batches:
        for i in np.flatnonzero((batch["researcher_id"] == uid) & (batch["kind"] != EXECUTIVE_EXIT)):
            rows.append(
                (
                    int(batch["week"][i]),
                    EVENT_KINDS[batch["kind"][i]],
                    places[batch["from_lab"][i] + 1],
                    places[batch["to_lab"][i] + 1],
                )
            )
    return rows


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"


@solara.component
def Inspector(model, week: int):
    lab_key, set_lab = solara.use_state(model.spec.focal_lab)
    k, set_k = solara.use_state(5)
    picked, set_picked = solara.use_state("")
    labs = [lab.key for lab in model.labs]
    lab = labs.index(lab_key) if lab_key in labs else model.focal.index
    slots = top_slots(model, lab, k)
    hazards = decision.covariates(model, slots)["hazard"]
    pop = model.population
    with solara.Card("Researcher inspector", style={"height": "100%", "overflow": "auto"}):
        with solara.Row():
            solara.Select("lab", values=labs, value=labs[lab], on_value=set_lab)
            solara.SliderInt("top k by skill", value=k, min=1, max=20, on_value=set_k)
        rows = [
            [
                int(pop.uid[s]),
                model.team_names[pop.team[s]].split("/")[-1],
                model.cohorts[pop.cohort[s]],
                f"{pop.skill[s]:.2f}",
                f"{h:.4f}",
            ]
            for s, h in zip(slots, hazards, strict=True)
        ]
        solara.HTML(
            tag="table",
            unsafe_innerHTML=_table(["id", "team", "cohort", "skill", "weekly quit hazard"], rows),
            style={"font-size": "12px"},
            classes=["orgsim-topk"],
        )
        solara.InputText(
            "researcher id (blank: the most skilled above)", value=picked, on_value=set_picked, continuous_update=True
        )
        try:
            uid = int(picked) if picked.strip() else int(pop.uid[slots[0]]) if len(slots) else None
        except ValueError:
            solara.Error(f"researcher id: expected a number, got {picked!r}")
            return
        if uid is None:
            return
        Researcher(model, uid)


def Researcher(model, uid: int):
    now = researcher(model, uid)
    if now is None:
        solara.Warning(f"researcher {uid} is not in the model now (left, or never existed)")
    else:
        facts = [
            ["lab", now["lab"]],
            ["team", now["team"]],
            ["cohort", now["cohort"]],
            ["skill", f"{now['skill']:.2f}"],
            ["tenure", f"{now['tenure_weeks']} weeks"],
            ["pay", f"{now['pay_k']:,.0f} k$/year"],
            ["unvested equity", f"{now['unvested_k']:,.0f} k$"],
            ["morale", f"{now['morale']:.3f}"],
            ["weekly quit hazard", f"{now['hazard']:.5f}"],
        ]
        facts += [[f"  term: {name}", f"{value:.4g}"] for name, value in now["terms"].items()]
        solara.HTML(
            tag="table",
            unsafe_innerHTML=_table([f"researcher {uid}", "now"], facts),
            style={"font-size": "12px"},
            classes=["orgsim-researcher"],
        )
    rows = [
        [str(model.spec.start + dt.timedelta(weeks=week)), kind, src, dst]
        for week, kind, src, dst in history(model, uid)
    ]
    rows = rows or [["-", "none yet", "", ""]]
    solara.HTML(
        tag="table",
        unsafe_innerHTML=_table(["date", "event", "from", "to"], rows),
        style={"font-size": "12px"},
        classes=["orgsim-history"],
    )


def InspectorView(model):
    return Inspector(model, model.week)
