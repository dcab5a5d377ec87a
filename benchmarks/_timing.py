"""What every benchmark measures with: the median of repeated runs, and the peer tools it compares slimgo with."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from scripts.peers import build, peer_path

RUNS = 7


def median(fn: Callable[[], object], runs: int = RUNS) -> float:
    """The median wall time of ``runs`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peer_binary(package: str, version: str) -> Path:
    """The peer's binary, built once where the tests keep theirs (scripts/peers.py)."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(f"go is not on PATH: cannot build {package}@{version}")
    problem = build(go, package, version)
    if problem:
        raise RuntimeError(problem)
    return peer_path(package, version)
