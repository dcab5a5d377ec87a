"""What users of copy and run meet: flags and SLIMGO_PULL, helpful 404s, one ping, pulls linked not copied."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.oci.digest import Digest
from slimgo.stores.registry.cache import BlobCache
from slimgo.stores.registry.options import RegistryOptions
from tests.conftest import require_root, require_tool
from tests.fixtures.registry.proxy import Proxy
from tests.stores.access import open_image
from tests.stores.registry import remote
from tests.stores.registry.conftest import Registry
from tests.stores.registry.images import random_image

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(registry: Registry) -> Iterator[Proxy]:
    counting = Proxy(registry.host)
    counting.start()
    yield counting
    counting.stop()


def _proxy_host(proxy: Proxy) -> str:
    assert proxy._server is not None
    return f"127.0.0.1:{proxy._server.server_address[1]}"


def test_unknown_tags_and_repositories_say_what_exists(registry: Registry, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    img = random_image(tmp_path)
    for tag in ("2", "1"):
        remote.write(f"{registry.host}/known/app:{tag}", img)
    assert main(["copy", f"docker://{registry.host}/known/app:3", f"oci:{tmp_path}/out"]) == 1
    err = capsys.readouterr().err
    assert f"{registry.host}/known/app:3: does not exist: known/app has no tag '3'" in err
    assert "MANIFEST_UNKNOWN" in err and "use a tag it has: 1, 2" in err
    assert main(["copy", f"docker://{registry.host}/unknown/app:1", f"oci:{tmp_path}/out"]) == 1
    assert "the registry has no repository 'unknown/app'" in capsys.readouterr().err
    missing = Digest.of(b"nothing")
    assert main(["copy", f"docker://{registry.host}/known/app@{missing}", f"oci:{tmp_path}/out"]) == 1
    assert "no manifest with this digest in known/app" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_parallel_push_pings_the_registry_once(proxy: Proxy, tmp_path: Path) -> None:
    img = random_image(tmp_path, layers=4)
    remote.reset()
    remote.write(f"{_proxy_host(proxy)}/ping/app:1", img, RegistryOptions(jobs=4))
    pings = [s for s in proxy.seen if s.method == "GET" and s.path == "/v2/"]
    assert len(pings) == 1


def test_copy_takes_slimgo_pull_from_the_environment(registry: Registry, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    remote.write(f"{registry.host}/env/app:1", random_image(tmp_path))
    monkeypatch.setenv("SLIMGO_PULL", "never")
    assert main(["copy", f"docker://{registry.host}/env/app:1", f"oci:{tmp_path}/out"]) == 1
    assert "--pull never" in capsys.readouterr().err
    assert main(["copy", "--pull", "missing", f"docker://{registry.host}/env/app:1", f"oci:{tmp_path}/out"]) == 0
    assert main(["copy", "--tag", "v2", f"docker://{registry.host}/env/app:1", f"oci:{tmp_path}/out"]) == 2
    assert f"oci:{tmp_path}/out:v2" in capsys.readouterr().err  # --tag is for registries: says how to tag here
    monkeypatch.setenv("SLIMGO_PULL", "sometimes")
    assert main(["copy", f"docker://{registry.host}/env/app:1", f"oci:{tmp_path}/out2"]) == 2
    assert "SLIMGO_PULL" in capsys.readouterr().err


def test_run_takes_pull_and_insecure_registry(registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("runc")
    require_root()  # run checks for runc and root before it reads the image
    remote.write(f"{registry.host}/run/app:1", random_image(tmp_path))
    image = f"docker://{registry.host}/run/app:1"
    assert main(["run", "--pull", "never", image]) == 1
    assert "not in the local cache and --pull never" in capsys.readouterr().err
    monkeypatch.setenv("SLIMGO_PULL", "never")
    assert main(["run", image]) == 1
    assert "--pull never" in capsys.readouterr().err
    monkeypatch.delenv("SLIMGO_PULL")

    # A host slimgo does not count as local gets TLS, unless named with --insecure-registry.
    elsewhere = "0.0.0.0:" + registry.host.rsplit(":", 1)[1]
    assert main(["run", f"docker://{elsewhere}/run/app:2"]) == 1
    assert "answers plain HTTP" in capsys.readouterr().err
    assert main(["run", "--insecure-registry", elsewhere, f"docker://{elsewhere}/run/app:2"]) == 1
    assert "run/app has no tag '2'" in capsys.readouterr().err  # reached over plain HTTP this time


def _cached(digest: Digest) -> Path:
    return BlobCache(Path(os.environ["SLIMGO_CACHE_DIR"])).blob_path(digest)


def test_a_pull_into_a_layout_links_the_verified_cache_file(registry: Registry, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    img = random_image(tmp_path, size=100_000)
    ref = f"{registry.host}/link/app:1"
    remote.write(ref, img)
    assert main(["copy", f"docker://{ref}", f"oci:{tmp_path}/linked:x"]) == 0
    assert open_image(f"oci:{tmp_path}/linked:x").digest == img.digest
    for layer in img.layers:
        digest = layer.descriptor.digest
        blob = tmp_path / "linked" / "blobs" / "sha256" / digest.hex
        assert blob.stat().st_ino == _cached(digest).stat().st_ino  # one copy of the bytes on disk
        assert stat.S_IMODE(blob.stat().st_mode) == 0o644

    def cross_device(_src: object, _dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)  # a cache on another file system: copied instead
    assert main(["copy", f"docker://{ref}", f"oci:{tmp_path}/copied:x"]) == 0
    copied = open_image(f"oci:{tmp_path}/copied:x")
    assert copied.digest == img.digest
    for layer in img.layers:
        digest = layer.descriptor.digest
        blob = tmp_path / "copied" / "blobs" / "sha256" / digest.hex
        assert blob.stat().st_ino != _cached(digest).stat().st_ino
        assert Digest.of(blob.read_bytes()) == digest and stat.S_IMODE(blob.stat().st_mode) == 0o644


def test_an_index_pulls_every_layer_it_copies_and_only_those(proxy: Proxy, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from slimgo.oci.image import assemble_index

    amd = random_image(tmp_path, platform="linux/amd64")
    arm = random_image(tmp_path, platform="linux/arm64")
    ref = f"{_proxy_host(proxy)}/multi/app:1"
    remote.write(ref, assemble_index([amd, arm]))

    def layer_gets() -> list[str]:
        return [s.path.rsplit("/", 1)[1] for s in proxy.seen if s.method == "GET" and "/blobs/" in s.path]

    proxy.reset()
    assert main(["copy", f"docker://{ref}", f"docker-archive:{tmp_path}/one.tar"]) == 2  # holds one platform
    assert not layer_gets() or set(layer_gets()) <= {str(i.manifest.config.digest) for i in (amd, arm)}
    assert not (tmp_path / "one.tar").exists() and "pass --platform" in capsys.readouterr().err

    proxy.reset()
    assert main(["copy", "--platform", "linux/arm64", f"docker://{ref}", f"oci:{tmp_path}/arm:x"]) == 0
    wanted = {str(layer.descriptor.digest) for layer in arm.layers}
    assert wanted <= set(layer_gets())
    assert not {str(layer.descriptor.digest) for layer in amd.layers} & set(layer_gets())

    proxy.reset()
    assert main(["copy", f"docker://{ref}", f"oci:{tmp_path}/both:x"]) == 0
    fetched = layer_gets()
    assert sorted(fetched) == sorted({str(layer.descriptor.digest) for layer in amd.layers})  # once each
    assert open_image(f"oci:{tmp_path}/both:x", amd.config.platform).digest == amd.digest


def test_docker_archive_layers_are_gzipped_for_a_registry(registry: Registry, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from slimgo.oci import mediatype
    from tests.stores.access import Location, write_artifact

    img = random_image(tmp_path, size=200_000)  # gzip layers, compressed the way slimgo always does
    archive = tmp_path / "app.tar"
    write_artifact(Location.parse(f"docker-archive:{archive}"), img)  # holds the tars uncompressed
    dest = f"docker://{registry.host}/archive/app:1"
    assert main(["copy", f"docker-archive:{archive}", dest]) == 0
    assert capsys.readouterr().out.strip() == f"{dest}@{img.digest}"  # same pinned gzip: the very same image
    pushed = open_image(dest)
    assert [layer.descriptor.media_type for layer in pushed.layers] == [mediatype.OCI_LAYER_GZIP] * 2
    assert pushed.config.diff_ids == img.config.diff_ids


def test_a_layer_labelled_tar_that_is_already_compressed_is_left_alone(tmp_path: Path) -> None:
    from dataclasses import replace

    from slimgo.oci import mediatype
    from slimgo.oci.image import BlobLayer, assemble
    from slimgo.stores.registry.compress import gzip_layers

    img = random_image(tmp_path, layers=1)
    gz = img.layers[0]
    mislabelled = BlobLayer(replace(gz.descriptor, media_type=mediatype.OCI_LAYER), gz.diff_id, gz.open_blob)
    odd = assemble(img.config, [mislabelled])
    assert gzip_layers(odd, tmp_path) is odd  # gzip'ing it again would make its diff_id a lie
    assert not list(tmp_path.glob("*.tar.gz"))


def test_the_next_command_mounts_what_an_earlier_one_pushed(proxy: Proxy, tmp_path: Path) -> None:
    from tests.stores.access import Location, write_artifact

    host = _proxy_host(proxy)
    img = random_image(tmp_path, size=50_000)
    layout = f"oci:{tmp_path}/img:x"
    write_artifact(Location.parse(layout), img)
    assert main(["copy", layout, f"docker://{host}/first/app:1"]) == 0
    remote.reset()  # another command: only the cache remembers where the blobs went
    proxy.reset()
    assert main(["copy", layout, f"docker://{host}/second/app:1"]) == 0
    assert proxy.uploaded == 0
    mounts = [s for s in proxy.seen if "mount=" in s.path]
    assert len(mounts) == len(img.layers) + 1 and all(s.status == 201 for s in mounts)

    # A remembered repository that lost the blob (or never had it) costs nothing: the upload goes ahead.
    other = random_image(tmp_path, size=50_000)
    cache = BlobCache(Path(os.environ["SLIMGO_CACHE_DIR"]))
    for layer in other.layers:
        cache.remember(host, "gone/app", layer.descriptor.digest)
    remote.reset()
    proxy.reset()
    assert remote.write(f"{host}/third/app:1", other) == other.digest
    assert proxy.uploaded >= sum(layer.descriptor.size for layer in other.layers)
    assert open_image(f"docker://{host}/third/app:1").digest == other.digest
