"""The registry as a source and a sink: `read(ref)` and `write(ref, artifact)` over the OCI distribution API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slimgo.oci.digest import Digest
    from slimgo.stores.layout import Artifact
    from slimgo.stores.progress import BarsFactory
    from slimgo.stores.registry.options import RegistryOptions
    from slimgo.stores.registry.reference import Reference
    from slimgo.stores.registry.session import RegistrySession

# Nothing loads with the package itself: `--help` and the option groups import registry.options alone, and the HTTP
# stack (requests) loads on the first pull or push.


def __getattr__(name: str) -> Any:
    if name == "Reference":
        from slimgo.stores.registry.reference import Reference

        return Reference
    if name == "RegistryOptions":
        from slimgo.stores.registry.options import RegistryOptions

        return RegistryOptions
    raise AttributeError(name)


def open_session(options: RegistryOptions, bars: BarsFactory | None = None) -> RegistrySession:
    """A session for one command: connections, tokens and the cache shared by its pulls and pushes."""
    from slimgo.stores.registry.session import RegistrySession

    return RegistrySession(options) if bars is None else RegistrySession(options, bars=bars)


def read(session: RegistrySession, reference: str | Reference, prefetch: bool = True) -> Artifact:
    """The image or index at ``reference``, verified; layers are cached (fetched now when ``prefetch``)."""
    from slimgo.stores.registry.pull import Puller
    from slimgo.stores.registry.reference import Reference

    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    with session.bars() as progress:
        return Puller(session, progress).pull(ref, prefetch)


def prefetch(session: RegistrySession, artifact: Artifact) -> None:
    """Download, in parallel, every layer of ``artifact`` that came from a registry and is not cached yet."""
    from slimgo.oci.image import ImageIndex
    from slimgo.stores.registry.pull import Puller

    images = artifact.images if isinstance(artifact, ImageIndex) else (artifact,)
    with session.bars() as progress:
        Puller(session, progress).prefetch([layer for image in images for layer in image.layers])


def write(session: RegistrySession, reference: str | Reference, artifact: Artifact,
          extra_tags: Sequence[str] = ()) -> Digest:
    """Push ``artifact`` to ``reference`` (plus ``extra_tags``); returns the digest the registry confirmed."""
    from slimgo.stores.registry.push import Pusher
    from slimgo.stores.registry.reference import Reference

    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    with session.bars() as progress:
        return Pusher(session, progress).push(ref, artifact, extra_tags)


def pushed_reference(ref: Reference, digest: Digest) -> str:
    """What a script can pull: `docker://REGISTRY/REPO[:TAG]@DIGEST`."""
    tagged = ref if ref.tag or ref.digest else ref.with_tag("latest")
    return f"docker://{tagged.with_digest(None)}@{digest}"


__all__ = ["Reference", "RegistryOptions", "open_session", "prefetch", "pushed_reference", "read", "write"]
