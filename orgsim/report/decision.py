"""The report's decision sections, from the output folders of ``orgsim discover`` and ``orgsim optimize``.

"When does retention collapse?" states the discovered box in words and in
figures and sets it beside the Sobol ranking when the report has one;
"Policies that hold up" shows the Pareto front, the picks and their
re-evaluated effects against the status quo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from orgsim import analysis, tables
from orgsim.decision import discovery, optimize
from orgsim.report.page import Figure, Section, Table, listing


@dataclass(frozen=True)
class Names:
    """How the report names things for readers: a config path (label, path on hover), an outcome, a scenario."""

    term: Callable[[str], Markup]
    outcome: Callable[[str], str]
    scenario: Callable[[str], str]


def sobol_agreement(box: pd.DataFrame, scores: pd.DataFrame, outcome: str, sensitivity: Path, names: Names) -> Markup:
    """How the box's restrictions and the top feature scores compare with the Sobol ranking of the same outcome."""
    indices, meta = analysis.read_sensitivity(sensitivity)
    ranked = analysis.ranking(indices.dropna(subset=["parameter"]), outcome)
    if ranked.empty:
        return Markup(
            f"The Sobol analysis in {sensitivity.name} has no ranking of {names.outcome(outcome)} to compare with."
        )
    term = names.term
    top = list(ranked["parameter"].head(3))
    rank = {p: i + 1 for i, p in enumerate(ranked["parameter"])}
    restricted = list(box["parameter"])
    placed = [
        Markup("{} (Sobol rank {} of {})").format(term(p), rank[p], len(rank))
        if p in rank
        else Markup("{} (not in the Sobol design)").format(term(p))
        for p in restricted
    ]
    shared = [term(p) for p in restricted if p in top]
    verdict = (
        Markup("they agree on ") + listing(shared)
        if shared
        else "none of the box's inputs is among the Sobol top three: the collapse region is set by inputs that "
        "matter little for the average outcome, or by ones the Sobol design did not vary"
    )
    return Markup(
        "The Sobol analysis ({runs} runs) ranks {top} first for {outcome}; the box restricts {placed}: "
        "{verdict}. The feature scores put {scored} first."
    ).format(
        runs=meta["runs"],
        top=listing([term(p) for p in top]),
        outcome=names.outcome(outcome),
        placed=listing(placed) if placed else "no input",
        verdict=verdict,
        scored=listing([term(p) for p in scores["parameter"].head(3)]),
    )


#: what each decision figure shows, for readers who cannot see it
ALT = {
    "tradeoff": "Scatter of coverage against density for every box PRIM peeled, coloured by how many inputs it "
    "restricts, with the chosen box circled.",
    "box": "For each input the chosen box restricts, a bar of its limits inside the range the design sampled, "
    "with the restriction's quasi-p-value.",
    "cart": "Classification tree, three levels deep, of the input values that separate runs whose retention held "
    "from runs where it collapsed.",
    "feature_scores": "Bar charts of each input's importance for the collapse and for the outcome itself.",
    "pareto": "Scatter plots, one per pair of objectives, of every complete trial of the policy search, with the "
    "Pareto front, the picks and the status quo marked.",
    "reevaluation": "Dot-and-whisker chart of each picked policy's effect against the status quo on fresh worlds "
    "and seeds, per objective, with 95% intervals.",
}


def _figures(found, captions: dict[str, str]) -> list[Figure]:
    """The figures a decision command wrote, with their captions and alt text."""
    return [Figure(name, png, captions[name], ALT[name]) for name, png in found.figures.items()]


def collapse_section(directory: Path, sensitivity: Path | None, names: Names) -> Section:
    found = discovery.read(directory)
    meta, box = found.meta, found.box
    outcome, scenario = names.outcome(meta["outcome"]), names.scenario(meta["scenario"])
    side = "below" if meta["below"] else "above"
    section = Section("discovery", "When does retention collapse?")
    section.paragraphs.append(
        f"Scenario discovery (EMA Workbench's PRIM, CART and feature scoring) over {meta['runs']} runs of an "
        f"exploratory design on {scenario}, {meta['collapsed']} of them with {outcome} {side} "
        f"{meta['threshold']:g}"
        + (f" ({meta['undefined']} runs with the outcome undefined left out)" if meta["undefined"] else "")
        + "."
    )
    if len(box):
        section.paragraphs.append(
            Markup(
                "In {coverage:.0%} of the runs where {outcome} fell {side} {threshold:g}, {conditions} (coverage "
                "{coverage:.2f}, density {density:.2f}): inside this box {density:.0%} of the runs collapse."
            ).format(
                coverage=meta["coverage"],
                outcome=outcome,
                side=side,
                threshold=meta["threshold"],
                conditions=listing([discovery.condition(r, names.term, Markup) for _, r in box.iterrows()]),
                density=meta["density"],
            )
        )
    if sensitivity is not None:
        section.paragraphs.append(sobol_agreement(box, found.scores, meta["outcome"], sensitivity, names))
    if len(box):
        shown = pd.DataFrame(
            {
                "input": [names.term(p) for p in box["parameter"]],
                "role": box["role"],
                "restriction": [discovery.condition(r, names.term, Markup) for _, r in box.iterrows()],
                "sampled range": [
                    f"{tables.number(lo)} – {tables.number(hi)}"
                    for lo, hi in zip(box["sampled_low"], box["sampled_high"], strict=False)
                ],
                "quasi-p": [
                    ", ".join(f"{v:.2g}" for v in (lo, hi) if pd.notna(v))
                    for lo, hi in zip(box["qp_low"], box["qp_high"], strict=False)
                ],
                "reappears in bootstrap": box["reappears"].map("{:.0%}".format),
            }
        )
        section.items.append(
            Table(
                f"The chosen box (box {meta['chosen_box']})",
                f"Coverage {meta['coverage']:.2f}, density "
                f"{meta['density']:.2f}. Quasi-p: one-sided binomial test that the restriction adds density by chance; "
                f"reappears: share of {meta['resamples']} bootstrap resamples in which PRIM, choosing the same way, "
                "restricts the input on the same side.",
                shown,
                collapsed=False,
            )
        )
    section.items += _figures(found, discovery.FIGURES)
    return section


