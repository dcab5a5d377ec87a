"""`slimgo attest IMAGE --key FILE --predicate FILE`: a signed in-toto attestation stored as cosign stores it."""

from __future__ import annotations

__all__ = ["attest"]

from pathlib import Path

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from


@click.command(help="""Attest a predicate (an SBOM, a provenance, any JSON) about IMAGE (oci:DIR:TAG or docker://REF).

    The predicate becomes an in-toto statement about the image digest in a DSSE envelope signed with --key, stored
    as the image tagged sha256-<hex>.att beside IMAGE: what `cosign attest --key` writes and `cosign
    verify-attestation --key` checks. --type is a cosign type name (custom, spdxjson, cyclonedx, slsaprovenance,
    slsaprovenance1, vuln, openvex) or a predicate type URI.""")
@click.argument("image")
@click.option("--key", "key_ref", required=True, metavar="FILE|env://VAR", help="The private key.")
@click.option("--predicate", "predicate_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The predicate: a JSON file.")
@click.option("--type", "type_name", default="custom", show_default=True, help="The predicate type.")
@registry_options
def attest(image: str, key_ref: str, predicate_path: Path, type_name: str, pull: str,
           insecure: tuple[str, ...]) -> None:
    import json

    from slimgo.cli.sign import private_key
    from slimgo.errors import InputError
    from slimgo.supply.attest import attest_image, predicate_type

    kind = predicate_type(type_name)
    if not predicate_path.is_file():
        raise InputError(f"--predicate {predicate_path}", "does not exist or is not a file", "give a JSON file")
    try:
        predicate = json.loads(predicate_path.read_bytes()[: 64 << 20])
    except (ValueError, OSError) as err:
        raise InputError(f"--predicate {predicate_path}", f"is not readable JSON ({err})",
                         "give the predicate as a JSON document") from None
    done = attest_image(stores_from(pull, insecure), image, private_key(key_ref), kind, predicate)
    render.note(f"attested {kind} about {image} ({done.digest})")
    render.result_line(done.attestation_ref)
