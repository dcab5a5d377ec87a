"""Per-blob progress bars on a terminal (stderr), and silence everywhere else."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import Progress


class Bars(Protocol):
    def bar(self, label: str, total: int) -> Callable[[int], None]:
        """Start a bar; the returned callable advances it by a byte count."""
        ...

    def finish(self, label: str, note: str) -> None: ...


class NoBars:
    def bar(self, label: str, total: int) -> Callable[[int], None]:
        return _ignore

    def finish(self, label: str, note: str) -> None:
        return None


def _ignore(_n: int) -> None:
    return None


class RichBars:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, int] = {}
        self._lock = threading.Lock()

    def bar(self, label: str, total: int) -> Callable[[int], None]:
        with self._lock:
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = int(self._progress.add_task(label, total=total))
        def advance(n: int) -> None:
            self._progress.advance(task, n)  # type: ignore[arg-type]
        return advance

    def finish(self, label: str, note: str) -> None:
        with self._lock:
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = int(self._progress.add_task(label, total=1))
        self._progress.update(task, description=f"{label} {note}", completed=self._progress.tasks[task].total)  # type: ignore[arg-type]


@contextmanager
def bars(enabled: bool | None) -> Iterator[Bars]:
    """Bars when ``enabled`` (None: when stderr is a terminal)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield NoBars()
        return
    # rich is imported only for a person watching: scripts and CI never pay for it.
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        console=Console(stderr=True), transient=False)
    with progress:
        yield RichBars(progress)
