"""The documentation keeps up with the code.

ODD.md's generated tables must match the schema and configs, every
mechanism parameter must carry a unit and a source, every mechanism must
have its own ODD subsection, and OUTPUTS.md must name every metric and event
kind the recorder can produce. All checks read files and the schema only.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from orgsim import odd
from orgsim.sim import plugins, recording

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
OUTPUTS = ROOT / "docs" / "OUTPUTS.md"
MECHANISM_BLOCKS = [m.block for m in plugins.registered()]
NUMBERS = [m.number for m in plugins.registered()]


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated(odd_text: str) -> str:
    begin, end = odd_text.index("<!-- parameters:begin -->"), odd_text.index("<!-- parameters:end -->")
    return odd_text[begin:end]


def test_generated_sections_are_up_to_date(tmp_path: Path) -> None:
    copy = tmp_path / "ODD.md"
    shutil.copy(ODD, copy)
    stale = odd.stale_sections(copy)
    assert not stale, "docs/ODD.md is stale, run `python -m orgsim.odd`: " + "; ".join(stale)
    assert odd.update_odd(copy) is False
    assert copy.read_bytes() == ODD.read_bytes()


def test_check_flags_a_stale_block_and_update_repairs_it(tmp_path: Path, capsys) -> None:
    copy = tmp_path / "ODD.md"
    text = ODD.read_text(encoding="utf-8")
    row = re.search(r"^(\| `per_quit` \| [^|]+ \| )`[^`]*` \|", text, re.M)
    assert row, "the contagion table has no per_quit row"
    copy.write_text(text.replace(row.group(0), row.group(1) + "`99.0` |", 1), encoding="utf-8")
    assert odd.main(["--check", str(copy)]) == 1
    assert "mechanisms.contagion" in capsys.readouterr().err
    assert odd.update_odd(copy) is True
    assert odd.main(["--check", str(copy)]) == 0


def test_missing_markers_are_an_error(tmp_path: Path) -> None:
    copy = tmp_path / "ODD.md"
    copy.write_text("# no markers\n", encoding="utf-8")
    assert odd.main(["--check", str(copy)]) == 2


@pytest.mark.parametrize("block", MECHANISM_BLOCKS)
def test_every_mechanism_parameter_has_unit_and_source(block: str, generated: str) -> None:
    model = plugins.mechanisms_model().model_fields[block].annotation
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra or {}
        assert extra.get("unit") and extra.get("source"), f"mechanisms.{block}.{name} lacks a unit or a source"
    rows = {cells[0].strip("`"): cells for heading, cells in odd.iter_rows(generated)
            if heading.startswith(f"`mechanisms.{block}`")}
    assert set(rows) == set(model.model_fields), f"ODD table of mechanisms.{block} does not list its fields"
    for name, (_, _label, _default, unit, source, _description) in rows.items():
        assert unit not in ("", "—") and source not in ("", "—"), f"{block}.{name}: no unit/source in ODD"


def test_every_mechanism_has_a_submodel_subsection(odd_text: str) -> None:
    submodels = odd_text[odd_text.index("## 7 Submodels"):odd_text.index("## 8 ")]
    for i in NUMBERS:
        assert re.search(rf"^### 7\.\d+ M{i} \S", submodels, re.M), f"no ODD subsection for M{i}"


def test_every_mechanism_block_maps_to_one_m_number(generated: str) -> None:
    """The block docstrings (rendered in ODD.md) name each registered mechanism's M number, each once."""
    for mechanism in plugins.registered():
        found = re.match(r"M(\d+)\b", mechanism.params.__doc__ or "")
        assert found, f"mechanisms.{mechanism.block} docstring does not start with its M number"
        assert int(found.group(1)) == mechanism.number, mechanism.block
    assert len(set(NUMBERS)) == len(NUMBERS)


def test_every_mechanism_declares_its_params_beside_its_code() -> None:
    """Each built-in mechanism's params class lives in its own module (the schema keeps no copy)."""
    for mechanism in plugins.registered():
        assert mechanism.params.__module__ == f"orgsim.mechanisms.{mechanism.block}", mechanism.params


def test_outputs_lists_every_metric_and_event_kind() -> None:
    text = OUTPUTS.read_text(encoding="utf-8")
    for name in (*recording.METRICS, *recording.EVENT_KINDS, *plugins.covariates()):
        assert re.search(rf"^\| `{name}` \|", text, re.M), f"docs/OUTPUTS.md has no table row for `{name}`"


@pytest.mark.parametrize("path", [ODD, OUTPUTS], ids=lambda p: p.name)
def test_docs_hold_no_absolute_paths(path: Path) -> None:
    """Docs name files relative to the repository, never where a checkout happens to live."""
    found = re.findall(r"(?<![\w.$~)\]])/[a-z_]+/\S*", path.read_text(encoding="utf-8"))
    assert not found, f"{path.name} mentions absolute paths: {found[:3]}"


def test_the_readme_states_the_input_bounds_the_loader_holds() -> None:
    from orgsim import yamlfile

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for phrase in (f"at most {yamlfile.MAX_BYTES // 2**20} MB", f"nested at most {yamlfile.MAX_DEPTH} levels",
                   f"no value over {yamlfile.MAX_SCALAR:,} characters", f"at most {yamlfile.MAX_VALUES:,} values"):
        assert phrase in text, phrase
