"""Ctrl-C at any moment of a copy to a registry that stalls: exit 130, no traceback, no scratch left behind."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.hostile.copying import big_archive, start_copy
from tests.hostile.registry_double import HostileRegistry

# When SIGINT is sent: (after the push's scratch directory appears?, seconds after that or after the start).
# From the start: while Python imports slimgo or reads the archive; after the scratch: while it is being set up,
# while the layer is compressed, and while the workers sit in the registry's stalled request.
DELAYS = [(False, 0.5), (True, 0.0), (True, 0.02), (True, 0.1), (True, 0.3), (True, 0.6)]
BUDGET = 18.0  # seconds for the whole table


def _leftovers(cache: Path) -> list[str]:
    root = cache / "tmp"
    return sorted(p.name for p in root.glob("slimgo-*")) if root.exists() else []


def _interrupted_copy(archive: Path, host: str, cache: Path, after_scratch: bool, delay: float,
                      deadline: float) -> tuple[int, str]:
    proc = start_copy(archive, host, cache)
    try:
        while after_scratch and not list((cache / "tmp").glob("slimgo-push-*")) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:  # hung: fail below, but leave no process behind
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode, err.decode(errors="replace")


def test_sigint_at_any_moment_exits_130_and_removes_the_scratch(tmp_path: Path) -> None:
    archive = tmp_path / "big.tar"
    big_archive(archive, 64 << 10)
    double = HostileRegistry("stall")  # the workers would sit in the stalled request for 30 s
    double.start()
    started = time.monotonic()
    deadline = started + BUDGET
    outcomes = []
    try:
        for i, (after_scratch, delay) in enumerate(DELAYS):
            cache = tmp_path / f"cache{i}"
            code, err = _interrupted_copy(archive, double.host, cache, after_scratch, delay, deadline)
            outcomes.append((after_scratch, delay, code, "Traceback" in err, _leftovers(cache)))
    finally:
        double.stop()
    assert [o for o in outcomes if o[2:] != (130, False, [])] == [], outcomes
    assert time.monotonic() - started < BUDGET + 2


def test_a_second_ctrl_c_does_not_cut_the_cleanup_short(tmp_path: Path) -> None:
    """Ctrl-C pressed again while the first one is being handled changes nothing: still 130 and clean."""
    archive = tmp_path / "big.tar"
    big_archive(archive, 64 << 10)
    cache = tmp_path / "cache"
    double = HostileRegistry("stall")
    double.start()
    try:
        proc = start_copy(archive, double.host, cache)
        deadline = time.monotonic() + 10
        while not list((cache / "tmp").glob("slimgo-push-*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # in the stalled request
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)  # while the first is handled: the push is cancelled, the scratch removed
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        double.stop()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and _leftovers(cache) == []
