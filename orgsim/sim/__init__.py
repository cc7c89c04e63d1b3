"""The simulation core: the model, its world, lab and population state, the transitions, the decision engine,
the random streams, the recording and the plug-in protocol.

It imports no mechanism: mechanisms (:mod:`orgsim.mechanisms`) plug into it through
:mod:`orgsim.sim.plugins` and change people only through :mod:`orgsim.sim.transitions`, whose hooks they
declare. Study packages (sweeps, calibration, reports, the CLI) sit above both.
"""
