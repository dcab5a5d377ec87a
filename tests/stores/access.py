"""Read and write images the way one command does (a fresh `Stores`, settings from the environment)."""

from __future__ import annotations

from slimgo.host import host_platform
from slimgo.oci.image import StoredImage
from slimgo.oci.platform import Platform
from slimgo.stores.layout import Artifact
from slimgo.stores.transport import Location, Stores

__all__ = ["Location", "open_image", "read_artifact", "write_artifact"]


def open_image(spec: str | Location, platform: Platform | None = None) -> StoredImage:
    return Stores().open_image(spec, platform or host_platform())


def read_artifact(spec: str | Location) -> Artifact:
    return Stores().read(spec)


def write_artifact(location: Location, artifact: Artifact, default_tag: str | None = None) -> str:
    return Stores().write(location, artifact, default_tag=default_tag)
