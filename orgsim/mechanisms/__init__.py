"""One module per mechanism, M1-M15 (docs/ODD.md §7).

Each module reads its own parameter block (``model.params.<name>``), does
nothing when that block has ``enabled: false``, and works on the
population arrays with numpy: Python runs per event, never per researcher.
It ends with the ``MECHANISM`` declaration the registry
(:mod:`orgsim.sim.plugins`) builds the model from.
"""
