"""Names for readers: every parameter, lever and outcome as a plain-language label with its unit.

The labels live where the things are defined: a parameter's in its schema
field (``param(..., label=...)`` or ``setting(...)`` in
:mod:`orgsim.schema`, stored as the field's title), an outcome's in
:data:`orgsim.outcomes.OUTCOMES`. This module composes them for a concrete
dotted path, as ``--set``, sweep designs and factor lists name it::

    >>> str(parameter("mechanisms.attrition.horizon_years"))
    'Years over which one-off money is weighed (years)'
    >>> parameter("labs.meta.quit_rate").text
    'Meta: voluntary quit rate'

With a scenario, lab and executive names and timeline-event titles come from
it; without one, from the keys. The dotted path stays on the label
(``Label.path``) for hover titles and method sections.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from orgsim.config import PathError, models_of, walk_path
from orgsim.outcomes import OUTCOMES, Outcome

if TYPE_CHECKING:
    import pandas as pd

    from orgsim.schema import Scenario

__all__ = ["Label", "LabelError", "input_label", "labelled", "outcome", "parameter", "parameters"]

#: units that add nothing beside a label
UNITLESS = ("", "flag", "text")
#: outcomes of the decision commands that are not headline outcomes of a run
DECISION_OUTCOMES: dict[str, Outcome] = {
    "retention_spend_musd": Outcome("Money spent on the retention grant", "M$", "num", 0.0),
}
#: executive roles as readers say them
ROLES = {
    "ceo": "CEO",
    "chief_ai_officer": "chief AI officer",
    "research_head": "head of research",
    "product_head": "head of product",
    "chief_scientist": "chief scientist",
}


class LabelError(ValueError):
    """A path or outcome key that names nothing orgsim knows."""


@dataclass(frozen=True)
class Label:
    """A reader's name for a parameter or outcome: ``text``, its ``unit`` and the dotted ``path`` (or key)."""

    text: str
    unit: str = ""
    path: str = ""

    def __str__(self) -> str:
        return self.text if self.unit in UNITLESS else f"{self.text} ({self.unit})"


def humanise(key: str) -> str:
    """``post_release_grant`` -> ``Post release grant``."""
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _lower_first(text: str) -> str:
    """Sentence case after a colon; acronyms (``CEO reaches out``) keep their capitals."""
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def lab_name(key: str, scenario: Scenario | None = None) -> str:
    """The lab's ``name`` in ``scenario`` without its parenthesis (``Meta (Superintelligence Labs)`` -> ``Meta``),
    else its key title-cased."""
    if scenario is not None and key in scenario.labs:
        return scenario.labs[key].name.split(" (")[0]
    return key.title()


def mechanism_title(model: type[BaseModel]) -> str:
    """``M5 golden handcuffs.`` -> ``Golden handcuffs``: the mechanism's name from its params docstring."""
    doc = " ".join((model.__dict__.get("__doc__") or "").split())
    name = re.split(r"[:;.(]", re.sub(r"^M\d+\s+", "", doc), maxsplit=1)[0].strip()
    return name[:1].upper() + name[1:] if name else humanise(model.__name__.removesuffix("Params"))


def _field_label(owners: tuple[type[BaseModel], ...], key: str) -> tuple[str, str]:
    """A field's label and unit; for an event of unknown kind, what its candidate kinds agree on."""
    found = {
        (
            f.title or humanise(key),
            (f.json_schema_extra or {}).get("unit", "") if isinstance(f.json_schema_extra, dict) else "",
        )
        for f in (m.model_fields[key] for m in owners)
    }
    return found.pop() if len(found) == 1 else (humanise(key), "")


def _event_title(key: str, kinds: tuple[type[BaseModel], ...], scenario: Scenario | None) -> str:
    """An event's ``label`` if it has one, else its key humanised with the kind's title."""
    event = scenario.timeline.get(key) if scenario is not None else None
    if event is not None and event.label:
        return event.label
    if event is not None:
        kinds = (type(event),)
    if len(kinds) == 1:
        kind = kinds[0].model_fields["kind"].title or humanise(kinds[0].__name__)
        return f"{humanise(key)} ({_lower_first(kind)})"
    return humanise(key)


def _executive(lab: str, key: str, scenario: Scenario | None) -> str:
    spec = scenario.labs[lab].executives.get(key) if scenario is not None and lab in scenario.labs else None
    if spec is None:
        return f"{lab_name(lab, scenario)}, {humanise(key).lower()}"
    return spec.name or f"{lab_name(lab, scenario)} {ROLES.get(spec.role, spec.role)}"


def _steps(keys: list[str], scenario: Scenario | None):
    """The schema's steps, with the scenario's data where it has the entries (its events' kinds)."""
    try:
        steps = walk_path(keys)
    except PathError as exc:
        raise LabelError(f"{'.'.join(keys)}: no such parameter ({exc})") from None
    if scenario is not None:
        try:
            steps = walk_path(keys, scenario.model_dump())
        except PathError:
            pass  # an entry the scenario does not have: the schema alone names it
    if len(steps) < len(keys):
        raise LabelError(
            f"{'.'.join(keys)}: no such parameter ({'.'.join(keys[: len(steps)])} is a value, not a block)"
        )
    return steps


