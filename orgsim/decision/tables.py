"""What the decision commands share in their outputs: numbers and lists in words, Markdown tables (no
tabulate dependency) and the figures read back for the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def number(value: float) -> str:
    """Thousands with separators, smaller numbers to three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def listing(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def cell(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else number(value)
    return str(value).replace("|", "\\|")


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame``, one row per row; empty cells for missing values."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"


def pngs(directory: Path, names) -> dict[str, bytes]:
    """The figures ``names`` that ``directory`` holds as ``<name>.png``."""
    return {name: (directory / f"{name}.png").read_bytes() for name in names if (directory / f"{name}.png").is_file()}
