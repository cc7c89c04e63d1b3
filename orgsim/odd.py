"""The generated parts of ``docs/ODD.md``: parameter tables, the 2025 world and the scenario timelines.

Parameters and configs change while the model is tuned; tables copied by
hand would drift from the code. So the tables are rendered from the
pydantic schema (every parameter's label, default, unit and source live in
its ``Field`` metadata) and from ``configs/*.yaml``, and written between marker
comments in ODD.md::

    <!-- parameters:begin --> ... <!-- parameters:end -->
    <!-- world:begin -->      ... <!-- world:end -->
    <!-- timeline:begin -->   ... <!-- timeline:end -->

``python -m orgsim.odd`` refreshes them; ``python -m orgsim.odd --check``
exits 1 and names the stale blocks, so a test or CI step catches a
parameter changed without its documentation.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from orgsim import schema, tables
from orgsim.files import atomic_write
from orgsim.sim import plugins

ROOT = Path(__file__).resolve().parent.parent
ODD_PATH = ROOT / "docs" / "ODD.md"
CONFIGS = ROOT / "configs"
WORLD_FILE = "world_2025.yaml"
SCENARIO_FILES = (
    "baseline.yaml",
    "avocado_success.yaml",
    "avocado_failure.yaml",
    "avocado_delayed.yaml",
    "avocado_endogenous.yaml",
    "history_2026.yaml",
)

# A dict-valued field holds many blocks; its config path shows a placeholder key.
PLACEHOLDERS = {"labs": "<lab>", "teams": "<team>", "executives": "<executive>", "timeline": "<event>"}

BLOCK_HEADING = "#### "

# Stopgap descriptions for schema classes that have no docstring yet; a class's
# own docstring always wins, so adding one to orgsim/schema.py retires its entry.
FALLBACK_DOCS = {
    "PopulationSpec": "How researchers are drawn: world size, skill distribution, tenure, preferences.",
    "LabSpec": "One organization's state at the start; the nested blocks below are its teams, pay, hiring, "
    "mission, finance and executives.",
    "TeamSpec": "A team's target headcount (before `population.scale`), layoff protection and skill level.",
    "PaySpec": "Pay curve `(base_k + equity_k) · skill^skill_elasticity` and the vesting schedule of equity grants.",
    "HiringSpec": "Recruiting (M1), counteroffer (M2) and backfill (M14) policy.",
    "MissionSpec": "The lab's public profile that researchers' ideals are compared with (M13).",
    "FinanceSpec": "Share price or private valuation and budgets (M11).",
    "ExecutiveSpec": "An executive's style and the teams reporting to them (M8).",
    "EventBase": "Fields every timeline event has. The event runs before the step of the week its date falls in.",
    "Blitz": "A hiring blitz: from `date` to `until` the lab's recruiting capacity is multiplied, its package cap "
    "(M$ over four years) and premium (x the lab's own pay at the target's skill) replaced, targets drawn above "
    "`target_quantile`, hires placed in `team` and labelled `cohort`.",
    "Freeze": "A hiring freeze: no poaching and no backfill until `until` (or the horizon); ends a running blitz.",
    "Reorg": "A reorganization of `teams` (all unprotected teams if empty), reassigning `reassign_share` of members.",
    "Layoff": "`n` layoffs (full-scale count, scaled by `population.scale`) from `teams` (all unprotected if empty).",
    "ShareShock": "A one-off share-price move; `change` is relative (-0.11 = -11%).",
    "Release": "A dated model release, in index points (M9): success at `target` or above, failure below `floor` "
    "(default `target` - `partial_band`; no target = judged against the best rival), `outcome` or "
    "`standing` (the index reached) forced if set, `reported` the real index as a check only; "
    "`slips_weeks` the delays before it lands, `pull_forward_weeks` how early it may be rushed.",
    "ExecutiveExit": "A named executive leaves; `successor` sets the size of the shock to the teams below.",
    "CapexGuidance": "New capex guidance in $bn/year; punished by investors unless `clear_return`.",
    "Debt": "New debt in $bn: a share-price discount and a larger compensation budget.",
    "BudgetShift": "Budget moved between bets ($bn), with a relative share-price move `price_change`.",
    "Acquihire": "A stake or acqui-hire: `n` newcomers (full-scale count) with log-skill shift `skill_shift` "
    "join `team`, optionally with a new `executive`.",
    "Scandal": "Trust and prestige fall by the given 0-1 amounts.",
    "RetentionGrant": "Extra unvested equity of `amount_k` k$ for the top `share` of the lab by skill.",
    "MissionChange": "The lab's mission profile changes (unset fields keep their value).",
}


# ---------------------------------------------------------------- walking the schema


@dataclasses.dataclass(frozen=True)
class Block:
    """One pydantic model reached from ``Scenario``, and where it sits in a config file."""

    path: str  # e.g. "mechanisms.offers", "labs.<lab>.pay", "timeline.<event>"
    model: type[BaseModel]
    group: str  # the sub-heading the block is listed under
    fields: tuple[str, ...]  # the rows: its own scalar fields, nested blocks excluded
    kind: str | None = None  # the discriminator value of a timeline event

    @property
    def title(self) -> str:
        kind = f" kind `{self.kind}`" if self.kind else ""
        where = f"`{self.path}`" if self.path else "top level"
        return f"{where}{kind} ({self.model.__name__})"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds directly, in a dict, or as union members."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if origin is Annotated:
        return _models_in(args[0])
    if origin is dict:
        return _models_in(args[1])
    if origin in (Union, types.UnionType):
        return [m for a in args for m in _models_in(a)]
    return []


def _group(path: str) -> str:
    head = path.split(".", 1)[0]
    return {
        "": "Scenario",
        "population": "World",
        "labs": "World",
        "mechanisms": "Mechanisms",
        "morale": "Morale",
        "timeline": "Timeline events",
        "outcomes": "Outcomes",
    }.get(head, head)


def blocks(model: type[BaseModel] | None = None, path: str = "") -> list[Block]:
    """Every block reachable from ``model`` (default: the registered scenario schema), depth first in field
    order (the order of a config file).

    Timeline events get one block for the fields all kinds share and one per
    kind for its own fields, so a reader sees each field once.
    """
    model = model or plugins.scenario_model()
    found: list[Block] = []
    nested: list[tuple[str, list[type[BaseModel]], bool]] = []
    own: list[str] = []
    for name, field in model.model_fields.items():
        # the mechanisms block as registered, so a plug-in's parameters are listed with the others
        members = (
            [plugins.mechanisms_model()] if field.annotation is schema.Mechanisms else _models_in(field.annotation)
        )
        if not members:
            own.append(name)
            continue
        child = f"{path}.{name}" if path else name
        if get_origin(field.annotation) is dict:
            child += "." + PLACEHOLDERS.get(name, "<key>")
        nested.append((child, members, len(members) > 1))
    if own:
        found.append(Block(path, model, _group(path), tuple(own)))
    for child, members, is_union in nested:
        if is_union:
            found.extend(_event_blocks(child, members))
        else:
            found.extend(blocks(members[0], child))
    return found


def _event_blocks(path: str, kinds: list[type[BaseModel]]) -> list[Block]:
    shared = [n for n in schema.EventBase.model_fields]
    out = [Block(path, schema.EventBase, _group(path), tuple(shared))]
    for kind in kinds:
        literal = get_args(kind.model_fields["kind"].annotation)[0]
        mine = tuple(n for n in kind.model_fields if n not in shared and n != "kind")
        out.append(Block(path, kind, _group(path), mine, kind=literal))
    return out


# ---------------------------------------------------------------- rendering cells


def _cell(text: str) -> str:
    """Markdown-table safe: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def format_value(value: Any) -> str:
    """A default as it would be written in YAML."""
    if value is PydanticUndefined:
        return "*required*"
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dt.date):
        return f"`{value.isoformat()}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, dict):
        return "`{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}`"
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(_plain(v) for v in value) + "]`"
    return f"`{_plain(value)}`"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


