"""Scenario schema and YAML loading.

A scenario is one frozen pydantic object: the world (labs, teams,
executives, pay, compute, finance), one parameter block per mechanism and a
dated timeline. YAML files may ``extends:`` a parent; mappings merge
recursively, so a child adds timeline events or overrides single fields.

The boundary is strict: a file that is not small UTF-8 YAML (a binary
file, an alias bomb, a duplicated key: :mod:`orgsim.yamlfile`), a wrong
type or an unknown ``--set`` path is a :class:`ConfigError`. It holds one problem per failed check, each naming
the file and line that set the value, the field path and the reason, so the
CLI prints one line per problem and exits 2.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from orgsim import catalog, yamlfile
from orgsim.schema import FieldProblem, Scenario

__all__ = ["ConfigError", "Scenario", "load_scenario", "apply_overrides", "scenario_from_dict"]

#: where each value of a resolved mapping was set: field path -> "file:line" (or the ``--set`` item)
Origins = dict[tuple, str]


@dataclass(frozen=True)
class Problem:
    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}" if self.field else f"{self.where}: {self.reason}"


class ConfigError(ValueError):
    """A bad scenario or spec: one or more problems, each knowing its file (and line), field path and reason.

    ``file``, ``field`` and ``reason`` are those of the first problem.
    """

    def __init__(
        self, file: str | Path | None, field: str = "", reason: str = "", problems: list[Problem] | None = None
    ):
        self.problems = problems or [Problem(str(file) if file else "<config>", field, reason)]
        first = self.problems[0]
        self.file, self.field, self.reason = first.where, first.field, first.reason
        super().__init__("\n".join(map(str, self.problems)))


# ------------------------------------------------------------ reading one file


def _origins(node: yaml.Node, file: Path, path: tuple = ()) -> Origins:
    """The line of every key and item under ``node``."""
    found: Origins = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            here = (*path, key_node.value)
            found[here] = f"{file}:{key_node.start_mark.line + 1}"
            found.update(_origins(value_node, file, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found[(*path, i)] = f"{file}:{item.start_mark.line + 1}"
            found.update(_origins(item, file, (*path, i)))
    return found


def _read_located(path: Path) -> tuple[dict[str, Any], Origins]:
    """A YAML mapping and the line each of its values is on."""
    try:
        data, node = yamlfile.read(path)
    except yamlfile.Unreadable as exc:
        raise ConfigError(exc.where, "", exc.reason) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"top level must be a mapping, got {type(data).__name__}")
    return data, _origins(node, path)


def _read_yaml(path: Path) -> dict[str, Any]:
    return _read_located(path)[0]


def deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child wins; mappings merge key by key; ``null`` in the child deletes."""
    merged = dict(parent)
    for key, value in child.items():
        if value is None and key in merged:
            del merged[key]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Origins]:
    """A file merged over its ``extends:`` parents; a parent's ``name`` is not inherited (it names the parent).

    ``path`` is the file as shown in errors (parents relative to it); ``chain`` the resolved files below it.
    """
    data, origins = _read_located(path)
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise ConfigError(chain[-1], "extends", f"circular extends: {cycle}")
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins
    where = origins.get(("extends",), str(path))
    if not isinstance(parent, str):
        raise ConfigError(where, "extends", "must be a file name")
    parent_path = path.parent / parent
    problem = yamlfile.file_problem(parent_path)
    if problem:
        raise ConfigError(where, "extends", f"parent file {yamlfile.shown(parent)} {problem}")
    inherited, inherited_origins = _resolve(parent_path, (*chain, real))
    for own in ("name", "title"):  # what a file calls itself is never inherited
        inherited.pop(own, None)
    return deep_merge(inherited, data), {**inherited_origins, **origins}


