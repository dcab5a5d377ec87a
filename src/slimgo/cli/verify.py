"""`slimgo verify IMAGE --key PUB`: check a cosign-compatible signature (exit 1 when it does not verify)."""

from __future__ import annotations

__all__ = ["verify"]

import click

from slimgo.cli import render
from slimgo.cli.options import format_option, registry_options, stores_from


@click.command(help="""Verify that IMAGE (oci:DIR:TAG or docker://REF) carries a signature, made with the private
    half of --key, over its current digest: the check `cosign verify --key` makes (without a transparency log).
    Exit 0 when it does, 1 when the signature is missing, made with another key, or signs another digest.""")
@click.argument("image")
@click.option("--key", "key_ref", required=True, metavar="FILE|env://VAR", help="The public key (cosign.pub).")
@click.option("--require-sbom", is_flag=True,
              help="Also fail unless an SPDX or CycloneDX SBOM is attached to the image (an OCI 1.1 referrer).")
@click.option("--require-provenance", is_flag=True,
              help="Also fail unless a provenance (an in-toto statement) is attached to the image.")
@format_option("text", "json")
@registry_options
def verify(image: str, key_ref: str, require_sbom: bool, require_provenance: bool, fmt: str, as_json: bool,
           pull: str, insecure: tuple[str, ...]) -> None:
    from dataclasses import asdict, replace

    from slimgo.cli.options import chosen_format
    from slimgo.supply.cosign import verify_image
    from slimgo.supply.keys import load_public, read_key_text

    key = load_public(read_key_text(key_ref, "public key"), f"--key {key_ref}")
    stores = stores_from("always" if pull == "missing" else pull, insecure)
    result = verify_image(stores, image, key)
    if require_sbom:
        from slimgo.supply.attach import require_sbom as attached_formats

        result = replace(result, sboms=attached_formats(stores, image))
    if require_provenance:
        from slimgo.supply.attach import require_provenance as check_provenance

        check_provenance(stores, image)
    if chosen_format(fmt, as_json) == "json":
        render.document("slimgo.verify", {"verified": True, **asdict(result)})
    else:
        sboms = f"; SBOM: {', '.join(result.sboms)}" if result.sboms else ""
        render.result_line(f"{image}: verified ({result.valid} of {result.checked} signature(s) valid for "
                           f"{result.digest}{sboms})")
