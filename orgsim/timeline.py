"""Dated scenario events, scheduled with Mesa's event API.

An event dated in week ``w`` is scheduled at model time ``w``: Mesa runs it
after the step that simulated week ``w - 1`` and before the step that
simulates week ``w`` (events of week 0 run before the first step), which is
stage (1) of the weekly order (docs/ODD.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orgsim import plugins
from orgsim.mechanisms import releases

if TYPE_CHECKING:
    from orgsim.model import OrgModel


def freeze(model: OrgModel, event: Any) -> None:
    """A hiring freeze: no poaching, no backfill until ``until`` (or the horizon)."""
    lab = model.lab_by_key[event.lab]
    lab.frozen_until = model.config.week_of(event.until) if event.until else model.config.weeks
    lab.blitz = None


def handlers() -> dict[str, Callable[[OrgModel, Any], None]]:
    """Event kind -> handler: the mechanisms' own (see :mod:`orgsim.plugins`) and the freeze, which is the labs'."""
    return {**plugins.handlers(), "freeze": freeze}


class DatedAction:
    """One timeline entry bound to its handler; the model keeps it alive for Mesa's weak references."""

    def __init__(self, model: OrgModel, key: str, event: Any):
        self.model, self.key, self.event = model, key, event

    def fire(self) -> None:
        self.model.timeline_handlers[self.event.kind](self.model, self.event)
        self.model.fired.append((self.model.week, self.key))


def schedule(model: OrgModel) -> list[Any]:
    """Schedule every timeline entry; returns the objects that must stay referenced."""
    keep: list[Any] = []
    for key, event in sorted(model.config.timeline.items(), key=lambda kv: (kv[1].date, kv[0])):
        if event.kind == "release":
            if model.params.releases.enabled:
                keep.append(releases.schedule_event(model, event))
            continue
        action = DatedAction(model, key, event)
        model.schedule_week(model.config.week_of(event.date), action.fire)
        keep.append(action)
    return keep
