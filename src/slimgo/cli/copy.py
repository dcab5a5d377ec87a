"""`slimgo copy SRC DST`: copy an image or index between any two transports (registry, layout, archives)."""

from __future__ import annotations

__all__ = ["copy"]

import click

from slimgo.cli import render
from slimgo.cli.options import platform_option, registry_options, stores_from
from slimgo.errors import UsageError
from slimgo.stores.transport import SYNTAX, Location


@click.command(help=f"""Copy SOURCE to DESTINATION; prints DESTINATION@DIGEST.

    Both are transports: {SYNTAX}.
    Content is verified against its digest on the way; a copy between two repositories of one registry mounts
    blobs instead of moving them. Uncompressed layers (docker-archive) are gzip'd for a registry, so the
    pushed digest differs from the source's.
    """)
@click.argument("source")
@click.argument("destination")
@platform_option("Copy only this platform's image from an index (default: every platform).")
@registry_options
@click.option("--jobs", type=click.IntRange(1, 64), default=4, show_default=True, help="Blobs moved in parallel.")
@click.option("--tag", "tags", multiple=True, help="For docker:// destinations: also push under this tag. Repeatable.")
@click.option("--allow-unsafe-layers", is_flag=True,
              help="Copy layers whose entries escape the rootfs, or hold device nodes or aufs whiteouts "
                   "(refused by default).")
def copy(source: str, destination: str, platform_text: str | None, pull: str, insecure: tuple[str, ...],
         jobs: int, tags: tuple[str, ...], allow_unsafe_layers: bool) -> None:
    from slimgo.layercheck import check_artifact_layers
    from slimgo.oci.image import ImageIndex
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import image_for_platform, same_registry

    src = Location.parse(source)
    dst = Location.parse(destination)
    if tags and dst.transport != "docker":
        example = f"{dst.transport}:{dst.path}:" + ("NAME:" if dst.transport == "docker-archive" else "") + tags[0]
        raise UsageError(f"--tag {tags[0]}", f"only adds tags in a registry, and {dst} is not docker://",
                         f"name the tag in the destination instead, e.g. {example}")
    platform = Platform.parse(platform_text) if platform_text else None
    stores = stores_from(pull, insecure, jobs)
    # Layers of a registry source are fetched only when needed: a copy within one registry mounts them.
    artifact = stores.read(src, fetch_layers=False)
    if platform is not None and isinstance(artifact, ImageIndex):
        artifact = image_for_platform(artifact, platform, str(src))
    if dst.transport == "docker-archive" and isinstance(artifact, ImageIndex):  # refused before any download
        plats = ", ".join(str(d.platform) for d in artifact.index.manifests if d.platform is not None)
        raise UsageError(f"docker-archive:{dst.path}", f"holds one platform only, but {src} is an index "
                         f"({plats})", "pass --platform OS/ARCH to copy one of them, or copy to oci:DIR or "
                         "oci-archive:FILE to keep them all")
    if dst.transport != "docker":
        stores.fetch_layers(src, artifact)  # all layers of every platform kept at once, in parallel
    # Within one registry the layers are mounted, never read: nothing reaches it that it does not serve already.
    check_artifact_layers(artifact, allow_unsafe_layers or same_registry(src, dst), str(src))
    render.result_line(stores.write(dst, artifact, extra_tags=tags))
