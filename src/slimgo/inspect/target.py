"""Resolve an inspect TARGET: a binary path, or an image in a transport (one report per platform)."""

from __future__ import annotations

__all__ = ["inspect_target"]

from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.errors import ElfError
from slimgo.inspect.binary import BinaryReport, ImageSource, inspect_binary

if TYPE_CHECKING:
    from slimgo.stores.transport import Stores


def is_image_target(target: str) -> bool:
    """An existing file wins over a transport-looking name (a file may be called "oci:x")."""
    if Path(target).exists():
        return False
    from slimgo.stores.transport import TRANSPORTS  # the image stack loads only for image targets

    return target.startswith(tuple(f"{t}:" for t in TRANSPORTS))


def inspect_images(target: str, stores: Stores, platform: str | None = None, *, compress: bool = True,
                   all_platforms: bool = True, layer_cache: Path | None = None,
                   attribution: bool = True) -> list[BinaryReport]:
    """One report per platform of the image at ``target`` (only ``platform`` when given)."""
    import tempfile  # only image targets extract a file: a binary path does not pay for it

    from slimgo.host import host_platform
    from slimgo.inspect.image import extract_file, find_entrypoint
    from slimgo.oci.image import ImageIndex, StoredImage
    from slimgo.oci.platform import Platform
    from slimgo.rootfs import Rootfs
    from slimgo.stores.transport import Location, image_for_platform

    location = Location.parse(target)
    artifact = stores.read(location)
    images: list[StoredImage]
    if isinstance(artifact, ImageIndex):
        if platform is not None:
            images = [image_for_platform(artifact, Platform.parse(platform), target)]
        elif all_platforms:
            images = list(artifact.images)
        else:
            images = [image_for_platform(artifact, host_platform(), target)]
    else:
        images = [artifact]
    reports = []
    for image in images:
        plat = str(image.config.platform)
        rootfs = Rootfs(image.layers)
        rootfs.refuse_unsafe(f"{target} ({plat})")
        argv, path = find_entrypoint(image, rootfs, f"{target} ({plat})")
        with tempfile.TemporaryDirectory(prefix="slimgo-inspect-") as tmp:
            binary = Path(tmp) / Path(path).name
            extract_file(rootfs, path, binary, f"{target} ({plat})")
            index = rootfs.nodes[path].layer
            blob = image.layers[index].descriptor
            source = ImageSource(target, plat, argv, path, str(image.digest), index, len(image.layers),
                                 str(blob.digest), blob.media_type, blob.size)
            try:
                report = inspect_binary(binary, target, compress=compress, image=source,
                                        layer_cache=layer_cache, attribution=attribution)
            except ElfError as err:
                raise ElfError(f"{target} ({plat}) {path}", err.cause, err.fix) from None
        reports.append(report)
    return reports


def inspect_target(target: str, *, stores: Stores | None = None, platform: str | None = None, compress: bool = True,
                   all_platforms: bool = False, layer_cache: Path | None = None,
                   attribution: bool = True) -> list[BinaryReport]:
    """Reports for ``target``: one for a binary, one per selected platform for an image (read through ``stores``)."""
    if is_image_target(target):
        from slimgo.stores.transport import Stores

        return inspect_images(target, stores or Stores(), platform, compress=compress, all_platforms=all_platforms,
                              layer_cache=layer_cache, attribution=attribution)
    return [inspect_binary(Path(target), target, compress=compress, layer_cache=layer_cache, attribution=attribution)]
