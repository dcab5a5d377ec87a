"""`slimgo login` and `slimgo logout`: check credentials against a registry and keep them in docker's config.json."""

from __future__ import annotations

import sys

import click

from slimgo.cli import render
from slimgo.errors import UsageError
from slimgo.stores.registry import credentials
from slimgo.stores.registry.auth import AuthError
from slimgo.stores.registry.client import RegistryClient
from slimgo.stores.registry.credentials import Credentials
from slimgo.stores.registry.http import Http
from slimgo.stores.registry.options import from_environment
from slimgo.stores.registry.reference import DOCKER_HUB, DOCKER_HUB_API, DOCKER_HUB_AUTH_KEY
from slimgo.stores.registry.session import reset_sessions


def _server(text: str) -> tuple[str, str]:
    """(config.json key, API host) for what a user typed: `host[:port]`, a URL, or nothing for Docker Hub."""
    host = credentials.hostname(text.strip()) if text.strip() else DOCKER_HUB
    if not host or "/" in host or " " in host:
        raise UsageError(f"server {text!r}", "is not a registry host", "write it as HOST[:PORT], e.g. ghcr.io")
    if host in (DOCKER_HUB, "index.docker.io", DOCKER_HUB_API):
        return DOCKER_HUB_AUTH_KEY, DOCKER_HUB_API
    return host, host


@click.command()
@click.argument("server", default="")
@click.option("-u", "--username", help="User name (asked for when missing and stdin is a terminal).")
@click.option("-p", "--password", help="Password or token; visible to other users of this machine: prefer "
              "--password-stdin.")
@click.option("--password-stdin", is_flag=True, help="Read the password or token from standard input.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
              help="Allow plain HTTP (or unverified TLS) to this registry. Repeatable. "
                   "Env: SLIMGO_INSECURE_REGISTRIES.")
def login(server: str, username: str | None, password: str | None, password_stdin: bool,
          insecure: tuple[str, ...]) -> None:
    """Log in to SERVER (default: Docker Hub): check the credentials, then store them like `docker login`.

    They go to the credential helper config.json names (credHelpers, credsStore), else into its `auths`.
    """
    key, host = _server(server)
    if password is not None and password_stdin:
        raise UsageError("--password and --password-stdin", "were both given", "give only one of them")
    if password_stdin:
        if not username:
            raise UsageError("--password-stdin", "needs --username", "pass -u USER as well")
        password = sys.stdin.read().rstrip("\r\n")
    elif password is not None:
        click.echo("warning: --password is visible in the process list; use --password-stdin", err=True)
    if not username:
        if not sys.stdin.isatty():
            raise UsageError("login", "no --username given and stdin is not a terminal", "pass -u USER")
        username = click.prompt("Username")
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError("login", "no password given", "pass --password-stdin and pipe the password in")
        password = click.prompt("Password", hide_input=True)
    if not password:
        raise UsageError("login", "the password is empty", "pipe the password or token into --password-stdin")
    creds = Credentials(username, password)
    verify(host, creds, from_environment().insecure | frozenset(insecure))
    where = credentials.store(key, creds)
    reset_sessions()  # a later command in this process must see the new credentials
    render.result_line("Login Succeeded")
    render.log(f"credentials for {host} stored in {where}")


def verify(host: str, creds: Credentials, insecure: frozenset[str]) -> None:
    """Prove the credentials work: authenticate to /v2/ the way the registry asks (Basic, or a token)."""
    client = RegistryClient(host, Http(insecure=insecure), lambda: creds)
    try:
        with client.request("GET", client.url(""), []) as response:
            if response.status_code != 200:
                from slimgo.stores.registry.client import registry_errors

                raise UsageError(host, f"did not accept the login ({registry_errors(response)})",
                                 "check the server address and the credentials")
    except AuthError as err:  # its usual fix is "run slimgo login", which is what is running
        raise AuthError(err.subject, f"{err.cause}; nothing was stored",
                        f"check the user name and the password or token for {host}") from None


@click.command()
@click.argument("server", default="")
def logout(server: str) -> None:
    """Remove the credentials stored for SERVER (default: Docker Hub)."""
    key, host = _server(server)
    if credentials.erase(key):
        reset_sessions()
        render.result_line(f"Removing login credentials for {host if key != DOCKER_HUB_AUTH_KEY else DOCKER_HUB}")
    else:
        render.result_line(f"Not logged in to {host if key != DOCKER_HUB_AUTH_KEY else DOCKER_HUB}")
