"""What stores report while they move blobs: a protocol the CLI implements (bars on a terminal), silence by default."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class Bars(Protocol):
    """One transfer's progress display: a bar per blob."""

    def bar(self, label: str, total: int) -> Callable[[int], None]:
        """Start a bar; the returned callable advances it by a byte count."""
        ...

    def finish(self, label: str, note: str) -> None:
        """Mark a bar done with a short note (pushed, exists, mounted from ...)."""
        ...


BarsFactory = Callable[[], AbstractContextManager[Bars]]
"""Opens a progress display for one transfer (a pull, a push) and closes it after."""


class NoBars:
    def bar(self, label: str, total: int) -> Callable[[int], None]:
        return _ignore

    def finish(self, label: str, note: str) -> None:
        return None


def _ignore(_n: int) -> None:
    return None


def no_bars() -> AbstractContextManager[Bars]:
    return nullcontext(NoBars())


__all__ = ["Bars", "BarsFactory", "NoBars", "no_bars"]
