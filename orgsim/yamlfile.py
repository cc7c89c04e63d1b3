"""One YAML file read strictly: bytes, text, nodes and values inside one error boundary.

A scenario or spec is a small UTF-8 YAML file. Anything else is refused as
:class:`Unreadable`, naming the line at fault where there is one: a path that
is a directory or cannot be read, a file over ``MAX_BYTES``, bytes that are
not UTF-8, a byte-order mark, a control character (a NUL byte: a binary
file), malformed YAML, a duplicate key, an impossible date or number,
nesting deeper than ``MAX_DEPTH``, a value longer than ``MAX_SCALAR``
characters, an alias inside the value it names, or aliases that expand to
more than ``MAX_VALUES`` values.

The last bound is the one against an alias bomb: nine levels of nine aliases
expand to 9^9 values. PyYAML shares aliased nodes, so composing the bomb is
cheap; walking or validating it is what never ends. The loader counts each
value's size with its aliases expanded as it composes, and refuses the file
at the first value over the bound, before anything walks it. The shipped
files hold at most a few thousand values, six levels deep, 600 characters long.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 2**20  # 1 MiB; the shipped scenario and spec files are under 10 KB
MAX_DEPTH = 50  # levels of nested mappings and lists, aliases expanded
MAX_VALUES = 100_000  # values (keys, items, scalars), aliases expanded
MAX_SCALAR = 10_000  # characters in one key or value
MAX_DIGITS = 308  # digits of an integer (a float tops out near 1.8e308)

#: what YAML text may not hold: PyYAML's non-printable set, plus U+FEFF (an invisible byte-order mark)
NOT_TEXT = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks, so lines count as PyYAML counts them
#: byte-order marks of encodings other than UTF-8 (UTF-32 first: its little-endian mark starts like UTF-16's)
BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
CONTROL_NAMES = {0: "a NUL byte", 0x1B: "an escape character", 0x7F: "a DEL character"}


class Unreadable(ValueError):
    """A file that is not small UTF-8 YAML: ``where`` is the file (and line), ``reason`` says why in words."""

    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


def shown(value: Any, limit: int = 40) -> str:
    """A value as errors quote it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


class Loader(yaml.SafeLoader):
    """Safe YAML that refuses what PyYAML would pick silently (a duplicate key, an impossible date) and what
    would not end (an alias bomb, deep nesting, self-containing aliases)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0  # collections open around the node being composed
        self._open: list[str | None] = []  # their anchors: an alias to one would contain itself
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth), aliases expanded

    # ---------------------------------------------------------- composing: bounds

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} is inside the value it names, so it would contain itself",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        if isinstance(event, yaml.CollectionStartEvent) and self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self._depth += isinstance(event, yaml.CollectionStartEvent)
        self._open.append(getattr(event, "anchor", None))
        try:
            node = super().compose_node(parent, index)
        finally:
            self._open.pop()
            self._depth -= isinstance(event, yaml.CollectionStartEvent)
        self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> None:
        """Record ``node``'s size with its aliases expanded; refuse it over the bounds."""
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_SCALAR:
                raise yaml.composer.ComposerError(
                    None, None, f"a value of {len(node.value):,} characters (at most {MAX_SCALAR:,})", node.start_mark
                )
            self._sizes[id(node)] = (1, 0)
            return
        children = [c for item in node.value for c in (item if isinstance(item, tuple) else (item,))]
        sizes = [self._sizes[id(c)] for c in children]
        values, depth = 1 + sum(v for v, _ in sizes), 1 + max((d for _, d in sizes), default=0)
        if values > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"its aliases expand this value to {values:,} values, over the limit of {MAX_VALUES:,} (an alias bomb)",
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"its aliases nest this value {depth} levels deep (at most {MAX_DEPTH})", node.start_mark
            )
        self._sizes[id(node)] = (values, depth)

    # ---------------------------------------------------------- constructing: strict values

    def construct_object(self, node, deep=False):
        """A scalar PyYAML cannot make (``!!int x``, a 5,000-digit number) is an error at its line, not a crash."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown(node.value)} as {tag}", node.start_mark
            ) from None

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges a mapping; its keys may be overridden here
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a {type(key).__name__} cannot be a key", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first set on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        digits = len(node.value.lstrip("+-").replace("_", ""))
        if digits > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {digits:,} digits (at most {MAX_DIGITS})", node.start_mark
            )
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date {node.value!r} ({exc})", node.start_mark
            ) from None


Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)


# ------------------------------------------------------------ bytes and text


def _where(path: Path, text: str, index: int) -> tuple[str, int]:
    """``file:line`` of the character at ``index``, and its column (from 1)."""
    breaks = list(LINE_BREAK.finditer(text, 0, index))
    return f"{path}:{len(breaks) + 1}", index - (breaks[-1].end() if breaks else 0) + 1


def file_problem(path: Path) -> str | None:
    """What keeps ``path`` from being read as a file, in words ('not found', 'is a directory, ...'), or None."""
    try:
        if path.is_dir():
            return "is a directory, not a file"
        if not path.exists():
            return "not found"
        if not path.is_file():
            return "is not a regular file"
    except OSError as exc:  # e.g. a name too long
        return f"cannot be read ({exc.strerror or exc})"
    return None


def read_bytes(path: Path) -> bytes:
    """The file's bytes (at most ``MAX_BYTES`` + 1 of them are read)."""
    problem = file_problem(path)
    if problem:
        raise Unreadable(str(path), "file not found" if problem == "not found" else problem)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Unreadable(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise Unreadable(str(path), f"is over {MAX_BYTES // 2**20} MB; a scenario or spec file is a few KB of text")
    return raw


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 text with nothing YAML cannot hold."""
    for mark, encoding in BOMS:
        if raw.startswith(mark):
            raise Unreadable(
                f"{path}:1", f"is {encoding} text (it starts with a byte-order mark); save the file as UTF-8"
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(LINE_BREAK.findall(raw[: exc.start].decode("utf-8", "replace"))) + 1
        raise Unreadable(
            f"{path}:{line}", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    found = NOT_TEXT.search(text)
    if found:
        where, column = _where(path, text, found.start())
        code = ord(found.group())
        if code == 0xFEFF:
            raise Unreadable(
                where,
                "starts with a byte-order mark (bytes EF BB BF); save the file as UTF-8 without one"
                if found.start() == 0
                else f"an invisible byte-order mark (U+FEFF) at column {column}; delete it",
            )
        name = CONTROL_NAMES.get(code, f"control character U+{code:04X}")
        raise Unreadable(where, f"{name} at column {column}; YAML text cannot hold it (is this a binary file?)")
    return text


def parse(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    """The document's values and its root node (None for an empty file)."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        kind = (
            ""
            if isinstance(exc, yaml.constructor.ConstructorError | yaml.composer.ComposerError)
            else "malformed YAML: "
        )
        column = f" (column {mark.column + 1})" if mark else ""
        raise Unreadable(where, f"{kind}{problem}{column}") from None
    finally:
        loader.dispose()


def read(path: Path) -> tuple[Any, yaml.Node | None]:
    """A YAML file's values and root node; every failure is :class:`Unreadable`."""
    return parse(decode(read_bytes(path), path), path)
