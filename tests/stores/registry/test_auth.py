"""Authentication against real registries (htpasswd Basic, token server JWTs), login/logout and credential helpers."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.stores.registry import credentials
from slimgo.stores.registry.auth import AuthError, parse_challenges
from slimgo.stores.registry.credentials import Credentials
from tests.stores.access import Location, open_image, write_artifact
from tests.stores.registry import remote
from tests.stores.registry.conftest import PASSWORD, USER, Registry, login_file
from tests.stores.registry.images import random_image

pytestmark = pytest.mark.integration


def config_json() -> dict[str, object]:
    data = json.loads((Path(os.environ["DOCKER_CONFIG"]) / "config.json").read_text())
    assert isinstance(data, dict)
    return data


def test_parse_challenges() -> None:
    found = parse_challenges('Bearer realm="https://auth.example/token",service="reg",'
                             'scope="repository:a/b:pull,push repository:c:pull"')
    assert [c.scheme for c in found] == ["bearer"]
    assert found[0].realm == "https://auth.example/token" and found[0].service == "reg"
    assert found[0].scopes == ["repository:a/b:pull,push", "repository:c:pull"]
    both = parse_challenges('Basic realm="x y", Bearer realm="https://t",error="invalid_token"')
    assert [(c.scheme, c.realm) for c in both] == [("basic", "x y"), ("bearer", "https://t")]
    assert both[1].params["error"] == "invalid_token"


@pytest.mark.parametrize("kind", ["basic_registry", "token_registry"])
def test_push_and_pull_with_stored_credentials(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    reg: Registry = request.getfixturevalue(kind)
    login_file(tmp_path, reg.host)
    img = random_image(tmp_path)
    ref = write_artifact(Location.parse(f"docker://{reg.host}/secure/app:1"), img)
    assert ref.endswith(f"@{img.digest}")
    assert open_image(f"docker://{reg.host}/secure/app:1").digest == img.digest


@pytest.mark.parametrize("kind", ["basic_registry", "token_registry"])
def test_wrong_or_missing_credentials_name_the_registry_and_login(kind: str, request: pytest.FixtureRequest,
                                                                  tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    reg: Registry = request.getfixturevalue(kind)
    img = random_image(tmp_path)
    write_artifact(Location.parse(f"oci:{tmp_path}/lay:x"), img)
    login_file(tmp_path, reg.host, password="wrong-password")
    code = main(["copy", f"oci:{tmp_path}/lay:x", f"docker://{reg.host}/secure/denied:1"])
    err = capsys.readouterr().err
    assert code == 1
    assert reg.host in err and "slimgo login" in err and "rejected the credentials" in err
    assert "wrong-password" not in err
    (Path(os.environ["DOCKER_CONFIG"]) / "config.json").unlink()
    remote_reset()
    code = main(["copy", f"oci:{tmp_path}/lay:x", f"docker://{reg.host}/secure/denied:1"])
    err = capsys.readouterr().err
    assert code == 1 and reg.host in err and "slimgo login" in err


def remote_reset() -> None:

    remote.reset()


@pytest.mark.parametrize("kind", ["basic_registry", "token_registry"])
def test_login_checks_and_stores_then_logout_removes(kind: str, request: pytest.FixtureRequest,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    reg: Registry = request.getfixturevalue(kind)
    monkeypatch.setattr("sys.stdin", _Stdin("not-it\n"))
    assert main(["login", reg.host, "-u", USER, "--password-stdin"]) == 1
    out = capsys.readouterr()
    assert "rejected the credentials" in out.err and "not-it" not in out.out + out.err
    # The fix speaks to someone who is logging in right now, not "run slimgo login".
    assert "nothing was stored" in out.err and "slimgo login" not in out.err and "password or token" in out.err
    assert not (Path(os.environ["DOCKER_CONFIG"]) / "config.json").exists()

    monkeypatch.setattr("sys.stdin", _Stdin(PASSWORD + "\n"))
    assert main(["login", reg.host, "-u", USER, "--password-stdin"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == "Login Succeeded" and PASSWORD not in out.out + out.err
    auth = config_json()["auths"][reg.host]["auth"]  # type: ignore[index]
    assert base64.b64decode(auth).decode() == f"{USER}:{PASSWORD}"
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    img = random_image(Path(os.environ["SLIMGO_CACHE_DIR"]).parent)
    remote.write(f"{reg.host}/after/login:1", img)

    assert main(["logout", reg.host]) == 0
    assert "Removing login credentials" in capsys.readouterr().out
    assert reg.host not in config_json()["auths"]  # type: ignore[operator]
    assert main(["logout", reg.host]) == 0
    assert "Not logged in" in capsys.readouterr().out


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text

    def isatty(self) -> bool:
        return False


def fake_helper(bin_dir: Path, store_file: Path) -> None:
    """A docker-credential-fake that keeps credentials in a JSON file, speaking the helper protocol."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "docker-credential-fake"
    script.write_text(f"""#!/usr/bin/env python3
import json, sys
path = {str(store_file)!r}
try:
    data = json.load(open(path))
except FileNotFoundError:
    data = {{}}
action = sys.argv[1]
payload = sys.stdin.read()
if action == "get":
    entry = data.get(payload.strip())
    if entry is None:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({{"ServerURL": payload.strip(), "Username": entry[0], "Secret": entry[1]}}))
elif action == "store":
    item = json.loads(payload)
    data[item["ServerURL"]] = [item["Username"], item["Secret"]]
    json.dump(data, open(path, "w"))
elif action == "erase":
    data.pop(payload.strip(), None)
    json.dump(data, open(path, "w"))
""")
    script.chmod(0o755)


