"""Bad configs give one line naming file, field and reason, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgsim.cli import app
from orgsim.config import ConfigError, load_scenario

runner = CliRunner()
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def child(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    """A scenario extending the real world file, with ``body`` appended."""
    world = (CONFIGS / "world_2025.yaml").resolve()
    (tmp_path / "world_2025.yaml").write_text(world.read_text(encoding="utf-8"), encoding="utf-8")
    return write(tmp_path, name, "extends: world_2025.yaml\n" + body)


CASES = {
    "unknown key": ("population:\n  scael: 0.1\n", "population.scael", "unknown key"),
    "wrong type": ("population:\n  scale: lots\n", "population.scale", "valid number"),
    "negative headcount": ("labs:\n  meta:\n    teams:\n      fair: {headcount: -5}\n",
                           "labs.meta.teams.fair.headcount", "greater than or equal to 0"),
    "date outside horizon": ("timeline:\n  late: {date: 2031-01-01, kind: share_shock, lab: meta, change: -0.1}\n",
                             "timeline.late.date", "outside the horizon"),
    "unknown lab": ("timeline:\n  x: {date: 2025-09-01, kind: share_shock, lab: nvidia, change: -0.1}\n",
                    "timeline.x.lab", "no lab 'nvidia'"),
    "unknown team": ("timeline:\n  x: {date: 2025-09-01, kind: layoff, lab: meta, n: 5, teams: [robotics]}\n",
                     "timeline.x.teams", "no team 'robotics'"),
    "unknown event kind": ("timeline:\n  x: {date: 2025-09-01, kind: party, lab: meta}\n",
                           "timeline.x", "does not match any of the expected tags"),
    "unknown executive": ("timeline:\n  x: {date: 2025-09-01, kind: executive_exit, lab: meta, executive: nobody}\n",
                          "timeline.x.executive", "no executive 'nobody'"),
    "founded after the start": ("labs:\n  xai: {founded: 2030}\n", "labs.xai.founded", "after the start"),
    "later growth without an end date": ("labs:\n  xai:\n    hiring: {later_growth: 0.3}\n",
                                         "labs.xai.hiring.later_growth", "growth_until, which is not set"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_gives_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    body, field, reason = CASES[case]
    path = child(tmp_path, body)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert str(path) in lines[0] and field in lines[0] and reason in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and "file not found" in result.output


def test_missing_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "orphan.yaml", "extends: gone.yaml\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "orphan.yaml:1: extends: parent file 'gone.yaml' not found" in result.output


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "name: x\nlabs: {meta: [unclosed\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "broken.yaml:3: malformed YAML" in result.output


def test_circular_extends(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    path = write(tmp_path, "b.yaml", "extends: a.yaml\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "circular extends" in result.output and "a.yaml" in result.output


def test_bad_override_is_validated_like_the_file() -> None:
    result = runner.invoke(app, ["validate", str(CONFIGS / "baseline.yaml"), "--set", "population.scale=-1"])
    assert result.exit_code == 2
    assert "population.scale" in result.output and "greater than 0" in result.output


def test_run_with_bad_config_keeps_existing_outputs(tmp_path: Path) -> None:
    """A failing run writes nothing: files from an earlier run are left as they were."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.parquet").write_bytes(b"earlier results")
    bad = child(tmp_path, "population:\n  scale: lots\n")
    result = runner.invoke(app, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert (out / "metrics.parquet").read_bytes() == b"earlier results"


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The real entry point (not the test runner) exits 2 with one stderr line."""
    bad = child(tmp_path, "population:\n  scael: 0.1\n")
    proc = subprocess.run([sys.executable, "-m", "orgsim", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1 and "population.scael: unknown key" in proc.stderr


def test_every_shipped_config_validates() -> None:
    for path in sorted(CONFIGS.glob("*.yaml")):
        scenario = load_scenario(path)
        assert scenario.labs, path


def test_config_error_carries_parts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_scenario(child(tmp_path, "population:\n  scale: 0\n"))
    assert info.value.field == "population.scale" and "greater than 0" in info.value.reason


def one_line(result, *parts: str) -> str:
    """The single error line of a refused command, holding every one of ``parts``."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert all(part in lines[0] for part in parts), lines[0]
    return lines[0]


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "twice.yaml", "name: x\nhorizon: 2027-12-31\nstart: 2025-06-02\nhorizon: 2026-06-01\n")
    one_line(runner.invoke(app, ["validate", str(path)]), "twice.yaml:4", "duplicate key 'horizon'", "line 2")


