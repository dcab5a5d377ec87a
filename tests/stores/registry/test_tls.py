"""TLS and plain HTTP as users meet them: self-signed registries, SSL_CERT_FILE, --insecure-registry, wrong schemes."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.stores.registry.http import Http
from tests.stores.access import open_image
from tests.stores.registry import remote
from tests.stores.registry.conftest import Registry
from tests.stores.registry.images import random_image

pytestmark = pytest.mark.integration


def _elsewhere(host: str) -> str:
    # 0.0.0.0 reaches the loopback registry, but slimgo does not count it as local: TLS rules apply in full.
    return "0.0.0.0:" + host.rsplit(":", 1)[1]


def test_insecure_hosts_are_named_with_or_without_a_port() -> None:
    http = Http(insecure=["build-box", "http://cache.lan:5000/", "10.0.0.7:5000"])
    assert http.plain_http("build-box:5000") and http.plain_http("build-box:443") and http.plain_http("build-box")
    assert http.plain_http("cache.lan:5000") and not http.plain_http("cache.lan:5001")
    assert http.plain_http("10.0.0.7:5000") and not http.plain_http("10.0.0.7:5001")
    assert http.plain_http("127.0.0.1:5000") and http.plain_http("localhost:5000") and http.plain_http("[::1]:5000")
    assert not http.plain_http("registry.example.com")


def test_a_tls_registry_on_loopback_needs_no_setup(tls_registry: tuple[Registry, Path], tmp_path: Path) -> None:
    reg, _cert = tls_registry
    img = random_image(tmp_path)
    ref = f"{reg.host}/tls/app:1"
    assert remote.write(ref, img) == img.digest  # plain HTTP is refused with 400, then TLS, unverified on loopback
    assert open_image(f"docker://{ref}").digest == img.digest


def test_untrusted_certificate_names_the_cause_and_both_fixes(tls_registry: tuple[Registry, Path], tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reg, cert = tls_registry
    host = _elsewhere(reg.host)
    layout = f"oci:{tmp_path}/img:x"
    from tests.stores.access import Location, write_artifact

    write_artifact(Location.parse(layout), random_image(tmp_path))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert main(["copy", layout, f"docker://{host}/tls/app:1"]) == 1
    err = capsys.readouterr().err
    assert f"{host}: presents a TLS certificate that is not trusted (self-signed certificate)" in err
    assert "SSL_CERT_FILE" in err and f"--insecure-registry {host}" in err

    # SSL_CERT_FILE wins even where requests would prefer REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
    other = tmp_path / "other-bundle.pem"
    other.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))
    assert main(["copy", layout, f"docker://{host}/tls/app:1"]) == 0
    assert capsys.readouterr().out.startswith(f"docker://{host}/tls/app:1@sha256:")

    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    assert main(["copy", layout, f"docker://{host}/tls/app:1"]) == 1
    assert f"SSL_CERT_FILE={other}: holds no PEM certificate" in capsys.readouterr().err
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    assert main(["copy", layout, f"docker://{host}/tls/app:1"]) == 1
    assert "missing.pem: is not a file" in capsys.readouterr().err

    # --insecure-registry with a bare host: any port, and the certificate is not checked (as docker does).
    monkeypatch.delenv("SSL_CERT_FILE")
    assert main(["copy", "--insecure-registry", "0.0.0.0", layout, f"docker://{host}/tls/app:2"]) == 0
    assert capsys.readouterr().out.startswith(f"docker://{host}/tls/app:2@sha256:")


def test_tls_to_a_plain_http_registry_says_so(registry: Registry, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    host = _elsewhere(registry.host)
    remote.write(f"{registry.host}/plain/app:1", random_image(tmp_path))
    assert main(["copy", f"docker://{host}/plain/app:1", f"oci:{tmp_path}/out"]) == 1
    err = capsys.readouterr().err
    assert f"{host}: answers plain HTTP, not HTTPS" in err and f"--insecure-registry {host}" in err
    assert not (tmp_path / "out").exists()
    assert main(["copy", "--insecure-registry", host, f"docker://{host}/plain/app:1", f"oci:{tmp_path}/out"]) == 0
