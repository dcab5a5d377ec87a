"""Pushes through a fault-injecting proxy: each ends with the right digest or a clear error, never a broken registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from slimgo.errors import SlimgoError
from slimgo.oci import mediatype
from slimgo.oci.digest import Digest
from slimgo.oci.image import ImageIndex, assemble_index
from slimgo.oci.manifest import Index, Manifest, media_type_of
from slimgo.stores.layout import Artifact
from slimgo.stores.registry.options import RegistryOptions, RetryPolicy
from tests.fixtures.registry.proxy import FaultPlan, Proxy
from tests.stores.registry import remote
from tests.stores.registry.conftest import USER, Registry, login_file
from tests.stores.registry.images import random_image

pytestmark = pytest.mark.integration

PUSHES = 50
# Each 429 costs the full second its Retry-After asks for, so it is drawn less often than the other faults.
KINDS = ("500", "500", "cut-upload", "cut-upload", "cut-download", "expired-token", "expired-token", "429")
FAST = RetryPolicy(attempts=6, base=0.02, cap=0.2, retry_after_cap=1.0)


@pytest.fixture
def faulty(token_registry: Registry) -> Iterator[Proxy]:
    assert token_registry.tokens is not None
    plan = FaultPlan(rate=0.1, kinds=KINDS, seed=20240)
    proxy = Proxy(token_registry.host, plan, token_registry.tokens.expired_token)
    proxy.start()
    yield proxy
    proxy.stop()


def _host(proxy: Proxy) -> str:
    assert proxy._server is not None
    return f"127.0.0.1:{proxy._server.server_address[1]}"


def test_fifty_pushes_through_faults_leave_a_consistent_registry(faulty: Proxy, token_registry: Registry,
                                                                 tmp_path: Path) -> None:
    host = _host(faulty)
    login_file(tmp_path, host)
    results: list[tuple[str, Artifact, str]] = []  # (tag, artifact, outcome)
    for i in range(PUSHES):
        artifact: Artifact
        if i % 10 == 9:
            artifact = assemble_index([random_image(tmp_path, 3000, "linux/amd64"),
                                       random_image(tmp_path, 3000, "linux/arm64")])
        else:
            artifact = random_image(tmp_path, size=3000 + 97 * i)
        # Every third push goes up in small PATCH chunks, so interrupted chunked uploads are exercised too.
        opts = RegistryOptions(retry=FAST, chunk_size=1024 if i % 3 == 0 else 16 << 20, jobs=2)
        tag = f"p{i}"
        try:
            digest = remote.write(f"{host}/faults/app:{tag}", artifact, opts)
        except SlimgoError as err:
            text = err.diagnostics()
            assert err.subject and err.cause and err.fix, text
            assert "Traceback" not in text
            results.append((tag, artifact, f"error: {text}"))
            continue
        assert digest == artifact.digest
        results.append((tag, artifact, "ok"))
        if i % 5 == 0:  # read it back through the faults too, into a fresh cache: every GET goes to the registry
            fresh = opts.with_changes(cache_dir=tmp_path / f"cache-{i}")
            try:
                pulled = remote.read(f"{host}/faults/app:{tag}", fresh)
                assert pulled.digest == artifact.digest
            except SlimgoError as err:
                assert err.fix, err.diagnostics()
    faults = [s.fault for s in faulty.seen if s.fault]
    assert len(set(faults)) == 5, f"every kind of fault was injected: {Counter(faults)}"
    succeeded = [r for r in results if r[2] == "ok"]
    assert len(succeeded) >= PUSHES * 0.8, [r[2] for r in results if r[2] != "ok"]

    remote.reset()
    check_registry_consistent(token_registry, succeeded)


def check_registry_consistent(reg: Registry, pushed: list[tuple[str, Artifact, str]]) -> None:
    """Every tag pushed points at its digest, and no stored manifest references a blob the registry lacks."""
    session = requests.Session()
    assert reg.tokens is not None
    token = reg.tokens.mint(USER, [{"type": "repository", "name": "faults/app", "actions": ["pull"]}])
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"http://{reg.host}/v2/faults/app"
    accept = ", ".join([mediatype.OCI_MANIFEST, mediatype.OCI_INDEX])
    for tag, artifact, _ in pushed:
        response = session.head(f"{base}/manifests/{tag}", headers={"Accept": accept}, timeout=10)
        assert response.status_code == 200 and response.headers["Docker-Content-Digest"] == str(artifact.digest)
        if isinstance(artifact, ImageIndex):
            assert {m.digest for m in Index.parse(artifact.raw_index).manifests} == {i.digest for i in artifact.images}
    revisions = reg.root / "docker/registry/v2/repositories/faults/app/_manifests/revisions/sha256"
    stored = sorted(p.name for p in revisions.iterdir())
    assert len(stored) >= len(pushed)
    for hex_digest in stored:
        response = session.get(f"{base}/manifests/sha256:{hex_digest}", headers={"Accept": accept}, timeout=10)
        assert response.status_code == 200
        raw = response.content
        assert Digest.of(raw).hex == hex_digest
        if mediatype.is_index(media_type_of(raw)):
            children = [d.digest for d in Index.parse(raw).manifests]
            for child in children:
                assert session.head(f"{base}/manifests/{child}", headers={"Accept": accept},
                                    timeout=10).status_code == 200
            continue
        manifest = Manifest.parse(raw)
        for desc in (manifest.config, *manifest.layers):
            head = session.head(f"{base}/blobs/{desc.digest}", timeout=10)
            assert head.status_code == 200, f"manifest sha256:{hex_digest} references missing blob {desc.digest}"
            assert int(head.headers["Content-Length"]) == desc.size
