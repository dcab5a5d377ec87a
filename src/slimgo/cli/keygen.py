"""`slimgo keygen`: an ECDSA P-256 key pair as cosign writes it (cosign.key encrypted, cosign.pub)."""

from __future__ import annotations

__all__ = ["keygen"]

from pathlib import Path

import click

from slimgo.cli import render


@click.command(help="""Write a signing key pair: PREFIX.key (ECDSA P-256, encrypted with scrypt and NaCl secretbox
    under a password, as `cosign generate-key-pair` writes it) and PREFIX.pub. The password comes from
    COSIGN_PASSWORD, else it is asked for on a terminal, else read from standard input (an empty one is
    allowed, as with cosign). Prints the two paths.""")
@click.option("--output-key-prefix", "prefix", default="cosign", show_default=True, metavar="PREFIX",
              help="Write PREFIX.key and PREFIX.pub.")
@click.option("--force", is_flag=True, help="Replace existing key files.")
def keygen(prefix: str, force: bool) -> None:
    from slimgo.cli.sign import read_password
    from slimgo.errors import UsageError
    from slimgo.supply.generate import write_file
    from slimgo.supply.keys import generate

    private, public = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    for path in (private, public):
        if path.exists() and not force:
            raise UsageError(str(path), "exists already", "pass --force to replace it, or choose another "
                             "--output-key-prefix")
    pair = generate(read_password("Password for the private key", confirm=True))
    write_file(private, pair.private_pem, mode=0o600)
    write_file(public, pair.public_pem)
    render.result_line(str(private))
    render.result_line(str(public))
