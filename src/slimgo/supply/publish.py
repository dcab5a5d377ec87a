"""What `slimgo build` does with each image it wrote: attach its SBOMs and sign it."""

from __future__ import annotations

__all__ = ["publish", "sbom_formats"]

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slimgo.errors import UsageError
from slimgo.oci.image import ImageIndex, StoredImage
from slimgo.stores.transport import Location, Stores
from slimgo.supply.attach import attach_sbom
from slimgo.supply.generate import image_created, image_sbom
from slimgo.supply.sbom import FORMATS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

    from slimgo.supply.contents import Contents


AUTO = "auto"  # the default: spdx for images written to a layout or registry, silently none for archives


def sbom_formats(text: str) -> list[str]:
    """`--sbom spdx,cyclonedx`, `none` or `auto` as a list of formats (`auto` as the one word it is)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if names == ["none"]:
        return []
    if names == [AUTO]:
        return [AUTO]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise UsageError(f"--sbom {text}", f"names {', '.join(unknown) or 'nothing'}, not an SBOM format",
                         "use spdx, cyclonedx, spdx,cyclonedx, none or auto")
    return list(dict.fromkeys(names))


def written_location(reference: str) -> str:
    """The image a build wrote, as `<location>@<digest>` says it: a layout by its tag, a registry by digest."""
    if reference.startswith("oci:"):
        return reference.rsplit("@", 1)[0]
    return reference


def _contents(image: StoredImage, where: str) -> Contents:
    from slimgo.cachedir import cache_root
    from slimgo.supply.contents_cache import cached_image_contents

    return cached_image_contents(image, where, cache_root())


def attach_all(stores: Stores, image: str, formats: Sequence[str]) -> int:
    """Attach SBOMs in ``formats`` to the image ``image`` names (to each image of an index); returns how many."""
    artifact = stores.read(image)
    images = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
    count = 0
    for one in images:
        contents = _contents(one, image)
        for fmt in formats:
            attach_sbom(stores, image, one, fmt, image_sbom(one, image, fmt, contents), image_created(one))
            count += 1
    return count


def attach_provenance_all(stores: Stores, image: str, parameters: dict[str, Any],
                          key: EllipticCurvePrivateKey | None) -> int:
    """Attach the SLSA v1 provenance of each image ``image`` names; with ``key``, also attest it (cosign's way)."""
    from slimgo.supply.attach import attach_provenance
    from slimgo.supply.attest import attest_image
    from slimgo.supply.provenance import SLSA_V1, predicate, statement

    artifact = stores.read(image)
    images = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
    location = Location.parse(image)
    for one in images:
        pred = predicate(one, _contents(one, image), parameters)
        attach_provenance(stores, image, one, statement(location.repository, one, pred), image_created(one))
        if key is not None and len(images) == 1:
            attest_image(stores, image, key, SLSA_V1, pred)
    return len(images)


def publish(stores: Stores, references: Sequence[str], formats: Sequence[str],
            key: EllipticCurvePrivateKey | None, provenance: dict[str, Any] | None = None,
            debug_tools: Sequence[Path] | None = None) -> list[str]:
    """Attach and sign every written image that can carry referrers; returns a line per action for the log.
    ``provenance``: the build parameters, when a provenance is wanted; ``debug_tools``: write debug variants."""
    done: list[str] = []
    for reference in references:
        image = written_location(reference)
        chosen = ["spdx"] if list(formats) == [AUTO] else list(formats)
        if Location.parse(image).transport not in ("oci", "docker"):
            if list(formats) != [AUTO] or key is not None or provenance is not None or debug_tools is not None:
                done.append(f"{image}: an archive carries no SBOM or signature beside the image; skipped")
            continue
        if chosen:
            done.append(f"{image}: {attach_all(stores, image, chosen)} SBOM(s) attached ({', '.join(chosen)})")
        if provenance is not None:
            done.append(f"{image}: provenance attached for {attach_provenance_all(stores, image, provenance, key)} "
                        "image(s)" + (", attested" if key is not None else ""))
        if key is not None:
            from slimgo.supply.cosign import sign_image  # cryptography's import is a cost only signing pays

            done.append(f"{image}: signed ({sign_image(stores, image, key).signature_ref})")
        if debug_tools is not None:
            from slimgo.supply.debug import write_variant

            done.append(f"{image}: debug variant {write_variant(stores, image, debug_tools).reference}")
    return done
