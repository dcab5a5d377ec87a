"""Generated files against the real tools: hadolint passes them, and Go agrees on the main packages."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from slimgo.lint.generate import plan, write
from tests.conftest import require_tool
from tests.lint.generate.gomodule import write_module

pytestmark = pytest.mark.integration


def test_hadolint_passes_generated_dockerfiles(tmp_path: Path) -> None:
    hadolint = require_tool("hadolint")
    many = write_module(tmp_path / "many")
    one = write_module(tmp_path / "one", mains=(".",))
    write(plan([], cwd=many))
    write(plan([], cwd=one))
    write(plan([], out_dir=Path("deploy"), cwd=many))
    vendored = write_module(tmp_path / "vendored")
    (vendored / "vendor").mkdir()
    (vendored / "vendor" / "modules.txt").write_text("")
    write(plan([], cwd=vendored))
    files = [many / "Dockerfile", one / "Dockerfile", many / "deploy" / "Dockerfile", vendored / "Dockerfile"]
    proc = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", *map(str, files)],
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    # guards the test above: hadolint really runs and reports
    hadolint = require_tool("hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM golang\nRUN cd /src && go build\n")
    proc = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "DL3006" in proc.stdout


def test_main_packages_match_go_list(tmp_path: Path) -> None:
    go = require_tool("go")
    root = write_module(tmp_path / "shop")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOWORK": "off"}
    proc = subprocess.run([go, "list", "-json", "./..."], cwd=root, capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    decoder = json.JSONDecoder()
    text, pos, mains = proc.stdout, 0, []
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        if obj["Name"] == "main":
            mains.append("./" + Path(obj["Dir"]).relative_to(root).as_posix())
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    assert sorted(mains) == [pkg.rel for pkg in plan([], cwd=root).packages]


def test_the_generated_build_command_builds(tmp_path: Path) -> None:
    # the Dockerfile's go build line, run here without a container: a static binary comes out
    go = require_tool("go")
    root = write_module(tmp_path / "shop")
    text = plan([], cwd=root).files[root / "Dockerfile"]
    assert 'go build -trimpath -ldflags="-s -w -buildid=" -o /out/app "$PACKAGE"' in text
    out = tmp_path / "app"
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local", "GOWORK": "off"}
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", str(out), "./cmd/api"], cwd=root,
                   env=env, check=True, timeout=300, capture_output=True)
    assert subprocess.run([str(out)], capture_output=True, text=True, timeout=30).stdout == "cmd/api\n"
    assert b"/tmp/" not in out.read_bytes()  # -trimpath: no build paths inside
