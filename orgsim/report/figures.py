"""The report's figures: seaborn-styled matplotlib, drawn from summary tables (mean and 95% band).

Each function takes tidy tables from :mod:`orgsim.analysis` and returns a
Figure; none reads the store. Importing this module leaves matplotlib's
backend alone (notebooks keep showing figures inline); ``orgsim report``
selects the headless Agg backend itself.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from orgsim.extras import require

sns.set_theme(style="whitegrid", context="notebook")
BAND_ALPHA = 0.2


def palette(keys: list[str]) -> dict[str, tuple]:
    return dict(zip(keys, sns.color_palette("colorblind", len(keys)), strict=False))


def _band(ax, frame: pd.DataFrame, x: str, label: str, color) -> None:
    """A mean line with its 95% band."""
    frame = frame.sort_values(x)
    ax.plot(frame[x], frame["mean"], color=color, label=label, lw=1.8)
    ax.fill_between(frame[x], frame["ci_low"], frame["ci_high"], color=color, alpha=BAND_ALPHA, lw=0)


def _facets(
    n: int, width: float = 5.0, height: float = 3.6, sharey: bool = True, columns: int | None = None
) -> tuple[Figure, np.ndarray]:
    """``n`` panels in rows of ``columns`` (all in one row by default); unused cells of the last row are hidden."""
    columns = min(n, columns or n)
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(width * columns, height * rows), sharey=sharey, squeeze=False, layout="constrained"
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def _dates(ax) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _release_lines(ax, releases: dict[str, pd.Timestamp], colors: dict[str, tuple] | None = None) -> None:
    for scenario, date in releases.items():
        if pd.notna(date):
            ax.axvline(date, color=(colors or {}).get(scenario, "0.4"), ls="--", lw=1)


def followed(curves: pd.DataFrame) -> pd.DataFrame:
    """The part of each curve where at least half of its runs are still followed up (the tail is a few runs' mean)."""
    most = curves.groupby(["measure", "scenario", "lab", "cohort"], observed=True)["n"].transform("max")
    return curves[curves["n"] >= most / 2]


def survival_figure(curves: pd.DataFrame, lab: str, cohorts: list[str], scenarios: list[str]) -> Figure:
    """Kaplan–Meier retention at ``lab`` by scenario, one panel per cohort."""
    colors = palette(scenarios)
    fig, axes = _facets(len(cohorts))
    curves = followed(curves)
    for ax, cohort in zip(axes, cohorts, strict=False):
        part = curves[(curves["measure"] == "survival") & (curves["lab"] == lab) & (curves["cohort"] == cohort)]
        for scenario in scenarios:
            _band(ax, part[part["scenario"] == scenario], "t", scenario, colors[scenario])
        since = "weeks since 2025-06-02" if cohort == "incumbent" else "weeks since arrival"
        ax.set(title=f"{cohort} at {lab}", xlabel=since, ylabel="still at the lab (KM)", ylim=(0, 1.02))
    axes[0].legend(loc="lower left", fontsize="small")
    return fig


def incidence_figure(curves: pd.DataFrame, lab: str, cohorts: list[str], scenarios: list[str]) -> Figure:
    """Cumulative incidence of each way of leaving ``lab`` (rows: cohorts; columns: causes), mean with 95% band."""
    colors = palette(scenarios)
    causes = {"cif_rival": "left for a rival", "cif_quit": "left otherwise", "cif_layoff": "laid off"}
    fig, axes = plt.subplots(
        len(cohorts),
        len(causes),
        figsize=(14, 3.4 * len(cohorts)),
        sharex="row",
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    curves = followed(curves)
    for row, cohort in zip(axes, cohorts, strict=False):
        part = curves[(curves["lab"] == lab) & (curves["cohort"] == cohort)]
        for ax, (measure, title) in zip(row, causes.items(), strict=False):
            for scenario in scenarios:
                line = part[(part["measure"] == measure) & (part["scenario"] == scenario)]
                _band(ax, line, "t", scenario, colors[scenario])
            ax.set(title=f"{cohort}: {title}", xlabel="weeks", ylabel="cumulative incidence")
    axes[0, 0].legend(loc="upper left", fontsize="small")
    return fig


def lines_by_lab(
    bands: pd.DataFrame, metric: str, scenarios: list[str], ylabel: str, releases: dict[str, pd.Timestamp]
) -> Figure:
    """One panel per scenario, one line per lab, for a weekly metric."""
    part = bands[bands["metric"] == metric]
    labs = list(dict.fromkeys(part["lab"].astype(str)))
    colors = palette(labs)
    fig, axes = _facets(len(scenarios), columns=2)
    for ax, scenario in zip(axes, scenarios, strict=False):
        for lab in labs:
            _band(ax, part[(part["scenario"] == scenario) & (part["lab"] == lab)], "date", lab, colors[lab])
        _release_lines(ax, {scenario: releases.get(scenario)})
        ax.set(title=scenario, xlabel="", ylabel=ylabel)
        _dates(ax)
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return fig


def lab_by_scenario(
    bands: pd.DataFrame, metric: str, lab: str, scenarios: list[str], ylabel: str, releases: dict[str, pd.Timestamp]
) -> Figure:
    """One lab's weekly metric, one line per scenario (dashed: each scenario's release)."""
    colors = palette(scenarios)
    fig, axes = _facets(1, width=8, height=4)
    ax = axes[0]
    part = bands[(bands["metric"] == metric) & (bands["lab"] == lab)]
    for scenario in scenarios:
        _band(ax, part[part["scenario"] == scenario], "date", scenario, colors[scenario])
    _release_lines(ax, releases, colors)
    ax.set(title=f"{lab}: {ylabel}", xlabel="", ylabel=ylabel)
    _dates(ax)
    ax.legend(fontsize="small")
    return fig


def flow_figure(flows: pd.DataFrame, scenarios: list[str]) -> Figure:
    """Heatmaps of mean researchers moved per run, from row to column (outside = hires and exits), log colour scale."""
    fig, axes = _facets(len(scenarios), width=6.2, height=5.2, sharey=False, columns=2)
    positive = flows.loc[flows["mean"] > 0, "mean"]
    norm = LogNorm(vmin=max(positive.min(), 0.1), vmax=positive.max()) if len(positive) else None
    for ax, scenario in zip(axes, scenarios, strict=False):
        matrix = flows[flows["scenario"] == scenario].pivot(index="from_lab", columns="to_lab", values="mean")
        sns.heatmap(
            matrix,
            ax=ax,
            annot=True,
            fmt=".0f",
            cmap="rocket_r",
            cbar=False,
            annot_kws={"size": 7},
            mask=~(matrix > 0),
            norm=norm,
        )
        ax.set(title=scenario, xlabel="to", ylabel="from")
    return fig


def short(name: str) -> str:
    """A parameter path's last two parts: ``labs.meta.quit_rate`` -> ``meta.quit_rate``."""
    return ".".join(name.split(".")[-2:])


def panel_title(scenario: str, outcome: str, width: int = 40) -> str:
    """A panel's title: the scenario, then the outcome's (long) label wrapped to fit above the panel."""
    return "\n".join([scenario, *textwrap.wrap(outcome, width)])


def lever_figure(levers: pd.DataFrame) -> Figure:
    """Standardized effect of each lever with its 95% interval, per scenario and outcome."""
    panels = list(levers.groupby(["scenario", "outcome"]).groups)
    fig, axes = _facets(len(panels), width=6.2, height=0.6 * levers["lever"].nunique() + 1.8, sharey=False, columns=2)
    for ax, (scenario, outcome) in zip(axes, panels, strict=False):
        part = levers[(levers["scenario"] == scenario) & (levers["outcome"] == outcome)].sort_values("src")
        y = np.arange(len(part))
        src = part["src"].to_numpy(float)
        ax.errorbar(
            src,
            y,
            xerr=[src - part["src_low"].to_numpy(float), part["src_high"].to_numpy(float) - src],
            fmt="o",
            color=sns.color_palette("colorblind")[0],
            capsize=3,
        )
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(y, [short(lever) for lever in part["lever"]])
        ax.set(title=panel_title(scenario, outcome), xlabel="SD of outcome per SD of lever")
    return fig


def sobol_figure(indices: pd.DataFrame) -> Figure:
    """First- (S1) and total-order (ST) Sobol indices with their intervals, one panel per scenario and outcome."""
    panels = [key for key, _ in indices.groupby(["scenario", "outcome"], sort=False)]
    colors = sns.color_palette("colorblind")
    fig, axes = _facets(
        len(panels), width=6.2, height=0.45 * indices["parameter"].nunique() + 1.8, sharey=False, columns=2
    )
    for ax, (scenario, outcome) in zip(axes, panels, strict=False):
        part = indices[(indices["scenario"] == scenario) & (indices["outcome"] == outcome)].sort_values("ST")
        y = np.arange(len(part))
        for offset, order, color in ((-0.17, "S1", colors[0]), (0.17, "ST", colors[1])):
            # the bootstrap interval as drawn, even where it does not contain the point estimate
            ax.hlines(y + offset, part[f"{order}_low"], part[f"{order}_high"], color=color, lw=1.2)
            ax.plot(part[order], y + offset, "o", color=color, label=order)
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(y, [short(name) for name in part["parameter"]])
        ax.set(title=panel_title(scenario, outcome), xlabel="share of outcome variance")
    axes[0].legend(loc="lower right", fontsize=8)
    return fig


def race_figure(run: pd.DataFrame, marks: pd.DataFrame, margins: pd.DataFrame, title: str) -> Figure:
    """The capability race: one run's public standing by lab, its gap to the public frontier, and the margin.

    ``run`` has one row per lab and week of a single run (``date``, ``lab``,
    ``standing``, ``capability``); ``marks`` that run's releases that lifted
    a standing; ``margins`` the leader's margin over the third lab as mean
    and 95% band per scenario and date.
    """
    labs = list(dict.fromkeys(run["lab"].astype(str)))
    colors = palette(labs)
    fig, axes = _facets(3, width=5.4, height=4.4, sharey=False)
    standing = run.pivot(index="date", columns="lab", values="standing")
    frontier = standing.max(axis=1)
    for lab in labs:
        part = run[run["lab"] == lab].sort_values("date")
        axes[0].step(part["date"], part["standing"], where="post", color=colors[lab], lw=1.8, label=lab)
        axes[0].plot(part["date"], part["capability"], color=colors[lab], lw=0.8, ls=":")
        axes[1].step(
            part["date"],
            part["standing"].to_numpy() - frontier.loc[part["date"]].to_numpy(),
            where="post",
            color=colors[lab],
            lw=1.5,
        )
        dots = marks[marks["lab"] == lab]
        axes[0].scatter(dots["date"], dots["standing"], color=colors[lab], s=14, zorder=3)
        axes[1].scatter(
            dots["date"],
            dots["standing"].to_numpy() - frontier.loc[dots["date"]].to_numpy(),
            color=colors[lab],
            s=14,
            zorder=3,
        )
    # the leader's colour along the top of the first panel: where the lead changes hands
    leader = standing.idxmax(axis=1)
    top = axes[0].get_ylim()[1]
    axes[0].scatter(leader.index, np.full(len(leader), top), c=[colors[str(lab)] for lab in leader], marker="s", s=9)
    axes[0].set(title=f"{title}: standing (steps), capability (dotted)", ylabel="index points")
    axes[1].set(title="standing − public frontier (dots: releases)", ylabel="index points")
    scenario_colors = palette(list(dict.fromkeys(margins["scenario"].astype(str))))
    for scenario, part in margins.groupby("scenario", observed=True):
        _band(axes[2], part, "date", str(scenario), scenario_colors[str(scenario)])
    axes[2].set(title="leader's margin over the third lab", ylabel="index points", ylim=(0, None))
    axes[2].legend(fontsize="small")
    for ax in axes:
        ax.set_xlabel("")
        _dates(ax)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=len(labs), fontsize="small")
    return fig


def cart_figure(classifier, names: list[str], depth: int = 3) -> Figure:
    """The top ``depth`` levels of CART's tree: each node's split, its runs and its share collapsed."""
    plot_tree = require("sklearn.tree", "the CART figure").plot_tree

    fig, ax = plt.subplots(figsize=(13, 6.5))
    plot_tree(
        classifier,
        feature_names=[short(n) for n in names],
        class_names=["held", "collapsed"],
        max_depth=depth,
        filled=True,
        proportion=True,
        impurity=False,
        rounded=True,
        fontsize=8,
        ax=ax,
    )
    return fig


def feature_figure(scores: pd.DataFrame) -> Figure:
    """Extra-trees importance of each input, for the collapse and for the outcome itself."""
    part = scores.sort_values("collapse")
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(part) + 1.6))
    y = np.arange(len(part))
    colors = sns.color_palette("colorblind")
    ax.barh(y - 0.2, part["collapse"], height=0.4, color=colors[3], label="collapse (classification)")
    ax.barh(y + 0.2, part["outcome"], height=0.4, color=colors[0], label="outcome (regression)")
    ax.set_yticks(y, [f"{short(n)} ({r[0]})" for n, r in zip(part["parameter"], part["role"], strict=False)])
    ax.set(xlabel="feature score (extra trees)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def pareto_figure(trials: pd.DataFrame, front: pd.DataFrame, objectives: list[str]) -> Figure:
    """Every pair of objectives: all complete trials, the Pareto front, the picks and the status quo."""
    pairs = [(a, b) for i, a in enumerate(objectives) for b in objectives[i + 1 :]]
    fig, axes = _facets(len(pairs), width=4.6, height=4.0, sharey=False)
    done = trials[trials["state"] == "COMPLETE"]
    colors = sns.color_palette("colorblind")
    quo = done[done["policy"] == "status quo"]
    for ax, (a, b) in zip(axes, pairs, strict=False):
        ax.scatter(done[a], done[b], s=14, color="0.7", label="trials")
        ax.scatter(front[a], front[b], s=26, color=colors[0], label="Pareto front")
        picked = front[front["pick"] != ""]
        ax.scatter(picked[a], picked[b], s=90, facecolors="none", edgecolors=colors[3], lw=1.5, label="picks")
        for _, row in picked.iterrows():
            ax.annotate(f"{int(row['trial'])}", (row[a], row[b]), xytext=(4, 4), textcoords="offset points", fontsize=8)
        ax.scatter(quo[a], quo[b], marker="X", s=70, color="black", label="status quo")
        ax.set(xlabel=a, ylabel=b)
    axes[0].legend(fontsize=7, loc="best")
    return fig


def reevaluation_figure(table: pd.DataFrame) -> Figure:
    """Each policy minus the status quo, per outcome, with 95% intervals (paired on fresh draws)."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _facets(len(outcomes), width=4.6, height=0.5 * table["policy"].nunique() + 1.6, sharey=True)
    for ax, outcome in zip(axes, outcomes, strict=False):
        part = table[(table["outcome"] == outcome) & (table["policy"] != "status quo")]
        y = np.arange(len(part))
        ax.errorbar(
            part["diff"],
            y,
            xerr=[part["diff"] - part["diff_low"], part["diff_high"] - part["diff"]],
            fmt="o",
            color=sns.color_palette("colorblind")[0],
            capsize=3,
        )
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(y, list(part["policy"]))
        ax.set(title=outcome, xlabel="minus status quo")
    return fig


def headline_figure(rows: pd.DataFrame, xlabel: str) -> Figure:
    """Retention after the release by scenario: one marker per outcome with its 95% interval.

    ``rows``: scenario (as titled for readers, top to bottom), outcome (its
    label), mean, ci_low, ci_high. Outcomes differ in colour and marker, so
    the figure reads without colour too.
    """
    scenarios = list(dict.fromkeys(rows["scenario"]))
    outcomes = list(dict.fromkeys(rows["outcome"]))
    colors, markers = sns.color_palette("colorblind", len(outcomes)), "osD^v"
    fig, ax = plt.subplots(figsize=(7.0, 0.62 * len(scenarios) + 1.9), layout="constrained")
    step = 0.36 / max(len(outcomes) - 1, 1)
    for i, outcome in enumerate(outcomes):
        part = rows[rows["outcome"] == outcome].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios)) + (i - (len(outcomes) - 1) / 2) * step
        error = np.vstack([part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]).clip(min=0) * 100
        ax.errorbar(
            100 * part["mean"],
            y,
            xerr=error,
            fmt=markers[i % len(markers)],
            color=colors[i],
            capsize=4,
            ms=7,
            lw=1.8,
            label=outcome,
        )
        for x, yy in zip(100 * part["mean"], y, strict=False):
            if pd.notna(x):
                ax.annotate(
                    f"{x:.0f}%",
                    (x, yy),
                    xytext=(0, 7),
                    textcoords="offset points",
                    ha="center",
                    fontsize=9,
                    color=colors[i],
                )
    ax.set_yticks(np.arange(len(scenarios)), scenarios)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    low = np.nanmin(100 * rows["ci_low"].fillna(rows["mean"]))
    ax.set_xlim(max(0.0, 5 * np.floor(low / 5) - 5), 100)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(outcomes), frameon=False, fontsize=9)
    return fig
