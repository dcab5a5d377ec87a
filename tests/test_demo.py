"""The README's main job, `make demo`'s script, run as a newcomer runs it: build, run, answer /healthz."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import ROOT, require_root, require_tool

pytestmark = pytest.mark.integration


def test_the_demo_builds_runs_and_answers() -> None:
    require_root()
    for tool in ("go", "runc"):
        require_tool(tool)
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "static=True" in done.stdout
    assert '"status":"ok","uid":65532' in done.stdout  # served from the image, as the nonroot user
    assert "Traceback" not in done.stdout + done.stderr
