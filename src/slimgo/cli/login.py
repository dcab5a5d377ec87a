"""`slimgo login` and `slimgo logout`: check credentials against a registry and keep them in docker's config.json."""

from __future__ import annotations

__all__ = ["login", "logout"]

import sys

import click

from slimgo.cli import render
from slimgo.errors import UsageError


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
    from slimgo.stores.registry import login as registry_login
    from slimgo.stores.registry.options import from_flags

    registry_login.server_key(server)  # a bad server name is a usage error before any prompt
    if password is not None and password_stdin:
        raise UsageError("--password and --password-stdin", "were both given", "give only one of them")
    if password_stdin:
        if not username:
            raise UsageError("--password-stdin", "needs --username", "pass -u USER as well")
        password = sys.stdin.read().rstrip("\r\n")
    elif password is not None:
        render.warning("--password is visible in the process list; use --password-stdin")
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
    creds = registry_login.Credentials(username, password)
    where = registry_login.login(server, creds, from_flags(None, insecure))
    render.result_line("Login Succeeded")
    render.log(f"credentials for {registry_login.display_name(server)} stored in {where}")


@click.command()
@click.argument("server", default="")
def logout(server: str) -> None:
    """Remove the credentials stored for SERVER (default: Docker Hub)."""
    from slimgo.stores.registry import login as registry_login

    name = registry_login.display_name(server)
    if registry_login.logout(server):
        render.result_line(f"Removing login credentials for {name}")
    else:
        render.result_line(f"Not logged in to {name}")
