"""The notebooks run end to end (nbclient) on small worlds and produce their figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "experiments" / "notebooks"


def execute(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    """Run a copy of the notebook with a papermill-style cell injected after its ``parameters`` cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert tagged, f"{name} has no cell tagged 'parameters'"
    injected = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, injected)
    workdir = tmp_path / "nb"
    shutil.copytree(NOTEBOOKS, workdir)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def figures(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in output.get("data", {}) for cell in nb.cells for output in cell.get("outputs", []))


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [json.dumps(o)[:300] for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_parameter_sweep_notebook(tmp_path: Path) -> None:
    nb = execute("02_parameter_sweep.ipynb", tmp_path, values=[1.0, 1.6], replications=2, scale=0.05, weeks=70,
                 executor="serial", out=str(tmp_path / "sweep"),
                 scenario=str(NOTEBOOKS.parent.parent / "configs" / "avocado_failure.yaml"))
    assert not errors(nb)
    assert figures(nb) >= 2, "the lever plot and the headcount plot"
    assert (tmp_path / "sweep" / "store" / "runs.parquet").is_file()


def test_avocado_retention_notebook(tmp_path: Path, small_store: Path) -> None:
    nb = execute("01_avocado_retention.ipynb", tmp_path, store=str(small_store))
    assert not errors(nb)
    assert figures(nb) >= 3


def test_what_keeps_them_notebook(tmp_path: Path) -> None:
    nb = execute("03_what_keeps_them.ipynb", tmp_path, scale=0.05, worlds=8, policies=2, trials=4, robust_worlds=1,
                 outcome="focal_headcount_end",
                 seeds=2, fresh_draws=3, executor="serial", out=str(tmp_path / "decision"),
                 explore_spec=str(NOTEBOOKS.parent / "explore_failure.yaml"),
                 optimize_spec=str(NOTEBOOKS.parent / "optimize_failure.yaml"))
    assert not errors(nb), errors(nb)
    assert figures(nb) >= 4, "trade-off, feature scores, the Pareto front and retention against cost"
    assert (tmp_path / "decision" / "discovery" / "box.csv").is_file()
    assert (tmp_path / "decision" / "optimize" / "reevaluation.csv").is_file()


def test_first_model_notebook(tmp_path: Path) -> None:
    nb = execute("00_first_model.ipynb", tmp_path, scale=0.05, weeks=12, sweep_scales=[0.05], sweep_reassign=[0.1, 0.5],
                 sweep_seeds=[1], sweep_weeks=4)
    assert not errors(nb), errors(nb)
    assert figures(nb) >= 3, "headcounts, the focal lab's series and the sweep"


def test_notebooks_say_what_to_run_first_and_how_long() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        intro = nbformat.read(path, as_version=4).cells[0].source
        assert "**Run first:**" in intro and "**Takes**" in intro, path.name


def test_the_first_notebook_is_committed_with_its_outputs() -> None:
    nb = nbformat.read(NOTEBOOKS / "00_first_model.ipynb", as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code[1:]), "every cell after the parameters shows its output"
    assert figures(nb) >= 3 and not errors(nb)
