"""Option groups shared by the verbs, declared once: registry access, platform, output format."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from slimgo.stores.registry.options import DEFAULT_PULL, PULL_POLICIES

if TYPE_CHECKING:
    from slimgo.stores.transport import Stores

F = TypeVar("F", bound=Callable[..., Any])


def registry_options(func: F) -> F:
    """--pull and --insecure-registry, with the same default and help on every verb that reads or writes images."""
    func = click.option(
        "--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
        help="Allow plain HTTP (or unverified TLS) to this registry; loopback addresses (127.0.0.0/8, ::1, "
             "localhost) always are. Repeatable. Env: SLIMGO_INSECURE_REGISTRIES.")(func)
    func = click.option(
        "--pull", type=click.Choice(PULL_POLICIES), default=DEFAULT_PULL, show_default=True,
        envvar="SLIMGO_PULL", show_envvar=True,
        help="For docker:// images: always ask the registry what a tag points at; missing: use the local cache "
             "when it has the tag; never: the cache only (offline).")(func)
    return func


def stores_from(pull: str | None, insecure: tuple[str, ...], jobs: int | None = None) -> Stores:
    """The `Stores` a command reads and writes images through: its registry flags, bars on a terminal."""
    from slimgo.cli import render
    from slimgo.stores.registry.options import from_flags
    from slimgo.stores.transport import Stores

    return Stores(from_flags(pull, insecure, jobs), render.transfer_bars())


def platform_option(help_text: str) -> Callable[[F], F]:
    """--platform, always with the metavar OS/ARCH[/VARIANT]; each verb says what it picks without it."""
    return click.option("--platform", "platform_text", metavar="OS/ARCH[/VARIANT]", help=help_text)


def format_option(*formats: str, default: str = "text") -> Callable[[F], F]:
    """--format FORMAT, plus --json as its short form when JSON is one of the formats."""

    def decorate(func: F) -> F:
        func = click.option("--format", "fmt", type=click.Choice(formats), default=default, show_default=True,
                            help="Output format" + (" (SARIF 2.1.0 for code-scanning UIs)." if "sarif" in formats
                                                    else "."))(func)
        if "json" in formats:
            func = click.option("--json", "as_json", is_flag=True,
                                help="Same as --format json: one versioned JSON document on stdout.")(func)
        return func

    return decorate


def chosen_format(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt




def fail_on_option(default: str) -> Callable[[F], F]:
    """--fail-on SEVERITY: exit 1 when a finding at or above it is reported."""
    return click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=default,
                        show_default=True, help="Exit 1 when a finding at or above this severity is reported.")


__all__ = ["chosen_format", "fail_on_option", "format_option", "platform_option", "registry_options", "stores_from"]
