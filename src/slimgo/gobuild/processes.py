"""Starts the processes `slimgo bench` measures: a program (to exit, or to its first good probe) and a local
docker-registry on 127.0.0.1 to pull from."""

from __future__ import annotations

__all__ = ["Started", "local_registry", "probe_ok", "start_program"]

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slimgo.errors import BuildError, RunError

_TAIL = 2000
_REGISTRY_CONFIG = """version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: {addr}
"""


@dataclass(frozen=True)
class Started:
    """One start of a program: wall time to exit (or to its first good probe) and its peak resident memory (None
    when it could not be read)."""

    ms: float
    rss_bytes: int | None
    exit_code: int | None  # None: a server, stopped after its probe answered


def _tail(path: Path) -> str:
    data = path.read_bytes()[-_TAIL:] if path.exists() else b""
    return data.decode(errors="replace").strip() or "(nothing on stderr)"


def probe_ok(url: str) -> bool:
    """Whether ``url`` answers with a 2xx or 3xx status within half a second."""
    try:
        with urllib.request.urlopen(url, timeout=0.5) as answer:
            return 200 <= int(answer.status) < 400
    except (urllib.error.URLError, OSError):
        return False


def _peak_rss(pid: int) -> int:
    """VmHWM of a running process (the bare-process equivalent of ru_maxrss), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _gnu_time() -> str:
    found = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if found is None:
        raise BuildError("time", "GNU time is not installed; the bench reads a program's peak memory with it",
                         "install the `time` package: apt-get install time")
    return found


def start_program(argv: Sequence[str], env: Mapping[str, str], probe: str | None, timeout: float) -> Started:
    """Run ``argv`` once: to its exit (a CLI), or until ``probe`` answers 2xx/3xx (a server, then stopped).
    A program that neither exits nor answers within ``timeout`` is a RunError carrying its stderr tail.

    A CLI runs under GNU time, whose small process forks it: the child's ru_maxrss would otherwise count the
    memory of this Python process it was forked from."""
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-") as tmp:
        err_path, rss_path = Path(tmp) / "stderr", Path(tmp) / "rss"
        command = list(argv) if probe else [_gnu_time(), "-q", "-f", "%M", "-o", str(rss_path), *argv]
        with err_path.open("wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})
        try:
            if probe is None:
                return _until_exit(proc, start, timeout, rss_path, err_path, argv)
            return _until_probe(proc, start, timeout, probe, err_path, argv)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()


def _until_exit(proc: subprocess.Popen[bytes], start: float, timeout: float, rss_path: Path, err_path: Path,
                argv: Sequence[str]) -> Started:
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunError(" ".join(argv), f"did not exit within {timeout:g} s; its stderr ends:\n{_tail(err_path)}",
                       "pass --probe URL for a server (and --arg/--env so it listens there), or raise --timeout") \
            from None
    ms = (time.perf_counter() - start) * 1000
    rss = rss_path.read_text().strip().splitlines()[-1] if rss_path.exists() else ""
    return Started(ms, int(rss) * 1024 if rss.isdigit() else 0, code)


def _until_probe(proc: subprocess.Popen[bytes], start: float, timeout: float, probe: str, err_path: Path,
                 argv: Sequence[str]) -> Started:
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RunError(" ".join(argv), f"exited with {proc.returncode} before {probe} answered; "
                           f"its stderr ends:\n{_tail(err_path)}", "check --arg/--env and the probe URL")
        if probe_ok(probe):
            return Started((time.perf_counter() - start) * 1000, _peak_rss(proc.pid), None)
        time.sleep(0.002)
    raise RunError(" ".join(argv), f"{probe} did not answer within {timeout:g} s; its stderr ends:\n"
                   f"{_tail(err_path)}", "check that --arg/--env make the program listen there, or raise --timeout")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_registry(base: Path, ready_within: float = 15.0) -> Iterator[str]:
    """A CNCF distribution registry (Debian's docker-registry) on 127.0.0.1, storing under ``base``; yields
    HOST:PORT and stops it on exit."""
    binary = shutil.which("docker-registry")
    if binary is None:
        raise BuildError("docker-registry", "is not installed; the bench pulls from a local registry",
                         "install the `docker-registry` package: apt-get install docker-registry")
    host = f"127.0.0.1:{_free_port()}"
    config = base / "registry.yml"
    config.write_text(_REGISTRY_CONFIG.format(root=base / "storage", addr=host))
    log = base / "registry.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + ready_within
        while not probe_ok(f"http://{host}/v2/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BuildError("docker-registry", f"did not start on {host}: {_tail(log)}",
                                 "check that the package works: docker-registry serve CONFIG")
            time.sleep(0.05)
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
