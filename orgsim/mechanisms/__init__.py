"""One module per mechanism of MODEL.md §3 (M1-M15).

Each module reads its own parameter block (``model.params.<name>``), does
nothing when that block has ``enabled: false``, and works on the
population arrays with numpy: Python runs per event, never per researcher.
"""
