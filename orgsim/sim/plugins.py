"""Mechanisms as plug-ins: the protocol each mechanism module declares, and the registry built from them.

A mechanism module states what it adds to the model in one ``MECHANISM``
object: its params block, ``setup`` (creates and returns the state it owns,
``model.states[block]``), ``step`` (its stage of the week), ``handlers`` (the
dated timeline kinds it applies, each with its Mesa ``Priority`` among the
week's dated events), ``events`` (the timeline event classes it brings, if
the schema has none for its kinds), ``stay_terms`` (what it adds to the value
of staying, M3, each term with its price in pay-equivalents), the transition
hooks :mod:`orgsim.sim.transitions` calls (``on_hire``, ``on_leave``,
``on_move``) and ``actions``: what it offers the other mechanisms by name
(:func:`act`), since no mechanism imports another.
The registry collects every module of :mod:`orgsim.mechanisms` that declares
one, plus any registered at run time, and derives from them the weekly
pipeline, the timeline handler table, the event log's covariates, the
prices of the value of staying, the ``mechanisms`` schema block, the timeline's event kinds
(:func:`scenario_model`) and the ODD tables. Adding a mechanism is one module,
one params class and one test.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union

import numpy as np
from mesa.time import Priority
from pydantic import Field, create_model

from orgsim import schema
from orgsim.sim import morale

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel

Slots = np.ndarray | slice


@dataclasses.dataclass(frozen=True)
class StayTerms:
    """What a mechanism adds to a researcher's value of staying (M3), in money.

    ``values`` computes the terms for some researchers; ``prices`` maps each
    term to the field of the mechanism's own params that holds its price:
    market pay-years per year per unit of the term (positive: staying is
    worth more), so every term weighs on the one money scale of the
    leaving decision. ``logged`` names terms of the decision that the
    mechanism computes itself and the event log keeps as they are (pay,
    the forfeit, the alternatives' value).
    """

    values: Callable[[OrgModel, Slots], dict[str, np.ndarray]]
    prices: Mapping[str, str] = dataclasses.field(default_factory=dict)
    logged: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.logged, *self.prices)


@dataclasses.dataclass(frozen=True)
class Handler:
    """What a dated timeline kind does, and when in its week (docs/ODD.md §3).

    Dated events of one week run by ``priority`` (Mesa's), then by date and
    key: first :data:`TERMS` (prices, budgets, grants, hiring policy,
    reputation: what the rest of the week acts on), then :data:`ORGANIZATION`
    (people and teams arrive, leave, are reassigned), then :data:`RELEASES`
    (judged on the lab as the week's news left it).
    """

    apply: Callable[[OrgModel, Any], None] | None
    priority: Priority
    #: instead of one call at its date, schedule the event itself (a release manages its own slips and rushes);
    #: returns what must stay referenced for Mesa's weak references
    schedule: Callable[[OrgModel, Any], Any] | None = None


TERMS, ORGANIZATION, RELEASES = Priority.HIGH, Priority.DEFAULT, Priority.LOW


@dataclasses.dataclass(frozen=True)
class Mechanism:
    """One mechanism (docs/ODD.md §7): M ``number``, its params ``block`` and what it plugs in."""

    number: int
    block: str
    params: type[schema.Switchable]
    setup: Callable[[OrgModel], Any] | None = None
    stage: float | None = None  # position in the weekly order, as numbered in docs/ODD.md §3
    step: Callable[[OrgModel], None] | None = None
    handlers: Mapping[str, Handler] = dataclasses.field(default_factory=dict)
    events: tuple[type[schema.EventBase], ...] = ()
    stay_terms: StayTerms | None = None
    on_hire: Callable[[OrgModel, np.ndarray], None] | None = None  # after arrivals join
    on_leave: Callable[[OrgModel, np.ndarray, str], None] | None = None  # before leavers go ("quit"/"layoff")
    on_move: Callable[[OrgModel, np.ndarray, np.ndarray, np.ndarray], None] | None = None  # after movers join
    actions: Mapping[str, Callable[..., Any]] = dataclasses.field(default_factory=dict)


# The model's own stage, no mechanism's: morale relaxes toward its target (stage 8).
CORE_STAGES: tuple[tuple[float, Callable[[OrgModel], None]], ...] = ((8.0, morale.step),)
DECISION_OWNER = "attrition"
#: the event classes of the schema's own timeline union (the built-in mechanisms' kinds and the freeze)
SCHEMA_EVENTS: tuple[type[schema.EventBase], ...] = typing.get_args(typing.get_args(schema.TimelineEvent)[0])
_extra: list[Mechanism] = []


#: where the built-in mechanisms live: found by name, so the core imports none of them
PACKAGE = "orgsim.mechanisms"


@functools.cache
def _built_in() -> tuple[Mechanism, ...]:
    """Every ``MECHANISM`` declared by a module of :data:`PACKAGE`."""
    package = importlib.import_module(PACKAGE)
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
    kinds = [_kind(event) for event in mechanism.events]
    taken = set(kinds) & {_kind(event) for event in timeline_events()}
    if taken or not set(kinds) <= set(mechanism.handlers):
        raise ValueError(
            f"M{mechanism.number}: each event kind it brings needs a handler of its own and a new name "
            f"(kinds {kinds}, handlers {list(mechanism.handlers)}, taken {sorted(taken)})"
        )
    _extra.append(mechanism)
    _clear()


def unregister(mechanism: Mechanism) -> None:
    _extra.remove(mechanism)
    _clear()


def _clear() -> None:
    mechanisms_model.cache_clear()
    scenario_model.cache_clear()


def _kind(event: type[schema.EventBase]) -> str:
    return typing.get_args(event.model_fields["kind"].annotation)[0]


# ---------------------------------------------------------------- what the registry builds


@functools.cache
def mechanisms_model() -> type[schema.Mechanisms]:
    """The ``mechanisms`` block: one field per registered mechanism, its params class with its defaults, in M-number
    order (each params class is declared beside its mechanism's code)."""
    blocks = {m.block: (m.params, m.params()) for m in registered()}
    return create_model("Mechanisms", __base__=schema.Mechanisms, **blocks)  # type: ignore[call-overload]


def timeline_events() -> tuple[type[schema.EventBase], ...]:
    """The timeline's event classes: the schema's own, then those the plug-ins bring."""
    return (*SCHEMA_EVENTS, *(event for m in registered() for event in m.events))


@functools.cache
def scenario_model() -> type[schema.Scenario]:
    """The scenario schema as registered: the mechanisms' params blocks, and the event kinds plug-ins bring added
    to the schema's own; every scenario is validated by it (:mod:`orgsim.config`)."""
    events, mechanisms = timeline_events(), mechanisms_model()
    fields: dict[str, Any] = {"mechanisms": (mechanisms, mechanisms())}
    if events != SCHEMA_EVENTS:
        timeline = dict[str, Annotated[Union[events], Field(discriminator="kind")]]  # type: ignore[valid-type]  # noqa: UP007 (a runtime tuple)
        fields["timeline"] = (timeline, {})
    return create_model("Scenario", __base__=schema.Scenario, __doc__=schema.Scenario.__doc__, **fields)


def params(mechanisms: schema.Mechanisms) -> Any:
    """A scenario's mechanism parameters (``model.params.<block>``), with defaults for plug-ins its schema does not
    know."""
    model = mechanisms_model()
    if isinstance(mechanisms, model):
        return mechanisms
    return model.model_construct(
        **dict(mechanisms),
        **{m.block: m.params() for m in registered() if m.block not in type(mechanisms).model_fields},  # type: ignore[arg-type]
    )


def pipeline() -> tuple[Callable[[OrgModel], None], ...]:
    """Stages (2)-(8) of the week in order; stage (1), dated events, is Mesa's event list."""
    stages = [(m.stage if m.stage is not None else float("inf"), m.step) for m in registered() if m.step is not None]
    return tuple(step for _, step in sorted([*stages, *CORE_STAGES], key=lambda s: s[0]))  # no stage: last


def handlers() -> dict[str, Handler]:
    """Timeline event kind -> how it is applied and at which priority."""
    table: dict[str, Handler] = {}
    for mechanism in registered():
        table.update(mechanism.handlers)
    return table


def stay_terms() -> tuple[tuple[Mechanism, StayTerms], ...]:
    """(mechanism, its terms) of those with terms in the value of staying: the decision's owner first, then by M
    number."""
    with_terms = [(m, m.stay_terms) for m in registered() if m.stay_terms is not None]
    return tuple(sorted(with_terms, key=lambda pair: pair[0].block != DECISION_OWNER))


def covariates() -> tuple[str, ...]:
    """The terms of the leaving decision, as the event log's columns."""
    return tuple(name for _, terms in stay_terms() for name in terms.names)


def setup(model: OrgModel) -> dict[str, Any]:
    """Each mechanism's state, created by its own ``setup`` (in M-number order)."""
    return {m.block: m.setup(model) for m in registered() if m.setup is not None}


@dataclasses.dataclass(frozen=True)
class Hooks:
    """The transition hooks of every mechanism that declares one, in M-number order."""

    on_hire: tuple[Callable[..., None], ...]
    on_leave: tuple[Callable[..., None], ...]
    on_move: tuple[Callable[..., None], ...]


def hooks() -> Hooks:
    mechanisms = registered()
    return Hooks(
        *(
            tuple(h for m in mechanisms if (h := getattr(m, name)) is not None)
            for name in ("on_hire", "on_leave", "on_move")
        )
    )


def actions() -> dict[str, Callable[..., Any]]:
    """Action name -> the mechanism's function that carries it out."""
    table: dict[str, Callable[..., Any]] = {}
    for mechanism in registered():
        table.update(mechanism.actions)
    return table


def act(model: OrgModel, name: str, *args: Any, default: Any = None) -> Any:
    """Ask whichever mechanism offers action ``name`` to carry it out; ``default`` when none is registered."""
    action = model.actions.get(name)
    return default if action is None else action(model, *args)


def iter_prices(model: OrgModel) -> Iterator[tuple[str, float]]:
    """(term, price) of every term of the value of staying, in summation order."""
    for m, terms in stay_terms():
        block = getattr(model.params, m.block)
        for name, field in terms.prices.items():
            yield name, getattr(block, field)
