"""Run the slimgo CLI as a process the way a user does, and talk to what it serves on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest


def slimgo_run(*args: str, tmpdir: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """`python -m slimgo run ...` with its temporary files (the bundle) under ``tmpdir``."""
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.Popen([sys.executable, "-m", "slimgo", "run", *args], env=env, **popen)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthz(port: int, proc: subprocess.Popen[bytes], limit: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"slimgo run exited with {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing served on 127.0.0.1:{port} within {limit}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Last resort for a failed test: end slimgo gracefully so it still removes its container."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
