"""The slimgo command: a click group whose verbs live one per module, imported on first use, and the one place
that turns errors into exit codes."""

from __future__ import annotations

__all__ = [
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPT",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "cli",
    "entrypoint",
    "main",
]

import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

import click

from slimgo import __version__
from slimgo.cli import render
from slimgo.errors import SlimgoError

# The exit-code contract of every verb (docs/architecture.md).
EXIT_OK = 0
EXIT_FAILED = 1  # findings at or above --fail-on, or an operation that failed or was refused
EXIT_USAGE = 2  # a flag or argument that cannot be used, or an input that cannot be read
EXIT_INTERNAL = 70  # a bug in slimgo
EXIT_TIMEOUT = 124  # run --timeout expired
EXIT_INTERRUPT = 130  # Ctrl-C

# verb -> "module:attribute"; each module holds one click command (or group) and nothing else the CLI needs.
COMMANDS: dict[str, str] = {
    "build": "slimgo.cli.build:build",
    "resolve": "slimgo.cli.resolve:resolve",
    "run": "slimgo.cli.run:run",
    "inspect": "slimgo.cli.inspect:inspect",
    "analyze": "slimgo.cli.analyze:analyze",
    "slim": "slimgo.cli.slim:slim",
    "lint": "slimgo.cli.lint:lint",
    "context": "slimgo.cli.context:context",
    "dockerfile": "slimgo.cli.dockerfile:dockerfile",
    "copy": "slimgo.cli.copy:copy",
    "login": "slimgo.cli.login:login",
    "logout": "slimgo.cli.login:logout",
    "vuln": "slimgo.cli.vuln:vuln",
    "sbom": "slimgo.cli.sbom:sbom",
    "keygen": "slimgo.cli.keygen:keygen",
    "sign": "slimgo.cli.sign:sign",
    "verify": "slimgo.cli.verify:verify",
    "attest": "slimgo.cli.attest:attest",
    "verify-attestation": "slimgo.cli.verify_attestation:verify_attestation",
    "completion": "slimgo.cli.completion:completion",
    "bench": "slimgo.cli.bench:bench",
    "report": "slimgo.cli.report:report",
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


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """slimgo's version and the Go toolchain a build would use (one `go env`, nothing else is loaded)."""
    if not value or ctx.resilient_parsing:
        return
    import platform

    from slimgo.gobuild.found import find_go

    render.result_line(f"slimgo {__version__} (Python {platform.python_version()})")
    render.result_line(find_go().describe())
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and the Go toolchain found, then exit.")
@click.option("-v", "--debug", is_flag=True, envvar="SLIMGO_DEBUG", show_envvar=True,
              help="Log registry requests and responses to stderr (credentials and cookies redacted).")
@click.option("-q", "--quiet", is_flag=True, envvar="SLIMGO_QUIET", show_envvar=True,
              help="No progress or notes on stderr (errors and warnings still); stdout is unchanged.")
def cli(debug: bool, quiet: bool) -> None:
    """Build, verify, analyze and lint minimal OCI images for Go programs, without a Docker daemon."""
    render.set_quiet(quiet)
    if debug:
        render.enable_debug_log()


def main(argv: Sequence[str] | None = None) -> int:
    """Run slimgo with ``argv`` (without the program name) and return the exit code; never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="slimgo", standalone_mode=False)
    except SlimgoError as err:
        render.error(f"error: {err.diagnostics()}")
        return err.exit_code
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.Abort:
        render.error("aborted")
        return EXIT_INTERRUPT
    except click.ClickException as err:
        render.click_error(err)
        return EXIT_USAGE if isinstance(err, click.UsageError) else err.exit_code
    except KeyboardInterrupt:
        render.error("interrupted")
        return EXIT_INTERRUPT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # a bug, not a user error: say so plainly, keep the traceback for debugging
        if os.environ.get("SLIMGO_DEBUG"):
            raise
        render.error(
            f"internal error: {type(err).__name__}: {err}\n"
            "  this is a bug in slimgo; rerun with SLIMGO_DEBUG=1 for the traceback and report it"
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


def entrypoint() -> None:
    """`slimgo` as a process. The first Ctrl-C aborts the verb, whose cleanup then runs to its end: later ones are
    ignored, and the exit is 130 without waiting for threads still blocked in a read (a registry that answers
    nothing would hold the interpreter's exit for as long as it stalls)."""
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _interrupt_once)
        code = main()
        if code == EXIT_INTERRUPT:
            _exit_now(code)
    except KeyboardInterrupt:  # outside main's own handling: before it began, or on the way out
        _exit_now(EXIT_INTERRUPT)
    sys.exit(code)


def _interrupt_once(_signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _exit_now(code: int) -> NoReturn:
    """Run the exit handlers (scratch directories are removed there), flush, and end the process without joining
    the threads an interrupt left behind (the verb's own cleanup has run: ``finally`` blocks on the way out)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
