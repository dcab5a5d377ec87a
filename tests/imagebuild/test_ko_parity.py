"""A real ko project fetched as a Go module (ko itself, which ships a .ko.yaml with a templated ldflags), built by
ko and by slimgo from the same .ko.yaml onto the same base: the same binary, the same base layers; slimgo's
slimmer defaults (-s -w, /app, nonroot user) are the only differences."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.gobuild.moddownload import download
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import assemble
from slimgo.oci.platform import Platform
from slimgo.rootfs import Rootfs
from tests.conftest import require_tool
from tests.imagebuild.conftest import Slimgo
from tests.peers import go_peer
from tests.stores.access import Location, open_image, write_artifact
from tests.stores.registry.conftest import Registry, start_registry, stop_registry

pytestmark = pytest.mark.integration
KO = ("github.com/google/ko", "v0.19.1")


def _writable_copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    for path in [dest, *dest.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return dest


def _push_base(tmp_path: Path, slimgo: Slimgo, host: str) -> str:
    """A small base both tools build on: a CA bundle and a passwd file, pushed to the registry."""
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/sbin/nologin\n")
    layer = build_layer([Entry("etc/passwd", source=tmp_path / "passwd")], tmp_path)
    image = assemble(ImageConfig.empty(Platform.parse("linux/amd64")).replace_runtime(
        Env=["PATH=/usr/local/bin:/usr/bin:/bin"]), [layer])
    write_artifact(Location.parse(f"oci:{tmp_path}/base:1"), image)
    assert slimgo("copy", f"oci:{tmp_path}/base:1", f"docker://{host}/base:1").code == 0
    return f"{host}/base:1"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    running, process = start_registry(tmp_path_factory.mktemp("registry-ko"), "anonymous")
    yield running
    stop_registry(process)


def test_ko_builds_the_same_binary_from_its_own_ko_yaml(tmp_path: Path, slimgo: Slimgo, go: str,
                                                        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    skopeo = require_tool("skopeo")
    ko = go_peer(*KO)
    module = download(*KO, fix="check the Go module proxy is reachable")
    src = _writable_copy(module.dir, tmp_path / "ko")
    original = (src / ".ko.yaml").read_text()
    assert "baseImageOverrides" in original and "{{ .Env.LDFLAGS }}" in original
    base = _push_base(tmp_path, slimgo, registry.host)
    # the project's override names golang:latest; the tests reach 127.0.0.1 only, so both tools get the same local base
    (src / ".ko.yaml").write_text(original.replace("golang:latest", base))
    env = {**os.environ, "KO_DOCKER_REPO": f"{registry.host}/ko", "SOURCE_DATE_EPOCH": "0", "LDFLAGS": "",
           "GOFLAGS": "-mod=mod", "KO_CONFIG_PATH": str(src)}
    pushed = subprocess.run([str(ko), "build", "--bare", "--sbom=none", "--platform=linux/amd64", "."], cwd=src,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    ko_ref = pushed.stdout.strip().splitlines()[-1]
    subprocess.run([skopeo, "copy", "--src-tls-verify=false", f"docker://{ko_ref}", f"oci:{tmp_path}/byko:ko"],
                   check=True, capture_output=True, timeout=120)
    by_ko = open_image(f"oci:{tmp_path}/byko:ko")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("LDFLAGS", "")
    same = slimgo("build", "--no-strip", "--tzdata", "never", "-o", f"oci:{tmp_path}/same:ko", ".", cwd=src)
    slim = slimgo("build", "-o", f"oci:{tmp_path}/slim:ko", ".", cwd=src)
    assert same.code == 0 and slim.code == 0, same.err + slim.err
    assert "'baseImageOverrides'" not in same.err  # read, not warned about
    ko_binary = Rootfs(by_ko.layers).read("/ko-app/ko")
    same_image = open_image(f"oci:{tmp_path}/same:ko")
    same_binary = Rootfs(same_image.layers).read("/app/ko")
    # the same binary, byte for byte, and the same base layer under it
    assert hashlib.sha256(same_binary).digest() == hashlib.sha256(ko_binary).digest()
    base_layer = open_image(f"oci:{tmp_path}/base:1").layers[0].descriptor.digest
    assert by_ko.layers[0].descriptor.digest == same_image.layers[0].descriptor.digest == base_layer
    # where slimgo's defaults differ: -s -w (much smaller), /app rather than /ko-app, KO_DATA_PATH only with kodata
    slim_binary = Rootfs(open_image(f"oci:{tmp_path}/slim:ko").layers).read("/app/ko")
    assert len(slim_binary) < 0.8 * len(ko_binary)
    assert by_ko.config.entrypoint == ["/ko-app/ko"] and same_image.config.entrypoint == ["/app/ko"]
