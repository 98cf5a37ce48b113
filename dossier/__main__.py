"""`python -m dossier ...`: the same command line as the `dossier` script."""

from dossier.cli import app

app()
