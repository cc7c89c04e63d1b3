"""Scenario schema and YAML loading.

A scenario is one frozen pydantic object: the world (labs, teams,
executives, pay, compute, finance), one parameter block per mechanism and a
dated timeline. YAML files may ``extends:`` a parent; mappings merge
recursively, so a child adds timeline events or overrides single fields.
Every problem becomes a :class:`ConfigError` naming the file, the field path
and the reason, so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orgsim.schema import FieldProblem, Scenario

__all__ = ["ConfigError", "Scenario", "load_scenario", "apply_overrides", "scenario_from_dict"]


class ConfigError(ValueError):
    """A bad scenario: knows the file, the field path and the reason."""

    def __init__(self, file: str | Path | None, field: str, reason: str):
        self.file, self.field, self.reason = str(file) if file else "<config>", field, reason
        super().__init__(f"{self.file}: {field}: {reason}" if field else f"{self.file}: {reason}")


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(path, "", f"malformed YAML at {where}{problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"top level must be a mapping, got {type(data).__name__}")
    return data


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


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ConfigError(chain[-1], "extends", f"circular extends: {cycle}")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(path, "extends", "must be a file name")
    parent_path = path.parent / parent
    if not parent_path.is_file():
        raise ConfigError(path, "extends", f"parent file {parent!r} not found")
    return deep_merge(_resolve(parent_path, (*chain, path)), data)


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


def _first_error(exc: ValidationError, file: str | Path | None) -> ConfigError:
    err = exc.errors(include_url=False)[0]
    problem = err.get("ctx", {}).get("error")
    if isinstance(problem, FieldProblem):
        return ConfigError(file, problem.field, problem.reason)
    # Discriminated unions and custom validators add tags to the location.
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    reason = err["msg"]
    if err["type"] == "extra_forbidden":
        reason = "unknown key"
    elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], dict):
        reason = f"{reason} (got {err['input']!r})"
    return ConfigError(file, _field_path(loc), reason.removeprefix("Value error, "))


def scenario_from_dict(data: dict[str, Any], file: str | Path | None = None) -> Scenario:
    """Validate a resolved mapping into a frozen :class:`Scenario`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, file) from None


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(data: dict[str, Any], overrides: list[str], file: str | Path | None = None) -> dict[str, Any]:
    """Apply ``PATH=VALUE`` overrides (``population.scale=0.1``) to a resolved mapping."""
    data = deep_merge({}, data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(file, item, "override must look like PATH=VALUE")
        dotted, raw = item.split("=", 1)
        keys = dotted.strip().split(".")
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(file, ".".join(keys[: depth + 1]), "is not a mapping, cannot set a field in it")
            node[key] = child = dict(child)
            node = child
        node[keys[-1]] = _parse_value(raw)
    return data


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load, merge ``extends:`` parents, apply overrides and validate a scenario file."""
    path = Path(path)
    data = _resolve(path, ())
    if overrides:
        data = apply_overrides(data, overrides, path)
    data.setdefault("name", path.stem)
    return scenario_from_dict(data, path)


def load_spec(path: str | Path, model: type) -> tuple[Any, Path]:
    """Validate a spec file (experiment, calibration) with ``extends:`` into ``model``; also its folder."""
    path = Path(path)
    data = _resolve(path, ())
    data.setdefault("name", path.stem)
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, path) from None
    return spec, path.resolve().parent


def week_of(start: dt.date, date: dt.date) -> int:
    """The simulated week (0 = the start date's week) a date falls in."""
    return (date - start).days // 7