def test_impossible_date_names_its_line(tmp_path: Path) -> None:
    path = child(tmp_path, "timeline:\n  x: {date: 2025-13-01, kind: share_shock, lab: meta, change: -0.1}\n")
    one_line(runner.invoke(app, ["validate", str(path)]), "bad.yaml:3", "impossible date '2025-13-01'")


def test_latin1_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: x\ndescription: caf\u00e9\n".encode("latin-1"))
    one_line(runner.invoke(app, ["validate", str(path)]), "latin.yaml:2", "not UTF-8")


def test_every_validation_error_on_its_own_line(tmp_path: Path) -> None:
    path = child(tmp_path, "population:\n  scale: lots\n  skill_alpha: 0.5\nmorale:\n  rate: 3\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 3, result.output
    for field, line in (("population.scale", 3), ("population.skill_alpha", 4), ("morale.rate", 6)):
        assert any(f"bad.yaml:{line}: {field}:" in text for text in lines), (field, lines)


def test_error_names_the_file_that_set_the_value(tmp_path: Path) -> None:
    """A bad value inherited through extends: is reported at the parent's line."""
    parent = child(tmp_path, "population:\n  scale: -2\n", name="parent.yaml")
    path = write(tmp_path, "leaf.yaml", f"extends: {parent.name}\nname: leaf\n")
    one_line(runner.invoke(app, ["validate", str(path)]), "parent.yaml:3", "population.scale", "greater than 0")


@pytest.mark.parametrize("item, field, segment", [
    ("labs.mta.quit_rate=0.2", "labs.mta", "'mta'"),
    ("population.scael=0.1", "population.scael", "'scael'"),
    ("mechanisms.atrition.enabled=false", "mechanisms.atrition", "'atrition'"),
])
def test_unknown_set_path_names_the_segment(item: str, field: str, segment: str) -> None:
    line = one_line(runner.invoke(app, ["validate", str(CONFIGS / "baseline.yaml"), "--set", item]),
                    field, f"unknown segment {segment}")
    assert "Field required" not in line


def test_set_can_add_a_whole_entry() -> None:
    event = "{date: 2025-09-01, kind: share_shock, lab: meta, change: -0.1}"
    scenario = load_scenario(CONFIGS / "baseline.yaml", [f"timeline.extra={event}"])
    assert scenario.timeline["extra"].change == -0.1


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    """A parent's name is not inherited: calibrated.yaml (no name of its own) is 'calibrated', not 'world_2025'."""
    assert load_scenario(CONFIGS / "calibrated.yaml").name == "calibrated"
    assert load_scenario(child(tmp_path, "", name="my_world.yaml")).name == "my_world"
    assert load_scenario(CONFIGS / "baseline.yaml").name == "baseline"


def bomb(levels: int = 9, width: int = 9) -> str:
    """The 29-line alias bomb of issue 19: nine levels of nine aliases (9^9 values once expanded)."""
    lines = ["# a billion laughs in YAML: each level holds nine of the one before", "name: bomb",
             "description: >", "  nine levels of nine aliases;", "  expanded, the last level holds 9^9 values", "laughs:",
             f"  a: &a [{', '.join(['lol'] * width)}]"]
    for previous, level in zip("abcdefgh", "bcdefghi"[: levels - 1], strict=False):
        lines += [f"  # level {level}: nine of level {previous}", f"  {level}: &{level} [{', '.join([f'*{previous}'] * width)}]"]
    lines += ["# the whole bomb, once more", "population:", "  scale: *i", "timeline: {}", "labs: {}", "weeks: 13"]
    return "\n".join(lines) + "\n"


#: bytes that are not a scenario, each refused in one line naming file (and line) and the reason
BYTES = {
    "NUL byte": (b"\x00\x01binary", "bad.yaml:1", "a NUL byte at column 1"),
    "Latin-1": ("name: x\ndescription: caf\u00e9\n".encode("latin-1"), "bad.yaml:2", "not UTF-8 text (byte 0xe9)"),
    "UTF-8 byte-order mark": (b"\xef\xbb\xbfname: x\n", "bad.yaml:1", "starts with a byte-order mark"),
    "UTF-16": ("name: x\n".encode("utf-16"), "bad.yaml:1", "is UTF-16 text"),
    "invisible mark mid-file": (b"name: x\n\xef\xbb\xbfdescription: y\n", "bad.yaml:2", "byte-order mark (U+FEFF)"),
    "control character": (b"name: x\ndescription: a\x07b\n", "bad.yaml:2", "control character U+0007 at column 15"),
    "tab indentation": (b"name: x\npopulation:\n\tscale: 0.1\n", "bad.yaml:3", "found character '\\t'"),
    "deep nesting": (b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n", "bad.yaml:1", "nested deeper than 50 levels"),
    "deep block nesting": (b"".join(b"  " * i + b"k:\n" for i in range(200)), "bad.yaml:51", "nested deeper than 50"),
    "very long scalar": (b"name: " + b"x" * 200_000 + b"\n", "bad.yaml:1", "a value of 200,000 characters"),
    "5,000-digit number": (b"population:\n  scale: " + b"1" * 5000 + b"\n", "bad.yaml:2", "a number of 5,000 digits"),
    "huge file": (b"# " + b"x" * (2 * 2**20) + b"\n", "bad.yaml", "is over 1 MB"),
    "alias inside itself": (b"a: &a [1, *a]\n", "bad.yaml:1", "alias *a is inside the value it names"),
    "list as a key": (b"? [a, b]\n: 1\n", "bad.yaml:1", "a list cannot be a key"),
    "impossible tag value": (b"x: !!timestamp hello\n", "bad.yaml:1", "cannot read 'hello' as timestamp"),
    "alias bomb": (bomb().encode(), "bad.yaml:17", "aliases expand this value to 597,871 values"),
}


@pytest.mark.parametrize("case", sorted(BYTES))
def test_bytes_that_are_not_a_scenario_give_one_line(tmp_path: Path, case: str) -> None:
    raw, where, reason = BYTES[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(raw)
    one_line(runner.invoke(app, ["validate", str(path)]), f"{path.parent / where}:", reason)


def test_the_alias_bomb_is_29_lines_and_refused_in_well_under_a_second(tmp_path: Path) -> None:
    """Timed generously (machines are noisy): unbounded, the bomb ran over 60 s; refused, it takes milliseconds."""
    text = bomb()
    assert len(text.splitlines()) == 29 and text.count("*") == 8 * 9 + 1
    path = write(tmp_path, "bomb.yaml", text)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert time.perf_counter() - started < 5, "the bomb must be refused before it is walked"
    assert info.value.file == f"{path}:17" and "alias bomb" in info.value.reason


def test_a_small_alias_is_fine(tmp_path: Path) -> None:
    """Aliases are YAML: the bound counts expanded values, so ordinary sharing still loads."""
    path = child(tmp_path, "labs:\n  meta:\n    teams:\n      fair: &team {headcount: 40}\n      tbd_lab: *team\n")
    scenario = load_scenario(path)
    assert scenario.labs["meta"].teams["fair"].headcount == scenario.labs["meta"].teams["tbd_lab"].headcount == 40


def test_crlf_line_ends_load_and_errors_name_the_right_line(tmp_path: Path) -> None:
    good = child(tmp_path, "population:\n  scale: 0.1\n", name="good.yaml")
    good.write_bytes(good.read_bytes().replace(b"\n", b"\r\n"))
    assert load_scenario(good).population.scale == 0.1
    bad = child(tmp_path, "population:\n  scale: lots\n")
    bad.write_bytes(bad.read_bytes().replace(b"\n", b"\r\n"))
    one_line(runner.invoke(app, ["validate", str(bad)]), "bad.yaml:3", "population.scale")


def test_a_directory_a_device_and_an_unreadable_file(tmp_path: Path, monkeypatch) -> None:
    one_line(runner.invoke(app, ["validate", str(tmp_path)]), str(tmp_path), "is a directory, not a file")
    one_line(runner.invoke(app, ["validate", "/dev/null"]), "/dev/null", "is not a regular file")
    one_line(runner.invoke(app, ["validate", str(tmp_path / ("x" * 5000))]), "cannot be read (File name too long)")
    path = child(tmp_path, "")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # chmod 000 does not stop root, who may run the suite
    one_line(runner.invoke(app, ["validate", str(path)]), str(path), "cannot be read (Permission denied)")


def test_a_parent_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").mkdir()
    path = write(tmp_path, "leaf.yaml", "extends: parent.yaml\n")
    one_line(runner.invoke(app, ["validate", str(path)]), "leaf.yaml:1", "extends: parent file 'parent.yaml' is a "
             "directory")


def test_a_file_refused_while_read_never_imports_the_model(tmp_path: Path) -> None:
    """The bytes are judged before the schema's plug-ins (and Mesa) are imported, so the console script refuses
    the bomb in well under a second after Python starts (0.4 s in all here; timed generously)."""
    path = write(tmp_path, "bomb.yaml", bomb())
    script = ("import sys\nfrom orgsim.cli import main\nsys.argv = ['orgsim', 'validate', sys.argv[1]]\n"
              "try:\n    main()\nexcept SystemExit as exc:\n    print(exc.code, 'mesa' in sys.modules)\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert time.perf_counter() - started < 10
    assert proc.stdout.split() == ["2", "False"], proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "alias bomb" in proc.stderr
