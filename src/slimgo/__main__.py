"""`python -m slimgo` runs the CLI."""

import sys

try:
    from slimgo.cli.main import entrypoint
except KeyboardInterrupt:  # Ctrl-C while starting: nothing was begun, so nothing to clean up
    sys.exit(130)

entrypoint()