def _bounds(metadata: list[Any]) -> str:
    """``[0, 1]``, ``> 0``, ``≥ 1`` ... from pydantic/annotated-types constraints."""
    lo = hi = None
    for item in metadata:
        if isinstance(item, FieldInfo):
            item_bounds = _bounds(item.metadata)
            if item_bounds:
                return item_bounds
        elif getattr(item, "ge", None) is not None:  # annotated_types.Ge, Gt, Le, Lt
            lo = ("[", "≥", item.ge)
        elif getattr(item, "gt", None) is not None:
            lo = ("(", ">", item.gt)
        elif getattr(item, "le", None) is not None:
            hi = ("]", "≤", item.le)
        elif getattr(item, "lt", None) is not None:
            hi = (")", "<", item.lt)
    if lo and hi:
        return f"in {lo[0]}{lo[2]:g}, {hi[2]:g}{hi[0]}"
    if lo or hi:
        _, sign, bound = lo or hi
        return f"{sign} {bound:g}"
    return ""


def type_name(annotation: Any) -> str:
    """A reader's name for a field type, with the constraints carried in ``Annotated``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        bounds = _bounds(list(args[1:]))
        return type_name(args[0]) + (f" {bounds}" if bounds else "")
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        parts = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin is list:
        inner = type_name(args[0])
        return f"list of ({inner})" if " " in inner else f"list of {inner}"
    if origin is tuple:
        return "(" + ", ".join(type_name(a) for a in args) + ")"
    if origin is dict:
        return f"map {type_name(args[0])} → {type_name(args[1])}"
    if annotation is dt.date:
        return "date"
    return getattr(annotation, "__name__", str(annotation))


def field_type(field: FieldInfo) -> str:
    """Type and constraints of a field (``float in [0, 1]``, ``int ≥ 0``, ``float > 0 or null``)."""
    bounds = _bounds(list(field.metadata))
    args = get_args(field.annotation)
    if bounds and get_origin(field.annotation) in (Union, types.UnionType) and type(None) in args:
        inner = " or ".join(type_name(a) for a in args if a is not type(None))
        return f"{inner} {bounds} or null"
    return type_name(field.annotation) + (f" {bounds}" if bounds else "")


def _docstring(model: type[BaseModel]) -> str:
    doc = model.__dict__.get("__doc__") or FALLBACK_DOCS.get(model.__name__, "")  # never Strict's docstring
    return " ".join(doc.split())


def render_block(block: Block) -> str:
    """One block: heading, its docstring (or handler), and a table of its fields."""
    lines = [f"{BLOCK_HEADING}{block.title}", ""]
    doc = _docstring(block.model)
    if doc:
        lines += [doc, ""]
    if block.kind:
        lines += [f"Handled by {_handler(block.kind)}.", ""]
    lines += [
        *tables.head(["parameter", "label", "default", "unit", "source / assumption", "description"]),
    ]
    for name in block.fields:
        field = block.model.model_fields[name]
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = extra.get("unit", "—")
        source = extra.get("source", "—")
        if source == schema.ASSUMED:
            source = "*assumption*"
        description = "; ".join(filter(None, [field.description, field_type(field)]))
        cells = (f"`{name}`", field.title or "—", format_value(field.default), unit, source, description)
        lines.append(tables.row(_cell(c) for c in cells))
    return "\n".join(lines)


def _handler(kind: str) -> str:
    """Which code applies a timeline event, under which mechanism's switch, and where among its week's dated events."""
    from orgsim.mechanisms import releases
    from orgsim.sim import timeline

    if kind == "release":
        function, priority = releases.schedule_event, plugins.RELEASES
    else:
        function, priority = timeline.handlers()[kind].apply, timeline.handlers()[kind].priority
    module = importlib.import_module(function.__module__)
    mechanism = re.match(r"\s*(M\d+)\b", module.__doc__ or "")
    where = f"`{function.__module__}.{function.__name__}`"
    switch = f"{mechanism.group(1)}; no effect when it is switched off" if mechanism else "always on"
    return f"{where} ({switch}), at Mesa priority `{priority.name}` among its week's dated events (§3)"


def render_parameter_tables() -> str:
    """Every block of the scenario schema as a Markdown table, grouped as in a config file."""
    out: list[str] = []
    group = None
    for block in blocks():
        if block.group != group:
            group = block.group
            out += [f"### {group}", ""]
        out += [render_block(block), ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- configs


def _load(name: str, configs: Path):
    from orgsim.config import load_scenario

    return load_scenario(configs / name)


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def render_world_tables(configs: Path = CONFIGS) -> str:
    """The labs of ``world_2025.yaml`` as configured (values at full scale)."""
    world = _load(WORLD_FILE, configs)
    total = sum(t.headcount for lab in world.labs.values() for t in lab.teams.values())
    out = [
        f"From `configs/{WORLD_FILE}`: start {world.start}, horizon {world.horizon} ({world.weeks} weeks), "
        f"focal lab `{world.focal_lab}`, {len(world.labs)} labs, {total:,} researchers at `population.scale: 1`.",
        "",
        *tables.head(
            [
                "lab",
                "teams (headcount; * protected)",
                "researchers",
                "base + equity k$/yr",
                "pay elasticity",
                "accelerators (k H100e)",
                "H100e per researcher",
                "capability",
                "prestige",
                "trust",
                "vision",
                "annual quit rate",
                "recent reorgs",
                "release every (weeks)",
            ],
            "llrlrrrrrrrrrr",
        ),
    ]
    for key, lab in world.labs.items():
        teams = ", ".join(f"{t} {s.headcount:,}{'*' if s.protected else ''}" for t, s in lab.teams.items())
        n = sum(s.headcount for s in lab.teams.values())
        out.append(
            tables.row(
                _cell(c)
                for c in (
                    f"`{key}` {lab.name}",
                    teams,
                    f"{n:,}",
                    f"{_num(lab.pay.base_k)} + {_num(lab.pay.equity_k)}",
                    _num(lab.pay.skill_elasticity),
                    _num(lab.accelerators_k),
                    f"{1000 * lab.accelerators_k / max(n, 1):.0f}",
                    _num(lab.capability),
                    _num(lab.prestige),
                    _num(lab.trust),
                    _num(lab.vision_clarity),
                    _num(lab.quit_rate),
                    _num(lab.recent_reorgs),
                    str(lab.release_every_weeks) if lab.release_every_weeks else "dated only",
                )
            )
        )
    out += [
        "",
        *tables.head(
            [
                "lab",
                "mission safety / openness / product",
                "poaching intensity",
                "approaches/week",
                "target quantile",
                "package cap M$ (4 yr)",
                "counteroffers",
                "backfill share/week",
                "headcount growth/yr",
                "share price",
                "volatility",
                "capex $bn",
                "comp budget M$/yr",
            ],
            "llrrrrlrrrrrr",
        ),
    ]
    for key, lab in world.labs.items():
        h, m, f = lab.hiring, lab.mission, lab.finance
        out.append(
            tables.row(
                _cell(c)
                for c in (
                    f"`{key}`",
                    f"{_num(m.safety)} / {_num(m.openness)} / {_num(m.product)}",
                    _num(h.poaching_intensity),
                    _num(h.recruit_capacity),
                    _num(h.target_quantile),
                    _num(h.package_cap_musd),
                    "yes" if h.counteroffer else "no",
                    _num(h.backfill_share),
                    _num(h.growth),
                    _num(f.share_price) + ("" if f.public else " (private)"),
                    _num(f.volatility),
                    _num(f.capex_bn),
                    _num(f.comp_budget_musd),
                )
            )
        )
    out += [
        "",
        *tables.head(
            [
                "lab",
                "executive",
                "role",
                "teams led",
                "micromanagement",
                "risk appetite",
                "patience",
                "insider",
                "friction",
            ],
            "llllrrrlr",
        ),
    ]
    for key, lab in world.labs.items():
        for ex_key, ex in lab.executives.items():
            out.append(
                tables.row(
                    _cell(c)
                    for c in (
                        f"`{key}`",
                        f"`{ex_key}`" + (f" {ex.name}" if ex.name else ""),
                        ex.role,
                        ", ".join(ex.teams) or "—",
                        _num(ex.micromanagement),
                        _num(ex.risk_appetite),
                        _num(ex.patience),
                        "yes" if ex.insider else "no",
                        _num(ex.friction),
                    )
                )
            )
    return "\n".join(out) + "\n"


_EVENT_SKIP = {"date", "lab", "note", "kind"}


def render_timeline_table(configs: Path = CONFIGS) -> str:
    """Every dated event of the baseline and the three Avocado scenarios, in date order."""
    rows: list[tuple[dt.date, int, str, str]] = []
    seen: dict[str, Any] = {}
    for order, name in enumerate(SCENARIO_FILES):
        scenario = _load(name, configs)
        for key, event in scenario.timeline.items():
            if seen.get(key) == event:
                continue  # inherited unchanged from the baseline
            seen.setdefault(key, event)
            settings = ", ".join(
                f"{k}: {_plain(v)}" for k, v in event.model_dump(exclude_defaults=True).items() if k not in _EVENT_SKIP
            )
            cells = (
                event.date.isoformat(),
                str(scenario.week_of(event.date)),
                name.removesuffix(".yaml"),
                f"`{key}`",
                f"`{event.kind}`",
                f"`{event.lab}`",
                settings or "—",
                event.note or "—",
            )
            rows.append((event.date, order, key, tables.row(_cell(c) for c in cells)))
    rows.sort()
    head = [
        "Settings show the fields that differ from their defaults (§8 gives the defaults).",
        "",
        *tables.head(
            ["date", "week", "scenario", "event", "kind", "lab", "settings", "source note (from the config)"], "lr"
        ),
    ]
    return "\n".join(head + [r[3] for r in rows]) + "\n"


# ---------------------------------------------------------------- updating ODD.md

SECTIONS: dict[str, Callable[[], str]] = {
    "parameters": render_parameter_tables,
    "world": render_world_tables,
    "timeline": render_timeline_table,
}
REQUIRED = ("parameters",)


def _span(text: str, name: str) -> tuple[int, int] | None:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    i = text.find(begin)
    j = text.find(end, i + len(begin)) if i >= 0 else -1
    return (i + len(begin), j) if i >= 0 and j >= 0 else None


def _wrap(body: str) -> str:
    return "\n" + body.strip("\n") + "\n"


def _pieces(body: str) -> dict[str, str]:
    """A generated section split at block headings, so a check can name what changed."""
    pieces, current = {}, "(section head)"
    for line in body.splitlines():
        if line.startswith(BLOCK_HEADING) or line.startswith("### "):
            current = line.lstrip("# ").strip()
        pieces[current] = pieces.get(current, "") + line + "\n"
    return pieces


def render(text: str) -> tuple[str, list[str]]:
    """``text`` with every generated section present in it refreshed, and what was stale."""
    stale: list[str] = []
    for name, make in SECTIONS.items():
        span = _span(text, name)
        if span is None:
            if name in REQUIRED:
                raise ValueError(f"no <!-- {name}:begin --> ... <!-- {name}:end --> markers")
            continue
        new = _wrap(make())
        old = text[span[0] : span[1]]
        if old != new:
            before, after = _pieces(old), _pieces(new)
            changed = [k for k in after if before.get(k) != after[k]]
            changed += [f"{k} (removed)" for k in before if k not in after]
            stale += [f"{name}: {k}" for k in changed] or [f"{name}: (whitespace)"]
            text = text[: span[0]] + new + text[span[1] :]
    return text, stale


def update_odd(path: str | Path = ODD_PATH) -> bool:
    """Rewrite the generated sections of ``path`` in place; True if anything changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new, stale = render(text)
    if new != text:
        atomic_write(path, lambda tmp: tmp.write_text(new, encoding="utf-8"))
    return bool(stale)


