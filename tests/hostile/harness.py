"""Runs slimgo the way a user would, in a child process, and measures what a hostile input cost it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str
    max_rss_mb: float
    seconds: float


# The child reports its own peak RSS (VmHWM of its address space) as it exits. rusage cannot be used: a forked
# child's maxrss starts at the size of the test process it was forked from, and exec keeps that maximum.
_WRAPPER = """
import atexit, runpy, sys
report = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv[0] = "slimgo"
runpy.run_module("slimgo", run_name="__main__", alter_sys=True)
"""


def run_cli(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120.0, stdin: bytes | None = None, wrapper: list[str] | None = None) -> CliRun:
    """`python -m slimgo ARGS` in a child, with the peak RSS of that child alone (in MiB).

    ``wrapper`` is a command that ends by exec'ing its arguments (e.g. `unshare -m sh -c '...; exec "$@"' sh`),
    so the process waited for and measured is still slimgo.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp, \
            tempfile.NamedTemporaryFile("r") as peak:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        start = time.monotonic()
        proc = subprocess.Popen([*(wrapper or []), sys.executable, "-c", _WRAPPER, peak.name, *args], cwd=cwd,
                                env=full_env, stdin=inp, stdout=out, stderr=err)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"slimgo {' '.join(args)} did not finish within {timeout} s") from None
        elapsed = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        reported = peak.read().strip()
        return CliRun(code, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                      int(reported) / 1024 if reported else float("nan"), elapsed)


def tree_digest(root: Path) -> str:
    """A digest of every path, mode and content under ``root``: equal before and after means nothing was written."""
    h = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        h.update(f"{rel}\0{st.st_mode:o}\0".encode())
        if path.is_file() and not path.is_symlink():
            h.update(path.read_bytes())
        elif path.is_symlink():
            h.update(os.readlink(path).encode())
    return h.hexdigest()


def make_canary(root: Path) -> tuple[Path, bytes]:
    """A directory standing for the user's home: a docker config.json holding a secret a hostile input may aim at."""
    secret = b'{"auths": {"registry.example": {"auth": "c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk"}}}\n'
    (root / ".docker").mkdir(parents=True)
    (root / ".docker" / "config.json").write_bytes(secret)
    (root / "notes.txt").write_text("canary\n")
    return root, secret
