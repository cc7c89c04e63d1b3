"""Deprecated home of :class:`~orgsim.sim.model.OrgModel`: import it from ``orgsim`` (or ``orgsim.sim.model``)."""

import warnings

from orgsim.sim.model import OrgModel

warnings.warn("orgsim.model moved to orgsim.sim.model; import OrgModel from orgsim", DeprecationWarning, stacklevel=2)

__all__ = ["OrgModel"]
