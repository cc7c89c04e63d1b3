"""One writer per store, and a Dask cluster that is not there (or has no worker), as one-line messages.

The two-writers-then-SIGKILL test on a real sweep is in test_sweep.py; these
check the lock's cases one by one, with another process holding it where a
second writer is needed.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_config_errors import one_line
from test_sweep import spec
from typer.testing import CliRunner

from orgsim import analysis, lock
from orgsim.cli import app
from orgsim.sweep import cluster, run_sweep
from orgsim.sweep.store import content_hashes

runner = CliRunner()

#: a process that holds the lock of folder argv[1] (as a writer would) until its stdin closes
HOLDER = """
import fcntl, json, os, sys
fd = os.open(os.path.join(sys.argv[1], ".orgsim.lock"), os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, json.dumps({"pid": os.getpid(), "host": "elsewhere", "started": "2026-01-05T10:00:00+00:00",
                         "command": "orgsim sweep spec.yaml --out x"}).encode())
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held(tmp_path: Path):
    """A folder whose lock another process holds; yields (folder, that process)."""
    folder = tmp_path / "store"
    folder.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    yield folder, proc
    proc.stdin.close()
    proc.wait(timeout=10)


def test_a_second_writer_is_refused_at_once_naming_the_holder(held) -> None:
    folder, proc = held
    started = time.perf_counter()
    for resume in (False, True):
        with pytest.raises(lock.StoreBusy) as info, lock.writing(folder, resume):
            pytest.fail("the lock was taken twice")
        assert info.value.reason == (f"is being written by another session: pid {proc.pid} on host elsewhere, started "
                                     "2026-01-05T10:00:00+00:00 (orgsim sweep spec.yaml --out x); wait for it to "
                                     "finish, or write to another folder")
    assert time.perf_counter() - started < 5
    assert json.loads((folder / ".orgsim.lock").read_text())["pid"] == proc.pid, "the holder's lock is untouched"


def test_every_writer_holds_the_lock(held, tmp_path: Path) -> None:
    """sweep, compare, sensitivity, validation, calibration and optimization all refuse a held folder."""
    folder, proc = held
    root = Path(__file__).resolve().parent.parent
    commands = {
        "sweep": ["sweep", str(spec(tmp_path)), "--executor", "serial"],
        "compare": ["compare", str(root / "configs" / "avocado_failure.yaml"), "--seeds", "1", "--executor", "serial"],
        "sensitivity": ["sensitivity", str(root / "experiments" / "sensitivity_avocado.yaml"), "--executor", "serial"],
        "validation": ["validation", str(root / "experiments" / "validation.yaml"), "--executor", "serial"],
        "calibrate": ["calibrate", str(root / "experiments" / "calibration.yaml"), "--executor", "serial"],
        "optimize": ["optimize", str(root / "experiments" / "optimize_failure.yaml"), "--executor", "serial"],
    }
    for command in commands.values():
        result = runner.invoke(app, [*command, "--out", str(folder), "--resume"])
        one_line(result, str(folder), "is being written by another session", f"pid {proc.pid}")
    assert sorted(p.name for p in folder.iterdir()) == [".orgsim.lock"], "nothing written beside the lock"


def test_a_stale_lock_is_refused_without_resume_and_taken_over_with_it(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    left = {"pid": 999999, "host": "h", "started": "2026-01-05T10:00:00+00:00", "command": "orgsim sweep s.yaml"}
    (folder / ".orgsim.lock").write_text(json.dumps(left))  # a lock file nobody holds: its writer was killed
    with pytest.raises(lock.StoreBusy) as info, lock.writing(folder):
        pytest.fail("a stale lock was taken without --resume")
    assert "holds the lock of a session that was interrupted (pid 999999 on host h" in info.value.reason
    assert json.loads((folder / ".orgsim.lock").read_text()) == left, "a refused stale lock stays as found"
    with caplog.at_level(logging.WARNING, logger="orgsim"), lock.writing(folder, resume=True):
        mine = json.loads((folder / ".orgsim.lock").read_text())
    assert mine["pid"] != 999999 and mine["host"] and mine["started"]
    assert [r.getMessage() for r in caplog.records] == [
        f"{folder}: took over the lock of an interrupted session (pid 999999 on host h, started "
        "2026-01-05T10:00:00+00:00 (orgsim sweep s.yaml); no longer running)"]
    assert not (folder / ".orgsim.lock").exists()


def test_the_lock_is_reentrant_and_folders_made_for_it_go_if_nothing_was_written(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper"
    with pytest.raises(RuntimeError), lock.writing(out):
        with lock.writing(out):  # the sensitivity analysis holds it around its own sweep
            assert (out / ".orgsim.lock").is_file()
        raise RuntimeError("failed before writing anything")
    assert not (tmp_path / "new").exists()
    with lock.writing(out):
        (out / "result.txt").write_text("kept")
    assert sorted(p.name for p in out.iterdir()) == ["result.txt"]


def test_readers_need_no_lock(held, small_store: Path) -> None:
    """While another process holds the store's lock, the analysis (what the report and discover read) reads it."""
    folder, _ = held
    for item in small_store.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, folder / item.name)
    data = analysis.load(folder)
    assert len(data.runs) == len(pd.read_parquet(small_store / "runs.parquet")) and data.events is not None


def test_an_unreachable_scheduler_is_one_line_within_the_timeout_and_leaves_no_store(tmp_path: Path) -> None:
    out = tmp_path / "results" / "sweep"
    started = time.perf_counter()
    result = runner.invoke(app, ["sweep", str(spec(tmp_path)), "--out", str(out), "--executor", "dask",
                                 "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "1"])
    elapsed = time.perf_counter() - started
    one_line(result, "tcp://127.0.0.1:1: --scheduler: no Dask scheduler answered within 1 s")
    assert elapsed < 15, f"the connect timeout is 1 s; the refusal took {elapsed:.1f} s"
    assert not (tmp_path / "results").exists(), "no store is created"
    one_line(runner.invoke(app, ["sweep", str(spec(tmp_path)), "--out", str(out), "--executor", "dask",
                                 "--scheduler", "nonsense:xx"]), "nonsense:xx: --scheduler: not a Dask scheduler address")
    one_line(runner.invoke(app, ["sweep", str(spec(tmp_path)), "--out", str(out), "--wait-for-workers", "5"]),
             "--wait-for-workers: only with --executor dask --scheduler")


def test_a_scheduler_without_workers_gets_a_notice_and_the_sweep_stops_resumable(tmp_path: Path, monkeypatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr(cluster, "NOTICE_AFTER", 0.5)
    path, out = spec(tmp_path), tmp_path / "out"
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as empty:
        address = empty.scheduler_address
        result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--executor", "dask", "--scheduler",
                                     address, "--wait-for-workers", "2"])
    assert result.exit_code == 2, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"notice: the Dask scheduler at {address} has no workers; the runs wait for one (start one with: dask worker "
        f"{address}); the sweep stops if none joins within 2 s",
        f"error: {address}: --wait-for-workers: no Dask worker joined for 2 s; stopped with 0 of 8 runs finished, "
        f"kept in {out}; start workers and rerun with --resume"], lines
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"][-1]["stopped"] and not (out / ".orgsim.lock").exists()
    resumed = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--executor", "serial", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    reference = tmp_path / "reference"
    assert run_sweep(path, reference, executor_kind="serial").all_ok
    assert content_hashes(out) == content_hashes(reference)
