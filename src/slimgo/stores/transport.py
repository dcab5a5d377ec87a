"""Transport strings in skopeo's syntax, a table of transports (each a source and a sink), and `Stores`, the one
object a command uses to read or write an image anywhere: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
`docker-archive:FILE[:NAME:TAG]`, `docker://REF`."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from slimgo.errors import InvalidReference, UsageError
from slimgo.stores.progress import BarsFactory, no_bars
from slimgo.stores.registry.options import RegistryOptions, from_environment

if TYPE_CHECKING:
    from slimgo.oci.descriptor import Descriptor
    from slimgo.oci.digest import Digest
    from slimgo.oci.image import ImageIndex, StoredImage
    from slimgo.oci.manifest import Manifest
    from slimgo.oci.platform import Platform
    from slimgo.stores.layout import Artifact
    from slimgo.stores.registry.session import RegistrySession


@dataclass(frozen=True)
class Location:
    """Where an image is: a transport and its transport-specific path and tag."""

    transport: str
    path: str
    tag: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Location:
        name, sep, rest = spec.partition(":")
        transport = TRANSPORTS.get(name) if sep else None
        if transport is None:
            raise InvalidReference(f"image {spec!r}", "does not start with a known transport", f"write it as {SYNTAX}")
        return transport.parse(spec, rest)

    def __str__(self) -> str:
        if self.transport == "docker":
            return f"docker://{self.path}"
        return f"{self.transport}:{self.path}" + (f":{self.tag}" if self.tag else "")

    def with_tag(self, tag: str | None) -> Location:
        return Location(self.transport, self.path, tag)

    def sibling(self, tag: str) -> Location:
        """The image tagged ``tag`` beside this one: the same repository or layout (where signatures and
        referrers tag schema indexes live). Archives hold one image and have no siblings."""
        if self.transport == "docker":
            from slimgo.stores.registry.reference import Reference

            return Location("docker", str(Reference.parse(self.path).with_digest(None).with_tag(tag)))
        _layout_root(self)
        return self.with_tag(tag)

    @property
    def repository(self) -> str:
        """The name of the repository the image lives in, without tag or digest (a layout's path)."""
        if self.transport == "docker":
            from slimgo.stores.registry.reference import Reference

            return Reference.parse(self.path).name
        return self.path

    @property
    def kind(self) -> Transport:
        return TRANSPORTS[self.transport]


class Transport(Protocol):
    """One medium images live in. Reading returns the artifact exactly as stored; writing returns `<where>@<digest>`."""

    name: str
    syntax: str

    def parse(self, spec: str, rest: str) -> Location: ...

    def read(self, location: Location, stores: Stores, *, fetch_layers: bool) -> Artifact:
        """The image or index at ``location``; with ``fetch_layers`` false, remote layers may stay remote."""
        ...

    def fetch_layers(self, artifact: Artifact, stores: Stores) -> None:
        """Make every layer of ``artifact`` local (a no-op for media that are local already)."""
        ...

    def write(self, location: Location, artifact: Artifact, stores: Stores, default_tag: str | None,
              extra_tags: Sequence[str]) -> str: ...


class _FileTransport:
    """`NAME:PATH[:TAG]`: skopeo splits path and reference at the first colon, so paths cannot hold one."""

    name = ""
    syntax = ""

    def parse(self, spec: str, rest: str) -> Location:
        path, sep, tag = rest.partition(":")
        if not path:
            raise InvalidReference(f"image {spec!r}", "has an empty path", f"write it as {SYNTAX}")
        if sep and not tag:
            raise InvalidReference(f"image {spec!r}", "ends with ':' but names no tag", f"write it as {SYNTAX}")
        return Location(self.name, path, self.normalize_tag(tag) if tag else None)

    def normalize_tag(self, tag: str) -> str:
        return tag

    def fetch_layers(self, artifact: Artifact, stores: Stores) -> None:
        return None

    def write(self, location: Location, artifact: Artifact, stores: Stores, default_tag: str | None,
              extra_tags: Sequence[str]) -> str:
        if extra_tags:
            raise UsageError(f"--tag {extra_tags[0]}", f"only adds tags in a registry, and {location} is not "
                             "docker://", f"name the tag in the destination instead: {self.syntax}")
        tag, desc = self.store(Path(location.path), artifact, location.tag or default_tag)
        return f"{location.with_tag(tag)}@{desc.digest}"

    def store(self, path: Path, artifact: Artifact, tag: str | None) -> tuple[str | None, Descriptor]:
        """Write ``artifact`` into the file or directory at ``path``; the tag it got, and its descriptor."""
        raise NotImplementedError


class OciLayoutTransport(_FileTransport):
    name = "oci"
    syntax = "oci:DIR[:TAG]"

    def read(self, location: Location, stores: Stores, *, fetch_layers: bool) -> Artifact:
        from slimgo.stores.layout import Layout

        return Layout(Path(location.path)).read_artifact(location.tag)

    def store(self, path: Path, artifact: Artifact, tag: str | None) -> tuple[str | None, Descriptor]:
        from slimgo.stores.layout import write_layout

        return tag, write_layout(path, artifact, tag)


class OciArchiveTransport(_FileTransport):
    name = "oci-archive"
    syntax = "oci-archive:FILE[:TAG]"

    def read(self, location: Location, stores: Stores, *, fetch_layers: bool) -> Artifact:
        from slimgo.stores.archive import open_oci_archive

        return open_oci_archive(Path(location.path)).read_artifact(location.tag)

    def store(self, path: Path, artifact: Artifact, tag: str | None) -> tuple[str | None, Descriptor]:
        from slimgo.stores.archive import write_oci_archive

        return tag, write_oci_archive(path, artifact, tag)


class DockerArchiveTransport(_FileTransport):
    name = "docker-archive"
    syntax = "docker-archive:FILE[:NAME:TAG]"

    def normalize_tag(self, tag: str) -> str:
        return tag if ":" in tag else f"{tag}:latest"

    def read(self, location: Location, stores: Stores, *, fetch_layers: bool) -> Artifact:
        from slimgo.stores.archive import open_docker_archive

        return open_docker_archive(Path(location.path), location.tag)

    def store(self, path: Path, artifact: Artifact, tag: str | None) -> tuple[str | None, Descriptor]:
        from slimgo.stores.archive import write_docker_archive

        repo_tag = tag if tag and ":" in tag else f"{tag or 'image'}:latest"
        return repo_tag, write_docker_archive(path, artifact, repo_tag)


class RegistryTransport:
    name = "docker"
    syntax = "docker://REGISTRY/REPO[:TAG|@DIGEST]"

    def parse(self, spec: str, rest: str) -> Location:
        if not rest.startswith("//") or len(rest) <= 2:
            raise InvalidReference(f"image {spec!r}", "a docker transport is written docker://REF",
                                   f"write it as {SYNTAX}")
        from slimgo.stores.registry.reference import Reference

        Reference.parse(rest[2:])  # a bad reference fails here, naming what is wrong
        return Location("docker", rest[2:])

    def read(self, location: Location, stores: Stores, *, fetch_layers: bool) -> Artifact:
        from slimgo.stores import registry

        return registry.read(stores.session(), location.path, prefetch=fetch_layers)

    def fetch_layers(self, artifact: Artifact, stores: Stores) -> None:
        from slimgo.stores import registry

        registry.prefetch(stores.session(), artifact)

    def write(self, location: Location, artifact: Artifact, stores: Stores, default_tag: str | None,
              extra_tags: Sequence[str]) -> str:
        from slimgo.stores import registry
        from slimgo.stores.registry.compress import gzip_layers, has_uncompressed_layers
        from slimgo.stores.registry.reference import Reference

        ref = Reference.parse(location.path)
        if has_uncompressed_layers(artifact):
            # Registries and their clients expect compressed layers; gzip'd with the pinned compressor, an
            # archived build pushes as the same image it was built as.
            from slimgo.stores.scratch import scratch  # under the cache: a killed push's is removed next time

            with scratch("slimgo-push-") as work:
                artifact = gzip_layers(artifact, work)
                return registry.pushed_reference(ref, registry.write(stores.session(), ref, artifact, extra_tags))
        return registry.pushed_reference(ref, registry.write(stores.session(), ref, artifact, extra_tags))


TRANSPORTS: dict[str, Transport] = {t.name: t for t in (
    OciLayoutTransport(), OciArchiveTransport(), DockerArchiveTransport(), RegistryTransport())}
SYNTAX = ", ".join(t.syntax for t in TRANSPORTS.values())
"""Every transport's syntax, for help texts and error messages: written once, here."""


class Stores:
    """How one command reaches images: its registry settings, its progress display, and one registry session
    (connections, tokens) shared by every read and write it makes. Nothing here is global: a command makes one."""

    def __init__(self, registry: RegistryOptions | None = None, bars: BarsFactory = no_bars) -> None:
        self.registry = registry if registry is not None else from_environment()
        self.bars = bars
        self._session: RegistrySession | None = None
        self._lock = threading.Lock()

    def session(self) -> RegistrySession:
        with self._lock:
            if self._session is None:
                from slimgo.stores import registry

                self._session = registry.open_session(self.registry, self.bars)
            return self._session

    def read(self, spec: str | Location, *, fetch_layers: bool = True) -> Artifact:
        """The image or index at ``spec``, exactly as stored."""
        location = spec if isinstance(spec, Location) else Location.parse(spec)
        return location.kind.read(location, self, fetch_layers=fetch_layers)

    def fetch_layers(self, location: Location, artifact: Artifact) -> None:
        location.kind.fetch_layers(artifact, self)

    def open_image(self, spec: str | Location, platform: Platform) -> StoredImage:
        """One image from ``spec``; an index resolves to ``platform``, whose layers alone are fetched."""
        from slimgo.oci.image import StoredImage

        location = spec if isinstance(spec, Location) else Location.parse(spec)
        artifact = self.read(location, fetch_layers=False)
        chosen = artifact if isinstance(artifact, StoredImage) else image_for_platform(artifact, platform,
                                                                                        str(location))
        self.fetch_layers(location, chosen)
        return chosen

    def write(self, location: Location, artifact: Artifact, *, default_tag: str | None = None,
              extra_tags: Sequence[str] = ()) -> str:
        """Write ``artifact`` to ``location``; returns the reference a script can use: `<location>@<digest>`."""
        return location.kind.write(location, artifact, self, default_tag, extra_tags)

    # -- OCI 1.1 referrers: artifacts (SBOMs) whose subject is an image, beside it in its layout or repository --
    def attach(self, location: Location, artifact: StoredImage) -> Digest:
        """Store ``artifact`` (a manifest with a subject) where the image at ``location`` lives."""
        from slimgo.stores import referrers

        if location.transport == "docker":
            return referrers.attach_in_registry(self.session(), location.path, artifact)
        return referrers.attach_to_layout(_layout_root(location), artifact)

    def attach_if_listed(self, location: Location, artifact: StoredImage) -> Digest | None:
        """Store ``artifact`` only in a registry that has the referrers API (None elsewhere, nothing written)."""
        from slimgo.stores import referrers

        if location.transport != "docker":
            return None
        return referrers.attach_in_registry(self.session(), location.path, artifact, fallback=False)

    def referrers(self, location: Location, subject: Digest, artifact_type: str = "") -> list[Descriptor]:
        """The manifests attached to ``subject`` (of ``artifact_type`` when given)."""
        from slimgo.stores import referrers

        if location.transport == "docker":
            return referrers.registry_referrers(self.session(), location.path, subject, artifact_type)
        return referrers.layout_referrers(_layout_root(location), subject, artifact_type)

    def read_referrer(self, location: Location, desc: Descriptor) -> tuple[Manifest, bytes]:
        """A referrer's manifest and content (its first blob), verified by digest."""
        from slimgo.stores import referrers

        if location.transport == "docker":
            return referrers.read_registry_referrer(self.session(), location.path, desc)
        return referrers.read_layout_referrer(_layout_root(location), desc)


def _layout_root(location: Location) -> Path:
    """The directory of an OCI layout; archives hold one image and nothing beside it."""
    if location.transport != "oci":
        raise UsageError(str(location), "is an archive, which holds one image and nothing beside it",
                         "copy the image to an OCI layout (oci:DIR:TAG) or a registry first")
    return Path(location.path)


def same_registry(a: Location, b: Location) -> bool:
    """Whether both locations are repositories of one registry (a copy between them mounts, never downloads)."""
    if a.transport != "docker" or b.transport != "docker":
        return False
    from slimgo.stores.registry.reference import Reference

    return Reference.parse(a.path).registry == Reference.parse(b.path).registry


def image_for_platform(index: ImageIndex, platform: Platform, where: str) -> StoredImage:
    from slimgo.oci.image import StoredImage, select_platform

    pairs = [(d.platform, img) for d, img in zip(index.index.manifests, index.images, strict=False)]
    chosen = select_platform(pairs, platform, where)
    assert isinstance(chosen, StoredImage)
    return chosen


__all__ = ["SYNTAX", "TRANSPORTS", "Location", "Stores", "Transport", "image_for_platform", "same_registry"]
