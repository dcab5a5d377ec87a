"""`slimgo sign IMAGE --key FILE`: a cosign-compatible signature stored beside the image."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey


def private_key(reference: str) -> EllipticCurvePrivateKey:
    """The signing key ``reference`` names, asking for its password on a terminal when COSIGN_PASSWORD is unset."""
    from slimgo.supply.keys import ENCRYPTED_TYPES, PASSWORD_ENV, load_private, read_key_text

    data = read_key_text(reference, "private key")
    password = os.environ.get(PASSWORD_ENV)
    if password is None and any(kind.encode() in data for kind in ENCRYPTED_TYPES) and render.interactive():
        password = click.prompt(f"Password for {reference}", hide_input=True, default="", show_default=False,
                                err=True)
    return load_private(data, f"--key {reference}", password.encode() if password is not None else None)


@click.command(help="""Sign IMAGE (oci:DIR:TAG or docker://REF) with an ECDSA P-256 key.

    The signature is cosign's: a simple-signing payload naming the image digest, stored as the image tagged
    sha256-<hex>.sig beside IMAGE, so `cosign verify --key` accepts it. --key is cosign.key (password from
    COSIGN_PASSWORD or the terminal), a PEM EC private key, or env://VAR holding one. Nothing goes to a
    transparency log (keyless signing needs the public sigstore services).""")
@click.argument("image")
@click.option("--key", "key_ref", required=True, metavar="FILE|env://VAR", help="The private key.")
@registry_options
def sign(image: str, key_ref: str, pull: str, insecure: tuple[str, ...]) -> None:
    from slimgo.supply.cosign import sign_image

    key = private_key(key_ref)
    signed = sign_image(stores_from(pull, insecure), image, key)
    render.note(f"signed {image} ({signed.digest}); {signed.count} signature(s) stored")
    render.result_line(signed.signature_ref)