def _levers(row: pd.Series, levers: list[str], term: Callable[[str], Markup]) -> Markup:
    return Markup(", ").join(Markup("{} {:.3g}").format(term(name), row[name]) for name in levers)


def policies_section(directory: Path, names: Names) -> Section:
    found = optimize.read(directory)
    spec = optimize.OptimizationSpec.model_validate(found.manifest["spec"])
    search, levers = spec.optimize, list(spec.explore.levers)
    objectives = [o.outcome for o in search.objectives]
    complete = found.trials[found.trials["state"] == "COMPLETE"]
    sessions = found.manifest.get("sessions", [])
    seconds = sum(s.get("search_seconds", 0) + s.get("reevaluation_seconds", 0) for s in sessions)
    rule = search.robustness
    statistic = {
        "mean": "the mean",
        "worst": "the worst case",
        "percentile": f"the {rule.percentile:g}th percentile on the bad side",
    }[rule.statistic]
    scenario = names.scenario(Path(spec.scenarios[0]).stem)
    section = Section("policies", "Policies that hold up")
    table = found.reevaluation
    picks = found.front[found.front["pick"] != ""]
    for _, row in picks.iterrows():
        name = f"trial {int(row['trial'])} ({row['pick']})"
        rows = table[table["policy"] == name]
        effects = [
            f"{names.outcome(r['outcome'])} {r['diff']:+.3g} (95% CI {r['diff_low']:+.3g} to {r['diff_high']:+.3g})"
            for _, r in rows.iterrows()
        ]
        section.paragraphs.append(
            Markup(
                "Policy {name} ({levers}), re-evaluated on {draws} fresh draws against the status quo: {effects}."
            ).format(
                name=name, levers=_levers(row, levers, names.term), draws=search.fresh_draws, effects="; ".join(effects)
            )
        )
    section.paragraphs.append(
        f"How they were found: a many-objective search (Optuna's TPE sampler, resumable) over {len(levers)} levers "
        f"of {scenario}, {len(complete)} complete trials and {found.manifest['evaluations']} simulated evaluations "
        f"({rule.worlds} worlds x {rule.seeds} seeds per candidate, the same for every candidate), "
        f"{seconds / 60:.0f} minutes in {len(sessions)} session(s). Each objective "
        f"({', '.join(names.outcome(o) for o in objectives)}) is {statistic} over a candidate's evaluations; "
        f"{len(found.front)} trials are on the Pareto front."
    )
    front = found.front[["trial", "pick", *levers, *objectives]].copy()
    front[[*levers, *objectives]] = front[[*levers, *objectives]].map(tables.number)
    front.columns = ["trial", "pick", *[names.term(p) for p in levers], *[names.outcome(o) for o in objectives]]
    section.items.append(
        Table(
            "The Pareto front",
            "Levers and robust objectives of every non-dominated trial; pick: re-evaluated below.",
            front,
        )
    )
    shown = pd.DataFrame(
        {
            "policy": table["policy"],
            "outcome": table["outcome"].map(names.outcome),
            "mean [95% CI]": [f"{r['mean']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]" for _, r in table.iterrows()],
            "minus status quo [95% CI]": [
                "" if r["policy"] == "status quo" else f"{r['diff']:+.3g} [{r['diff_low']:+.3g}, {r['diff_high']:+.3g}]"
                for _, r in table.iterrows()
            ],
            "draws": table["n"],
        }
    )
    section.items.append(
        Table(
            "The picks against the status quo",
            f"Re-evaluated on {search.fresh_draws} fresh "
            "worlds and seeds (one world and one seed per draw, the same for every policy): mean "
            "with 95% t-interval, and the paired difference to the status quo.",
            shown,
        )
    )
    section.items += _figures(found, optimize.FIGURES)
    return section
