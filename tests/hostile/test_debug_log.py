"""SLIMGO_DEBUG=1 logs every registry request and answer with headers, and never a credential, token or cookie."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import make_canary, run_cli
from tests.hostile.registry_double import HostileRegistry
from tests.stores.registry.conftest import PASSWORD, USER, Registry

COOKIE = "cookie-secret-4f9a1c"


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Path]:
    """An OCI layout holding a small image, copied from a registry double that also sets a session cookie."""
    double = HostileRegistry("ok", cookie=COOKIE)
    double.start()
    out = tmp_path / "src"
    try:
        run = run_cli(["copy", f"docker://{double.host}/x:1", f"oci:{out}"],
                      env={"SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
        assert run.code == 0, run.err
        yield out
    finally:
        double.stop()


def _env(tmp_path: Path, host: str) -> dict[str, str]:
    home, _ = make_canary(tmp_path / "home")
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return {"HOME": str(home), "DOCKER_CONFIG": str(home / ".docker"), "SLIMGO_DEBUG": "1",
            "SLIMGO_CACHE_DIR": str(tmp_path / "cache2")}


def _assert_no_secret(log: str) -> None:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert basic not in log and PASSWORD not in log
    assert "eyJ" not in log  # no JWT (a token server's answer, or a Bearer header)
    assert '"token"' not in log and "access_token" not in log
    assert COOKIE not in log
    for name in ("Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"):
        for value in re.findall(rf"'{name}': '([^']*)'", log):
            assert value == "<redacted>", (name, value)


@pytest.mark.parametrize("kind", ["basic_registry", "token_registry"])
def test_debug_log_shows_requests_without_secrets(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
                                                  source: Path) -> None:
    reg: Registry = request.getfixturevalue(kind)
    env = _env(tmp_path, reg.host)
    push = run_cli(["copy", f"oci:{source}", f"docker://{reg.host}/hostile/debug:1"], env=env)
    assert push.code == 0, push.err
    pull = run_cli(["copy", "--pull", "always", f"docker://{reg.host}/hostile/debug:1", f"oci:{tmp_path / 'back'}"],
                   env=env)
    assert pull.code == 0, pull.err
    log = push.err + pull.err
    assert re.search(rf"debug: slimgo\.registry: PUT http://{re.escape(reg.host)}/v2/hostile/debug/manifests/1 ", log)
    assert re.search(rf"GET http://{re.escape(reg.host)}/v2/hostile/debug/manifests/1 .* -> 200 ", log)
    assert "'Authorization': '<redacted>'" in log  # credentials were sent, and only their name was logged
    if kind == "token_registry":
        assert "/token?" in log and "-> 200" in log  # the token request is logged, its answer's body is not
    _assert_no_secret(log)


def test_debug_log_redacts_cookies(tmp_path: Path) -> None:
    double = HostileRegistry("ok", cookie=COOKIE)
    double.start()
    try:
        run = run_cli(["copy", f"docker://{double.host}/x:1", f"oci:{tmp_path / 'out'}"],
                      env={"SLIMGO_DEBUG": "1", "SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    finally:
        double.stop()
    assert run.code == 0, run.err
    assert any(COOKIE in s.headers.get("Cookie", "") for s in double.seen)  # the cookie did travel
    assert "'Set-Cookie': '<redacted>'" in run.err and "'Cookie': '<redacted>'" in run.err
    _assert_no_secret(run.err)


def test_debug_flag_logs_like_the_variable(tmp_path: Path) -> None:
    double = HostileRegistry("ok", cookie=COOKIE)
    double.start()
    try:
        run = run_cli(["-v", "copy", f"docker://{double.host}/x:1", f"oci:{tmp_path / 'out'}"],
                      env={"SLIMGO_DEBUG": "", "SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    finally:
        double.stop()
    assert run.code == 0, run.err
    assert f"debug: slimgo.registry: GET http://{double.host}/v2/x/manifests/1 " in run.err
    _assert_no_secret(run.err)


def test_no_debug_log_without_the_variable(tmp_path: Path) -> None:
    double = HostileRegistry("ok")
    double.start()
    try:
        run = run_cli(["copy", f"docker://{double.host}/x:1", f"oci:{tmp_path / 'out'}"],
                      env={"SLIMGO_DEBUG": "", "SLIMGO_CACHE_DIR": str(tmp_path / "cache")})
    finally:
        double.stop()
    assert run.code == 0, run.err
    assert "debug:" not in run.err
