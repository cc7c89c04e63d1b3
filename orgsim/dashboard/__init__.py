"""The live dashboard (``orgsim dashboard``): Mesa's SolaraViz over an OrgModel.

:mod:`orgsim.dashboard.levers` turns the controls into ``--set`` overrides and
experiment specs (no solara needed); :mod:`orgsim.dashboard.views` draws the
model's state; :mod:`orgsim.dashboard.app` assembles the page.
"""
