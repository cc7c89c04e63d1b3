"""M11 finance: share prices, capex guidance, debt and compensation budgets.

Prices (or private valuations) follow a weekly log random walk with jumps at
earnings, releases (M9) and capex guidance; investors punish capex raised
without a clear return, and debt loosens the compensation budget at the cost
of scepticism. Unvested equity is priced at today's price (M5), so a falling
share price loosens the golden handcuffs. Evidence: Meta capex $39bn (2024)
-> >= $70bn (2025) -> > $100bn (2026 plan); shares -10% after the Oct 2025
earnings and about -17% over November.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from orgsim.schema import ASSUMED, NonNeg, Switchable, Unit, param
from orgsim.sim.plugins import TERMS, Handler, Mechanism

if TYPE_CHECKING:
    from orgsim.schema import BudgetShift, CapexGuidance, Debt, ShareShock
    from orgsim.sim.lab import Lab
    from orgsim.sim.model import OrgModel


class FinanceParams(Switchable):
    """M11 finance: share prices, capex and budgets."""

    capex_punishment: NonNeg = param(
        0.0035,
        "log price per $bn capex raised without clear return",
        "Oct 2025: -10% after guiding 2026 capex ~$30bn above 2025",
        label="Share-price penalty for capex without clear return",
    )
    debt_scepticism: NonNeg = param(
        0.001, "log price per $bn borrowed", "$30bn bond, $27bn SPV credit", label="Share-price penalty for borrowing"
    )
    debt_budget_share: Unit = param(
        0.02, "share of debt added to comp budget", ASSUMED, label="Share of new debt added to the pay budget"
    )
    jump_sd: float = param(0.0, "sd of weekly jump noise", ASSUMED, ge=0, le=5, label="Weekly share-price jumps")


def jump(model: OrgModel, lab: Lab, log_change: float) -> None:
    if not model.params.finance.enabled:
        return
    lab.share_price *= float(np.exp(log_change))
    lab.peak_price = max(lab.peak_price, lab.share_price)


@dataclasses.dataclass
class Budgets:
    """M11's state, per lab: guided capex ($bn), the compensation budget and what recruiting spent of it (M$,
    fading over a year)."""

    capex_bn: np.ndarray
    comp_budget: np.ndarray
    comp_spent: np.ndarray


def setup(model: OrgModel) -> Budgets:
    finance = [lab.spec.finance for lab in model.labs]
    return Budgets(
        np.array([f.capex_bn for f in finance], dtype=float),
        np.array([f.comp_budget_musd for f in finance], dtype=float),
        np.zeros(len(finance)),
    )


def spend(model: OrgModel, lab: Lab, musd: float) -> None:
    """What a lab's recruiting spent this week (M1) counts against its compensation budget."""
    model.states["finance"].comp_spent[lab.index] += musd


def step(model: OrgModel) -> None:
    p = model.params.finance
    if not p.enabled:
        return
    spent = model.states["finance"].comp_spent
    for lab in model.labs:
        f = lab.spec.finance
        spent[lab.index] *= np.exp(-1.0 / 52.0)
        if not f.public:
            continue  # private valuations move only on events (tender offers, releases)
        sd = f.volatility / np.sqrt(52.0)
        noise = model.stream("finance").normal(0.0, 1.0)
        jump(
            model,
            lab,
            (f.drift - 0.5 * f.volatility**2) / 52.0 + sd * noise + p.jump_sd * model.stream("finance").normal(),
        )


def budget_room(model: OrgModel, lab: Lab) -> float:
    """Share of recruiting capacity the compensation budget still allows (1 with M11 off).

    The budget is a full-world figure and the packages are spent in this
    world, whose hires are ``population.scale`` of the full world's: the
    budget is scaled with them, so a smaller world runs out at the same point.
    """
    budgets = model.states["finance"]
    budget = budgets.comp_budget[lab.index]
    if not model.params.finance.enabled or budget <= 0:
        return 1.0
    return float(np.clip(1.0 - budgets.comp_spent[lab.index] / (budget * model.scale), 0.0, 1.0))


def share_shock(model: OrgModel, event: ShareShock) -> None:
    jump(model, model.lab_by_key[event.lab], float(np.log1p(event.change)))


def capex_guidance(model: OrgModel, event: CapexGuidance) -> None:
    lab = model.lab_by_key[event.lab]
    capex = model.states["finance"].capex_bn
    raised = max(0.0, event.capex_bn - capex[lab.index])
    if not event.clear_return:
        jump(model, lab, -model.params.finance.capex_punishment * raised)
    capex[lab.index] = event.capex_bn


def debt(model: OrgModel, event: Debt) -> None:
    lab, p = model.lab_by_key[event.lab], model.params.finance
    jump(model, lab, -p.debt_scepticism * event.amount_bn)
    if p.enabled:
        model.states["finance"].comp_budget[lab.index] += p.debt_budget_share * event.amount_bn * 1000.0


def budget_shift(model: OrgModel, event: BudgetShift) -> None:
    lab, p = model.lab_by_key[event.lab], model.params.finance
    jump(model, lab, float(np.log1p(event.price_change)))
    if p.enabled:
        model.states["finance"].comp_budget[lab.index] += p.debt_budget_share * event.amount_bn * 1000.0


MECHANISM = Mechanism(
    number=11,
    block="finance",
    params=FinanceParams,
    setup=setup,
    stage=2.0,
    step=step,
    actions={"reprice": jump, "budget_room": budget_room, "spend": spend},
    handlers={
        "share_shock": Handler(share_shock, TERMS),
        "capex_guidance": Handler(capex_guidance, TERMS),
        "debt": Handler(debt, TERMS),
        "budget_shift": Handler(budget_shift, TERMS),
    },
)
