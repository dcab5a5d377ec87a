"""Small test images built with the public model API (random payloads so every call gives new digests)."""

from __future__ import annotations

import os
from pathlib import Path

from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import BlobLayer, StoredImage, assemble
from slimgo.oci.platform import Platform


def layer(tmp: Path, name: str, data: bytes) -> BlobLayer:
    return build_layer([Entry(f"app/{name}", data=data)], tmp)


def image(tmp: Path, *layers: BlobLayer, platform: str = "linux/amd64") -> StoredImage:
    config = ImageConfig.empty(Platform.parse(platform)).replace_runtime(User="65532:65532", Entrypoint=["/app/x"])
    return assemble(config, list(layers))


def random_image(tmp: Path, size: int = 2048, platform: str = "linux/amd64", layers: int = 2) -> StoredImage:
    """An image of ``layers`` layers of incompressible random bytes (so blob sizes are about ``size``)."""
    return image(tmp, *(layer(tmp, f"l{i}", os.urandom(size)) for i in range(layers)), platform=platform)
