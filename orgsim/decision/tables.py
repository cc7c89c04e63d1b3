"""Markdown tables of the decision outputs (no tabulate dependency): numbers to three significant digits."""

from __future__ import annotations

import pandas as pd


def number(value: float) -> str:
    """Thousands with separators, smaller numbers to three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


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
