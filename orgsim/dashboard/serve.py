"""Serve :mod:`orgsim.dashboard.app` with solara, offline.

Every front-end asset comes from the installed ``solara-assets`` through
solara's local CDN route; the upstream CDN it would fall back to for a
missing file is pointed at a closed loopback port, so a missing asset fails
visibly instead of being fetched. Telemetry and the version check are off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")
OFFLINE = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",  # the discard port: refused at once, nothing leaves the machine
    "SOLARA_THEME_VARIANT": "light",
}


def command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "orgsim.dashboard.app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-open",
        "--production",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def environment(config: Path) -> dict[str, str]:
    return {**os.environ, **OFFLINE, "ORGSIM_DASHBOARD_CONFIG": str(Path(config).resolve())}


def exec_server(config: Path, host: str, port: int) -> None:
    """Replace this process with the solara server (so stopping it stops the server)."""
    os.execve(sys.executable, command(host, port), environment(config))
