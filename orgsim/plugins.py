"""Mechanisms as plug-ins: the protocol each mechanism module declares, and the registry built from them.

A mechanism module states what it adds to the model in one ``MECHANISM``
object: its params block, ``setup`` (creates and returns the state it owns),
``step`` (its stage of the week), ``handlers`` (the dated timeline kinds it
applies, each with its Mesa ``Priority`` among the week's dated events) and
``hazard_terms`` (covariates of the quit hazard with their βs).
The registry collects every module of :mod:`orgsim.mechanisms` that declares
one, plus any registered at run time, and derives from them the weekly
pipeline, the timeline handler table, the event log's covariates, the
hazard's β list, the ``mechanisms`` schema block and the ODD tables. Adding a
mechanism is one module, one params class and one test.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa.time import Priority
from pydantic import BaseModel, create_model

from orgsim import morale, schema

if TYPE_CHECKING:
    from orgsim.model import OrgModel

Slots = np.ndarray | slice


@dataclasses.dataclass(frozen=True)
class HazardTerms:
    """Covariates a mechanism adds to the quit hazard.

    ``values`` computes them for some researchers; ``betas`` maps each
    proportional covariate to the field of the mechanism's own params that
    holds its β; the names in ``excess`` are added as weekly rates outside
    the exponential (contagion).
    """

    values: Callable[[OrgModel, Slots], dict[str, np.ndarray]]
    betas: Mapping[str, str] = dataclasses.field(default_factory=dict)
    excess: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.betas, *self.excess)


@dataclasses.dataclass(frozen=True)
class Handler:
    """What a dated timeline kind does, and when in its week (docs/ODD.md §3).

    Dated events of one week run by ``priority`` (Mesa's), then by date and
    key: first :data:`TERMS` (prices, budgets, grants, hiring policy,
    reputation: what the rest of the week acts on), then :data:`ORGANIZATION`
    (people and teams arrive, leave, are reassigned), then :data:`RELEASES`
    (judged on the lab as the week's news left it).
    """

    apply: Callable[[OrgModel, Any], None]
    priority: Priority


TERMS, ORGANIZATION, RELEASES = Priority.HIGH, Priority.DEFAULT, Priority.LOW


@dataclasses.dataclass(frozen=True)
class Mechanism:
    """One mechanism (docs/ODD.md §7): M ``number``, its params ``block`` and what it plugs in."""

    number: int
    block: str
    params: type[schema.Switchable]
    setup: Callable[[OrgModel], Any] | None = None
    stage: float | None = None          # position in the weekly order, as numbered in docs/ODD.md §3
    step: Callable[[OrgModel], None] | None = None
    handlers: Mapping[str, Handler] = dataclasses.field(default_factory=dict)
    hazard_terms: HazardTerms | None = None


# The model's own stage, no mechanism's: morale relaxes toward its target (stage 8).
CORE_STAGES: tuple[tuple[float, Callable[[OrgModel], None]], ...] = ((8.0, morale.step),)
HAZARD_OWNER = "attrition"
_extra: list[Mechanism] = []


@functools.cache
def _built_in() -> tuple[Mechanism, ...]:
    """Every ``MECHANISM`` declared by a module of :mod:`orgsim.mechanisms`."""
    import orgsim.mechanisms as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if isinstance(getattr(module, "MECHANISM", None), Mechanism):
            found.append(module.MECHANISM)
    return tuple(found)


def registered() -> tuple[Mechanism, ...]:
    """All mechanisms, in M-number order."""
    return tuple(sorted((*_built_in(), *_extra), key=lambda m: m.number))


def register(mechanism: Mechanism) -> None:
    """Add a mechanism that lives outside the package (a study's own, or a test's)."""
    if any(m.block == mechanism.block or m.number == mechanism.number for m in registered()):
        raise ValueError(f"mechanism M{mechanism.number} `{mechanism.block}` is already registered")
    _extra.append(mechanism)
    mechanisms_model.cache_clear()


def unregister(mechanism: Mechanism) -> None:
    _extra.remove(mechanism)
    mechanisms_model.cache_clear()


# ---------------------------------------------------------------- what the registry builds

@functools.cache
def mechanisms_model() -> type[BaseModel]:
    """The ``mechanisms`` block: the schema's, extended by the plug-ins it has no field for."""
    missing = {m.block: (m.params, m.params()) for m in registered() if m.block not in schema.Mechanisms.model_fields}
    if not missing:
        return schema.Mechanisms
    return create_model("Mechanisms", __base__=schema.Mechanisms, __doc__=schema.Mechanisms.__doc__, **missing)


def params(mechanisms: schema.Mechanisms) -> BaseModel:
    """A scenario's mechanism parameters, with defaults for plug-ins its schema does not know."""
    model = mechanisms_model()
    if isinstance(mechanisms, model):
        return mechanisms
    return model.model_construct(**dict(mechanisms), **{
        m.block: m.params() for m in registered() if m.block not in type(mechanisms).model_fields})


def pipeline() -> tuple[Callable[[OrgModel], None], ...]:
    """Stages (2)-(8) of the week in order; stage (1), dated events, is Mesa's event list."""
    stages = [(m.stage, m.step) for m in registered() if m.step is not None]
    return tuple(step for _, step in sorted([*stages, *CORE_STAGES], key=lambda s: s[0]))


def handlers() -> dict[str, Handler]:
    """Timeline event kind -> how it is applied and at which priority."""
    table: dict[str, Handler] = {}
    for mechanism in registered():
        table.update(mechanism.handlers)
    return table


def hazard_terms() -> tuple[Mechanism, ...]:
    """Mechanisms with hazard covariates: the hazard's owner first, then by M number (the order of the β sum)."""
    with_terms = [m for m in registered() if m.hazard_terms is not None]
    return tuple(sorted(with_terms, key=lambda m: m.block != HAZARD_OWNER))


def covariates() -> tuple[str, ...]:
    """The covariate columns of the event log."""
    return tuple(name for m in hazard_terms() for name in m.hazard_terms.names)


def setup(model: OrgModel) -> dict[str, Any]:
    """Each mechanism's state, created by its own ``setup`` (in M-number order)."""
    return {m.block: m.setup(model) for m in registered() if m.setup is not None}


def iter_betas(model: OrgModel) -> Iterator[tuple[str, float]]:
    """(covariate, β) of every proportional hazard term, in summation order."""
    for m in hazard_terms():
        block = getattr(model.params, m.block)
        for name, field in m.hazard_terms.betas.items():
            yield name, getattr(block, field)
