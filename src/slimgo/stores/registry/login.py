"""`login` and `logout` as store operations: check credentials against a registry, keep them as docker does."""

from __future__ import annotations

from slimgo.errors import UsageError
from slimgo.stores.registry import credentials
from slimgo.stores.registry.auth import AuthError
from slimgo.stores.registry.credentials import Credentials
from slimgo.stores.registry.options import RegistryOptions
from slimgo.stores.registry.reference import DOCKER_HUB, DOCKER_HUB_API, DOCKER_HUB_AUTH_KEY, auth_key

__all__ = ["Credentials", "display_name", "login", "logout", "server_key"]


def server_key(text: str) -> tuple[str, str]:
    """(config.json key, API host) for what a user typed: `host[:port]`, a URL, or nothing for Docker Hub."""
    host = credentials.hostname(text.strip()) if text.strip() else DOCKER_HUB
    if not host or "/" in host or " " in host:
        raise UsageError(f"server {text!r}", "is not a registry host", "write it as HOST[:PORT], e.g. ghcr.io")
    key = auth_key(host)
    return key, DOCKER_HUB_API if key == DOCKER_HUB_AUTH_KEY else host


def display_name(server: str) -> str:
    key, host = server_key(server)
    return DOCKER_HUB if key == DOCKER_HUB_AUTH_KEY else host


def login(server: str, creds: Credentials, options: RegistryOptions) -> str:
    """Prove ``creds`` work against ``server``, then store them; returns where they went (file or helper)."""
    key, host = server_key(server)
    verify(host, creds, options)
    return credentials.store(key, creds)


def logout(server: str) -> bool:
    """Forget the credentials of ``server``; False when there were none."""
    key, _host = server_key(server)
    return credentials.erase(key)


def verify(host: str, creds: Credentials, options: RegistryOptions) -> None:
    """Authenticate to /v2/ the way the registry asks (Basic, or a token)."""
    from slimgo.stores.registry.client import RegistryClient, registry_errors
    from slimgo.stores.registry.http import Http

    client = RegistryClient(host, Http(options.retry, options.insecure), lambda: creds)
    try:
        with client.request("GET", client.url(""), []) as response:
            if response.status_code != 200:
                raise UsageError(host, f"did not accept the login ({registry_errors(response)})",
                                 "check the server address and the credentials")
    except AuthError as err:  # its usual fix is "run slimgo login", which is what is running
        raise AuthError(err.subject, f"{err.cause}; nothing was stored",
                        f"check the user name and the password or token for {host}") from None
