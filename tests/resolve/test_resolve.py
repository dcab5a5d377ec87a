"""`slimgo resolve` against a real registry: ko:// and slimgo:// references built, pushed and replaced in place."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool
from tests.imagebuild.conftest import Slimgo, go, slimgo  # noqa: F401  (fixtures)
from tests.stores.registry.conftest import Registry, start_registry, stop_registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    running, process = start_registry(tmp_path_factory.mktemp("registry-resolve"), "anonymous")
    yield running
    stop_registry(process)


DEPLOYMENT = """\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # keep this comment
spec:
  template:
    spec:
      containers:
      - name: alpha
        image: ko://example.com/fleet/cmd/alpha  # built by ko
        args: ["--mode", fast]  # not ko://example.com/fleet/cmd/alpha: a comment is left alone
      - name: beta
        image: "slimgo://./cmd/beta"
      - name: sidecar
        image: docker.io/library/busybox:1.36
---
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  containers: [{name: a, image: 'ko://example.com/fleet/cmd/alpha'}]
"""


def _module(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/fleet\n\ngo 1.22\n")
    for name in ("alpha", "beta"):
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text(f'package main\n\nfunc main() {{ println("{name}") }}\n')
    (root / "lib").mkdir()
    (root / "lib" / "lib.go").write_text("package lib\n")
    (root / "deploy" / "more").mkdir(parents=True)
    return root


def _skopeo_digest(reference: str) -> str:
    skopeo = require_tool("skopeo")
    out = subprocess.run([skopeo, "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"],
                         capture_output=True, check=True, timeout=60).stdout
    import hashlib

    return "sha256:" + hashlib.sha256(out).hexdigest()


def test_resolve_builds_pushes_and_keeps_the_yaml(tmp_path: Path, slimgo: Slimgo, go: str, registry: Registry,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = _module(tmp_path / "m")
    (root / "deploy" / "web.yaml").write_text(DEPLOYMENT)
    (root / "deploy" / "more" / "job.yml").write_text("kind: Job\nimage: ko://example.com/fleet/cmd/beta\n")
    monkeypatch.delenv("SLIMGO_REPO", raising=False)
    monkeypatch.setenv("KO_DOCKER_REPO", f"{registry.host}/fleet")
    refs = tmp_path / "refs.txt"
    result = slimgo("resolve", "-f", "deploy", "-R", "--image-refs", str(refs), cwd=root)
    assert result.code == 0, result.err
    beta_ref, alpha_ref = refs.read_text().splitlines()  # in the order the files are read: more/job.yml first
    assert alpha_ref.startswith(f"{registry.host}/fleet/alpha@sha256:")
    assert beta_ref.startswith(f"{registry.host}/fleet/beta@sha256:")
    for reference in (alpha_ref, beta_ref):
        assert _skopeo_digest(reference) == reference.split("@")[1]
    expected = (DEPLOYMENT.replace("ko://example.com/fleet/cmd/alpha  # built", f"{alpha_ref}  # built")
                .replace('"slimgo://./cmd/beta"', f'"{beta_ref}"')
                .replace("'ko://example.com/fleet/cmd/alpha'", f"'{alpha_ref}'"))
    assert result.out == f"kind: Job\nimage: {beta_ref}\n---\n{expected}"
    assert "# not ko://example.com/fleet/cmd/alpha: a comment is left alone" in result.out
    documents = list(yaml.safe_load_all(result.out))
    assert documents[1]["spec"]["template"]["spec"]["containers"][0]["image"] == alpha_ref


def test_resolve_refuses_without_a_registry_and_for_a_library(tmp_path: Path, slimgo: Slimgo, go: str,  # noqa: F811
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              registry: Registry) -> None:
    root = _module(tmp_path / "m")
    monkeypatch.delenv("SLIMGO_REPO", raising=False)
    monkeypatch.delenv("KO_DOCKER_REPO", raising=False)
    (root / "deploy" / "a.yaml").write_text("image: ko://example.com/fleet/cmd/alpha\n")
    result = slimgo("resolve", "-f", "deploy/a.yaml", cwd=root)
    assert result.code == 2 and "SLIMGO_REPO" in result.err and result.out == ""
    monkeypatch.setenv("KO_DOCKER_REPO", "ko.local")
    result = slimgo("resolve", "-f", "deploy/a.yaml", cwd=root)
    assert result.code == 2 and "Docker-daemon or kind target" in result.err and result.out == ""
    monkeypatch.setenv("SLIMGO_REPO", f"{registry.host}/lib")
    (root / "deploy" / "a.yaml").write_text("image: ko://example.com/fleet/lib\n")
    result = slimgo("resolve", "-f", "deploy/a.yaml", cwd=root)
    assert result.code == 2 and "not package main" in result.err and result.out == ""
    (root / "deploy" / "a.yaml").write_text("image: [ko://x\n")
    result = slimgo("resolve", "-f", "deploy/a.yaml", cwd=root)
    assert result.code == 2 and "not valid YAML" in result.err
    # nothing to build: printed unchanged, nothing pushed
    (root / "deploy" / "a.yaml").write_text("# only\nimage: nginx\n")
    result = slimgo("resolve", "-f", "deploy/a.yaml", cwd=root)
    assert result.code == 0 and result.out == "# only\nimage: nginx\n"
    assert json.dumps(result.out)
