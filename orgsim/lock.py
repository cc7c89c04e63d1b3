"""One writer per results folder: a lock held on ``--out`` while a command writes it.

``DIR/.orgsim.lock`` names the writer (process id, host, start time,
command) and carries an exclusive ``flock`` while it writes. The kernel drops
the flock when the process ends, however it ends (SIGKILL included), so a
lock file that nobody holds was left by a session that was killed:
``--resume`` takes it over and says so; without ``--resume`` it is refused,
like any store that holds an unfinished session. A second writer is refused
at once, naming the holder. Readers (``orgsim report``, ``discover``,
notebooks) take no lock: every file is renamed into place whole and a run
counts only once its record is, so they never see half a run.

Every writer is decorated with :func:`writes`. The lock is re-entrant
within a process (``orgsim sensitivity`` holds it around the sweep it runs
into the same folder). Folders made only to hold the
lock are removed again if nothing was written beside it, so a command that
fails before its first write (an unreachable scheduler) leaves no store.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import inspect
import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orgsim.config import ConfigError

NAME = ".orgsim.lock"
log = logging.getLogger(__name__)
_held: dict[Path, int] = {}  # folders this process holds, by resolved path -> how many times (re-entry)


class StoreBusy(ConfigError):
    """Another session writes the folder, or one was killed there and ``--resume`` was not given."""


def holder(info: dict) -> str:
    """A writer in words: 'pid 4242 on host h, started 2026-01-05T10:00:00+00:00 (orgsim sweep ...)'."""
    if not info:
        return "a process that is starting up"
    return f"pid {info.get('pid', '?')} on host {info.get('host', '?')}, started {info.get('started', '?')}" + (
        f" ({info['command']})" if info.get("command") else ""
    )


def _read(fd: int) -> dict:
    raw = os.pread(fd, 64 * 1024, 0)
    try:
        found = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"pid": "?", "command": "unreadable lock file"}
    return found if isinstance(found, dict) else {}


def _acquire(path: Path) -> int:
    """An open descriptor of ``path`` holding its flock; StoreBusy naming the holder if another process has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read(fd)
            os.close(fd)
            raise StoreBusy(
                path.parent,
                "--out",
                f"is being written by another session: {holder(info)}; wait for "
                "it to finish, or write to another folder",
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the file was released and removed between our open and our flock: try again


def _command() -> str:
    """This process's command line, ``python -m orgsim`` shown as ``orgsim``."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join(["orgsim" if program == "__main__.py" else program, *sys.argv[1:]])


def _take(fd: int, out: Path, resume: bool) -> None:
    """Write this process into the lock; a lock left by a killed session is taken over only with ``resume``."""
    left = _read(fd)
    if left and not resume:
        raise StoreBusy(
            out,
            "--out",
            f"holds the lock of a session that was interrupted ({holder(left)}; no longer "
            "running); continue it with --resume, or write to another folder",
        )
    if left:
        log.warning(f"{out}: took over the lock of an interrupted session ({holder(left)}; no longer running)")
    mine = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": _command(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(mine) + "\n").encode("utf-8"), 0)
    os.fsync(fd)


@contextmanager
def writing(out: str | Path, resume: bool = False) -> Iterator[None]:
    """Hold the lock on folder ``out`` (made if missing) while the block writes it."""
    out = Path(out)
    key = out.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if out.exists() and not out.is_dir():
        raise ConfigError(out, "--out", "exists and is not a directory")
    made = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(out, "--out", f"cannot be made a folder ({exc.strerror or exc})") from None
    path = out / NAME
    try:
        fd = _acquire(path)
    except StoreBusy:
        _remove(made)
        raise
    try:
        _take(fd, out, resume)
    except StoreBusy:
        os.close(fd)  # a refused stale lock stays as it was found
        raise
    _held[key] = 1
    try:
        yield
    finally:
        _held.pop(key, None)
        path.unlink(missing_ok=True)  # before the flock goes: a waiting process then finds the file gone
        os.close(fd)
        _remove(made)


def _remove(made: list[Path]) -> None:
    """Remove the folders made for the lock, innermost first, as long as they are empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            return


def writes(function):
    """Decorate a writer whose parameters include ``out`` and ``resume`` to hold the lock on ``out`` throughout."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def locked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with writing(bound.arguments["out"], bound.arguments["resume"]):
            return function(*args, **kwargs)

    return locked
