"""As a user would: `slimgo build -o docker://`, skopeo agrees, `slimgo copy` back, `slimgo run docker://` serves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.oci.image import ImageIndex, StoredImage
from slimgo.oci.platform import Platform
from slimgo.stores.registry.options import RegistryOptions
from tests.conftest import FIXTURES, require_root, require_tool
from tests.fixtures.registry.proxy import Proxy
from tests.runtime.procs import free_port, healthz, slimgo_run, stop
from tests.stores.access import open_image
from tests.stores.registry import remote
from tests.stores.registry.conftest import Registry

pytestmark = pytest.mark.integration


def slimgo(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(require_tool('go')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "slimgo", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def source(fixture: str, tmp_path: Path) -> Path:
    target = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, target)
    return target


@pytest.fixture
def counting(registry: Registry) -> Iterator[tuple[Proxy, str]]:
    proxy = Proxy(registry.host)
    host = proxy.start()
    yield proxy, host
    proxy.stop()


def test_build_push_inspect_copy_and_run(registry: Registry, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = source("server", tmp_path)
    dest = f"docker://{registry.host}/e2e/server:1"
    printed = slimgo("build", "-o", dest, ".", cwd=src)
    assert printed.startswith(f"{dest}@sha256:")
    digest = printed.rpartition("@")[2]
    skopeo = require_tool("skopeo")
    seen = json.loads(subprocess.run([skopeo, "inspect", "--tls-verify=false", dest], capture_output=True,
                                     text=True, check=True).stdout)
    assert seen["Digest"] == digest

    assert main(["copy", dest, f"oci:{tmp_path}/backup:server"]) == 0
    assert capsys.readouterr().out.strip() == f"oci:{tmp_path}/backup:server@{digest}"
    assert str(open_image(f"oci:{tmp_path}/backup:server").digest) == digest

    require_tool("runc")
    require_root()
    port = free_port()
    proc = slimgo_run("--timeout", "60", dest, "--", "--addr", f"127.0.0.1:{port}", tmpdir=tmp_path / "tmp",
                      stderr=subprocess.DEVNULL)
    try:
        health = healthz(port, proc)
    finally:
        stop(proc)
    assert health["uid"] == 65532 and health["ca_roots"] > 100


def test_rebuild_after_a_one_line_change_uploads_only_the_changed_layer(counting: tuple[Proxy, str],
                                                                        tmp_path: Path) -> None:
    proxy, host = counting
    src = source("server", tmp_path)
    dest = f"docker://{host}/e2e/dedupe:1"
    # the image alone: the SBOM a build attaches by default is a new document for every new image
    slimgo("build", "-o", dest, "--sbom", "none", ".", cwd=src)
    first = remote.read(dest.removeprefix("docker://"), prefetch=False)
    assert isinstance(first, StoredImage)
    main_go = src / "main.go"
    main_go.write_text(main_go.read_text().replace('"listening on %s"', '"serving on %s"'))
    proxy.reset()
    slimgo("build", "-o", dest, "--sbom", "none", ".", cwd=src)
    second = remote.read(dest.removeprefix("docker://"), RegistryOptions(), prefetch=False)
    assert isinstance(second, StoredImage) and second.digest != first.digest
    old = {d.digest for d in (*first.manifest.layers, first.manifest.config)}
    new = [d for d in (*second.manifest.layers, second.manifest.config) if d.digest not in old]
    assert len(new) == 2, "exactly the binary layer and the config changed"
    assert proxy.uploaded == sum(d.size for d in new)


def test_two_platform_build_pushes_an_index_each_platform_pulls(registry: Registry, tmp_path: Path) -> None:
    src = source("server", tmp_path)
    dest = f"docker://{registry.host}/e2e/multi:1"
    slimgo("build", "-o", dest, "--platform", "linux/amd64,linux/arm64", ".", cwd=src)
    raw = subprocess.run([require_tool("skopeo"), "inspect", "--raw", "--tls-verify=false", dest],
                         capture_output=True, check=True).stdout
    listed = json.loads(raw)
    assert sorted(m["platform"]["architecture"] for m in listed["manifests"]) == ["amd64", "arm64"]
    whole = remote.read(dest.removeprefix("docker://"))
    assert isinstance(whole, ImageIndex)
    for arch in ("amd64", "arm64"):
        assert main(["copy", "--platform", f"linux/{arch}", dest, f"oci:{tmp_path}/{arch}:x"]) == 0
        image = open_image(f"oci:{tmp_path}/{arch}:x")
        assert image.config.platform == Platform("linux", arch)
        assert image.digest in {i.digest for i in whole.images}


def test_build_on_a_registry_base(registry: Registry, tmp_path: Path) -> None:
    server = source("server", tmp_path)
    base = f"docker://{registry.host}/e2e/base:1"
    slimgo("build", "-o", base, ".", cwd=server)
    cli = source("stdincli", tmp_path)
    dest = f"docker://{registry.host}/e2e/stacked:1"
    slimgo("build", "--base", base, "-o", dest, ".", cwd=cli)
    base_image = remote.read(base.removeprefix("docker://"), prefetch=False)
    stacked = remote.read(dest.removeprefix("docker://"), prefetch=False)
    assert isinstance(base_image, StoredImage) and isinstance(stacked, StoredImage)
    base_layers = [d.digest for d in base_image.manifest.layers]
    assert [d.digest for d in stacked.manifest.layers][: len(base_layers)] == base_layers


def test_slimgo_repo_tags_bare_and_an_offline_rebuild(counting: tuple[Proxy, str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    proxy, host = counting
    server = source("server", tmp_path)
    monkeypatch.setenv("SLIMGO_REPO", f"{host}/team")
    printed = slimgo("build", "--tag", "1", "--tag", "stable", ".", cwd=server)
    assert printed.startswith(f"docker://{host}/team/server:1@sha256:")
    digest = printed.rpartition("@")[2]
    for tag in ("1", "stable"):
        assert str(remote.read(f"{host}/team/server:{tag}", prefetch=False).digest) == digest
    monkeypatch.setenv("SLIMGO_REPO", f"{host}/solo")
    assert slimgo("build", "--bare", ".", cwd=server) == f"docker://{host}/solo:latest@{digest}"

    cli = source("stdincli", tmp_path)
    base = f"docker://{host}/team/server:1"
    first = slimgo("build", "--base", base, "-o", f"oci:{tmp_path}/out:a", ".", cwd=cli)
    proxy.stop()  # the registry is unreachable now: the pulled base must come from the cache
    again = slimgo("build", "--base", base, "-o", f"oci:{tmp_path}/out:b", ".", cwd=cli)
    assert first.rpartition("@")[2] == again.rpartition("@")[2]
    offline = subprocess.run([sys.executable, "-m", "slimgo", "build", "--pull", "always", "--base", base, "-o",
                              f"oci:{tmp_path}/out:c", "."], cwd=cli, capture_output=True, text=True, timeout=300,
                             check=False)
    assert offline.returncode == 1 and "cannot connect" in offline.stderr and host in offline.stderr
