"""`slimgo build --vuln`: images whose binaries link vulnerable code are refused before anything is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vuln.conftest import FIXTURES, VulnDb

pytestmark = pytest.mark.integration


def build(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    return subprocess.run([sys.executable, "-m", "slimgo", "build", "--vuln", "--platform", "linux/amd64",
                           "-o", f"oci:{out}:v1", *extra, "."], cwd=src, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def test_build_refuses_linked_vulnerable_code(vulndb: VulnDb, tmp_path: Path) -> None:
    src = tmp_path / "textcall"
    shutil.copytree(FIXTURES / "textcall", src)
    proc = build(src, tmp_path / "out")
    assert proc.returncode == 1, proc.stderr
    assert "GO-2022-1059 in golang.org/x/text@v0.3.7 (fixed in v0.3.8)" in proc.stderr
    assert "nothing was written" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    # the same advisory ignored with a reason in .slimgo.yaml: the image is written
    (src / ".slimgo.yaml").write_text("vuln:\n  ignore:\n    - id: GO-2022-1059\n      reason: header never parsed\n")
    proc = build(src, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "index.json").is_file()


def test_build_writes_when_the_vulnerable_code_is_not_linked(vulndb: VulnDb, tmp_path: Path) -> None:
    src = tmp_path / "textparse"
    shutil.copytree(FIXTURES / "textparse", src)
    proc = build(src, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "index.json").is_file()
