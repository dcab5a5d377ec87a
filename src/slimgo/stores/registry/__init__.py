"""The registry as a source and a sink: `read(ref)` and `write(ref, artifact)` over the OCI distribution API."""

from __future__ import annotations

from collections.abc import Sequence

from slimgo.oci.digest import Digest
from slimgo.stores.layout import Artifact
from slimgo.stores.registry import options as _options
from slimgo.stores.registry.options import RegistryOptions
from slimgo.stores.registry.reference import Reference

# The HTTP stack (requests) loads on the first pull or push, not when a command merely parses its flags.


def read(reference: str | Reference, opts: RegistryOptions | None = None, prefetch: bool = True) -> Artifact:
    """The image or index at ``reference``, verified; layers are cached (fetched now when ``prefetch``)."""
    from slimgo.stores.registry.progress import bars
    from slimgo.stores.registry.pull import Puller
    from slimgo.stores.registry.session import session_for

    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    opts = opts or _options.current()
    with bars(opts.progress) as progress:
        return Puller(session_for(opts), progress).pull(ref, prefetch)


def prefetch(artifact: Artifact, opts: RegistryOptions | None = None) -> None:
    """Download, in parallel, every layer of ``artifact`` that came from a registry and is not cached yet."""
    from slimgo.oci.image import ImageIndex
    from slimgo.stores.registry.progress import bars
    from slimgo.stores.registry.pull import Puller
    from slimgo.stores.registry.session import session_for

    images = artifact.images if isinstance(artifact, ImageIndex) else (artifact,)
    opts = opts or _options.current()
    with bars(opts.progress) as progress:
        Puller(session_for(opts), progress).prefetch([layer for image in images for layer in image.layers])


def write(reference: str | Reference, artifact: Artifact, opts: RegistryOptions | None = None,
          extra_tags: Sequence[str] = ()) -> Digest:
    """Push ``artifact`` to ``reference`` (plus ``extra_tags``); returns the digest the registry confirmed."""
    from slimgo.stores.registry.progress import bars
    from slimgo.stores.registry.push import Pusher
    from slimgo.stores.registry.session import session_for

    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    opts = opts or _options.current()
    with bars(opts.progress) as progress:
        return Pusher(session_for(opts), progress).push(ref, artifact, extra_tags)


def pushed_reference(ref: Reference, digest: Digest) -> str:
    """What a script can pull: `docker://REGISTRY/REPO[:TAG]@DIGEST`."""
    tagged = ref if ref.tag or ref.digest else ref.with_tag("latest")
    return f"docker://{tagged.with_digest(None)}@{digest}"


__all__ = ["Reference", "RegistryOptions", "prefetch", "pushed_reference", "read", "write"]
