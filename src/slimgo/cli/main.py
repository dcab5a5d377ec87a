"""The slimgo command: a click group whose verbs live one per module, imported on first use."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import click

from slimgo import __version__
from slimgo.errors import SlimgoError

# verb -> "module:attribute"; each module holds one click command (or group) and nothing else the CLI needs.
COMMANDS: dict[str, str] = {
    "build": "slimgo.cli.build:build",
    "run": "slimgo.cli.run:run",
    "inspect": "slimgo.cli.inspect:inspect",
    "lint": "slimgo.cli.lint:lint",
    "context": "slimgo.cli.context:context",
    "dockerfile": "slimgo.cli.dockerfile:dockerfile",
    "copy": "slimgo.cli.copy:copy",
    "login": "slimgo.cli.login:login",
    "logout": "slimgo.cli.login:logout",
}


class LazyGroup(click.Group):
    """Imports a verb's module only when that verb runs, so `slimgo lint` never loads the build stack."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slimgo")
def cli() -> None:
    """Build, verify, analyze and lint minimal OCI images for Go programs, without a Docker daemon."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run slimgo with ``argv`` (without the program name) and return the exit code; never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get("SLIMGO_DEBUG", "") not in ("", "0"):
        _debug_log()
    try:
        result = cli.main(args=args, prog_name="slimgo", standalone_mode=False)
    except SlimgoError as err:
        click.echo(f"error: {err.diagnostics()}", err=True)
        return err.exit_code
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug, not a user error: say so plainly, keep the traceback for debugging
        if os.environ.get("SLIMGO_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(err).__name__}: {err}\n"
            "  this is a bug in slimgo; rerun with SLIMGO_DEBUG=1 for the traceback and report it",
            err=True,
        )
        return 70
    return result if isinstance(result, int) else 0


def entrypoint() -> None:
    sys.exit(main())


def _debug_log() -> None:
    """SLIMGO_DEBUG=1: slimgo's debug log (registry requests, secrets redacted) on stderr."""
    import logging

    logger = logging.getLogger("slimgo")
    if not any(getattr(h, "slimgo_debug", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        handler.slimgo_debug = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
