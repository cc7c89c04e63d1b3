"""orgsim report: HTML and PNGs from a store, the summary's numbers, graceful gaps, one-line errors."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from report_designs import DESIGNS, design_store
from test_analysis import tiny_store
from typer.testing import CliRunner

from orgsim import labels
from orgsim.cli import app
from orgsim.report.html import _Builder

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parent.parent
#: four real parameters, so the report can name them for readers
PARAMETERS = ("mechanisms.attrition.horizon_years", "labs.meta.quit_rate", "mechanisms.offers.status_quo",
              "mechanisms.reorgs.reassign_share")


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    return tiny_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def report(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_writes_self_contained_html_and_pngs(report):
    text = report.read_text(encoding="utf-8")
    sources = re.findall(r"<img src=['\"]([^'\"]*)['\"]", text)
    pngs = sorted(report.parent.glob("report_*.png"))
    assert len(sources) >= 8 and len(pngs) == len(sources)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert not re.search(r"(src|href)=['\"](?!data:|#)", text), "the report must not load anything from outside"
    assert all(png.read_bytes().startswith(PNG) for png in pngs)
    names = {png.stem.removeprefix("report_") for png in pngs}
    assert {"headline", "retention_km", "competing_risks", "headcount", "top_talent_share", "flows",
            "capability_gap", "lever_effects"} <= names


def test_first_screen_answers_with_intervals(report):
    text = report.read_text(encoding="utf-8")
    answer = re.search(r'<p class="answer">(.*?)</p>', text, re.S).group(1)
    assert re.search(r"Meta still has \d+\.\d% 52 weeks after the Avocado release if it succeeds, and \d+\.\d% if it "
                     r"fails", answer), answer
    assert re.search(r"a failure instead of a success (costs|adds) \d+\.\d points of cohort retention \(95% CI "
                     r"-?\d+\.\d to -?\d+\.\d\)", answer), answer
    cards = re.findall(r'<div class="card-label">(.*?)</div>\s*<div class="card-value">(.*?)</div>\s*'
                       r'<div class="card-interval">(.*?)</div>', text, re.S)
    assert [label for label, _, _ in cards] == ["If Avocado succeeds", "If Avocado fails", "What a failure costs"]
    assert all(re.fullmatch(r"[-+]?\d+\.\d( pp|%)", value) for _, value, _ in cards), cards
    assert all(interval.startswith("95% CI ") for _, _, interval in cards), cards


def test_sections_come_in_the_order_a_reader_asks(report):
    text = report.read_text(encoding="utf-8")
    ids = re.findall(r'<section id="([a-z-]+)"', text)
    top = [i for i in ids if i in {"answer", "what-happens", "why", "what-would-change-it", "how-sure", "method"}]
    assert top == ["answer", "what-happens", "why", "what-would-change-it", "how-sure", "method"]
    toc = re.findall(r'<li><a href="#([a-z-]+)">', text)
    assert toc == top[1:]
    numbers = [int(n) for n in re.findall(r'<span class="fignum">Figure (\d+)\.</span>', text)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
    assert text.count("<details") >= 4  # long tables are collapsed


def test_report_says_which_facts_the_model_misses(store, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out), "--validation",
                                 str(ROOT / "docs" / "VALIDATION.md")])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    match = re.search(r"(\d+) of (\d+) facts pass", text)
    documented = re.search(r"\*\*(\d+) of (\d+) facts pass", (ROOT / "docs" / "VALIDATION.md").read_text("utf-8"))
    assert match and documented and match.groups() == documented.groups()
    fails = int(documented.group(2)) - int(documented.group(1))
    assert text.count("<tr>") >= fails and ("Facts the model misses" in text) == (fails > 0)


def test_a_missing_validation_document_exits_2(store, tmp_path):
    result = runner.invoke(app, ["report", str(store), "--out", str(tmp_path / "r.html"), "--validation",
                                 str(tmp_path / "nowhere.md")])
    assert result.exit_code == 2 and "not a readable validation document" in result.output
    assert not (tmp_path / "r.html").exists()


def test_report_without_events_metrics_or_design_degrades_with_notes(store, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(store, bare, ignore=shutil.ignore_patterns("events", "metrics"))
    runs = pd.read_parquet(bare / "runs.parquet")
    runs[runs["point"] == 0].to_parquet(bare / "runs.parquet")
    out = tmp_path / "bare.html"
    result = runner.invoke(app, ["report", str(bare), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "no event log" in text and "no weekly metrics" in text and "no lever effects" in text
    assert "Every headline outcome by scenario" in text
    assert re.findall(r"<figure id=\"([^\"]+)\"", text) == ["fig-headline"]  # runs.parquet alone gives the answer


@pytest.mark.parametrize("make", [
    lambda tmp: tmp / "missing",
    lambda tmp: tmp,
    lambda tmp: (tmp / "runs.parquet").write_text("not parquet") and tmp,
])
def test_bad_directory_exits_2_with_one_line(tmp_path, make):
    result = runner.invoke(app, ["report", str(make(tmp_path)), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert not (tmp_path / "r.html").exists()


def test_report_without_draws_says_intervals_are_seed_noise_only(report):
    assert "Intervals reflect seed noise only" in report.read_text(encoding="utf-8")


def sensitivity_folder(root: Path) -> Path:
    """What `orgsim sensitivity` writes, for two outcomes and four parameters (indices made up, ranked a > b > c > d)."""
    folder = root / "sens"
    folder.mkdir()
    rows = []
    for outcome in ("cohort_retention", "top_talent_retention"):
        for name, st in zip(PARAMETERS, (0.6, 0.3, 0.2, 0.01), strict=False):
            rows.append({"scenario": "avocado_failure", "outcome": outcome, "parameter": name, "S1": st / 2,
                         "S1_low": st / 2 - 0.1, "S1_high": st / 2 + 0.1, "ST": st, "ST_low": st - 0.05,
                         "ST_high": st + 0.05, "points": 60, "points_undefined": 0})
    pd.DataFrame(rows).to_csv(folder / "sobol_indices.csv", index=False)
    (folder / "sensitivity.json").write_text(json.dumps({"runs": 61, "base_samples": 10, "parameters": 4,
                                                         "points": 60, "conf_level": 0.95}), encoding="utf-8")
    return folder


def test_report_adds_the_sensitivity_section(store, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(store), "--out", str(out), "--sensitivity",
                                 str(sensitivity_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "The three parameters that matter most" in text
    terms = [f"<span class='term' title='{path}'>{labels.parameter(path).text}</span>" for path in PARAMETERS[:3]]
    assert (f"the three that matter most for Meta top talent still there 52 weeks after the Avocado release are "
            f"{terms[0]} (ST 0.60, 95% CI 0.55 to 0.65), {terms[1]} (ST 0.30, 95% CI 0.25 to 0.35) and {terms[2]} "
            "(ST 0.20, 95% CI 0.15 to 0.25).") in html.unescape(text)
    assert (tmp_path / "report_sobol.png").read_bytes().startswith(PNG)


def test_report_with_a_missing_sensitivity_folder_exits_2(store, tmp_path):
    result = runner.invoke(app, ["report", str(store), "--out", str(tmp_path / "r.html"), "--sensitivity",
                                 str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no sobol_indices.csv here" in result.output
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------ what a reader sees

class VisibleText(HTMLParser):
    """The page's text as a reader sees it: no markup, attributes, style or script, and not the method section."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden: list[str] = []  # the open tags whose text is not shown (or is the method section)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title") or (tag == "section" and ("id", "method") in attrs) or self.hidden:
            self.hidden.append(tag)

    def handle_endtag(self, tag):
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


