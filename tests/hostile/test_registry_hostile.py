"""A registry that lies: endless bodies, wrong digests, redirects and token realms elsewhere, via `slimgo copy`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.stores.registry.reference import is_local_host
from tests.hostile.harness import CliRun, make_canary, run_cli, tree_digest
from tests.hostile.registry_double import HostileRegistry

RSS_LIMIT_MB = 200
USER, PASSWORD = "hostile-user", "hostile-Passw0rd"


@dataclass
class Home:
    """The user's home (a canary: nothing may change in it) and the environment that points slimgo at it."""

    root: Path
    env: dict[str, str]

    def login(self, host: str) -> None:
        """Store credentials for ``host`` the way `docker login` would (before the canary digest is taken)."""
        config_path = self.root / ".docker" / "config.json"
        config = json.loads(config_path.read_bytes())
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        config["auths"][host] = {"auth": token}
        config_path.write_text(json.dumps(config))


@pytest.fixture
def home(tmp_path: Path) -> Home:
    root, _ = make_canary(tmp_path / "home")
    return Home(root, {"HOME": str(root), "DOCKER_CONFIG": str(root / ".docker"),
                       "SLIMGO_CACHE_DIR": str(tmp_path / "cache"), "SLIMGO_DEBUG": ""})


@pytest.fixture
def double() -> Iterator[list[HostileRegistry]]:
    started: list[HostileRegistry] = []
    yield started
    for server in started:
        server.stop()


def serve(started: list[HostileRegistry], mode: str, **kwargs: object) -> HostileRegistry:
    server = HostileRegistry(mode, **kwargs)  # type: ignore[arg-type]
    server.start()
    started.append(server)
    return server


def refused(run: CliRun, *names: str) -> None:
    """Exit 1, one error naming each of ``names`` with a fix line, no traceback, bounded memory."""
    assert run.code == 1, (run.code, run.err)
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert run.err.startswith("error: "), run.err
    assert "\n  fix: " in run.err, run.err
    for name in names:
        assert name in run.err, (name, run.err)
    assert run.max_rss_mb < RSS_LIMIT_MB, run.max_rss_mb


def pull(home: Home, host: str, out: Path, *extra: str) -> CliRun:
    return run_cli(["copy", *extra, f"docker://{host}/x:1", f"oci:{out}"], env=home.env, timeout=90)


def test_endless_ping_body(home: Home, double: list[HostileRegistry], tmp_path: Path) -> None:
    server = serve(double, "endless-ping")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.host, "/v2/", "HTTP 400")
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before
    assert run.seconds < 30


def test_endless_error_body_on_manifest_and_blob_requests(home: Home, double: list[HostileRegistry],
                                                          tmp_path: Path) -> None:
    good = serve(double, "ok")
    assert pull(home, good.host, tmp_path / "src").code == 0
    server = serve(double, "endless-error")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, f"{server.host}/x:1", "HTTP 400")
    assert not (tmp_path / "out").exists()
    push = run_cli(["copy", f"oci:{tmp_path / 'src'}", f"docker://{server.host}/x:2"], env=home.env, timeout=90)
    refused(push, f"{server.host}/x", "HTTP 400")
    assert tree_digest(home.root) == before
    assert server.sent_bytes > 0


def test_endless_blob_is_cut_at_its_descriptor_size(home: Home, double: list[HostileRegistry],
                                                    tmp_path: Path) -> None:
    server = serve(double, "endless-blob")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.image.layer_digest, f"{server.host}/x", f"longer than the {len(server.image.layer)} bytes")
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before
    blobs = tmp_path / "cache" / "registry" / "blobs" / "sha256"
    assert not (blobs / server.image.layer_digest.split(":")[1]).exists()
    assert not [p for p in blobs.iterdir() if p.name.endswith(".part")]


def test_wrong_digest(home: Home, double: list[HostileRegistry], tmp_path: Path) -> None:
    server = serve(double, "wrong-digest")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.image.layer_digest, "hashes to", "tampered")
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before


