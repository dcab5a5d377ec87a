"""`slimgo run --debug IMAGE`: the image's `<tag>-debug` variant runs with busybox's shell, as the image's user, the
command after `--` instead when given, on a terminal when there is one; a missing variant says how to make it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require_root, require_tool
from tests.supply.conftest import Slimgo
from tests.supply.test_debug_variant import EXAMPLE, busybox

pytestmark = pytest.mark.integration
__all__ = ["busybox"]  # the fixture, shared with the build tests


@pytest.fixture(scope="module")
def debug_image(busybox: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """examples/hello built with its debug variant, in a layout: the image's reference (tag v1)."""
    require_root()
    require_tool("runc")
    layout = tmp_path_factory.mktemp("run-debug") / "layout"
    built = subprocess.run([sys.executable, "-m", "slimgo", "-q", "build", str(EXAMPLE), "-o", f"oci:{layout}:v1",
                            "--debug-variant", "--debug-tools", str(busybox)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    return f"oci:{layout}:v1"


def _slimgo(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slimgo", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_command_given_runs_in_the_debug_variant(debug_image: str) -> None:
    ran = _slimgo("run", "--debug", "--network", "none", debug_image, "--", "sh", "-c", "echo ok; id -u; ls /app")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["ok", "65532", "hello"]
    failed = _slimgo("run", "--debug", "--network", "none", debug_image, "--", "sh", "-c", "exit 3")
    assert failed.returncode == 3


def test_without_a_command_the_shell_reads_stdin(debug_image: str) -> None:
    ran = _slimgo("run", "--debug", "--network", "none", debug_image, stdin="echo from-stdin; id -u\n")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["from-stdin", "65532"]


def test_on_a_terminal_the_shell_is_interactive(debug_image: str) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: slimgo on the pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-m", "slimgo", "run", "--debug", "--network", "none", debug_image])
    seen = b""
    deadline = time.monotonic() + 60
    os.write(fd, b"echo tty-$((6*7)); tty; exit 5\n")
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the terminal closed: slimgo exited
                    break
                if not chunk:
                    break
                seen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"tty-42" in seen, seen
    assert b"/dev/pts/" in seen  # the shell's stdin is a terminal of its own
    assert os.waitstatus_to_exitcode(status) == 5


def test_a_missing_debug_variant(slimgo: Slimgo, tmp_path: Path) -> None:
    require_tool("runc")
    require_root()
    layout = tmp_path / "plain"
    assert slimgo("build", str(EXAMPLE), "-o", f"oci:{layout}:v1").code == 0
    missing = slimgo("run", "--debug", f"oci:{layout}:v1", "--", "sh")
    assert missing.code == 1  # as for any image that is not there
    assert f"oci:{layout}:v1-debug" in missing.err and "slimgo build --debug-variant" in missing.err
    assert "Traceback" not in missing.err
