"""``orgsim discover``: scenario discovery on an exploratory store.

A lever ranking says how much each input moves an outcome on average; the
question here is a region: under which combinations of conditions does the
outcome collapse? The runs of a store's design points are the cases, their
inputs (the ranges swept and the fitted vectors drawn) the coordinates, and
"outcome below the threshold" the cases of interest. EMA Workbench does the
analysis: PRIM peels a box around the cases of interest (its trajectory
trades coverage, the share of the cases the box holds, against density, the
share of the box that are cases), CART grows a classification tree and
extra trees score the features. The chosen box is the densest one on the
trajectory with at least ``min_coverage`` that restricts at most
``max_dims`` inputs; PRIM is rerun on bootstrap resamples of the runs with
the same rule to see how often each restriction comes back. Written to OUT::

    peeling.csv          the trajectory: coverage, density, mass, restricted inputs of every box (peel or drop)
    box.csv              the chosen box: each restriction, its quasi-p-values and bootstrap reappearance
    cart.csv             CART's leaves: rule, coverage, density, mass
    feature_scores.csv   extra-trees importance for the collapse (classification) and the outcome (regression)
    discovery.md         all of it as tables, with the box in words
    discovery.json       the question, the counts, the chosen box and its sentence, the git revision
    tradeoff.png, box.png, cart.png, feature_scores.png
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim import labels, tables
from orgsim.analysis import StoreError, read_runs
from orgsim.files import atomic_write, git_revision, read_pngs, write_json
from orgsim.sweep.store import Store

#: a restriction stays in the chosen box only if its quasi-p-value is at most this (Bryant and Lempert 2010)
ALPHA = 0.05
#: prefixes of the input columns in runs.parquet, and the role an input without an exploration block plays
INPUTS = {"param:": "parameter", "draw:": "fitted"}


class DiscoveryError(StoreError):
    """The store cannot answer the question (no design runs, no outcome, nothing or everything collapsed)."""


@dataclass(frozen=True)
class Question:
    outcome: str
    threshold: float
    below: bool = True

    def phrase(self, verb: str = "") -> str:
        """'cohort_retention below 50%', or with ``verb`` 'cohort_retention fell below 50%'."""
        value = f"{100 * self.threshold:.0f}%" if 0 < abs(self.threshold) <= 1 else f"{self.threshold:g}"
        return " ".join(filter(None, (self.outcome, verb, "below" if self.below else "above", value)))


@dataclass
class Cases:
    x: pd.DataFrame  # one row per run, one column per input that varies
    values: np.ndarray  # the outcome of each run
    collapsed: np.ndarray  # the cases of interest
    roles: dict[str, str]  # input -> uncertainty, lever, fitted or parameter
    scenario: str
    undefined: int  # design runs left out because the outcome is undefined there


@dataclass
class Discovery:
    question: Question
    cases: Cases
    peeling: pd.DataFrame
    chosen: int
    box: pd.DataFrame
    cart: pd.DataFrame
    scores: pd.DataFrame
    sentence: str
    resamples: int
    figures: dict = field(default_factory=dict)


# ------------------------------------------------------------ the cases


def roles(manifest: dict) -> dict[str, str]:
    """Which inputs an exploration declared uncertainties and which levers (the rest: fitted or parameter)."""
    explore = (manifest.get("spec") or {}).get("explore") or {}
    named = {name: "uncertainty" for name in (explore.get("uncertainties") or {}).get("parameters") or {}}
    return named | {name: "lever" for name in explore.get("levers") or {}}


def cases(root: Path, question: Question, scenario: str | None = None) -> Cases:
    """The design runs of one scenario as PRIM's input table and the collapsed flags."""
    runs = read_runs(root)
    design = runs[runs["point"] > 0]
    swept = sorted(design["scenario"].unique())
    if not swept:
        raise DiscoveryError(f"{root}: no runs at design points 1..K; discovery needs an exploratory or design sweep")
    if scenario is None and len(swept) > 1:
        raise DiscoveryError(
            f"{root}: design runs of {len(swept)} scenarios ({', '.join(swept)}); pick one with --scenario"
        )
    scenario = scenario or swept[0]
    if scenario not in swept:
        raise DiscoveryError(f"--scenario: {scenario!r} has no design runs in {root} (it has {', '.join(swept)})")
    if question.outcome not in design.columns or not pd.api.types.is_numeric_dtype(design[question.outcome]):
        raise DiscoveryError(f"--outcome: {question.outcome!r} is not a numeric outcome of the runs in {root}")
    design = design[design["scenario"] == scenario]
    defined = design[design[question.outcome].notna()]
    declared = roles(Store(root).read_manifest() or {})
    columns, kinds = {}, {}
    for column in design.columns:
        prefix = next((p for p in INPUTS if column.startswith(p)), None)
        if prefix and pd.api.types.is_numeric_dtype(design[column]) and defined[column].nunique() > 1:
            name = column[len(prefix) :]
            columns[column], kinds[name] = name, declared.get(name, INPUTS[prefix])
    if not columns:
        raise DiscoveryError(f"{root}: the design runs of {scenario} vary no input")
    values = defined[question.outcome].to_numpy(float)
    collapsed = values < question.threshold if question.below else values > question.threshold
    if collapsed.all() or not collapsed.any():
        share = "every" if collapsed.all() else "no"
        raise DiscoveryError(
            f"{root}: in {share} design run of {scenario} {question.phrase('fell')}; "
            "nothing to tell apart (try another threshold)"
        )
    x = defined[list(columns)].rename(columns=columns).reset_index(drop=True).astype(float)
    return Cases(x, values, collapsed, kinds, scenario, len(design) - len(defined))