#: a config path: a scenario block followed by a dotted field, or a snake_case name with a dot, or a store column
CONFIG_PATH = re.compile(r"\b(?:labs|mechanisms|timeline|population|outcomes|morale)\.[a-z_]+"
                         r"|\b[a-z]+_[a-z0-9_]*\.[a-z_]+\b|\b(?:param|draw):")


@pytest.fixture(scope="module")
def full_report(store, tmp_path_factory) -> Path:
    """The report with every optional section, from what `make demo` gives it."""
    out = tmp_path_factory.mktemp("full") / "report.html"
    docs = ROOT / "docs"
    result = runner.invoke(app, ["report", str(store), "--out", str(out), "--sensitivity", str(docs / "sensitivity"),
                                 "--discovery", str(docs / "decision" / "discovery"), "--optimize",
                                 str(docs / "decision" / "optimize"), "--validation", str(docs / "VALIDATION.md")])
    assert result.exit_code == 0, result.output
    return out


def test_no_config_path_in_the_visible_text_outside_the_method(full_report):
    text = full_report.read_text(encoding="utf-8")
    reader = VisibleText()
    reader.feed(text)
    visible = " ".join(reader.parts)
    assert len(visible) > 5000 and "What would change it" in visible
    assert not CONFIG_PATH.findall(visible), sorted(set(CONFIG_PATH.findall(visible)))
    # the paths are still there for whoever wants them: on hover and in the method's glossary
    assert "title='mechanisms.attrition.horizon_years'" in text
    method = text[text.index('<section id="method">'):]
    assert "mechanisms.attrition.horizon_years" in method and "labs.meta.executives.meta_ceo.patience" in method


def test_the_check_finds_a_config_path_when_there_is_one():
    reader = VisibleText()
    reader.feed("<p>Raising timeline.post_release_grant.amount_years helps; see param:labs.meta.quit_rate</p>"
                "<section id='method'><p>mechanisms.attrition.horizon_years</p></section>")
    assert CONFIG_PATH.findall(" ".join(reader.parts)) == ["timeline.post_release_grant", "param:", "labs.meta"]


