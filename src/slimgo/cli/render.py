"""The only place that prints: stdout for results scripts capture, stderr for progress, notes and errors."""

from __future__ import annotations

__all__ = [
    "click_error",
    "color",
    "document",
    "enable_debug_log",
    "error",
    "interactive",
    "json_document",
    "log",
    "note",
    "renderable",
    "result_line",
    "set_quiet",
    "summary",
    "text",
    "transfer_bars",
    "warning",
]

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.progress import Progress

    from slimgo.stores.progress import Bars

SCHEMA_VERSION = 1
"""The version of every `--json` document's shape; each document names its kind (`slimgo.build`, ...)."""


@cache
def stderr() -> Console:
    from rich.console import Console  # rich costs ~0.2 s to import: only pay for it when printing for a person

    return Console(stderr=True, highlight=False)


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def interactive() -> bool:
    """Progress is shown only to a person: when stderr is a terminal."""
    return sys.stderr.isatty()


def color() -> bool:
    """Colour on stdout only for a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


# --quiet is kept as the level of a logger, the standard library's own per-process verbosity switch (like -v's
# handler), so worker threads that report progress see it too; `cli` sets it at the start of every command.
_PERSON = logging.getLogger("slimgo.cli.person")


def set_quiet(quiet: bool) -> None:
    _PERSON.setLevel(logging.WARNING if quiet else logging.INFO)


def quiet() -> bool:
    """--quiet / SLIMGO_QUIET: no progress and no notes on stderr; errors and warnings are still shown."""
    return bool(_PERSON.level > logging.INFO)


# -- stdout: results -------------------------------------------------------------------------------------------
def result_line(text: str) -> None:
    """One machine-readable line on stdout (no markup, no wrapping)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def text(body: str) -> None:
    """Text already formatted (a report, a generated file) on stdout, exactly as given."""
    sys.stdout.write(body)
    sys.stdout.flush()


def renderable(item: RenderableType, *, soft_wrap: bool = False) -> None:
    """A rich renderable (tables, styled text) for a person reading stdout."""
    from rich.console import Console

    Console(soft_wrap=soft_wrap).print(item)


def document(kind: str, payload: dict[str, Any]) -> None:
    """A `--json` result: one document with the version and kind of its shape first."""
    json_document(envelope(kind, payload))


def envelope(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    if "schema_version" in payload and "kind" in payload:
        return payload
    return {"schema_version": SCHEMA_VERSION, "kind": kind, **payload}


def json_document(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
    sys.stdout.flush()


# -- stderr: for a person --------------------------------------------------------------------------------------
def log(message: str) -> None:
    """Progress for a person watching a terminal; silent in scripts and with --quiet (rich markup allowed)."""
    if interactive() and not quiet():
        stderr().print(message)


def summary(body: str) -> None:
    """A plain-text report for a person (no markup) beside the results on stdout: stderr, on a terminal only."""
    if interactive() and not quiet():
        sys.stderr.write(body if body.endswith("\n") else body + "\n")
        sys.stderr.flush()


def note(message: str) -> None:
    """Something the user should know whether or not a terminal is attached (not with --quiet)."""
    if quiet():
        return
    sys.stderr.write(f"note: {message}\n")
    sys.stderr.flush()


def warning(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def error(message: str) -> None:
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


def click_error(err: Any) -> None:
    """A click usage error, with its usage line and a pointer to --help, as click itself shows it."""
    err.show()


def enable_debug_log() -> None:
    """Send slimgo's debug log (registry requests, with secrets redacted by the code that logs) to stderr."""
    logger = logging.getLogger("slimgo")
    if any(getattr(h, "_slimgo", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    handler._slimgo = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


# -- progress bars for the stores ------------------------------------------------------------------------------
def transfer_bars(enabled: bool | None = None) -> Callable[[], AbstractContextManager[Bars]]:
    """A factory the stores call around each pull or push: rich bars on a terminal, nothing otherwise."""
    show = interactive() and not quiet() if enabled is None else enabled

    def factory() -> AbstractContextManager[Bars]:
        if not show:
            from slimgo.stores.progress import NoBars

            return nullcontext(NoBars())
        return _rich_bars()

    return factory


@contextmanager
def _rich_bars() -> Iterator[Bars]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        console=stderr(), transient=False)
    with progress:
        yield _RichBars(progress)


class _RichBars:
    def __init__(self, progress: Progress) -> None:
        import threading

        self._progress = progress
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _task(self, label: str, total: int) -> Any:
        with self._lock:
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = self._progress.add_task(label, total=total)
            return task

    def bar(self, label: str, total: int) -> Callable[[int], None]:
        task = self._task(label, total)

        def advance(n: int) -> None:
            self._progress.advance(task, n)

        return advance

    def finish(self, label: str, note: str) -> None:
        task = self._task(label, 1)
        self._progress.update(task, description=f"{label} {note}", completed=self._progress.tasks[task].total)
