"""`slimgo verify-attestation IMAGE --key PUB`: check attestations as `cosign verify-attestation` does."""

from __future__ import annotations

__all__ = ["verify_attestation"]

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from


@click.command(help="""Verify that IMAGE carries an attestation (an in-toto statement in a DSSE envelope, as cosign
    attest writes it) about its current digest, signed with the private half of --key, of predicate type --type
    when given. Prints one line per verified attestation; exit 1 when there is none.""")
@click.argument("image")
@click.option("--key", "key_ref", required=True, metavar="FILE|env://VAR", help="The public key (cosign.pub).")
@click.option("--type", "type_name", help="Only attestations of this predicate type (cosign name or URI).")
@registry_options
def verify_attestation(image: str, key_ref: str, type_name: str | None, pull: str, insecure: tuple[str, ...]) -> None:
    from slimgo.supply.attest import predicate_type, verify_attestations
    from slimgo.supply.keys import load_public, read_key_text

    kind = predicate_type(type_name) if type_name else None
    key = load_public(read_key_text(key_ref, "public key"), f"--key {key_ref}")
    stores = stores_from("always" if pull == "missing" else pull, insecure)
    for found in verify_attestations(stores, image, key, kind):
        render.result_line(f"{image}: verified attestation {found.get('predicateType', '?')}")