# ------------------------------------------------------------ PRIM, its box and its stability


def choose(peeling: pd.DataFrame, min_coverage: float) -> int:
    """The densest box that restricts something and keeps ``min_coverage`` (ties: more coverage); else box 0."""
    enough = peeling[(peeling["coverage"] >= min_coverage) & (peeling["res_dim"] > 0)]
    if enough.empty:
        return 0
    return int(enough.sort_values(["density", "coverage"], ascending=False, kind="stable").index[0])


def significance(box, i: int) -> dict[str, float]:
    """Each restriction's quasi-p-value (the larger of its restricted sides')."""
    return {
        name: max(v for v in sides if v >= 0) for name, sides in box.p_values[i].items() if any(v >= 0 for v in sides)
    }


def prune(box, i: int, max_dims: int) -> int:
    """Drop restrictions, the least significant first, while one has a quasi-p-value above ALPHA or more
    than ``max_dims`` remain (at least one stays). PRIM peels many inputs a little on noisy runs; this keeps
    the ones that carry the density. Each drop (EMA Workbench's ``drop_restriction``) is a new step on the
    trajectory; returns the last."""
    while len(qp := significance(box, i)) > 1 and (len(qp) > max_dims or max(qp.values()) > ALPHA):
        box.drop_restriction(max(qp, key=qp.get), i)
        i = len(box.peeling_trajectory) - 1
    return i


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame) -> dict[str, tuple[float | None, float | None]]:
    """Each restricted input's lower and upper limit, None on a side the box leaves open."""
    out = {}
    for name in box_lim.columns:
        low, high = float(box_lim[name].iloc[0]), float(box_lim[name].iloc[1])
        low_open, high_open = low <= float(box_init[name].iloc[0]), high >= float(box_init[name].iloc[1])
        if not (low_open and high_open):
            out[name] = (None if low_open else low, None if high_open else high)
    return out


def find_box(x: pd.DataFrame, collapsed: np.ndarray, min_coverage: float, max_dims: int):
    """PRIM's first box on these cases, the length of its peeling and pasting, and the chosen step."""
    from orgsim.decision.workbench import prim

    box = prim.Prim(x, collapsed, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05).find_box()
    peeled = len(box.peeling_trajectory)
    return box, peeled, prune(box, choose(box.peeling_trajectory, min_coverage), max_dims)


