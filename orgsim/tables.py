"""Numbers and tables as readers see them: one format per kind of number, Markdown pipe tables (no tabulate
dependency) and lists in words, for every report, doc page and table a command writes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

#: the unit each kind of number ends in (an interval says it once, after its upper bound)
SUFFIX = {"pct": "%", "pp": " pp", "researchers": " researchers", "weeks": " weeks", "points": " index points"}
#: a column's alignment in a pipe table's rule: l(eft), r(ight), c(entre)
RULES = {"l": "---", "r": "---:", "c": ":---:"}


def number(value: float | None, kind: str = "short") -> str:
    """A value as a reader sees it: a share in %, a difference in points, people or weeks, a count with
    separators, three decimals (``decimal``), a whole number (``int``) or three significant digits (``short``).
    A value that is not a finite number is 'n/a': callers that know why say so instead. A value that rounds to
    zero reads as zero, never '-0.0' (the format's ``z``)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if kind == "pct":
        return f"{100 * value:z.1f}%"
    if kind == "pp":
        return f"{100 * value:+z.1f} pp"
    if kind == "change":
        return f"{value:+z.2f}"
    if kind == "count":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:z.1f}"
    if kind == "researchers":
        return f"{value:+,.0f} researchers" if abs(value) >= 100 else f"{value:+z.1f} researchers"
    if kind == "weeks":
        return f"{value:+z.1f} weeks"
    if kind == "points":
        return f"{value:+z.2f} index points"
    if kind == "short":
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:z.3g}"
    if kind == "decimal":
        return f"{value:z.3f}"
    if kind == "int":
        return f"{value:z,.0f}"
    return f"{value:z.2f}" if kind == "num" else f"{value:z.0f}"


def listing(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def row(cells: Iterable[str]) -> str:
    """One row of a pipe table."""
    return "| " + " | ".join(cells) + " |"


def head(columns: Sequence[str], align: str = "") -> list[str]:
    """A pipe table's header and rule; ``align`` has one of l, r, c per column (left when missing)."""
    return [row(columns), row(RULES[a] for a in align.ljust(len(columns), "l"))]


def cell(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else number(value)
    return str(value).replace("|", "\\|")


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame``, one row per row; empty cells for missing values."""
    rows = [row(cell(v) for v in values) for values in frame.itertuples(index=False)]
    return "\n".join([*head([str(c) for c in frame.columns]), *rows]) + "\n"
