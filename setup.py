"""Packages and package data; the metadata is in pyproject.toml.

The repository's ``configs/`` and ``experiments/`` ship inside the wheel as
``orgsim/shipped/`` without moving (``orgsim.catalog`` finds them in either
place), which pyproject.toml's tables cannot map.
"""

from setuptools import find_namespace_packages, setup

SHIPPED = {"orgsim.shipped.configs": "configs", "orgsim.shipped.experiments": "experiments",
           "orgsim.shipped.experiments.notebooks": "experiments/notebooks"}

setup(
    packages=[*find_namespace_packages(include=["orgsim*"]), *SHIPPED],
    package_dir=SHIPPED,
    package_data={"orgsim.report": ["templates/*"], **{name: ["*.yaml", "*.csv", "*.ipynb"] for name in SHIPPED}},
)
