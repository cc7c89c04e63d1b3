"""A Dask scheduler as the sweep's executor, with its failures as messages.

An address that is malformed, or where no scheduler answers within the
connect timeout (Dask's ``distributed.comm.timeouts.connect``; ``orgsim
--connect-timeout`` sets it), is a :class:`ConfigError`: one line, exit 2,
before anything is written. Once connected, a watcher asks the scheduler
for its workers every second: with none for ``NOTICE_AFTER`` seconds it says
so (the runs wait for one), and with ``wait_for_workers`` it gives up after
that many seconds without a worker by cancelling the runs not yet finished,
so the sweep stops cleanly with its finished runs kept.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager

from orgsim.config import ConfigError
from orgsim.extras import require

NOTICE_AFTER = 5.0  # seconds without a worker before saying so
POLL = 1.0  # seconds between asking the scheduler for its workers
log = logging.getLogger(__name__)


class NoWorkers(ConfigError):
    """The scheduler had no worker for ``--wait-for-workers`` seconds; the sweep stopped."""


def connect_timeout() -> float:
    """Dask's connect timeout in seconds (``distributed.comm.timeouts.connect``)."""
    dask = require("dask", "--scheduler")
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds"))


def _check_address(address: str) -> None:
    require("distributed", "--scheduler")
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend

    try:
        scheme, _ = parse_address(address)
        get_backend(scheme)
        if scheme != "inproc":
            get_address_host_port(address)
    except ValueError as exc:
        raise ConfigError(
            address, "--scheduler", f"not a Dask scheduler address ({exc}); e.g. tcp://host:8786"
        ) from None


def connect(address: str):
    """A distributed Client of the scheduler at ``address``; ConfigError if none answers within the timeout."""
    _check_address(address)
    from distributed import Client

    timeout = connect_timeout()
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None  # a Client that failed to connect complains when collected
    try:
        try:
            return Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - refused, timed out, or a peer that is not a scheduler
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        gc.collect()
    finally:
        sys.unraisablehook = previous
    raise ConfigError(
        address,
        "--scheduler",
        f"no Dask scheduler answered within {timeout:g} s ({reason}); is it "
        "running, and is the address right? (--connect-timeout sets the wait)",
    )


class Watched(Executor):
    """The client's executor, which the watcher can stop: unfinished runs and any submitted after come back
    cancelled."""

    def __init__(self, pool: Executor):
        self.pool, self.stopped, self.lock = pool, False, threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self.lock:
            if not self.stopped:
                return self.pool.submit(fn, *args, **kwargs)
        future: Future = Future()
        future.cancel()
        future.set_running_or_notify_cancel()  # so that wait() counts it done
        return future

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.pool.shutdown(wait=False)  # Dask cancels the unfinished runs and wakes whoever waits on them


class Watch:
    """A thread that says when the scheduler has no worker, and after ``limit`` seconds without one stops ``pool``."""

    def __init__(self, client, address: str, pool: Watched, limit: float | None):
        self.client, self.address, self.pool, self.limit = client, address, pool, limit
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="orgsim-worker-watch", daemon=True)

    def __enter__(self) -> Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join(timeout=10)

    def _workers(self) -> int | None:
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 - the scheduler did not answer this time (or the client is closing)
            return None

    def _watch(self) -> None:
        since, noticed = time.monotonic(), False
        while not self.done.wait(POLL):
            workers = self._workers()
            if workers is None:
                continue
            if workers:
                if noticed:
                    log.warning(f"{workers} Dask worker{'s' * (workers > 1)} joined {self.address}; the runs go on")
                since, noticed = time.monotonic(), False
                continue
            waited = time.monotonic() - since
            if not noticed and waited >= NOTICE_AFTER:
                noticed = True
                log.warning(
                    f"the Dask scheduler at {self.address} has no workers; the runs wait for one (start one "
                    f"with: dask worker {self.address})"
                    + (
                        f"; the sweep stops if none joins within {self.limit:g} s"
                        if self.limit is not None
                        else "; --wait-for-workers SECONDS stops the sweep after that long without one"
                    )
                )
            if self.limit is not None and waited >= self.limit:
                self.pool.stop()
                return


@contextmanager
def scheduler_pool(address: str, wait_for_workers: float | None = None) -> Iterator[tuple[Watched, int]]:
    """The executor of the scheduler at ``address`` and how many tasks it runs at once, watched for workers."""
    with connect(address) as client:
        pool = Watched(client.get_executor(pure=False))
        with Watch(client, address, pool, wait_for_workers):
            yield pool, max(sum(client.nthreads().values()), 1)
