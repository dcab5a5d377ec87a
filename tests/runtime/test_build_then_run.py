"""Both CLIs together: `slimgo build` a Go fixture, then `slimgo run` it with runc as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_root, require_tool
from tests.runtime.procs import free_port, healthz, slimgo_run, stop

pytestmark = pytest.mark.integration


def slimgo_build(fixture: str, tmp_path: Path) -> str:
    source = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, source)
    env = {**os.environ, "PATH": f"{Path(require_tool('go')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "slimgo", "build", "-o", f"oci:{tmp_path}/out:{fixture}", "."],
                          cwd=source, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return f"oci:{tmp_path}/out:{fixture}"


@pytest.fixture(autouse=True)
def _needs_runc() -> None:
    require_tool("runc")
    require_root()


def test_built_server_serves_as_nonroot_with_ca_roots_and_zones(tmp_path: Path) -> None:
    image = slimgo_build("server", tmp_path)
    port = free_port()
    proc = slimgo_run("--timeout", "60", image, "--", "--addr", f"127.0.0.1:{port}", tmpdir=tmp_path / "tmp",
                      stderr=subprocess.DEVNULL)
    try:
        health = healthz(port, proc)
    finally:
        stop(proc)
    assert health["uid"] == 65532 and health["gid"] == 65532
    assert health["ca_roots"] > 100
    assert health["tz"] == "ok"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_built_cli_reads_stdin_through_slimgo_run(tmp_path: Path) -> None:
    image = slimgo_build("stdincli", tmp_path)
    proc = slimgo_run(image, "--", "5", tmpdir=tmp_path / "tmp", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    out, err = proc.communicate(b"built and run\n", timeout=60)
    assert (out, proc.returncode) == (b"BUILT AND RUN\n", 5), err.decode()