def test_redirect_to_another_host_gets_no_credentials(home: Home, double: list[HostileRegistry],
                                                      tmp_path: Path) -> None:
    storage = serve(double, "ok")
    port = storage.host.rsplit(":", 1)[1]
    server = serve(double, "redirect", basic=(USER, PASSWORD), redirect_to=f"localhost:{port}")
    home.login(server.host)
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.image.layer_digest, "hashes to")  # the other host served other bytes: caught
    assert any(s.headers.get("Authorization", "").startswith("Basic ") for s in server.seen)
    redirected = [s for s in storage.seen if s.path.startswith("/storage/")]
    assert redirected, "the blob request was not redirected"
    assert all("Authorization" not in s.headers for s in redirected)
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before


def test_index_of_too_many_large_manifests(home: Home, double: list[HostileRegistry], tmp_path: Path) -> None:
    server = serve(double, "huge-index")
    run = pull(home, server.host, tmp_path / "out")
    refused(run, f"index {server.host}/x:1", "bytes of manifests and configs")
    assert [s.path for s in server.seen if "/manifests/" in s.path] == ["/v2/x/manifests/1"]  # no child asked
    assert not (tmp_path / "out").exists()


def test_redirect_loop(home: Home, double: list[HostileRegistry], tmp_path: Path) -> None:
    server = serve(double, "redirect-loop")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.host, server.image.layer_digest, "more than 10 times", "redirect loop")
    assert len([s for s in server.seen if "/blobs/" in s.path]) <= 12
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before


def test_plain_http_token_realm_on_another_host_is_refused(home: Home, double: list[HostileRegistry],
                                                           tmp_path: Path) -> None:
    realm_server = serve(double, "ok")
    # 0.0.0.0 reaches this machine but is not a loopback name: it stands for another host here.
    realm = f"http://0.0.0.0:{realm_server.host.rsplit(':', 1)[1]}/token"
    server = serve(double, "token-elsewhere", realm=realm)
    home.login(server.host)
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.host, realm, "plain-HTTP", "--insecure-registry 0.0.0.0:")
    assert realm_server.seen == []  # no credentials (no request at all) went there
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before
    # The user may accept plain HTTP to that realm explicitly.
    allowed = pull(home, server.host, tmp_path / "out", "--insecure-registry",
                   f"0.0.0.0:{realm_server.host.rsplit(':', 1)[1]}")
    assert allowed.code == 0, allowed.err
    assert [s.path.split("?")[0] for s in realm_server.seen] == ["/token"]


def test_endless_token_response(home: Home, double: list[HostileRegistry], tmp_path: Path) -> None:
    server = serve(double, "endless-token")
    before = tree_digest(home.root)
    run = pull(home, server.host, tmp_path / "out")
    refused(run, server.host, "/token", "more than 1048576 bytes")
    assert not (tmp_path / "out").exists()
    assert tree_digest(home.root) == before


@pytest.mark.parametrize(("host", "local"), [
    ("localhost", True), ("localhost:5000", True), ("127.0.0.1", True), ("127.0.0.1:5000", True),
    ("127.3.2.1:80", True), ("[::1]", True), ("[::1]:5000", True),
    ("127.0.0.1.evil.example", False), ("127.0.0.1.evil.example:5000", False), ("127.evil.example", False),
    ("localhost.evil.example", False), ("0.0.0.0:5000", False), ("10.0.0.1", False), ("[::2]:5000", False),
    ("127.0.0.1.nip.io:5000", False),
])
def test_only_loopback_literals_are_local(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_name_starting_with_127_is_not_sent_plain_http(home: Home, tmp_path: Path) -> None:
    host = "127.0.0.1.evil.invalid:5000"
    home.login(host)
    before = tree_digest(home.root)
    run = run_cli(["copy", f"docker://{host}/x:1", f"oci:{tmp_path / 'out'}"],
                  env={**home.env, "SLIMGO_DEBUG": "1"}, timeout=60)
    assert run.code == 1, run.err
    assert f"{host}: cannot connect" in run.err
    assert f"http://{host}" not in run.err  # https was tried: plain HTTP is not allowed to that name
    assert tree_digest(home.root) == before
