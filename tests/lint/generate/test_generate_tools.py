"""Generated files against the real tools: hadolint passes them, and Go agrees on the main packages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from slimgo.lint.generate import plan, write
from tests.conftest import require_tool
from tests.lint.generate.gomodule import write_module

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("syntax", ["portable", "buildkit"])
def test_hadolint_passes_generated_dockerfiles(tmp_path: Path, syntax: str) -> None:
    hadolint = require_tool("hadolint")
    many = write_module(tmp_path / "many")
    one = write_module(tmp_path / "one", mains=(".",))
    write(plan([], cwd=many, syntax=syntax))
    write(plan([], cwd=one, syntax=syntax))
    write(plan([], out_dir=Path("deploy"), cwd=many, syntax=syntax))
    vendored = write_module(tmp_path / "vendored")
    (vendored / "vendor").mkdir()
    (vendored / "vendor" / "modules.txt").write_text("")
    write(plan([], cwd=vendored, syntax=syntax))
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
    assert 'go build -trimpath -ldflags="-s -w -buildid=" -o /out/api ./cmd/api\n' in text
    out = tmp_path / "app"
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local", "GOWORK": "off"}
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", str(out), "./cmd/api"], cwd=root,
                   env=env, check=True, timeout=300, capture_output=True)
    assert subprocess.run([str(out)], capture_output=True, text=True, timeout=30).stdout == "cmd/api\n"
    assert b"/tmp/" not in out.read_bytes()  # -trimpath: no build paths inside


def test_binary_names_agree_with_go_and_slimgo_build(tmp_path: Path) -> None:
    # the generated ENTRYPOINT /app/<name> is where `slimgo build` puts the binary: both use Go's own name for it
    go = require_tool("go")
    root = write_module(tmp_path / "shop", mains=(".", "cmd/api", "cmd/v2"))
    (root / "go.mod").write_text("module example.com/shop/v3\n\ngo 1.24\n")
    packages = plan([], cwd=root).packages
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOWORK": "off"}
    for pkg in packages:  # one at a time: `go build -o DIR/` names the binary as Go does
        out = tmp_path / "bin" / pkg.name
        subprocess.run([go, "build", "-o", f"{out}/", pkg.rel], cwd=root, env=env, check=True, timeout=300,
                       capture_output=True)
        assert [f.name for f in out.iterdir()] == [pkg.binary]
    proc = subprocess.run([sys.executable, "-m", "slimgo", "build", "-o", f"oci:{tmp_path}/layout:v2", "./cmd/v2"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    blobs = tmp_path / "layout" / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].split(":")[1]).read_text())
    v2 = next(pkg for pkg in packages if pkg.rel == "./cmd/v2")
    assert config["config"]["Entrypoint"] == [f"/app/{v2.binary}"] == ["/app/cmd"]


@pytest.mark.parametrize(("target", "expected"), [({}, None), ({"TARGETOS": "", "TARGETARCH": ""}, None),
                                                  ({"TARGETOS": "linux", "TARGETARCH": "arm64"}, "linux arm64")])
def test_goos_and_goarch_fall_back_to_the_build_machine(tmp_path: Path, target: dict[str, str],
                                                         expected: str | None) -> None:
    # the generated RUN's environment prefix, run by a POSIX shell as a builder would, with `go env` in place of
    # `go build`: unset or empty TARGETOS/TARGETARCH give linux and the build machine's architecture
    go = require_tool("go")
    sh = require_tool("sh")
    root = write_module(tmp_path / "shop")
    text = plan([], cwd=root).files[root / "Dockerfile"]
    m = re.search(r"^RUN (GOOS=.*) \\\n\s+go build ", text, re.M)
    assert m is not None, text
    env = {k: v for k, v in os.environ.items() if k not in ("GOOS", "GOARCH", "TARGETOS", "TARGETARCH")}
    env = {**env, **target, "PATH": f"{Path(go).parent}{os.pathsep}{env.get('PATH', '')}", "GOTOOLCHAIN": "local"}
    host = subprocess.run([go, "env", "GOHOSTARCH"], env=env, capture_output=True, text=True, timeout=60,
                          check=True).stdout.strip()
    out = subprocess.run([sh, "-c", f"{m.group(1)} go env GOOS GOARCH"], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert " ".join(out) == (expected or f"linux {host}")
