"""Credentials in docker's `config.json` (`auths`, `credHelpers`, `credsStore`), read and written as docker does."""

from __future__ import annotations

__all__ = ["Credentials", "erase", "hostname", "lookup", "store"]

import base64
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slimgo.errors import RegistryError, StoreError
from slimgo.stores.fsutil import atomic_write_bytes, os_error

IDENTITY_TOKEN_USER = "<token>"  # what helpers return as Username for an identity (refresh) token
_NOT_FOUND = "credentials not found in native keychain"


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str

    @property
    def is_identity_token(self) -> bool:
        return self.username == IDENTITY_TOKEN_USER

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return f"Credentials(username={self.username!r}, secret=<redacted>)"


def config_dir() -> Path:
    configured = os.environ.get("DOCKER_CONFIG")
    return Path(configured) if configured else Path.home() / ".docker"


def config_path() -> Path:
    return config_dir() / "config.json"


def hostname(key: str) -> str:
    """docker's ConvertToHostname: `https://host/v1/` -> `host`."""
    for prefix in ("http://", "https://"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key.split("/", 1)[0]


def load_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise StoreError(str(path), f"cannot be read as JSON ({err})", "fix or remove the file") from None
    if not isinstance(data, dict):
        raise StoreError(str(path), "is not a JSON object", "fix or remove the file")
    return data


def save_config(data: dict[str, Any], path: Path | None = None) -> None:
    """Write config.json atomically, readable by its owner only from the moment it exists (it holds secrets)."""
    path = path or config_path()
    text = json.dumps(data, indent="\t") + "\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise os_error(path, err) from None
    atomic_write_bytes(path, text.encode(), mode=0o600)


def _helper_for(config: dict[str, Any], key: str) -> str | None:
    helpers = config.get("credHelpers") or {}
    name = helpers.get(key) or helpers.get(hostname(key))
    if not name:
        name = config.get("credsStore")
    return str(name) if name else None


def _run_helper(name: str, action: str, payload: str) -> str:
    import subprocess  # only for helpers: a push with plain config.json credentials never pays for it

    program = shutil.which(f"docker-credential-{name}")
    if program is None:
        raise RegistryError(f"docker-credential-{name}", "is named in config.json but is not on PATH",
                            f"install the credential helper, or remove it from {config_path()}")
    try:
        done = subprocess.run([program, action], input=payload, capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RegistryError(f"docker-credential-{name}", f"could not run ({type(err).__name__})",
                            "check the credential helper works: run it by hand") from None
    if done.returncode != 0:
        message = (done.stdout.strip() or done.stderr.strip())[:200]
        if action == "get" and _NOT_FOUND in message.lower():
            return ""
        if action == "erase" and _NOT_FOUND in message.lower():
            return ""
        raise RegistryError(f"docker-credential-{name} {action}", f"failed: {message or 'no message'}",
                            "check the credential helper works: run it by hand")
    return done.stdout


def _from_auths(config: dict[str, Any], key: str) -> Credentials | None:
    auths = config.get("auths") or {}
    entry = auths.get(key)
    if entry is None:
        for candidate, value in auths.items():
            if hostname(candidate) == hostname(key):
                entry = value
                break
    if not isinstance(entry, dict):
        return None
    if entry.get("identitytoken"):
        return Credentials(IDENTITY_TOKEN_USER, str(entry["identitytoken"]))
    if entry.get("auth"):
        try:
            user, _, secret = base64.b64decode(str(entry["auth"])).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"{config_path()} auths[{key!r}]", "holds an auth value that is not base64 user:pass",
                             f"run `slimgo login {hostname(key)}` again") from None
        return Credentials(user, secret)
    if entry.get("username") and entry.get("password"):
        return Credentials(str(entry["username"]), str(entry["password"]))
    return None


def lookup(key: str) -> Credentials | None:
    """The credentials stored for a registry (its config.json key), or None for anonymous access."""
    config = load_config()
    helper = _helper_for(config, key)
    if helper is not None:
        out = _run_helper(helper, "get", key)
        if out.strip():
            try:
                data = json.loads(out)
                return Credentials(str(data["Username"]), str(data["Secret"]))
            except (ValueError, KeyError, TypeError):
                raise RegistryError(f"docker-credential-{helper} get", "answered something that is not "
                                    "{Username, Secret} JSON", "check the credential helper") from None
    return _from_auths(config, key)


def store(key: str, creds: Credentials) -> str:
    """Save credentials like `docker login`: into the helper when one is configured, else config.json auths."""
    config = load_config()
    helper = _helper_for(config, key)
    auths = dict(config.get("auths") or {})
    if helper is not None:
        payload = json.dumps({"ServerURL": key, "Username": creds.username, "Secret": creds.secret})
        _run_helper(helper, "store", payload)
        auths[key] = {}  # docker records the registry so `docker logout` and listing know it
        where = f"docker-credential-{helper}"
    else:
        token = base64.b64encode(f"{creds.username}:{creds.secret}".encode()).decode()
        auths[key] = {"auth": token}
        where = str(config_path())
    config["auths"] = auths
    save_config(config)
    return where


def erase(key: str) -> bool:
    """Remove stored credentials (helper and config.json); whether anything was there."""
    config = load_config()
    helper = _helper_for(config, key)
    found = False
    if helper is not None:
        found = bool(_run_helper(helper, "get", key).strip())
        _run_helper(helper, "erase", key)
    auths = dict(config.get("auths") or {})
    for candidate in [k for k in auths if k == key or hostname(k) == hostname(key)]:
        found = found or bool(auths[candidate])
        del auths[candidate]
        found = True
    if "auths" in config:
        config["auths"] = auths
        save_config(config)
    return found
