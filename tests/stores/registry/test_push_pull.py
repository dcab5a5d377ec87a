"""Push, pull and copy against a real CNCF distribution registry; skopeo checks what slimgo wrote."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.cli.render import transfer_bars
from slimgo.errors import RegistryError
from slimgo.oci import mediatype
from slimgo.oci.config import ImageConfig
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.image import StoredImage, assemble_index
from slimgo.oci.manifest import Manifest
from slimgo.oci.platform import Platform
from slimgo.stores.registry.options import RegistryOptions
from slimgo.stores.registry.pull import Puller
from slimgo.stores.registry.push import Pusher, push_referrer
from slimgo.stores.registry.session import RegistrySession
from tests.conftest import require_tool
from tests.fixtures.registry.proxy import Proxy
from tests.ocischema import validate
from tests.stores.access import Location, open_image, read_artifact, write_artifact
from tests.stores.registry import remote
from tests.stores.registry.conftest import Registry
from tests.stores.registry.images import image, layer, random_image

pytestmark = pytest.mark.integration


def skopeo_json(*args: str) -> dict[str, object]:
    skopeo = require_tool("skopeo")
    out = subprocess.run([skopeo, *args], capture_output=True, text=True, check=True, timeout=60).stdout
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def proxy(registry: Registry) -> Iterator[Proxy]:
    counting = Proxy(registry.host)
    counting.start()
    yield counting
    counting.stop()


def test_push_is_what_skopeo_sees_and_copies_back(registry: Registry, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    img = random_image(tmp_path)
    ref = write_artifact(Location.parse(f"docker://{registry.host}/team/app:1"), img)
    assert ref == f"docker://{registry.host}/team/app:1@{img.digest}"
    seen = skopeo_json("inspect", "--tls-verify=false", f"docker://{registry.host}/team/app:1")
    assert seen["Digest"] == str(img.digest)
    raw = subprocess.run([require_tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                          f"docker://{registry.host}/team/app:1"], capture_output=True, check=True).stdout
    assert raw == img.raw_manifest  # exact bytes, not a re-serialisation

    assert main(["copy", f"docker://{registry.host}/team/app:1", f"oci:{tmp_path}/backup:app"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"oci:{tmp_path}/backup:app@{img.digest}"
    back = open_image(f"oci:{tmp_path}/backup:app")
    assert back.digest == img.digest and back.raw_config == img.raw_config
    validate("manifest", json.loads(back.raw_manifest))
    for mine, theirs in zip(back.layers, img.layers, strict=True):
        with mine.open_blob() as a, theirs.open_blob() as b:
            assert a.read() == b.read()


def test_repush_uploads_only_the_changed_layer(proxy: Proxy, tmp_path: Path) -> None:
    base = layer(tmp_path, "big", bytes(range(256)) * 4096)  # ~1 MiB that both versions share
    first = image(tmp_path, base, layer(tmp_path, "main", b"version one"))
    dest = f"docker://{proxy_host(proxy)}/dedupe/app:1"
    write_artifact(Location.parse(dest), first)
    assert proxy.uploaded >= base.descriptor.size
    proxy.reset()
    changed = layer(tmp_path, "main", b"version two")
    second = image(tmp_path, base, changed)
    write_artifact(Location.parse(dest), second)
    expected = changed.descriptor.size + second.manifest.config.size
    assert proxy.uploaded == expected  # the shared 1 MiB layer was only HEADed
    heads = [s for s in proxy.seen if s.method == "HEAD" and base.descriptor.digest.hex in s.path]
    assert heads and all(s.status == 200 for s in heads)
    proxy.reset()
    write_artifact(Location.parse(dest), second)  # unchanged: no bytes at all
    assert proxy.uploaded == 0


def proxy_host(proxy: Proxy) -> str:
    assert proxy._server is not None
    return f"127.0.0.1:{proxy._server.server_address[1]}"


def test_two_platform_index_pushes_and_each_platform_pulls(registry: Registry, tmp_path: Path) -> None:
    amd = random_image(tmp_path, platform="linux/amd64")
    arm = random_image(tmp_path, platform="linux/arm64")
    index = assemble_index([amd, arm])
    write_artifact(Location.parse(f"docker://{registry.host}/multi/app:2"), index)
    raw = subprocess.run([require_tool("skopeo"), "inspect", "--raw", "--tls-verify=false",
                          f"docker://{registry.host}/multi/app:2"], capture_output=True, check=True).stdout
    assert raw == index.raw_index
    listed = json.loads(raw)
    validate("index", listed)
    assert {m["platform"]["architecture"] for m in listed["manifests"]} == {"amd64", "arm64"}
    for wanted, img in (("linux/amd64", amd), ("linux/arm64", arm)):
        pulled = open_image(f"docker://{registry.host}/multi/app:2", Platform.parse(wanted))
        assert pulled.digest == img.digest
        assert pulled.config.platform == Platform.parse(wanted)
        seen = skopeo_json("inspect", "--tls-verify=false", "--override-arch", wanted.split("/")[1],
                           f"docker://{registry.host}/multi/app:2")
        assert seen["Architecture"] == wanted.split("/")[1]  # skopeo resolved the index to this platform
        assert seen["Digest"] == str(index.digest)
    whole = read_artifact(Location.parse(f"docker://{registry.host}/multi/app:2"))
    assert whole.digest == index.digest


def test_copy_between_repositories_mounts_instead_of_uploading(proxy: Proxy, tmp_path: Path) -> None:
    host = proxy_host(proxy)
    img = random_image(tmp_path, size=50_000)
    write_artifact(Location.parse(f"docker://{host}/src/app:1"), img)
    registry_sessions_reset()
    proxy.reset()
    assert main(["copy", "--tag", "extra", f"docker://{host}/src/app:1", f"docker://{host}/dst/app:1"]) == 0
    assert proxy.uploaded == 0
    mounts = [s for s in proxy.seen if "mount=" in s.path]
    assert len(mounts) == len(img.layers) + 1 and all(s.status == 201 for s in mounts)
    for tag in ("1", "extra"):
        assert open_image(f"docker://{host}/dst/app:{tag}").digest == img.digest


def registry_sessions_reset() -> None:

    remote.reset()


def test_large_blobs_go_up_in_chunks(proxy: Proxy, tmp_path: Path) -> None:
    img = random_image(tmp_path, size=300_000, layers=1)
    opts = RegistryOptions(chunk_size=64 * 1024)
    ref = remote.Reference.parse(f"{proxy_host(proxy)}/chunked/app:1")
    assert remote.write(ref, img, opts) == img.digest
    patches = [s for s in proxy.seen if s.method == "PATCH"]
    assert len(patches) == -(-img.layers[0].descriptor.size // (64 * 1024))
    assert all(s.request_bytes <= 64 * 1024 for s in patches)
    pulled = remote.read(ref, opts)
    assert isinstance(pulled, StoredImage)
    with pulled.layers[0].open_blob() as got, img.layers[0].open_blob() as want:
        assert got.read() == want.read()


def test_pulled_images_are_cached_for_offline_use(proxy: Proxy, tmp_path: Path) -> None:
    img = random_image(tmp_path)
    ref = proxy_host(proxy) + "/cache/base:1"
    remote.write(ref, img)
    first = remote.read(ref, RegistryOptions(pull="missing"))
    assert first.digest == img.digest
    proxy.stop()  # the registry is gone: only the cache can answer now
    registry_sessions_reset()
    for policy in ("never", "missing"):
        again = remote.read(ref, RegistryOptions(pull=policy))
        assert isinstance(again, StoredImage) and again.digest == img.digest
        with again.layers[1].open_blob() as blob:
            assert Digest.of(blob.read()) == img.layers[1].descriptor.digest
    with pytest.raises(RegistryError, match="not in the local cache") as err:
        remote.read(proxy_host(proxy) + "/cache/other:1", RegistryOptions(pull="never"))
    assert "--pull missing" in (err.value.fix or "")
    with pytest.raises(RegistryError, match="cannot connect"):
        remote.read(ref, RegistryOptions(pull="always"))


def test_pull_always_sees_a_moved_tag_and_missing_does_not(registry: Registry, tmp_path: Path) -> None:
    ref = registry.host + "/moving/app:1"
    old, new, newer = random_image(tmp_path), random_image(tmp_path), random_image(tmp_path)
    remote.write(ref, old)
    assert remote.read(ref, RegistryOptions(pull="missing")).digest == old.digest
    remote.write(ref, new, RegistryOptions(cache_dir=tmp_path / "another-machine"))  # moved elsewhere
    assert remote.read(ref, RegistryOptions(pull="missing")).digest == old.digest
    assert remote.read(ref, RegistryOptions(pull="always")).digest == new.digest
    assert remote.read(ref, RegistryOptions(pull="missing")).digest == new.digest
    remote.write(ref, newer)  # a tag this machine moved itself is known at once
    assert remote.read(ref, RegistryOptions(pull="missing")).digest == newer.digest


def test_docker_schema2_images_are_accepted(registry: Registry, tmp_path: Path) -> None:
    from slimgo.oci.image import assemble

    blob = layer(tmp_path, "d", b"docker media types")
    docker_layer = type(blob)(Descriptor(mediatype.DOCKER_LAYER_GZIP, blob.descriptor.digest, blob.descriptor.size),
                              blob.diff_id, blob.opener)
    img = assemble(ImageConfig.empty(Platform.parse("linux/amd64")), [docker_layer],
                   media_type=mediatype.DOCKER_MANIFEST)
    remote.write(f"{registry.host}/docker/app:1", img)
    pulled = remote.read(f"{registry.host}/docker/app:1")
    assert isinstance(pulled, StoredImage)
    assert pulled.media_type == mediatype.DOCKER_MANIFEST and pulled.digest == img.digest
    seen = skopeo_json("inspect", "--raw", "--tls-verify=false", f"docker://{registry.host}/docker/app:1")
    assert seen["mediaType"] == mediatype.DOCKER_MANIFEST


def test_referrers_fall_back_to_the_tag_schema(registry: Registry, tmp_path: Path) -> None:
    subject = random_image(tmp_path)
    ref = remote.Reference.parse(f"{registry.host}/refs/app:1")
    remote.write(ref, subject)
    sbom = b'{"spdxVersion":"SPDX-2.3"}'
    sbom_layer = type(subject.layers[0])(Descriptor("application/spdx+json", Digest.of(sbom), len(sbom)),
                                         Digest.of(sbom), lambda: __import__("io").BytesIO(sbom))
    empty = b"{}"
    manifest = Manifest(config=Descriptor(mediatype.OCI_EMPTY, Digest.of(empty), 2), layers=(sbom_layer.descriptor,),
                        subject=Descriptor(subject.media_type, subject.digest, len(subject.raw_manifest)),
                        artifact_type="application/spdx+json")
    artifact = StoredImage(manifest.to_bytes(), empty, (sbom_layer,))
    session = remote.session(RegistryOptions())
    push_referrer(session, ref, artifact)
    push_referrer(session, ref, artifact)  # idempotent: listed once
    client = session.client(ref.api_host)
    found = client.referrers(ref.repository, subject.digest)
    assert [d.digest for d in found] == [artifact.digest]
    assert found[0].artifact_type == "application/spdx+json"
    assert client.referrers(ref.repository, subject.digest, "application/vnd.dev.cosign") == []
    assert client.referrers(ref.repository, random_image(tmp_path).digest) == []


def test_pusher_reports_what_it_skipped(registry: Registry, tmp_path: Path) -> None:
    img = random_image(tmp_path)
    session = RegistrySession(RegistryOptions())
    ref = remote.Reference.parse(f"{registry.host}/report/app:1")
    first = Pusher(session)
    first.push(ref, img)
    assert first.uploaded_bytes == sum(lyr.descriptor.size for lyr in img.layers) + img.manifest.config.size
    second = Pusher(session)
    second.push(ref, img)
    assert second.uploaded_bytes == 0 and len(second.skipped) == len(img.layers) + 1
    puller = Puller(session)
    assert puller.pull(ref).digest == img.digest


def test_progress_bars_only_when_asked_or_on_a_terminal(registry: Registry, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    img = random_image(tmp_path)
    remote.write(f"{registry.host}/bars/app:1", img, RegistryOptions())  # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    remote.write(f"{registry.host}/bars/app:2", random_image(tmp_path), RegistryOptions(), bars=transfer_bars(True))
    err = capsys.readouterr().err
    assert "pushed" in err and "push " in err
    remote.write(f"{registry.host}/bars/app:3", img, RegistryOptions(), bars=transfer_bars(True))
    assert "exists" in capsys.readouterr().err