def stability(
    x: pd.DataFrame, collapsed: np.ndarray, limits: dict, min_coverage: float, max_dims: int, resamples: int, seed: int
) -> pd.DataFrame:
    """How often each restriction (input and side) comes back when PRIM reruns on bootstrap resamples."""
    rng = np.random.default_rng(seed)
    found = {name: [] for name in limits}
    for _ in range(resamples):
        rows = rng.integers(0, len(x), len(x))
        if collapsed[rows].all() or not collapsed[rows].any():
            continue
        box, _, i = find_box(x.iloc[rows].reset_index(drop=True), collapsed[rows], min_coverage, max_dims)
        again = _limits(box.box_lims[i], box.prim.box_init)
        for name, (low, high) in limits.items():
            got = again.get(name)
            same = got is not None and (low is None) == (got[0] is None) and (high is None) == (got[1] is None)
            found[name].append(same)
    return pd.DataFrame(
        {"parameter": list(found), "reappears": [float(np.mean(v)) if v else np.nan for v in found.values()]}
    )


def restrictions(box, i: int, cases: Cases) -> pd.DataFrame:
    """The chosen box, one row per restricted input: limits, the sampled range, quasi-p-values."""
    limits = _limits(box.box_lims[i], box.prim.box_init)
    qp = box.p_values[i]
    rows = []
    for name, (low, high) in limits.items():
        q_low, q_high = (qp.get(name) or [-1, -1])[:2]
        rows.append(
            {
                "parameter": name,
                "role": cases.roles[name],
                "low": low,
                "high": high,
                "sampled_low": float(cases.x[name].min()),
                "sampled_high": float(cases.x[name].max()),
                "qp_low": q_low if low is not None and q_low >= 0 else np.nan,
                "qp_high": q_high if high is not None and q_high >= 0 else np.nan,
            }
        )
    return pd.DataFrame(
        rows, columns=["parameter", "role", "low", "high", "sampled_low", "sampled_high", "qp_low", "qp_high"]
    )


def condition(row, name: Callable[[str], str] = str, text: Callable[[str], str] = str) -> str:
    """One restriction in words: 'A < a', 'A > a' or 'a < A < b'.

    ``name`` names the input (the report gives its label), ``text`` makes the
    template (the report's ``Markup`` escapes the comparison signs).
    """
    low, high, input_ = row["low"], row["high"], name(row["parameter"])
    if pd.isna(low):
        return text("{} < {}").format(input_, tables.number(high))
    if pd.isna(high):
        return text("{} > {}").format(input_, tables.number(low))
    return text("{} < {} < {}").format(tables.number(low), input_, tables.number(high))


def in_words(question: Question, box: pd.DataFrame, coverage: float, density: float, base_rate: float) -> str:
    """'In X% of the runs where ... fell below 50%, A < a and B > b (coverage c, density d)' and the base rate."""
    conditions = [condition(r, lambda path: labels.input_label(path).text) for _, r in box.iterrows()]
    return (
        f"In {coverage:.0%} of the runs where {question.phrase('fell')}, {tables.listing(conditions)} (coverage "
        f"{coverage:.2f}, density {density:.2f}): inside this box {density:.0%} of the runs collapse, against "
        f"{base_rate:.0%} of all runs."
    )


# ------------------------------------------------------------ CART and feature scores


def cart_leaves(cases: Cases, seed: int, mass_min: float = 0.05):
    """CART's classification tree and its leaves, the collapsed ones first.

    EMA Workbench leaves scikit-learn's tree unseeded, so splits that tie
    fell differently from one run to the next (the same store gave two trees);
    it draws from NumPy's global generator, seeded here and restored after.
    """
    from orgsim.decision.workbench import cart

    # at least one run per leaf however few runs there are
    model = cart.CART(cases.x, cases.collapsed, mass_min=max(mass_min, (1 + 1e-9) / len(cases.x)))
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        model.build_tree()
    finally:
        np.random.set_state(state)
    init = model.boxes[0].copy()
    for name in cases.x.columns:
        init[name] = [cases.x[name].min(), cases.x[name].max()]
    rows = []
    for leaf, (lims, stats) in enumerate(zip(model.boxes, model.stats, strict=False)):
        rule = [condition({"parameter": n, "low": lo, "high": hi}) for n, (lo, hi) in _limits(lims, init).items()]
        rows.append(
            {
                "leaf": leaf,
                "rule": " and ".join(rule) or "(all runs)",
                "coverage": stats["coverage"],
                "density": stats["density"],
                "mass": stats["mass"],
                "runs": round(stats["mass"] * len(cases.x)),
            }
        )
    leaves = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, kind="stable")
    return model, leaves.reset_index(drop=True)


