"""`slimgo sbom IMAGE|BINARY`: an SPDX 2.3 or CycloneDX 1.6 SBOM of a Go binary or an image."""

from __future__ import annotations

__all__ = ["sbom"]

from pathlib import Path

import click

from slimgo.cli import render
from slimgo.cli.options import platform_option, registry_options, stores_from
from slimgo.stores.transport import SYNTAX


@click.command(help=f"""Write the SBOM of a Go binary or of an image.

    TARGET is a binary path, or an image: {SYNTAX}. Every Go binary's modules (purl pkg:golang/PATH@VERSION,
    go.sum h1 hash, replacements), its Go toolchain and build settings are listed, and so is what the base
    brought: dpkg or apk packages, or the CA bundle and tzdata of the static base. The same input gives the same
    bytes: identifiers come from the digest, the timestamp from SOURCE_DATE_EPOCH (else the image's creation).
    """)
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["spdx", "cyclonedx"]), multiple=True,
              help="SPDX 2.3 JSON (the default) or CycloneDX 1.6 JSON.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the SBOM to this file (atomically) instead of stdout.")
@click.option("--attach", "attach", is_flag=True,
              help="Attach the SBOM to the image as an OCI 1.1 referrer instead of printing it (repeat --format "
                   "to attach both formats); prints each referrer's digest.")
@click.option("--attached", is_flag=True, help="Print the SBOM attached to the image instead of generating one.")
@platform_option("For an image index: the platform to describe (default: this machine's).")
@registry_options
def sbom(target: str, fmt: tuple[str, ...], output: Path | None, attach: bool, attached: bool,
         platform_text: str | None, pull: str, insecure: tuple[str, ...]) -> None:
    from slimgo.errors import UsageError
    from slimgo.host import host_platform
    from slimgo.oci.platform import Platform
    from slimgo.supply.generate import attach_sboms, attached_sbom, target_sbom, write_file

    platform = Platform.parse(platform_text) if platform_text else host_platform()
    formats = list(dict.fromkeys(fmt)) or ["spdx"]
    if attach and attached:
        raise UsageError("--attach --attached", "ask for opposite things", "give one of them")
    if attach:
        for done in attach_sboms(stores_from(pull, insecure), target, platform, formats):
            render.result_line(f"{done.format} {done.digest}")
        return
    if len(formats) > 1:
        raise UsageError("--format", "is given twice, but one SBOM is printed or written", "give one --format")
    if attached:
        data = attached_sbom(stores_from(pull, insecure), target, platform, formats[0])
    else:
        data = target_sbom(target, formats[0], stores_from(pull, insecure), platform)
    if output is None:
        render.text(data.decode())
    else:
        write_file(output, data)
        render.note(f"wrote {formats[0]} SBOM of {target} to {output}")