# ------------------------------------------------------------ validation errors


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not parts:
            parts.append(str(item))
        else:
            parts.append(f".{item}")
    return "".join(parts)


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple:
    """A pydantic location as a path into the data: union tags (an event's kind) and validator tags dropped."""
    path: list[Any] = []
    for item in loc:
        if isinstance(item, str) and item.startswith("function-"):
            continue
        if isinstance(data, dict) and item not in data and data.get("kind") == item:
            continue  # the tag of a discriminated union
        path.append(item)
        data = (
            data.get(item)
            if isinstance(data, dict)
            else (data[item] if isinstance(data, list | tuple) and isinstance(item, int) and item < len(data) else None)
        )
    return tuple(path)


def _origin(path: tuple, origins: Origins, default: str) -> str:
    """The file and line that set ``path``, or its nearest parent that was set."""
    for end in range(len(path), 0, -1):
        if path[:end] in origins:
            return origins[path[:end]]
    return default


def _problems(exc: ValidationError, data: Any, file: str | Path | None, origins: Origins) -> ConfigError:
    """Every validation error, one problem each, at the line that set the value."""
    default = str(file) if file else "<config>"
    problems = []
    for err in exc.errors(include_url=False):
        problem = err.get("ctx", {}).get("error")
        if isinstance(problem, FieldProblem):
            path = tuple(problem.field.split("."))
            problems.append(Problem(_origin(path, origins, default), problem.field, problem.reason))
            continue
        path = _data_path(tuple(err["loc"]), data)
        reason = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        elif "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict):
            reason = f"{reason} (got {yamlfile.shown(err['input'])})"
        problems.append(Problem(_origin(path, origins, default), _field_path(path), reason))
    return ConfigError(file, problems=list(dict.fromkeys(problems)))


def _scenario_model() -> type[BaseModel]:
    """The registered scenario schema (plug-ins included), imported when first needed: the plug-ins bring Mesa,
    which a file refused while it is read never needs (so ``orgsim validate`` refuses it in a fraction of a
    second)."""
    from orgsim.sim import plugins

    return plugins.scenario_model()


def scenario_from_dict(
    data: dict[str, Any], file: str | Path | None = None, origins: Origins | None = None
) -> Scenario:
    """Validate a resolved mapping into a frozen :class:`Scenario`."""
    try:
        return _scenario_model().model_validate(data)
    except ValidationError as exc:
        raise _problems(exc, data, file, origins or {}) from None


# ------------------------------------------------------------ overrides


def _parse_value(text: str) -> Any:
    try:
        return yaml.load(text, Loader=yamlfile.Loader)
    except yaml.YAMLError:
        return text


def models_of(annotation: Any) -> list[type[BaseModel]]:
    """The model classes a field holds, looking through Annotated, Optional and unions (one for a plain block)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in models_of(a)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


def _unwrap(annotation: Any, node: Any, key: str | None = None) -> Any:
    """The model classes (a tuple) or the ``dict`` type a field holds; a tagged union picks its member by the
    node's ``kind``, an untagged one keeps the members that have a field ``key``."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    models = models_of(annotation)
    if not models:
        return annotation
    kind = node.get("kind") if isinstance(node, dict) else None
    tagged = [
        m for m in models if "kind" in m.model_fields and kind in typing.get_args(m.model_fields["kind"].annotation)
    ]
    having = [m for m in models if key in m.model_fields]
    return tuple(tagged or having or models)


@dataclass(frozen=True)
class Step:
    """One segment of a dotted config path, resolved against the schema."""

    key: str
    owners: tuple[type[BaseModel], ...]  # the models ``key`` is a field of (several: an event whose kind is unknown)
    node: Any  # the value there in the data walked, if known