def parameter(path: str, scenario: Scenario | None = None) -> Label:
    """The label of a concrete dotted config path (``labs.meta.quit_rate``, ``timeline.<key>.<field>``).

    Raises :class:`LabelError` for a path the schema does not have, or one that names a whole block.
    """
    keys = path.strip().split(".")
    steps = _steps(keys, scenario)
    fields = [i for i, step in enumerate(steps) if step.owners]
    last = fields[-1] if fields else -1
    if keys[0] == "timeline" and len(keys) == 2:
        return Label(_event_title(keys[1], _event_kinds(), scenario), "", path)
    if last < 0 or _holds_blocks(steps[last]):
        raise LabelError(f"{path}: names a block of parameters, not one parameter")
    text, unit = _field_label(steps[last].owners, keys[last])
    tail = keys[last + 1 :]  # keys of a mapping of values (source_weights.openai)
    if tail:
        text = f"{text}: {lab_name(tail[0], scenario) if keys[last] == 'source_weights' else humanise(tail[0]).lower()}"
    if keys[last] == "enabled" and keys[0] == "mechanisms":
        text = f"{mechanism_title(steps[last].owners[0])} switched on"
    prefix = _context(keys[:last], steps, scenario)
    return Label(f"{prefix}: {_lower_first(text)}" if prefix else text, unit, path)


def _holds_blocks(step) -> bool:
    """Whether the field at ``step`` holds blocks (a model, or a mapping of them) rather than values."""
    annotation = step.owners[0].model_fields[step.key].annotation
    if typing.get_origin(annotation) is dict:
        annotation = typing.get_args(annotation)[1]
    return bool(models_of(annotation))


def _event_kinds() -> tuple[type[BaseModel], ...]:
    from orgsim.schema import Scenario

    return tuple(models_of(typing.get_args(Scenario.model_fields["timeline"].annotation)[1]))


def _context(keys: list[str], steps, scenario: Scenario | None) -> str:
    """Who a parameter belongs to: a lab, its team or executive, or a timeline event (empty: the world)."""
    if len(keys) >= 2 and keys[0] == "labs":
        lab = keys[1]
        if len(keys) >= 4 and keys[2] == "teams":
            return f"{lab_name(lab, scenario)}, {keys[3]} team"
        if len(keys) >= 4 and keys[2] == "executives":
            return _executive(lab, keys[3], scenario)
        return lab_name(lab, scenario)
    if len(keys) >= 2 and keys[0] == "timeline":
        field = steps[2].owners if len(steps) > 2 else ()
        return _event_title(keys[1], field, scenario)
    return ""


def input_label(name: str, scenario: Scenario | None = None) -> Label:
    """The label of a design input: a config path's, or the name itself for one that is not a path (``x1`` of a
    synthetic design, a store column of an older orgsim)."""
    try:
        return parameter(name, scenario)
    except LabelError:
        return Label(name, "", name)


def parameters(paths: Iterable[str], scenario: Scenario | None = None) -> dict[str, Label]:
    """Labels of several paths, keyed by path."""
    return {path: parameter(path, scenario) for path in dict.fromkeys(paths)}


def outcome(
    key: str,
    scenario: Scenario | None = None,
    *,
    focal: str | None = None,
    cohort: str | None = None,
    release: str | None = None,
    window: int | None = None,
) -> Label:
    """The label of an outcome (a key of :data:`~orgsim.outcomes.OUTCOMES` or of a decision command).

    The cohort, release, retention window and focal lab come from the
    arguments, else from ``scenario``, else from the schema's defaults.
    """
    from orgsim.schema import OutcomeSpec, Scenario

    definition = OUTCOMES.get(key) or DECISION_OUTCOMES.get(key)
    if definition is None:
        known = ", ".join([*OUTCOMES, *DECISION_OUTCOMES])
        raise LabelError(f"{key!r} is not an outcome (known: {known})")
    spec = scenario.outcomes if scenario is not None else OutcomeSpec()
    focal_key = scenario.focal_lab if scenario is not None else Scenario.model_fields["focal_lab"].default
    release = release or spec.release
    text = definition.name(
        focal=focal or lab_name(focal_key, scenario),
        cohort=cohort or spec.cohort,
        release=release[:1].upper() + release[1:],
        window=window if window is not None else spec.retention_weeks,
    )
    return Label(text[:1].upper() + text[1:], definition.unit, key)


def labelled(
    frame: pd.DataFrame,
    column: str = "parameter",
    scenario: Scenario | None = None,
    *,
    kind: str = "parameter",
    name: str = "label",
) -> pd.DataFrame:
    """``frame`` with a ``label`` column (text and unit) right after ``column``, which keeps the paths or keys.

    ``kind`` is ``parameter`` (an input that is no config path keeps its name) or ``outcome``; missing values
    stay missing.
    """
    name_of = input_label if kind == "parameter" else outcome
    cache: dict[str, str] = {}

    def text(value) -> str | None:
        if not isinstance(value, str):
            return None
        if value not in cache:
            cache[value] = str(name_of(value, scenario))
        return cache[value]

    out = frame.copy()
    if name in out.columns:
        out = out.drop(columns=name)
    out.insert(out.columns.get_loc(column) + 1, name, out[column].map(text))
    return out