def test_every_figure_says_what_it_shows(full_report):
    """Alt text describes the figure (a chart type and its content), not just its name."""
    text = full_report.read_text(encoding="utf-8")
    alts = re.findall(r'<img src="data:image/png;base64,[^"]*" alt="([^"]*)"', text)
    assert len(alts) >= 14 and len(set(alts)) == len(alts)
    short = [a for a in alts if len(html.unescape(a)) < 40]
    assert not short, short


def test_a_too_small_world_marks_the_headline_figure(report):
    text = report.read_text(encoding="utf-8")
    caption = re.search(r"<figcaption>(.*?)</figcaption>", text, re.S).group(1)
    assert re.search(r"Too small to answer: the blitz-2025 cohort at the release held a median of \d+ researchers in "
                     r"Avocado (succeeds|fails)", html.unescape(caption)), caption


# ------------------------------------------------------------ designs other than the demo's

#: what no report may print: a number that is not one, or a bare 'not available' that does not say why
NOT_A_NUMBER = re.compile(r"(?i)(?<![\w-])[+-]?(?:nan|inf)\b|\bn/a\b")


def visible(path: Path) -> str:
    reader = VisibleText()
    reader.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(reader.parts).split())


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_every_design_reports_without_a_number_that_is_not_one(design_reports, design):
    text = visible(design_reports[design])
    assert len(text) > 300
    assert not NOT_A_NUMBER.findall(text), sorted(set(NOT_A_NUMBER.findall(text)))


def lever_table(store: Path) -> pd.DataFrame:
    """The report's lever-effects table, as the page shows it (only that section is built)."""
    builder = _Builder(store, None)
    builder.levers()
    return next(item.frame for sub in builder.change.walk() for item in sub.items
                if getattr(item, "title", "") == "Lever effects")


def test_the_one_lever_grid_gives_each_effect_in_its_outcomes_unit(tmp_path_factory):
    """The issue's grid: a headcount's effect in researchers (it printed -1333.3 pp), a share's in points, the
    release week, the same in every run, not estimated, in words (it printed +nan)."""
    table = lever_table(design_store(tmp_path_factory.getbasetemp(), "one-lever grid"))
    unit = {"Meta researchers at the end": " researchers [", "Meta's share of the world's top talent at the end":
            " pp [", "Meta's capability gap to the frontier at the end": " index points ["}
    by_outcome = table.set_index("outcome")["effect over the range [95% CI]"]
    for outcome, suffix in unit.items():
        assert suffix in by_outcome[outcome] and "pp" not in by_outcome[outcome].replace(" pp [", ""), \
            by_outcome[outcome]
    assert re.fullmatch(r"[+-]\d+\.\d researchers \[[+-]\d+\.\d, [+-]\d+\.\d\]", by_outcome["Meta researchers at the end"])
    week = table[table["outcome"] == "Week the Avocado release lands"].iloc[0]
    if "no effect to estimate" in week["standardized effect [95% CI]"]:  # the release lands the same week in every run
        assert week["effect over the range [95% CI]"] == week["standardized effect [95% CI]"] == \
            "no effect to estimate: the outcome is the same in all 6 design runs"
    else:
        assert " weeks [" in week["effect over the range [95% CI]"]


def test_the_lhs_fits_three_levers_jointly(tmp_path_factory):
    table = lever_table(design_store(tmp_path_factory.getbasetemp(), "LHS over three parameters"))
    assert table["lever"].nunique() == 3 and set(table["runs"]) == {12}
    assert table["sampled range"].str.fullmatch(r"[\d.]+ – [\d.]+").all()


def test_a_single_run_says_it_has_no_interval(design_reports):
    text = visible(design_reports["single run"])
    assert "(1 run: no interval)" in text
    assert "This store has no lever design" in text
    assert not re.search(r"\d\]", text), "one run gives no interval anywhere"


def test_a_13_week_store_says_why_retention_is_not_measured(design_reports):
    text = visible(design_reports["13 weeks"])
    assert "is not measured in this store: no Avocado release, fewer than 52 weeks simulated after it, or no " \
           "blitz-2025 member at Meta then" in text
    assert "Week the Avocado release lands weeks from the start no Avocado release in the weeks simulated" in text


def test_a_store_where_every_run_failed_reports_why(design_reports):
    text = visible(design_reports["every run failed"])
    assert text.startswith("No run of every_run_failed succeeded")
    assert "Every one of the 2 runs of every_run_failed failed" in text
    assert "RuntimeError: test failure injected by ORGSIM_FAIL_RUNS 2 avocado_failure-p000-r000" in text
