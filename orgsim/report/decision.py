"""The report's decision sections, from the output folders of ``orgsim discover`` and ``orgsim optimize``.

"When does retention collapse?" states the discovered box in words and in
figures and sets it beside the Sobol ranking when the report has one;
"Policies that hold up" shows the Pareto front, the picks and their
re-evaluated effects against the status quo.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orgsim import analysis
from orgsim.decision import discovery, optimize, tables


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def render(self, images: dict[str, str]) -> list[str]:
        esc = html.escape
        parts = [f"<h2>{esc(self.title)}</h2>", *[f"<p>{esc(p)}</p>" for p in self.paragraphs]]
        for caption, frame in self.tables:
            parts += [f"<p class='caption'>{esc(caption)}</p>",
                      frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="")]
        for name, (_, caption) in self.figures.items():
            parts += [f"<figure id='{name}'><img src='data:image/png;base64,{images[name]}' alt='{esc(caption)}'>",
                      f"<figcaption>{esc(caption)}</figcaption></figure>"]
        return parts


def sobol_agreement(box: pd.DataFrame, scores: pd.DataFrame, outcome: str, sensitivity: Path) -> str:
    """How the box's restrictions and the top feature scores compare with the Sobol ranking of the same outcome."""
    indices, meta = analysis.read_sensitivity(sensitivity)
    defined = indices.dropna(subset=["parameter"])
    ranked = analysis.ranking(defined, outcome)
    if ranked.empty:
        return f"The Sobol analysis in {sensitivity.name} has no ranking of {outcome} to compare with."
    top = list(ranked["parameter"].head(3))
    rank = {p: i + 1 for i, p in enumerate(ranked["parameter"])}
    restricted = list(box["parameter"])
    placed = [f"{p} (Sobol rank {rank[p]} of {len(rank)})" if p in rank else f"{p} (not in the Sobol design)"
              for p in restricted]
    shared = [p for p in restricted if p in top]
    verdict = (f"they agree on {tables.listing(shared)}" if shared else
               "none of the box's inputs is among the Sobol top three: the collapse region is set by inputs that "
               "matter little for the average outcome, or by ones the Sobol design did not vary")
    scored = list(scores["parameter"].head(3))
    return (f"The Sobol analysis ({meta['runs']} runs) ranks {tables.listing(top)} first for {outcome}; the box "
            f"restricts {tables.listing(placed) if placed else 'no input'}: {verdict}. The feature scores put "
            f"{tables.listing(scored)} first.")


def collapse_section(directory: Path, sensitivity: Path | None) -> Section:
    found = discovery.read(directory)
    meta, box = found.meta, found.box
    section = Section("When does retention collapse?", summary=[f"Scenario discovery on {meta['scenario']}: "
                                                                 + meta["sentence"]])
    section.paragraphs.append(
        f"Scenario discovery (EMA Workbench's PRIM, CART and feature scoring) over {meta['runs']} runs of an "
        f"exploratory design on {meta['scenario']}, {meta['collapsed']} of them with {meta['outcome']} "
        f"{'below' if meta['below'] else 'above'} {meta['threshold']:g}" + (f" ({meta['undefined']} runs with the "
                                                                            "outcome undefined left out)"
                                                                            if meta["undefined"] else "") + ".")
    section.paragraphs.append(meta["sentence"])
    if sensitivity is not None:
        section.paragraphs.append(sobol_agreement(box, found.scores, meta["outcome"], sensitivity))
    if len(box):
        shown = pd.DataFrame({
            "input": box["parameter"], "role": box["role"],
            "restriction": [discovery.condition(r) for _, r in box.iterrows()],
            "sampled range": [f"{tables.number(lo)} – {tables.number(hi)}"
                              for lo, hi in zip(box["sampled_low"], box["sampled_high"])],
            "quasi-p": [", ".join(f"{v:.2g}" for v in (lo, hi) if pd.notna(v)) for lo, hi in
                        zip(box["qp_low"], box["qp_high"])],
            "reappears in bootstrap": box["reappears"].map("{:.0%}".format)})
        section.tables.append((f"The chosen box (box {meta['chosen_box']}, coverage {meta['coverage']:.2f}, density "
                               f"{meta['density']:.2f}). Quasi-p: one-sided binomial test that the restriction adds "
                               f"density by chance; reappears: share of {meta['resamples']} bootstrap resamples in "
                               "which PRIM, choosing the same way, restricts the input on the same side.", shown))
    section.figures = {name: (png, discovery.FIGURES[name]) for name, png in found.figures.items()}
    return section


