"""Dated scenario events, scheduled on Mesa's event list with an explicit priority.

An event dated in week ``w`` runs at model time ``w``, the start of that
week, before the week's step (model time ``w + 0.5``; see
:mod:`orgsim.sim.model`): stage (1) of the weekly order (docs/ODD.md §3). Events
of one week run by their kind's declared priority
(:class:`orgsim.sim.plugins.Handler`), then by date, then by key.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orgsim.sim import plugins
from orgsim.sim.plugins import TERMS, Handler

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


def freeze(model: OrgModel, event: Any) -> None:
    """A hiring freeze: no poaching, no backfill until ``until`` (or the horizon)."""
    lab = model.lab_by_key[event.lab]
    lab.frozen_until = model.spec.week_of(event.until) if event.until else model.spec.weeks
    plugins.act(model, "blitz", lab, None)  # the running blitz (M1) ends with it


def handlers() -> dict[str, Handler]:
    """Event kind -> handler: the mechanisms' own (see :mod:`orgsim.sim.plugins`) and the freeze, which is the labs'."""
    return {**plugins.handlers(), "freeze": Handler(freeze, TERMS)}


class DatedAction:
    """One timeline entry bound to its handler; the model keeps it alive for Mesa's weak references."""

    def __init__(self, model: OrgModel, key: str, event: Any, handler: Handler):
        self.model, self.key, self.event, self.handler = model, key, event, handler

    def fire(self) -> None:
        apply = typing.cast(
            "Callable[[OrgModel, Any], None]", self.handler.apply
        )  # only a handler that applies is bound
        apply(self.model, self.event)
        self.model.fired.append((self.model.week, self.key))


def schedule(model: OrgModel) -> list[Any]:
    """Schedule every timeline entry; returns the objects that must stay referenced."""
    table = handlers()
    keep: list[Any] = []
    for key, event in sorted(model.spec.timeline.items(), key=lambda kv: (kv[1].date, kv[0])):
        handler = table[event.kind]
        if handler.schedule is not None:
            keep.append(handler.schedule(model, event))
            continue
        action = DatedAction(model, key, event, handler)
        model.schedule_week(model.spec.week_of(event.date), action.fire, action.handler.priority)
        keep.append(action)
    return keep
