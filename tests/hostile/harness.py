"""Runs slimgo the way a user would, in a child process, and measures what a hostile input cost it."""

from __future__ import annotations

import hashlib
import os
import signal
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


# Started by the test in place of slimgo: a small process that starts slimgo and reports its exit status and
# peak RSS. The kernel folds the memory of the process that exec'd into the child's ru_maxrss, so slimgo must
# be exec'd from this small launcher, not straight from pytest (hundreds of MB by the end of a full run).
_LAUNCHER = """
import os, subprocess, sys
report = sys.argv[1]
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(report, "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_cli(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120.0, stdin: bytes | None = None, wrapper: list[str] | None = None) -> CliRun:
    """`python -m slimgo ARGS` in a child; its peak RSS comes from wait4, so only this child is measured.

    ``wrapper`` is a command that must end by exec'ing its arguments (e.g. `unshare -m sh -c '...; exec "$@"'`),
    so the pid measured is still slimgo's.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp, \
            tempfile.TemporaryDirectory(prefix="slimgo-harness-") as scratch:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        report = Path(scratch) / "report"
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(report), *(wrapper or []), sys.executable,
                                 "-m", "slimgo", *args], cwd=cwd, env=full_env, stdin=inp, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and slimgo under it
            proc.wait()
            raise AssertionError(f"slimgo {' '.join(args)} did not finish within {timeout} s") from None
        elapsed = time.monotonic() - start
        code, maxrss = report.read_text().split()
        out.seek(0)
        err.seek(0)
        return CliRun(int(code), out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                      int(maxrss) / 1024, elapsed)


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