class PathError(ValueError):
    """A dotted path with a segment the schema (or the data) does not have."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


def walk_path(keys: list[str], data: Any = None, root: type[BaseModel] | None = None) -> list[Step]:
    """The schema's steps along ``keys`` from ``root`` (default: the registered scenario schema, plug-ins
    included), up to the first leaf (a value, not a block).

    An entry of a mapping (a lab, a timeline event) must be in ``data``
    unless it is the last segment or ``data`` is None (any key goes). The
    steps stop at a leaf, so a path longer than them goes into a value.
    """
    kind: Any = root or _scenario_model()
    node: Any = data
    steps: list[Step] = []
    for depth, key in enumerate(keys):
        here, parent = ".".join(keys[: depth + 1]), ".".join(keys[:depth]) or "the scenario"
        kind = _unwrap(kind, node, key)
        if isinstance(kind, tuple):
            owners = tuple(m for m in kind if key in m.model_fields)
            if not owners:
                known = ", ".join(dict.fromkeys(f for m in kind for f in m.model_fields))
                raise PathError(here, f"unknown segment {key!r} in {parent} (known: {known})")
            steps.append(Step(key, owners, node.get(key) if isinstance(node, dict) else None))
            kind = owners[0].model_fields[key].annotation
        elif typing.get_origin(kind) is dict:
            present = isinstance(node, dict) and key in node
            if data is not None and not present and depth < len(keys) - 1:
                have = ", ".join(map(str, node)) if isinstance(node, dict) and node else "none"
                raise PathError(here, f"unknown segment {key!r}: {parent} has no entry {key!r} (entries: {have})")
            steps.append(Step(key, (), node.get(key) if isinstance(node, dict) else None))
            kind = typing.get_args(kind)[1]
        else:
            break  # a leaf, or a type pydantic checks on its own
        node = node.get(key) if isinstance(node, dict) else None
    return steps


def _check_override(keys: list[str], data: dict[str, Any], item: str, file: str | Path | None) -> None:
    """Refuse a ``--set`` path with an unknown segment, naming it (pydantic would blame a missing sibling)."""
    try:
        walk_path(keys, data)
    except PathError as exc:
        raise ConfigError(file, exc.path, f"--set {item}: {exc.reason}") from None


def apply_overrides(
    data: dict[str, Any], overrides: list[str], file: str | Path | None = None, origins: Origins | None = None
) -> dict[str, Any]:
    """Apply ``PATH=VALUE`` overrides (``population.scale=0.1``) to a resolved mapping.

    Every segment of PATH must exist in the schema; a new entry of a mapping
    (a lab, a timeline event) can only be set whole. ``origins`` is updated
    so errors in an overridden value name the override.
    """
    data = deep_merge({}, data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(file, item, "override must look like PATH=VALUE")
        dotted, raw = item.split("=", 1)
        keys = dotted.strip().split(".")
        _check_override(keys, data, item, file)
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(file, ".".join(keys[: depth + 1]), "is not a mapping, cannot set a field in it")
            node[key] = child = dict(child)
            node = child
        node[keys[-1]] = _parse_value(raw)
        if origins is not None:
            origins.update({tuple(keys): f"{file} (override {item})" if file else f"override {item}"})
    return data


# ------------------------------------------------------------ entry points


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load, merge ``extends:`` parents, apply overrides and validate a scenario file.

    ``path`` may also be a shipped scenario's name (``avocado_failure``, see
    :mod:`orgsim.catalog`); an existing file wins. Its name is its own
    ``name:``, or the file's stem (never a parent's).
    """
    path = catalog.scenario_path(path)
    data, origins = _resolve(path)
    if overrides:
        data = apply_overrides(data, overrides, path, origins)
    data.setdefault("name", path.stem)
    return scenario_from_dict(data, path, origins)


def load_spec(path: str | Path, model: type) -> tuple[Any, Path]:
    """Validate a spec file (experiment, calibration) with ``extends:`` into ``model``; also its folder.

    ``path`` may be a shipped experiment's name (:mod:`orgsim.catalog`).
    """
    path = catalog.experiment_path(path)
    data, origins = _resolve(path)
    data.setdefault("name", path.stem)
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise _problems(exc, data, path, origins) from None
    return spec, path.resolve().parent


def week_of(start: dt.date, date: dt.date) -> int:
    """The simulated week (0 = the start date's week) a date falls in."""
    return (date - start).days // 7
