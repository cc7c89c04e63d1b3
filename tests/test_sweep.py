"""Sweeps: validation, executor-independence, crash-safe resume and failed runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_config_errors import one_line
from typer.testing import CliRunner

from orgsim.cli import app
from orgsim.sweep import run_sweep
from orgsim.sweep.runner import FAIL_ENV, run_seeds
from orgsim.sweep.store import content_hashes

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
runner = CliRunner()


def spec(tmp_path: Path, replications: int = 2, weeks: int = 30, extra: str = "", name: str = "spec.yaml") -> Path:
    """A tiny experiment: two scenarios, a 2-point grid on the failure scenario."""
    text = f"""
name: tiny
scenarios: [{CONFIGS / 'avocado_success.yaml'}, {CONFIGS / 'avocado_failure.yaml'}]
design:
  kind: grid
  parameters: {{labs.meta.hiring.counter_match: [1.0, 1.5]}}
  scenarios: [{CONFIGS / 'avocado_failure.yaml'}]
replications: {replications}
seed: 11
weeks: {weeks}
set: [population.scale=0.03]
batch_size: 2
{extra}
"""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_seeds_are_common_across_scenarios_and_points(tmp_path: Path) -> None:
    result = run_sweep(spec(tmp_path), tmp_path / "out", executor_kind="serial")
    assert result.all_ok and result.planned == 2 * 2 + 2 * 2
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["run_id"].is_unique
    seeds = runs.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all(), "every scenario and design point must use the same seed per replication"
    assert list(runs.groupby("replication")["seed"].first()) == run_seeds(11, 2)
    failure = runs[runs["scenario"] == "avocado_failure"]
    assert sorted(failure["param:labs.meta.hiring.counter_match"].dropna().unique()) == [1.0, 1.5]
    assert (failure["point"] == 0).sum() == 2, "point 0 is the scenario as configured"


def test_executors_give_identical_results(tmp_path: Path) -> None:
    """serial, process on 2 workers and dask on a 2-worker LocalCluster: same content hashes."""
    path = spec(tmp_path)
    hashes = {}
    for kind, workers in (("serial", 1), ("process", 2), ("dask", 2)):
        out = tmp_path / kind
        result = run_sweep(path, out, executor_kind=kind, workers=workers)
        assert result.all_ok, result.failed
        hashes[kind] = content_hashes(out)
    assert set(hashes["serial"]) == {"runs", "metrics", "events"}
    assert hashes["serial"] == hashes["process"] == hashes["dask"]


def test_one_writer_per_store_then_sigkill_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    """A second writer is refused at once, naming the first; kill the whole first sweep (driver and workers) with
    SIGKILL part-way; a new sweep is refused the stale lock, --resume takes it over, saying so, and the results
    match a clean sweep."""
    path = spec(tmp_path, replications=6, weeks=60)
    reference = tmp_path / "reference"
    run_sweep(path, reference, executor_kind="serial")
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "orgsim", "sweep", str(path), "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "runs").glob("*.json"))) < 4:
        time.sleep(0.05)
    started = time.perf_counter()
    second = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "--workers", "2"])
    refused_in = time.perf_counter() - started
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((out / "runs").glob("*.json")))
    assert 4 <= done_before < 24, f"kill should land part-way, {done_before} of 24 runs were done"
    line = one_line(second, str(out), "--out: is being written by another session", f"pid {proc.pid} on host "
                    f"{socket.gethostname()}, started 20")
    assert refused_in < 10, f"the second writer must be refused at once, not after {refused_in:.1f} s"
    assert "orgsim sweep" in line
    one_line(runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "2"]),
             "holds the lock of a session that was interrupted", f"pid {proc.pid}", "continue it with --resume")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"notice: {out}: took over the lock of an interrupted session (pid {proc.pid}" in \
        " ".join(result.output.split())
    assert not (out / ".orgsim.lock").exists(), "the lock goes with the session that held it"
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_id"].is_unique and len(runs) == 24
    assert not list(out.rglob(".*.tmp-*")), "no temporary files left behind"
    assert content_hashes(out) == content_hashes(reference)


def test_failed_run_is_recorded_and_sweep_goes_on(tmp_path: Path, monkeypatch) -> None:
    path = spec(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV, "avocado_failure-p001-r001")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--executor", "serial"])
    assert result.exit_code == 1
    assert "avocado_failure-p001-r001" in result.output
    runs = pd.read_parquet(out / "runs.parquet").set_index("run_id")
    assert runs.loc["avocado_failure-p001-r001", "status"] == "failed"
    assert "test failure injected" in runs.loc["avocado_failure-p001-r001", "error"]
    assert (runs.drop(index="avocado_failure-p001-r001")["status"] == "ok").all() and len(runs) == 8
    monkeypatch.delenv(FAIL_ENV)
    again = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--executor", "serial", "--resume"])
    assert again.exit_code == 0, again.output
    assert "1 runs ok, 0 failed, 7 already done" in again.output


def test_existing_store_needs_resume(tmp_path: Path) -> None:
    path = spec(tmp_path)
    run_sweep(path, tmp_path / "out", executor_kind="serial")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--executor", "serial"])
    assert result.exit_code == 2 and "use --resume" in result.output


BAD_SPECS = {
    "unknown key": ("replicatons: 3", "replicatons", "unknown key"),
    "bad design": ("design: {kind: lhs, parameters: {population.scale: [0.1, 0.2]}}", "design", "takes a range"),
    "missing scenario": ("scenarios: [nowhere.yaml]", "scenarios[0]", "not found"),
    "bad design value": ("design: {kind: grid, parameters: {population.scale: [-1.0]}}", "design point 1", "greater than 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_one_line_exit_2(tmp_path: Path, case: str) -> None:
    line, field, reason = BAD_SPECS[case]
    text = f"name: bad\nscenarios: [{CONFIGS / 'baseline.yaml'}]\n" if not line.startswith("scenarios") else "name: bad\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text + line + "\n", encoding="utf-8")
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o"), "--executor", "serial"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and field in lines[0] and reason in lines[0], result.output


def test_resume_names_the_changed_fields_and_tolerates_fields_added_since(tmp_path: Path) -> None:
    path, out = spec(tmp_path), tmp_path / "out"
    assert run_sweep(path, out, executor_kind="serial").all_ok
    changed = spec(tmp_path, replications=3, weeks=31, name="changed.yaml")
    refused = runner.invoke(app, ["sweep", str(changed), "--out", str(out), "--resume", "--executor", "serial"])
    assert refused.exit_code == 2
    assert "replications, weeks: differs from the spec of the sweep" in refused.output
    # a store written before the spec format gained an (unset) field still resumes
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["spec"]["parameter_draws"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "--executor", "serial"])
    assert again.exit_code == 0 and "0 runs ok, 0 failed, 8 already done" in again.output, again.output
