"""The only place that prints: stdout for results scripts capture, stderr (rich) for progress and logs."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

_stderr = Console(stderr=True, highlight=False)
_stdout = Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return _stderr


def stdout() -> Console:
    return _stdout


def interactive() -> bool:
    """Progress is shown only to a person: when stderr is a terminal."""
    return sys.stderr.isatty()


def log(message: str) -> None:
    if interactive():
        _stderr.print(message)


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
