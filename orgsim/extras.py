"""Optional dependencies: which extra brings a module, and one line saying how to install it.

The core install runs a simulation and writes its plotted report; Dask,
Optuna, EMA Workbench, statsmodels, SALib and the dashboard come with
extras (``pyproject.toml``). Code that needs one calls :func:`require`
where it imports it, so a missing extra is one :class:`MissingExtra` line
(the CLI prints it and exits 2), never a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from orgsim import catalog

#: the extra that installs each optional top-level module
EXTRA = {
    "distributed": "dask",
    "dask": "dask",
    "optuna": "calibrate",
    "ema_workbench": "decision",
    "statsmodels": "decision",
    "SALib": "decision",
    "sklearn": "decision",
    "solara": "dashboard",
}


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the extra and the install command."""


def install_hint(extra: str) -> str:
    """The pip command for ``extra``, for how orgsim is installed: a checkout (editable) or a wheel."""
    if (catalog.ROOT / "orgsim").is_dir():  # the package data is read in place: a checkout
        return f"pip install -e '.[{extra}]' (in the orgsim checkout)"
    return f"pip install 'orgsim[{extra}]'"


def require(module: str, needed_for: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` naming the extra ``needed_for`` needs."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = (exc.name or module).split(".")[0]
        if top not in EXTRA:
            raise
        extra = EXTRA[top]
        raise MissingExtra(
            f"{needed_for} needs the '{extra}' extra ({top} is not installed): {install_hint(extra)}"
        ) from None
