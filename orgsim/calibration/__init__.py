"""Calibration: fit chosen scenario parameters to the public facts of 2025.

``targets`` holds the calibration spec (``experiments/calibration.yaml``):
the facts, the simulated statistic each one matches and the parameters to
fit; ``fit`` runs the Optuna search through the sweep executors, checks the
fit over many seeds and writes ``configs/calibrated.yaml``.
"""

from orgsim.calibration.targets import CalibrationSpec, load_calibration, measure

__all__ = ["CalibrationSpec", "load_calibration", "measure"]