@pytest.mark.parametrize("field", ["credsStore", "credHelpers"])
def test_credential_helpers_store_and_serve_secrets(field: str, basic_registry: Registry, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store_file = tmp_path / "helper-store.json"
    fake_helper(tmp_path / "bin", store_file)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    config_dir = Path(os.environ["DOCKER_CONFIG"])
    config_dir.mkdir(parents=True)
    setting = "fake" if field == "credsStore" else {basic_registry.host: "fake"}
    (config_dir / "config.json").write_text(json.dumps({field: setting, "other": "kept"}))
    monkeypatch.setattr("sys.stdin", _Stdin(PASSWORD))
    assert main(["login", basic_registry.host, "-u", USER, "--password-stdin"]) == 0
    assert json.loads(store_file.read_text()) == {basic_registry.host: [USER, PASSWORD]}
    config = config_json()
    assert PASSWORD not in json.dumps(config) and config["other"] == "kept"
    assert credentials.lookup(basic_registry.host) == Credentials(USER, PASSWORD)
    img = random_image(tmp_path)
    remote.write(f"{basic_registry.host}/helper/app:1", img)
    assert main(["logout", basic_registry.host]) == 0
    assert json.loads(store_file.read_text()) == {}
    assert credentials.lookup(basic_registry.host) is None


def test_missing_helper_is_a_clear_error(tmp_path: Path) -> None:
    config_dir = Path(os.environ["DOCKER_CONFIG"])
    config_dir.mkdir(parents=True)
    (config_dir / "config.json").write_text(json.dumps({"credsStore": "nosuchhelper"}))
    with pytest.raises(Exception, match="docker-credential-nosuchhelper") as err:
        credentials.lookup("example.com")
    assert "not on PATH" in str(err.value)


def test_docker_hub_keys_follow_docker() -> None:
    ref = remote.Reference.parse("busybox")
    assert ref.auth_key == "https://index.docker.io/v1/" and ref.api_host == "registry-1.docker.io"
    config_dir = Path(os.environ["DOCKER_CONFIG"])
    config_dir.mkdir(parents=True)
    auth = base64.b64encode(b"me:tok").decode()
    (config_dir / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth},
                                                                  "https://ghcr.io": {"auth": auth}}}))
    assert credentials.lookup(ref.auth_key) == Credentials("me", "tok")
    assert credentials.lookup("ghcr.io") == Credentials("me", "tok")  # URL-shaped keys match by host
    assert "tok" not in repr(credentials.lookup("ghcr.io"))


def test_secrets_never_reach_debug_logs(token_registry: Registry, tmp_path: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    login_file(tmp_path, token_registry.host)
    img = random_image(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="slimgo.registry"):
        remote.write(f"{token_registry.host}/logged/app:1", img)
        remote.read(f"{token_registry.host}/logged/app:1")
    text = caplog.text
    assert "GET" in text and "PUT" in text  # the log did record the traffic
    assert "<redacted>" in text
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in text and basic not in text and "Bearer ey" not in text


def test_token_refreshed_after_expiry(token_registry: Registry, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A token the registry refuses (expired) is replaced once, transparently."""
    assert token_registry.tokens is not None
    monkeypatch.setenv("SLIMGO_PULL", "always")  # ask the registry, not the cache the push filled
    login_file(tmp_path, token_registry.host)
    session_ref = remote.Reference.parse(f"{token_registry.host}/expiry/app:1")
    img = random_image(tmp_path)
    remote.write(session_ref, img)
    client = remote.session().client(token_registry.host)
    expired = token_registry.tokens.expired_token()
    with client.auth._lock:
        for key in client.auth._tokens:
            client.auth._tokens[key] = (expired, float("inf"))
    issued = token_registry.tokens.issued
    assert remote.read(session_ref, prefetch=False).digest == img.digest
    assert token_registry.tokens.issued > issued


def test_anonymous_token_pull_denied_push(token_registry: Registry, tmp_path: Path) -> None:
    img = random_image(tmp_path)
    with pytest.raises(AuthError) as err:
        remote.write(f"{token_registry.host}/anon/app:1", img)
    assert token_registry.host in err.value.subject and "slimgo login" in (err.value.fix or "")
