"""Fail if any two orgsim modules import each other, directly or round a longer circle.

Every import statement counts, module-level or inside a function (grimp reads
them all); imports under ``if TYPE_CHECKING:`` are left out, since they never
run (``--type-checking`` counts them too). Prints each circle found, shortest first.
"""

from __future__ import annotations

import argparse
import sys

import grimp
import networkx as nx


def cycles(package: str, *, type_checking: bool) -> list[list[str]]:
    graph = grimp.build_graph(package, exclude_type_checking_imports=not type_checking)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    found = []
    for component in nx.strongly_connected_components(edges):
        if len(component) > 1:
            found.append(nx.find_cycle(edges.subgraph(component)))
    return sorted(([a for a, _ in cycle] for cycle in found), key=len)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="orgsim")
    parser.add_argument("--type-checking", action="store_true", help="count imports under TYPE_CHECKING too")
    args = parser.parse_args()
    found = cycles(args.package, type_checking=args.type_checking)
    for cycle in found:
        print("import cycle: " + " -> ".join([*cycle, cycle[0]]))
    print(f"{len(found)} import cycle(s) in {args.package}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
