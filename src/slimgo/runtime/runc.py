"""Drive runc: run a bundle in the foreground with stdio passed through, forward signals, enforce a timeout."""

from __future__ import annotations

__all__ = ["FORWARDED", "Runc", "find_runc"]

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from slimgo.errors import RunError

TIMEOUT_EXIT = 124  # what coreutils `timeout` returns
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when --timeout expires
POLL = 0.05


def find_runc(which: Callable[[str], str | None] = shutil.which, euid: Callable[[], int] = os.geteuid) -> str:
    """The runc binary to use; a clear error when it is missing or when we are not root."""
    binary = which("runc")
    if binary is None:
        raise RunError("runc", "is not installed or not on PATH, and `slimgo run` starts containers with it",
                       "install runc (Debian/Ubuntu: apt-get install runc; Fedora: dnf install runc; "
                       "or a release binary from the runc project) and make sure it is on PATH")
    uid = euid()
    if uid != 0:
        raise RunError("slimgo run", f"needs root to create containers with runc (running as uid {uid})",
                       "run it as root, e.g. `sudo slimgo run IMAGE`")
    return binary


class Runc:
    """One runc state directory (``--root``) and the containers started in it."""

    def __init__(self, binary: str, state: Path) -> None:
        self.binary = binary
        self.state = state

    def _command(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.state), *args]

    def kill(self, container_id: str, sig: int) -> bool:
        """Send ``sig`` to the container's init; False when runc could not (not started yet, or gone)."""
        done = subprocess.run(self._command("kill", container_id, str(int(sig))), capture_output=True,
                              check=False, timeout=30)
        return done.returncode == 0

    def delete(self, container_id: str) -> None:
        subprocess.run(self._command("delete", "--force", container_id), capture_output=True, check=False,
                       timeout=30)

    def run(self, bundle: Path, container_id: str, timeout: float | None = None, *, quiet: bool = False) -> int:
        """Run the bundle in the foreground and return the container's exit code (124 when it timed out); with
        ``quiet``, the container's stdio goes nowhere (a measured run must not write into our output)."""
        pending: list[int] = []

        def remember(signum: int, _frame: FrameType | None) -> None:
            pending.append(signum)

        previous = {}
        for sig in FORWARDED:
            try:
                previous[sig] = signal.signal(sig, remember)
            except ValueError:  # not the main thread: nothing to forward from
                break
        try:
            try:
                stdio = subprocess.DEVNULL if quiet else None
                proc = subprocess.Popen(self._command("run", "--bundle", str(bundle), container_id), stdin=stdio,
                                        stdout=stdio, stderr=stdio)
            except OSError as err:
                raise RunError(self.binary, f"cannot be started: {err.strerror or err}",
                               "check that runc is executable (reinstall it)") from None
            return self._supervise(proc, container_id, pending, timeout)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _supervise(self, proc: subprocess.Popen[bytes], container_id: str, pending: list[int],
                   timeout: float | None) -> int:
        deadline = time.monotonic() + timeout if timeout else None
        kill_at: float | None = None
        while True:
            try:
                code = proc.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            while pending:
                sig = pending.pop(0)
                # runc forwards what it receives itself; `runc kill` reaches the container even when the
                # signal came to slimgo alone (kill PID, a supervisor), and the fallback covers the moment
                # before the container exists.
                if not self.kill(container_id, sig) and proc.poll() is None:
                    os.kill(proc.pid, sig)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                if kill_at is None:
                    self.kill(container_id, signal.SIGTERM)
                    kill_at = now + KILL_GRACE
                elif now >= kill_at:
                    if not self.kill(container_id, signal.SIGKILL):
                        proc.kill()
                    kill_at = now + KILL_GRACE
        if kill_at is not None:
            return TIMEOUT_EXIT
        return 128 - code if code < 0 else code  # runc itself killed by a signal: report it like a shell