def feature_scores(cases: Cases, seed: int) -> pd.DataFrame:
    """Extra-trees importance of each input for the collapse and for the outcome itself."""
    from orgsim.decision.workbench import RuleInductionType, feature_scoring

    parts = {}
    for label, y, mode in (
        ("collapse", cases.collapsed.astype(int), RuleInductionType.CLASSIFICATION),
        ("outcome", cases.values, RuleInductionType.REGRESSION),
    ):
        scores, _ = feature_scoring.get_ex_feature_scores(cases.x, y, mode=mode, random_state=seed)
        parts[label] = scores.iloc[:, 0]
    frame = pd.DataFrame(parts).rename_axis("parameter").reset_index()
    frame.insert(1, "role", frame["parameter"].map(cases.roles))
    return frame.sort_values("collapse", ascending=False, kind="stable").reset_index(drop=True)


# ------------------------------------------------------------ the whole analysis


def discover(
    root: str | Path,
    question: Question,
    scenario: str | None = None,
    *,
    min_coverage: float = 0.6,
    max_dims: int = 3,
    resamples: int = 50,
    seed: int = 0,
) -> Discovery:
    """Run PRIM, its bootstrap, CART and the feature scores on the store at ``root``."""
    found = cases(Path(root), question, scenario)
    box, peeled, i = find_box(found.x, found.collapsed, min_coverage, max_dims)
    peeling = box.peeling_trajectory[["id", "coverage", "density", "mass", "res_dim", "n", "k"]].copy()
    peeling.insert(1, "step", ["peel"] * peeled + ["drop"] * (len(peeling) - peeled))
    peeling["restricted"] = [", ".join(_limits(lims, box.prim.box_init)) for lims in box.box_lims]
    chosen = restrictions(box, i, found)
    stable = stability(
        found.x, found.collapsed, _limits(box.box_lims[i], box.prim.box_init), min_coverage, max_dims, resamples, seed
    )
    chosen = chosen.merge(stable, on="parameter", how="left")
    row = peeling.loc[i]
    sentence = (
        in_words(question, chosen, row["coverage"], row["density"], found.collapsed.mean())
        if len(chosen)
        else f"PRIM found no box that restricts an input: {question.phrase('fell')} in "
        f"{found.collapsed.mean():.0%} of the runs, spread over the whole design."
    )
    tree, leaves = cart_leaves(found, seed)
    result = Discovery(question, found, peeling, i, chosen, leaves, feature_scores(found, seed), sentence, resamples)
    result.figures = _figures(result, box, tree)
    return result


def _figures(result: Discovery, box, tree) -> dict:
    """EMA Workbench's trade-off (the chosen box marked) and box plots, the tree and the scores."""
    from orgsim.decision.workbench import scenario_discovery_util
    from orgsim.report.figures import cart_figure, feature_figure

    peeling = result.peeling
    tradeoff = scenario_discovery_util.plot_tradeoff(peeling[peeling["step"] == "peel"])
    dropped = peeling[peeling["step"] == "drop"]
    start = peeling.loc[[dropped.index[0] - 1]] if len(dropped) else dropped
    path = pd.concat([start, dropped])
    ax = tradeoff.axes[0]
    ax.plot(path["coverage"], path["density"], "-o", color="red", ms=3, lw=1, label="restrictions dropped")
    row = peeling.loc[result.chosen]
    ax.scatter(
        [row["coverage"]],
        [row["density"]],
        s=160,
        facecolors="none",
        edgecolors="red",
        label=f"chosen: box {result.chosen}",
    )
    ax.legend(loc="lower left", fontsize=8)
    figures = {"tradeoff": tradeoff}
    if len(result.box):
        figures["box"] = box.inspect(result.chosen, style="graph")[0]
        figures["box"].set_size_inches(8, 1.2 + 0.6 * len(result.box))
        figures["box"].tight_layout()
    figures["cart"] = cart_figure(tree.clf, list(result.cases.x.columns))
    figures["feature_scores"] = feature_figure(result.scores)
    import matplotlib.pyplot as plt

    for figure in figures.values():  # kept for saving and display, released from pyplot's registry
        plt.close(figure)
    return figures


# ------------------------------------------------------------ outputs


