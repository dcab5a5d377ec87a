"""`slimgo copy SRC DST`: copy an image or index between any two transports (registry, layout, archives)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from slimgo.cli import render
from slimgo.errors import UsageError
from slimgo.oci.image import ImageIndex
from slimgo.oci.platform import Platform
from slimgo.stores import registry
from slimgo.stores.layout import Artifact
from slimgo.stores.registry.compress import gzip_layers, has_uncompressed_layers
from slimgo.stores.registry.options import PULL_POLICIES, from_flags, using
from slimgo.stores.transport import Location, image_for_platform, read_artifact, write_artifact


@click.command()
@click.argument("source")
@click.argument("destination")
@click.option("--platform", "platform_text", metavar="OS/ARCH",
              help="Copy only this platform's image from an index (default: every platform).")
@click.option("--pull", type=click.Choice(PULL_POLICIES), default="always", show_default=True,
              envvar="SLIMGO_PULL", show_envvar=True,
              help="For docker:// sources: always ask the registry what a tag points at; missing: use the "
                   "cache when it has the tag; never: the cache only.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
              help="Allow plain HTTP (or unverified TLS) to this registry; localhost and 127.0.0.1 always are. "
                   "Repeatable. Env: SLIMGO_INSECURE_REGISTRIES.")
@click.option("--jobs", type=click.IntRange(1, 64), default=4, show_default=True, help="Blobs moved in parallel.")
@click.option("--tag", "tags", multiple=True, help="For docker:// destinations: also push under this tag. Repeatable.")
@click.option("--allow-unsafe-layers", is_flag=True,
              help="Copy layers whose entries escape the rootfs, or hold device nodes or aufs whiteouts "
                   "(refused by default).")
def copy(source: str, destination: str, platform_text: str | None, pull: str, insecure: tuple[str, ...],
         jobs: int, tags: tuple[str, ...], allow_unsafe_layers: bool) -> None:
    """Copy SOURCE to DESTINATION; prints DESTINATION@DIGEST.

    Both are transports: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] or docker://REF.
    Content is verified against its digest on the way; a copy between two repositories of one registry mounts
    blobs instead of moving them. Uncompressed layers (docker-archive) are gzip'd for a registry, so the
    pushed digest differs from the source's.
    """
    src = Location.parse(source)
    dst = Location.parse(destination)
    if tags and dst.transport != "docker":
        example = f"{dst.transport}:{dst.path}:" + ("NAME:" if dst.transport == "docker-archive" else "") + tags[0]
        raise UsageError(f"--tag {tags[0]}", f"only adds tags in a registry, and {dst} is not docker://",
                         f"name the tag in the destination instead, e.g. {example}")
    platform = Platform.parse(platform_text) if platform_text else None
    opts = from_flags(pull, insecure, jobs)
    with using(opts):
        # Layers of a registry source are fetched only when needed: a copy within one registry mounts them.
        artifact: Artifact = registry.read(src.path, opts, prefetch=False) if src.transport == "docker" \
            else read_artifact(src)
        if platform is not None and isinstance(artifact, ImageIndex):
            artifact = image_for_platform(artifact, platform, str(src))
        if dst.transport == "docker-archive" and isinstance(artifact, ImageIndex):  # refused before any download
            plats = ", ".join(str(d.platform) for d in artifact.index.manifests if d.platform is not None)
            raise UsageError(f"docker-archive:{dst.path}", f"holds one platform only, but {src} is an index "
                             f"({plats})", "pass --platform OS/ARCH to copy one of them, or copy to oci:DIR or "
                             "oci-archive:FILE to keep them all")
        if src.transport == "docker" and dst.transport != "docker":
            registry.prefetch(artifact, opts)  # all layers of every platform kept at once, in parallel
        from slimgo.layercheck import check_artifact_layers  # tarfile loads only when a copy runs

        # Within one registry the layers are mounted, never read: nothing reaches it that it does not serve already.
        same_registry = src.transport == dst.transport == "docker" and \
            registry.Reference.parse(src.path).registry == registry.Reference.parse(dst.path).registry
        check_artifact_layers(artifact, allow_unsafe_layers or same_registry, str(src))
        if dst.transport == "docker":
            ref = registry.Reference.parse(dst.path)
            with tempfile.TemporaryDirectory(prefix="slimgo-copy-") as scratch:
                if has_uncompressed_layers(artifact):
                    render.log("gzip-compressing uncompressed layers for the registry (the digest changes)")
                    artifact = gzip_layers(artifact, Path(scratch))
                digest = registry.write(ref, artifact, opts, extra_tags=tags)
            render.result_line(registry.pushed_reference(ref, digest))
        else:
            render.result_line(write_artifact(dst, artifact))
