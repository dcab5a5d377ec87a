"""`slimgo sign IMAGE --key FILE`: a cosign-compatible signature stored beside the image."""

from __future__ import annotations

__all__ = ["private_key", "read_password", "sign"]

import os
import sys
from typing import TYPE_CHECKING

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey


MAX_PASSWORD = 4096


def read_password(prompt: str, confirm: bool = False) -> bytes:
    """As cosign: COSIGN_PASSWORD, else a prompt on a terminal, else standard input (one line)."""
    from slimgo.supply.keys import PASSWORD_ENV

    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value.encode()
    stdin = sys.stdin
    if render.interactive() and stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, default="",
                                show_default=False, err=True)).encode()
    line: str = stdin.readline(MAX_PASSWORD)
    return line.rstrip("\r\n").encode()


def private_key(reference: str) -> EllipticCurvePrivateKey:
    """The signing key ``reference`` names; an encrypted one is opened with the password (see read_password)."""
    from slimgo.supply.keys import ENCRYPTED_TYPES, load_private, read_key_text

    data = read_key_text(reference, "private key")
    encrypted = any(kind.encode() in data for kind in ENCRYPTED_TYPES)
    password = read_password(f"Password for {reference}") if encrypted else None
    return load_private(data, f"--key {reference}", password)


@click.command(help="""Sign IMAGE (oci:DIR:TAG or docker://REF) with an ECDSA P-256 key.

    The signature is cosign's: a simple-signing payload naming the image digest, stored as the image tagged
    sha256-<hex>.sig beside IMAGE, so `cosign verify --key` accepts it; in a registry with the OCI 1.1 referrers
    API, also as a referrer of IMAGE (`cosign verify --experimental-oci11` reads that). --key is cosign.key
    (password from COSIGN_PASSWORD or the terminal), a PEM EC private key, or env://VAR holding one. Nothing goes
    to a transparency log (keyless signing needs the public sigstore services).""")
@click.argument("image")
@click.option("--key", "key_ref", required=True, metavar="FILE|env://VAR", help="The private key.")
@registry_options
def sign(image: str, key_ref: str, pull: str, insecure: tuple[str, ...]) -> None:
    from slimgo.supply.cosign import sign_image

    key = private_key(key_ref)
    signed = sign_image(stores_from(pull, insecure), image, key)
    also = f", also as the referrer {signed.referrer}" if signed.referrer else ""
    render.note(f"signed {image} ({signed.digest}); {signed.count} signature(s) stored{also}")
    render.result_line(signed.signature_ref)