def markdown(result: Discovery) -> str:
    q, c = result.question, result.cases
    parts = [
        f"# When does {q.outcome} collapse? ({c.scenario})\n",
        result.sentence + "\n",
        f"{len(c.x)} design runs with the outcome defined ({c.undefined} left out as undefined), "
        f"{int(c.collapsed.sum())} of them with {q.phrase()}; {c.x.shape[1]} inputs varied.\n",
        "## The chosen box\n",
        f"Box {result.chosen} of the peeling trajectory. Quasi-p-value: one-sided binomial test that the "
        f"restriction adds density by chance; reappears: share of {result.resamples} bootstrap resamples "
        "in which PRIM, choosing the same way, restricts the input on the same side.\n",
    ]
    parts.append(tables.markdown(labels.labelled(result.box)) if len(result.box) else "(no restriction)")
    parts += [
        "## Peeling trajectory\n",
        tables.markdown(result.peeling),
        "## CART leaves\n",
        tables.markdown(result.cart),
        "## Feature scores (extra trees)\n",
        tables.markdown(labels.labelled(result.scores)),
    ]
    return "\n".join(parts) + "\n"


def write(result: Discovery, out: str | Path) -> list[Path]:
    """Write the tables, the page, the description and the figures into ``out``; returns the files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "peeling.csv": result.peeling,
        "box.csv": result.box,
        "cart.csv": result.cart,
        "feature_scores.csv": result.scores,
    }
    for name, frame in tables.items():
        atomic_write(out / name, lambda tmp, f=frame: f.to_csv(tmp, index=False))
    atomic_write(out / "discovery.md", lambda tmp: tmp.write_text(markdown(result), encoding="utf-8"))
    row = result.peeling.loc[result.chosen]
    write_json(
        {
            "outcome": result.question.outcome,
            "threshold": result.question.threshold,
            "below": result.question.below,
            "scenario": result.cases.scenario,
            "runs": len(result.cases.x),
            "undefined": result.cases.undefined,
            "collapsed": int(result.cases.collapsed.sum()),
            "inputs": result.cases.roles,
            "chosen_box": result.chosen,
            "coverage": float(row["coverage"]),
            "density": float(row["density"]),
            "sentence": result.sentence,
            "resamples": result.resamples,
            "git_revision": git_revision(),
        },
        out / "discovery.json",
    )
    written = [out / n for n in (*tables, "discovery.md", "discovery.json")]
    for name, figure in result.figures.items():
        atomic_write(out / f"{name}.png", lambda tmp, f=figure: f.savefig(tmp, format="png", dpi=100))
        written.append(out / f"{name}.png")
    return written


@dataclass
class Written:
    """What ``orgsim discover`` wrote in a folder, as the report reads it."""

    meta: dict
    box: pd.DataFrame
    scores: pd.DataFrame
    figures: dict[str, bytes]


def read(directory: str | Path) -> Written:
    """The discovery in ``directory``; StoreError if it is not the output folder of ``orgsim discover``."""
    import json

    directory = Path(directory)
    needed = ["discovery.json", "box.csv", "feature_scores.csv"]
    missing = [name for name in needed if not (directory / name).is_file()]
    if missing:
        raise StoreError(f"{directory}: no {missing[0]} here; is it the --out folder of `orgsim discover`?")
    try:
        meta = json.loads((directory / "discovery.json").read_text(encoding="utf-8"))
        box = pd.read_csv(directory / "box.csv")
        scores = pd.read_csv(directory / "feature_scores.csv")
    except (ValueError, OSError) as exc:
        raise StoreError(f"{directory}: unreadable discovery output ({exc})") from None
    return Written(meta, box, scores, read_pngs(directory, FIGURES))


#: the figures ``write`` saves, in the order the report shows them, with their captions
FIGURES = {
    "tradeoff": "PRIM's peeling trajectory (EMA Workbench): coverage against density of each box, coloured by the "
    "number of restricted inputs; circled: the chosen box.",
    "box": "The chosen box: each restricted input's limits within its sampled range, with quasi-p-values.",
    "cart": "CART (EMA Workbench) on the same cases, top three levels: each node's split, its share of the runs and "
    "the shares that held and collapsed.",
    "feature_scores": "Extra-trees feature scores (EMA Workbench): each input's importance for the collapse "
    "(classification) and for the outcome itself (regression); role in brackets.",
}
