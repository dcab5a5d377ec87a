"""`slimgo run --debug`: how the debug variant (`<tag>-debug`) is run: a shell from its tools, on the terminal when
there is one, or the command given."""

from __future__ import annotations

__all__ = ["SHELL", "debug_options", "missing_variant"]

from dataclasses import replace

from slimgo.errors import StoreError
from slimgo.runtime.spec import RunOptions

SHELL = "/busybox/sh"  # where `slimgo build --debug-variant` puts busybox's shell


def debug_options(options: RunOptions, interactive: bool) -> RunOptions:
    """``options`` for the debug variant: the command given replaces Entrypoint and Cmd alike (looked up on the
    variant's PATH, which has /busybox), else the shell runs, on a terminal when stdin is one."""
    if options.args:
        return replace(options, entrypoint="")
    env = options.env + (("TERM",) if interactive else ())  # a bare name copies this terminal's type
    return replace(options, entrypoint=SHELL, env=env, terminal=interactive)


def missing_variant(image: str, expected: str, err: StoreError) -> StoreError:
    """The error for an image whose debug variant is not there: what was looked for, and how to make it."""
    return StoreError(expected, f"does not exist, so {image} has no debug variant to run ({err.subject}: "
                      f"{err.cause})", f"build it with: slimgo build --debug-variant ... -o {image} (writes "
                      f"{expected} beside it)")
