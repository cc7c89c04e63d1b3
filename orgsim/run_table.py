"""The short rich table ``orgsim run`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from rich.table import Table

from orgsim import labels, tables

if TYPE_CHECKING:
    from orgsim.outcomes import Headline
    from orgsim.sim.model import OrgModel


def _pct(x: float) -> str:
    return tables.number(x, "pct")


def summary_table(model: OrgModel, metrics: pd.DataFrame, events: pd.DataFrame, headline: Headline) -> Table:
    flows = metrics.pivot_table(index="lab", columns="metric", values="value", aggfunc="sum", observed=True)
    levels = metrics.pivot_table(index=["lab", "week"], columns="metric", values="value", observed=True)
    first, last = int(metrics["week"].min()), int(metrics["week"].max())
    last_date = metrics["date"].max().date()
    table = Table(title=f"{model.run_id}: weeks of {model.spec.start} to {last_date} ({last + 1} weeks)")
    for column in (
        "lab",
        "start",
        "end",
        "hires",
        "quits",
        "layoffs",
        "moves out",
        "moves in",
        "top % start",
        "top % end",
    ):
        table.add_column(column, justify="left" if column == "lab" else "right", no_wrap=True)
    for lab in model.labs:
        key = lab.key
        table.add_row(
            key,
            f"{levels.loc[(key, first), 'headcount']:,.0f}",
            f"{levels.loc[(key, last), 'headcount']:,.0f}",
            *(f"{flows.loc[key, m]:,.0f}" for m in ("hires", "quits", "layoffs", "moves_out", "moves_in")),
            _pct(levels.loc[(key, first), "top_talent_share"]),
            _pct(levels.loc[(key, last), "top_talent_share"]),
        )
    o, config = model.spec.outcomes, model.spec

    def named(key: str) -> str:
        return labels.outcome(key, config).text

    table.caption = (
        f"{o.release}: {headline.release_outcome}"
        + (f" (week {headline.release_week:.0f})" if headline.release_outcome != "none" else "")
        + f" | {named('cohort_size_at_release')}: {headline.cohort_size_at_release:.0f}"
        f" | {named('cohort_retention')}: {_pct(headline.cohort_retention)}"
        f" | {named('focal_top_talent_share_start')}: {_pct(headline.focal_top_talent_share_start)}, at the end "
        f"{_pct(headline.focal_top_talent_share_end)}"
    )
    return table
