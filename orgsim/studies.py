"""The one way calibration and optimization open their Optuna study: in the results folder's SQLite file, resumed
if it is there, with a TPE sampler re-seeded by the number of trials already told (a resumed search does not
repeat the draws it made)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


def open_study(
    out: Path,
    name: str,
    *,
    seed: int,
    directions: list[str],
    startup_trials: int,
    multivariate: bool,
    parallel_trials: int,
    **storage_options: Any,
):
    """The study ``name`` in ``out/optuna.db`` and its storage; ``storage_options`` go to Optuna's RDBStorage
    (heartbeats, for one). Several trials in flight at once (``parallel_trials``) use TPE's constant liar."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'optuna.db').resolve()}", **storage_options)
    study = optuna.create_study(study_name=name, storage=storage, directions=directions, load_if_exists=True)
    study.sampler = optuna.samplers.TPESampler(
        seed=seed + len(study.trials),
        n_startup_trials=startup_trials,
        multivariate=multivariate,
        constant_liar=parallel_trials > 1,
    )
    return study, storage
