"""`python -m slimgo` runs the CLI."""

from slimgo.cli.main import entrypoint

entrypoint()
