"""The report's page model: sections of paragraphs, figures and tables, numbered and rendered by a Jinja2 template.

Builders (:mod:`orgsim.report.html`, :mod:`orgsim.report.decision`) fill
:class:`Section` objects with text already worded for readers; this module
numbers the figures and tables in reading order and renders the template
(``templates/report.html.j2``), so the layout lives in one file and the
numbers in :mod:`orgsim.analysis.briefing`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from orgsim import tables


@dataclass
class Figure:
    """A figure: its PNG, a caption that says how to read it, and alt text that says what it shows."""

    key: str
    png: bytes
    caption: str
    alt: str
    number: int = 0

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Table:
    """A table; ``collapsed`` ones sit in a ``<details>`` the reader opens."""

    title: str
    caption: str
    frame: pd.DataFrame
    collapsed: bool = True
    number: int = 0

    @property
    def html(self) -> Markup:
        """The table with every cell escaped except the labels already made :class:`Markup`."""
        cells = self.frame.map(lambda v: v if isinstance(v, Markup) else escape("n/a" if pd.isna(v) else v))
        cells.columns.name = None  # a pivot's leftover name would print as an empty header cell
        return Markup(cells.to_html(index=False, escape=False, border=0, classes="data"))


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Figure | Table] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        return [i for s in self.walk() for i in s.items if isinstance(i, Figure)]

    def walk(self):
        yield self
        for sub in self.subsections:
            yield from sub.walk()


def labelled(text: str, path: str) -> Markup:
    """A reader's label that shows its config path on hover."""
    return Markup("<span class='term' title='{}'>{}</span>").format(path, text)


def listing(parts: list[str]) -> Markup:
    """'a, b and c' of HTML parts (labels with their hover titles), none escaped twice."""
    return Markup(tables.listing([str(p) for p in parts]))


def number(sections: list[Section]) -> None:
    """Figures and tables are numbered in the order they appear on the page."""
    figures = tables = 0
    for top in sections:
        for section in top.walk():
            for item in section.items:
                if isinstance(item, Figure):
                    figures += 1
                    item.number = figures
                else:
                    tables += 1
                    item.number = tables


_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("orgsim.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def render(**context) -> str:
    return _environment.get_template("report.html.j2").render(**context, isinstance=isinstance, Figure=Figure)