def _levers(row: pd.Series, levers: list[str]) -> str:
    return ", ".join(f"{name.split('.')[-1]} {row[name]:.3g}" for name in levers)


def policies_section(directory: Path) -> Section:
    found = optimize.read(directory)
    spec = optimize.OptimizationSpec.model_validate(found.manifest["spec"])
    search, levers = spec.optimize, list(spec.explore.levers)
    objectives = [o.outcome for o in search.objectives]
    complete = found.trials[found.trials["state"] == "COMPLETE"]
    sessions = found.manifest.get("sessions", [])
    seconds = sum(s.get("search_seconds", 0) + s.get("reevaluation_seconds", 0) for s in sessions)
    rule = search.robustness
    statistic = {"mean": "the mean", "worst": "the worst case",
                 "percentile": f"the {rule.percentile:g}th percentile on the bad side"}[rule.statistic]
    section = Section("Policies that hold up")
    section.paragraphs.append(
        f"A many-objective search (Optuna's TPE sampler, resumable) over {len(levers)} levers of "
        f"{spec.scenarios[0].split('/')[-1]}: {len(complete)} complete trials, {found.manifest['evaluations']} "
        f"simulated evaluations ({rule.worlds} worlds x {rule.seeds} seeds per candidate, the same for every "
        f"candidate), {seconds / 60:.0f} minutes in {len(sessions)} session(s). Each objective "
        f"({', '.join(objectives)}) is {statistic} over a candidate's evaluations; {len(found.front)} trials are on "
        "the Pareto front.")
    front = found.front[["trial", "pick", *levers, *objectives]].copy()
    section.tables.append(("The Pareto front: levers and robust objectives of every non-dominated trial; pick: "
                           "re-evaluated below.", front))
    table = found.reevaluation
    shown = pd.DataFrame({
        "policy": table["policy"], "outcome": table["outcome"],
        "mean [95% CI]": [f"{r['mean']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]" for _, r in table.iterrows()],
        "minus status quo [95% CI]": ["" if r["policy"] == "status quo" else
                                      f"{r['diff']:+.3g} [{r['diff_low']:+.3g}, {r['diff_high']:+.3g}]"
                                      for _, r in table.iterrows()],
        "draws": table["n"]})
    section.tables.append((f"The picks and the status quo re-evaluated on {search.fresh_draws} fresh worlds and "
                           "seeds (one world and one seed per draw, the same for every policy): mean with 95% "
                           "t-interval, and the paired difference to the status quo.", shown))
    section.figures = {name: (png, optimize.FIGURES[name]) for name, png in found.figures.items()}
    picks = found.front[found.front["pick"] != ""]
    for _, row in picks.iterrows():
        name = f"trial {int(row['trial'])} ({row['pick']})"
        rows = table[table["policy"] == name]
        effects = [f"{r['outcome']} {r['diff']:+.3g} (95% CI {r['diff_low']:+.3g} to {r['diff_high']:+.3g})"
                   for _, r in rows.iterrows()]
        section.summary.append(f"Policy {name} ({_levers(row, levers)}), re-evaluated on {search.fresh_draws} fresh "
                               f"draws against the status quo: " + "; ".join(effects) + ".")
    return section
