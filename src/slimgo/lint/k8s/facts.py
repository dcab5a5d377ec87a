"""Read ImageFacts from an image in any transport slimgo supports (config, plus a pass over its layers)."""

from __future__ import annotations

__all__ = ["image_facts"]

from typing import TYPE_CHECKING

from slimgo.errors import LintError, SlimgoError
from slimgo.lint.k8s.image import FileCapability, ImageFacts, decode_capability_xattr

if TYPE_CHECKING:
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import Stores

_XATTR_CAP = "security.capability"


def image_facts(spec: str, stores: Stores, platform: Platform) -> ImageFacts:
    """The facts the Kubernetes cross-check needs, from the image at ``spec`` (e.g. oci:dist/app:latest)."""
    from slimgo.rootfs import Rootfs

    try:
        image = stores.open_image(spec, platform)
        config = image.config
        rootfs = Rootfs(image.layers)  # the merged filesystem: whiteouts and opaque directories applied
    except SlimgoError:
        raise
    except (OSError, ValueError) as err:
        raise LintError(f"image {spec}", f"cannot read its layers: {err}",
                        "check the image with `slimgo inspect`") from None
    ports: list[int] = []
    for port in config.exposed_ports:
        number = port.split("/", 1)[0]
        if number.isdigit():
            ports.append(int(number))
    volumes_field = config.runtime.get("Volumes") or {}
    volumes = tuple(sorted(volumes_field)) if isinstance(volumes_field, dict) else ()
    writable = tuple(sorted(node.path for node in rootfs.nodes.values()
                            if node.kind == "dir" and node.mode & 0o002 and node.path != "/"))
    capabilities = []
    for path in sorted(rootfs.nodes):
        raw = dict(rootfs.nodes[path].xattrs).get(_XATTR_CAP)
        decoded = decode_capability_xattr(raw.encode("utf-8", "surrogateescape")) if raw is not None else None
        if decoded:
            capabilities.append(FileCapability(path, decoded[0], decoded[1]))
    return ImageFacts(
        reference=spec,
        user=config.user,
        exposed_ports=tuple(sorted(set(ports))),
        volumes=volumes,
        writable_dirs=writable,
        file_capabilities=tuple(capabilities),
        unsafe_entries=tuple(f"{p.subject} {p.cause}" for p in rootfs.problems),
    )
