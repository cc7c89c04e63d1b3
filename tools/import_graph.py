"""Draw the run-time import graph of the core (orgsim.sim) and the mechanisms (orgsim.mechanisms) to a PNG.

Mechanisms on top, the core below, each core module at the depth of its
longest import chain; an arrow points from the importer to the imported, so
every arrow between the two layers points down. Offline: grimp reads the
imports, networkx lays them out, matplotlib draws them (``make import-graph``).
"""

from __future__ import annotations

import argparse

import grimp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

LAYERS = ("orgsim.mechanisms", "orgsim.sim")


def import_graph() -> nx.DiGraph:
    graph = grimp.build_graph("orgsim", exclude_type_checking_imports=True)
    shown = {m for m in graph.modules if m.startswith(tuple(f"{layer}." for layer in LAYERS))}
    edges = nx.DiGraph()
    edges.add_nodes_from(shown)
    for module in shown:
        for imported in graph.find_modules_directly_imported_by(module) & shown:
            edges.add_edge(module, imported)
    return edges


def draw(edges: nx.DiGraph, out: str) -> None:
    depth = {}
    for module in reversed(list(nx.topological_sort(edges))):  # the imported before the importers
        below = [depth[m] for m in edges.successors(module)]
        depth[module] = 1 + max(below, default=-1)
    core_top = max((d for m, d in depth.items() if m.startswith("orgsim.sim.")), default=0)
    for module in edges:
        edges.nodes[module]["row"] = core_top + 1 if module.startswith("orgsim.mechanisms.") else depth[module]
    position = nx.multipartite_layout(edges, subset_key="row", align="horizontal", scale=2.0)
    figure, axes = plt.subplots(figsize=(16, 11))
    colors = ["#f4b183" if m.startswith("orgsim.mechanisms.") else "#9dc3e6" for m in edges]
    nx.draw_networkx_edges(
        edges, position, ax=axes, alpha=0.35, arrowsize=9, node_size=2600, connectionstyle="arc3,rad=0.05"
    )
    nx.draw_networkx_nodes(edges, position, ax=axes, node_color=colors, node_size=2600, edgecolors="#444444")
    nx.draw_networkx_labels(
        edges, position, ax=axes, font_size=8, labels={m: m.split(".", 1)[1].replace(".", ".\n") for m in edges}
    )
    axes.set_title(
        "orgsim: run-time imports of the mechanisms (orange) and the simulation core (blue); "
        "arrows point to the imported module",
        fontsize=11,
    )
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(out, dpi=110, metadata={"Software": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/import_graph.png")
    args = parser.parse_args()
    edges = import_graph()
    if not nx.is_directed_acyclic_graph(edges):
        raise SystemExit("the core and mechanisms import each other in a circle (tools/import_cycles.py)")
    draw(edges, args.out)
    print(f"wrote {args.out}: {edges.number_of_nodes()} modules, {edges.number_of_edges()} imports")


if __name__ == "__main__":
    main()
