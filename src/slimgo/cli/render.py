"""The only place that prints: stdout for results scripts capture, stderr (rich) for progress and logs."""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


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


def log(message: str) -> None:
    if interactive():
        stderr().print(message)


def result_line(text: str) -> None:
    """One machine-readable line on stdout (no markup, no wrapping)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def json_line(value: Any) -> None:
    sys.stdout.write(json.dumps(value, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def json_document(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
    sys.stdout.flush()
