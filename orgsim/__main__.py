"""``python -m orgsim`` runs the command line."""

from orgsim.cli import app

app(prog_name="orgsim")
