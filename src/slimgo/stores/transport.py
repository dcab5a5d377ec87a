"""Transport strings in skopeo's syntax (`oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME:TAG]`,
`docker://REF`) parsed once, and the one place that reads an image from, or writes one to, any of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slimgo.errors import InvalidReference
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.image import ImageIndex, StoredImage, select_platform
from slimgo.oci.platform import Platform
from slimgo.stores.layout import Artifact, Layout, write_layout

TRANSPORTS = ("oci", "oci-archive", "docker-archive", "docker")
_FIX = ("write it as oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] "
        "or docker://REGISTRY/REPO[:TAG|@DIGEST]")


@dataclass(frozen=True)
class Location:
    """Where an image is: a transport and its transport-specific path and tag."""

    transport: str
    path: str
    tag: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Location:
        transport, sep, rest = spec.partition(":")
        if not sep or transport not in TRANSPORTS:
            raise InvalidReference(f"image {spec!r}", "does not start with a known transport", _FIX)
        if transport == "docker":
            if not rest.startswith("//") or len(rest) <= 2:
                raise InvalidReference(f"image {spec!r}", "a docker transport is written docker://REF", _FIX)
            from slimgo.stores.registry.reference import Reference

            Reference.parse(rest[2:])  # a bad reference fails here, naming what is wrong
            return cls("docker", rest[2:])
        # skopeo splits path and reference at the first colon: paths cannot hold one.
        path, sep, tag = rest.partition(":")
        if not path:
            raise InvalidReference(f"image {spec!r}", "has an empty path", _FIX)
        if sep and not tag:
            raise InvalidReference(f"image {spec!r}", "ends with ':' but names no tag", _FIX)
        if transport == "docker-archive" and tag and ":" not in tag:
            tag = f"{tag}:latest"
        return cls(transport, path, tag or None)

    def __str__(self) -> str:
        if self.transport == "docker":
            return f"docker://{self.path}"
        return f"{self.transport}:{self.path}" + (f":{self.tag}" if self.tag else "")

    def with_tag(self, tag: str | None) -> Location:
        return Location(self.transport, self.path, tag)


def read_artifact(location: Location) -> Artifact:
    """The image or index at ``location``, exactly as stored."""
    if location.transport == "oci":
        return Layout(Path(location.path)).read_artifact(location.tag)
    if location.transport == "oci-archive":
        from slimgo.stores.archive import open_oci_archive

        return open_oci_archive(Path(location.path)).read_artifact(location.tag)
    if location.transport == "docker-archive":
        from slimgo.stores.archive import open_docker_archive

        return open_docker_archive(Path(location.path), location.tag)
    return _registry_read(location)


def open_image(spec: str | Location, platform: Platform | None = None) -> StoredImage:
    """One image from ``spec``; an index resolves to ``platform`` (default: the host's)."""
    location = spec if isinstance(spec, Location) else Location.parse(spec)
    artifact = read_artifact(location)
    if isinstance(artifact, StoredImage):
        return artifact
    chosen = image_for_platform(artifact, platform or Platform.host(), str(location))
    if location.transport == "docker":  # only the chosen platform's layers, all at once
        from slimgo.stores import registry

        registry.prefetch(chosen)
    return chosen


def image_for_platform(index: ImageIndex, platform: Platform, where: str) -> StoredImage:
    pairs = [(d.platform, img) for d, img in zip(index.index.manifests, index.images, strict=False)]
    chosen = select_platform(pairs, platform, where)
    assert isinstance(chosen, StoredImage)
    return chosen


def write_artifact(location: Location, artifact: Artifact, default_tag: str | None = None) -> str:
    """Write ``artifact`` to ``location`` and return the reference a script can use: `<location>@<digest>`."""
    tag = location.tag or default_tag
    if location.transport == "oci":
        desc = write_layout(Path(location.path), artifact, tag)
    elif location.transport == "oci-archive":
        from slimgo.stores.archive import write_oci_archive

        desc = write_oci_archive(Path(location.path), artifact, tag)
    elif location.transport == "docker-archive":
        from slimgo.stores.archive import write_docker_archive

        repo_tag = tag if tag and ":" in tag else f"{tag or 'image'}:latest"
        desc = write_docker_archive(Path(location.path), artifact, repo_tag)
        tag = repo_tag
    else:
        return _registry_write(location, artifact)
    return f"{location.with_tag(tag)}@{desc.digest}"


def _registry_read(location: Location) -> Artifact:
    from slimgo.stores import registry

    return registry.read(location.path)


def _registry_write(location: Location, artifact: Artifact) -> str:
    from slimgo.stores import registry

    ref = registry.Reference.parse(location.path)
    return registry.pushed_reference(ref, registry.write(ref, artifact))


__all__ = ["Descriptor", "Location", "open_image", "read_artifact", "write_artifact"]