def stale_sections(path: str | Path = ODD_PATH) -> list[str]:
    """What ``update_odd`` would change, without writing."""
    return render(Path(path).read_text(encoding="utf-8"))[1]


def main(argv: list[str] | None = None) -> int:
    """``python -m orgsim.odd [--check] [PATH]``: 0 done or up to date, 1 stale (--check), 2 bad file or config."""
    parser = argparse.ArgumentParser(prog="python -m orgsim.odd", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(ODD_PATH), help="ODD file (default: docs/ODD.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated tables are stale; write nothing")
    args = parser.parse_args(argv)
    path = Path(args.path)
    try:
        stale = stale_sections(path) if args.check else None
        changed = None if args.check else update_odd(path)
    except (OSError, ValueError) as exc:  # ConfigError is a ValueError
        print(f"error: {path.name}: {exc}", file=sys.stderr)
        return 2
    if not args.check:
        print(f"{path.name}: {'updated' if changed else 'already up to date'}")
        return 0
    if stale:
        print(f"{path.name} is stale; run `python -m orgsim.odd`. Changed blocks:", file=sys.stderr)
        for item in stale:
            print(f"  {item}", file=sys.stderr)
        return 1
    print(f"{path.name}: generated tables up to date")
    return 0


def iter_rows(text: str) -> Iterator[tuple[str, list[str]]]:
    """(block heading, cells) for every table row under a block heading of a generated section."""
    heading = ""
    for line in text.splitlines():
        if line.startswith(BLOCK_HEADING):
            heading = line[len(BLOCK_HEADING) :].strip()
        elif line.startswith("| `") and heading:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            yield heading, cells


if __name__ == "__main__":
    sys.exit(main())
