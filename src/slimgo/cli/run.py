"""`slimgo run IMAGE [-- ARGS...]`: run an image with runc on this machine, for smoke tests."""

from __future__ import annotations

__all__ = ["run"]

from typing import TYPE_CHECKING

import click

from slimgo.cli import render
from slimgo.cli.options import platform_option, registry_options, stores_from
from slimgo.errors import UsageError
from slimgo.runtime.spec import NETWORKS, RunOptions
from slimgo.stores.transport import SYNTAX

if TYPE_CHECKING:
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import Stores


@click.command(context_settings={"allow_interspersed_args": False}, help=f"""Run IMAGE with runc in the foreground
    and exit with its exit code.

    IMAGE is {SYNTAX}. Everything after IMAGE (after an optional `--`) replaces the image's Cmd. Options go before
    IMAGE. Needs runc and root. Exit codes: the container's own; 124 when --timeout expired.
    """)
@click.argument("image")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-e", "--env", "env", multiple=True, metavar="K=V",
              help="Set an environment variable (a bare K copies it from here). Repeatable.")
@click.option("--user", metavar="USER[:GROUP]", help="Run as this user (number, or name in the image's /etc/passwd).")
@click.option("--entrypoint", metavar="PATH", help="Replace the image's Entrypoint (and drop its Cmd); '' clears it.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop the container after this long and exit with 124.")
@click.option("--network", type=click.Choice(NETWORKS), default="host", show_default=True,
              help="host: share this machine's network (servers on 127.0.0.1); none: loopback only.")
@platform_option("Image to pick from an index (default: this machine's platform).")
@click.option("--keep", is_flag=True, help="Keep the bundle (rootfs and config.json) and print its path.")
@click.option("--debug", is_flag=True,
              help="Run IMAGE's debug variant (<tag>-debug, from build --debug-variant) with its shell, interactive "
                   "on a terminal; the command after `--` runs instead when given.")
@registry_options
def run(image: str, args: tuple[str, ...], env: tuple[str, ...], user: str | None, entrypoint: str | None,
        timeout: float | None, network: str, platform_text: str | None, keep: bool, debug: bool, pull: str,
        insecure: tuple[str, ...]) -> int:
    from slimgo.host import host_platform
    from slimgo.oci.platform import Platform
    from slimgo.runtime.container import run_image
    from slimgo.runtime.runc import find_runc
    from slimgo.stores.transport import Location

    if args[:1] == ("--",):
        args = args[1:]
    for item in env:
        if not item.partition("=")[0]:
            raise UsageError(f"-e {item}", "names no variable", "write -e NAME=VALUE, or -e NAME to copy it from here")
    location = Location.parse(image)
    platform = Platform.parse(platform_text) if platform_text else host_platform()

    binary = find_runc()  # before reading the image: say what is missing before doing any work
    options = RunOptions(args=args, env=env, user=user, entrypoint=entrypoint, network=network, timeout=timeout,
                         keep=keep)
    if debug:
        return _run_debug(image, platform, options, stores_from(pull, insecure), binary)
    stored = stores_from(pull, insecure).open_image(location, platform)
    return run_image(stored, options, render.note, binary)


def _run_debug(image: str, platform: Platform, options: RunOptions, stores: Stores, binary: str) -> int:
    import sys

    from slimgo.errors import NotFound
    from slimgo.runtime.container import run_image
    from slimgo.runtime.debug import debug_options, missing_variant
    from slimgo.supply.debug import debug_location

    if options.entrypoint is not None:
        raise UsageError("--debug --entrypoint", "ask for two different programs", "give the command after `--`")
    variant = debug_location(image)
    try:
        stored = stores.open_image(variant, platform)
    except NotFound as err:
        raise missing_variant(image, str(variant), err) from None
    return run_image(stored, debug_options(options, sys.stdin.isatty()), render.note, binary)

