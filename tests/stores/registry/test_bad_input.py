"""Bad input and lying registries: malformed references, unreachable hosts, digests and sizes that do not match."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.errors import ImageFormatError, RegistryError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.manifest import Manifest
from slimgo.stores.registry.cache import BlobCache
from slimgo.stores.registry.http import Http, TransientError
from slimgo.stores.registry.options import RegistryOptions, RetryPolicy
from slimgo.stores.registry.session import RegistrySession
from tests.fixtures.registry.double import Canned, RegistryDouble
from tests.stores.registry import remote
from tests.stores.registry.conftest import free_port

CONFIG = b'{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:' + \
    b"0" * 64 + b'"]}}'
LAYER = b"pretend this is a gzip'd tar"


@pytest.fixture
def double() -> Iterator[tuple[RegistryDouble, str]]:
    server = RegistryDouble()
    host = server.start()
    yield server, host
    server.stop()


def serve_image(server: RegistryDouble, repo: str, layer: bytes = LAYER, announced: int | None = None,
                layer_digest: Digest | None = None) -> Manifest:
    config_desc = Descriptor(mediatype.OCI_CONFIG, Digest.of(CONFIG), len(CONFIG))
    layer_desc = Descriptor(mediatype.OCI_LAYER_GZIP, layer_digest or Digest.of(layer),
                            len(layer) if announced is None else announced)
    manifest = Manifest(config_desc, (layer_desc,))
    raw = manifest.to_bytes()
    headers = {"Content-Type": mediatype.OCI_MANIFEST, "Docker-Content-Digest": str(Digest.of(raw))}
    server.routes[f"/v2/{repo}/manifests/1"] = Canned(raw, headers)
    server.routes[f"/v2/{repo}/manifests/{Digest.of(raw)}"] = Canned(raw, headers)
    server.routes[f"/v2/{repo}/blobs/{config_desc.digest}"] = Canned(CONFIG)
    server.routes[f"/v2/{repo}/blobs/{layer_desc.digest}"] = Canned(layer)
    return manifest


def test_malformed_reference_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["copy", "docker://localhost:5000/Team/App:1", "oci:/tmp/never"]) == 2
    err = capsys.readouterr().err
    assert "'localhost:5000/Team/App:1'" in err and "lowercase" in err and "fix:" in err
    assert main(["copy", "docker://app:", "oci:/tmp/never"]) == 2
    assert "invalid tag" in capsys.readouterr().err
    assert not Path("/tmp/never").exists()


def test_unreachable_registry_fails_fast_and_clearly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    start = time.monotonic()
    assert main(["copy", f"docker://{host}/app:1", f"oci:{tmp_path}/out"]) == 1
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert host in err and "cannot connect" in err and "connection refused" in err
    assert elapsed < 5, "a refused connection must not be retried for long"
    assert not (tmp_path / "out").exists()


def test_manifest_whose_digest_does_not_match_is_refused(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    manifest = serve_image(server, "lying/app")
    raw = manifest.to_bytes()
    other = Digest.of(b"something else")
    server.routes["/v2/lying/app/manifests/1"] = Canned(raw, {"Docker-Content-Digest": str(other),
                                                               "Content-Type": mediatype.OCI_MANIFEST})
    with pytest.raises(ImageFormatError, match="hashing to") as err:
        remote.read(f"{host}/lying/app:1")
    assert str(other) in err.value.cause
    # Asked by digest, the content must hash to that digest whatever the headers say.
    server.routes[f"/v2/lying/app/manifests/{other}"] = Canned(raw, {"Content-Type": mediatype.OCI_MANIFEST})
    with pytest.raises(ImageFormatError, match="hashing to"):
        remote.read(f"{host}/lying/app@{other}")
    assert not BlobCache().has(other) and not BlobCache().has(Digest.of(raw))


def test_blob_whose_digest_does_not_match_is_refused_and_not_cached(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    claimed = Digest.of(b"the real layer bytes")
    serve_image(server, "tampered/app", layer=b"the fake layer bytess", layer_digest=claimed)
    with pytest.raises(ImageFormatError, match=f"not {claimed}") as err:
        remote.read(f"{host}/tampered/app:1")
    assert "tampered" in err.value.fix or "broken" in (err.value.fix or "")
    cache = BlobCache()
    assert not cache.has(claimed)
    assert not list(cache.blob_path(claimed).parent.glob("*.part"))  # no half-written leftovers


def test_blob_longer_than_announced_is_refused(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    serve_image(server, "long/app", layer=LAYER + b"and then some more", announced=len(LAYER),
                layer_digest=Digest.of(LAYER))
    with pytest.raises(ImageFormatError, match="longer than the"):
        remote.read(f"{host}/long/app:1")
    assert not BlobCache().has(Digest.of(LAYER))


def test_config_blob_that_lies_is_refused(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    manifest = serve_image(server, "cfg/app")
    server.routes[f"/v2/cfg/app/blobs/{manifest.config.digest}"] = Canned(CONFIG.replace(b"amd64", b"arm64"))
    with pytest.raises(ImageFormatError):
        remote.read(f"{host}/cfg/app:1")


def test_schema1_and_non_json_manifests_are_refused(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    body = json.dumps({"schemaVersion": 1, "name": "x"}).encode()
    server.routes["/v2/old/app/manifests/1"] = Canned(body, {
        "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"})
    with pytest.raises(ImageFormatError, match="schema 1"):
        remote.read(f"{host}/old/app:1")
    server.routes["/v2/junk/app/manifests/1"] = Canned(b"<html>not json</html>", {"Content-Type": "text/html"})
    with pytest.raises(ImageFormatError, match="not valid JSON"):
        remote.read(f"{host}/junk/app:1")


def test_missing_tag_is_clear(double: tuple[RegistryDouble, str]) -> None:
    _server, host = double
    with pytest.raises(RegistryError, match="does not exist"):
        remote.read(f"{host}/nothing/here:1")


def test_429_honours_retry_after_and_5xx_backs_off_within_bounds(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    slept: list[float] = []
    policy = RetryPolicy(attempts=4, base=0.5, cap=2.0)
    http = Http(policy, sleep=slept.append)
    server.routes["/v2/x/manifests/1"] = Canned(b"{}", {"Retry-After": "7"}, status=429)
    with pytest.raises(TransientError, match=r"after 4 attempts \(HTTP 429\)"):
        http.send("GET", f"http://{host}/v2/x/manifests/1", registry=host)
    assert slept == [7.0, 7.0, 7.0]
    slept.clear()
    server.routes["/v2/x/manifests/1"] = Canned(b"{}", status=503)
    with pytest.raises(TransientError, match="HTTP 503"):
        http.send("GET", f"http://{host}/v2/x/manifests/1", registry=host)
    assert len(slept) == 3 and all(0 <= s <= min(2.0, 0.5 * 2 ** i) for i, s in enumerate(slept))


def test_persistent_5xx_on_pull_is_a_clear_error(double: tuple[RegistryDouble, str]) -> None:
    server, host = double
    serve_image(server, "flaky/app")
    server.routes["/v2/flaky/app/manifests/1"] = Canned(b"{}", status=500)
    session = RegistrySession(RegistryOptions(retry=RetryPolicy(attempts=3, base=0.001, cap=0.01)))
    from slimgo.stores.registry.pull import Puller

    with pytest.raises(TransientError, match="after 3 attempts") as err:
        Puller(session).pull(remote.Reference.parse(f"{host}/flaky/app:1"))
    assert host in str(err.value) and err.value.fix
