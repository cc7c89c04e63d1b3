"""Parameter draws: replications carry the calibration's parameter uncertainty, paired across scenarios."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.sweep import run_sweep
from orgsim.sweep.runner import plan
from orgsim.sweep.spec import load_experiment

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
runner = CliRunner()


def spec(tmp_path: Path, draws: str, replications: int = 4, design: str = "") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(f"""
name: drawn
scenarios: [{CONFIGS / 'avocado_success.yaml'}, {CONFIGS / 'avocado_failure.yaml'}]
replications: {replications}
seed: 3
weeks: 20
set: [population.scale=0.03]
parameter_draws: {{file: {draws}}}
outputs: {{metrics: false, events: false}}
{design}
""", encoding="utf-8")
    return path


def table(tmp_path: Path, rows: int = 5, base_rate: float = 0.1) -> Path:
    path = tmp_path / "accepted.csv"
    pd.DataFrame({"trial": range(100, 100 + rows), "loss": range(rows),
                  "labs.meta.quit_rate": [base_rate + 0.01 * i for i in range(rows)],
                  "mechanisms.offers.status_quo": [-3.0 - 0.1 * i for i in range(rows)]}).to_csv(path, index=False)
    return path


def test_each_replication_runs_its_draw_in_every_scenario(tmp_path: Path) -> None:
    path = spec(tmp_path, table(tmp_path))
    runs = plan(*load_experiment(path), path)
    by_rep: dict[int, set] = {}
    for run in runs:
        drawn = run.draw.values
        assert run.config["labs"]["meta"]["quit_rate"] == drawn["labs.meta.quit_rate"]
        assert run.config["mechanisms"]["offers"]["status_quo"] == drawn["mechanisms.offers.status_quo"]
        by_rep.setdefault(run.replication, set()).add(run.draw.id)
    assert all(len(ids) == 1 for ids in by_rep.values()), "the same replication draws the same vector everywhere"
    ids = [next(iter(by_rep[r])) for r in sorted(by_rep)]
    assert len(set(ids)) == 4 and set(ids) <= set(range(100, 105)), "without replacement while the table has rows"


def test_more_replications_than_vectors_draw_with_replacement(tmp_path: Path) -> None:
    path = spec(tmp_path, table(tmp_path, rows=2), replications=6)
    ids = {run.draw.id for run in plan(*load_experiment(path), path)}
    assert ids == {100, 101}


def test_drawn_values_reach_the_store_and_the_manifest(tmp_path: Path) -> None:
    path, out = spec(tmp_path, table(tmp_path), replications=2), tmp_path / "out"
    assert run_sweep(path, out, executor_kind="serial").all_ok
    runs = pd.read_parquet(out / "runs.parquet").sort_values("run_id")
    assert {"draw", "draw:labs.meta.quit_rate", "draw:mechanisms.offers.status_quo"} <= set(runs.columns)
    paired = runs.pivot(index="replication", columns="scenario", values="draw")
    assert (paired["avocado_success"] == paired["avocado_failure"]).all()
    manifest = pd.read_json(out / "manifest.json", typ="series")
    assert manifest["parameter_draws"]["pool"] == 5 and len(manifest["parameter_draws"]["ids"]) == 2
    # a resume with changed vectors is refused: the finished runs used the old ones
    table(tmp_path, base_rate=0.3)
    refused = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "--executor", "serial"])
    assert refused.exit_code == 2 and "parameter_draws.file: its vectors changed" in refused.output


def test_the_shipped_accepted_set_validates_as_draws(tmp_path: Path) -> None:
    path = spec(tmp_path, CONFIGS / "calibrated_accepted.csv", replications=3)
    runs = plan(*load_experiment(path), path)
    assert len(runs) == 6 and all(r.draw.pool >= 10 for r in runs)  # the calibration accepted 17


@pytest.mark.parametrize("case", ["missing", "empty cell", "swept too"])
def test_bad_draws_give_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    design = ""
    if case == "missing":
        draws = tmp_path / "nowhere.csv"
    else:
        draws = table(tmp_path)
        if case == "empty cell":
            lines = draws.read_text().splitlines()
            lines[2] = lines[2].replace(lines[2].split(",")[2], "")
            draws.write_text("\n".join(lines) + "\n")
        else:
            design = "design: {kind: grid, parameters: {labs.meta.quit_rate: [0.2, 0.3]}}"
    path = spec(tmp_path, draws, design=design)
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
    reason = {"missing": "not found", "empty cell": "empty or non-numeric",
              "swept too": "labs.meta.quit_rate is both drawn and a design parameter"}[case]
    assert "parameter_draws.file" in result.output and reason in result.output
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError):
        plan(*load_experiment(path), path) if case != "missing" else load_experiment(path)


def test_report_says_its_intervals_carry_the_drawn_uncertainty(tmp_path: Path) -> None:
    path, out = spec(tmp_path, table(tmp_path), replications=4), tmp_path / "out"
    assert run_sweep(path, out, executor_kind="serial").all_ok
    result = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ("Every interval carries parameter uncertainty as well as seed noise: each replication ran with its own "
            "parameter vector, drawn from the 5 vectors the calibration accepted (accepted.csv; 4 distinct draws over "
            "4 replications)") in text
    assert "Table" in text and "</span> Parameter uncertainty</summary>" in text
    assert "calibration&#39;s parameter uncertainty" in text.split('<p class="answer">')[1].split("</p>")[0]
