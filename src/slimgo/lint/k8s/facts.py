"""Read ImageFacts from an image in any transport slimgo supports (config, plus a pass over its layers)."""

from __future__ import annotations

import posixpath
import stat
import tarfile

from slimgo.errors import LintError, SlimgoError
from slimgo.lint.k8s.image import FileCapability, ImageFacts, decode_capability_xattr

_XATTR_CAP = "SCHILY.xattr.security.capability"


def image_facts(spec: str) -> ImageFacts:
    """The facts the Kubernetes cross-check needs, from the image at ``spec`` (e.g. oci:dist/app:latest)."""
    from slimgo.oci.image import open_tar
    from slimgo.stores.transport import open_image

    try:
        image = open_image(spec)
        config = image.config
        runtime = config.runtime
        ports: list[int] = []
        for port in config.exposed_ports:
            number = port.split("/", 1)[0]
            if number.isdigit():
                ports.append(int(number))
        volumes_field = runtime.get("Volumes") or {}
        volumes = tuple(sorted(volumes_field)) if isinstance(volumes_field, dict) else ()
        modes: dict[str, int] = {}
        caps: dict[str, FileCapability | None] = {}
        for layer in image.layers:
            with open_tar(layer) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    _apply(member, modes, caps)
    except SlimgoError:
        raise
    except (OSError, tarfile.TarError, ValueError) as err:
        raise LintError(f"image {spec}", f"cannot read its layers: {err}",
                        "check the image with `slimgo inspect`") from None
    writable = tuple(sorted(
        "/" + path for path, mode in modes.items()
        if stat.S_ISDIR(mode) and mode & 0o002 and path not in ("", ".")
    ))
    return ImageFacts(
        reference=spec,
        user=config.user,
        exposed_ports=tuple(sorted(set(ports))),
        volumes=volumes,
        writable_dirs=writable,
        file_capabilities=tuple(fc for fc in (caps[p] for p in sorted(caps)) if fc is not None),
    )


def _apply(member: tarfile.TarInfo, modes: dict[str, int], caps: dict[str, FileCapability | None]) -> None:
    """Replay one layer entry, whiteouts included, onto the path -> mode and path -> capability maps."""
    path = posixpath.normpath(member.name.lstrip("/")).removeprefix("./")
    base = posixpath.basename(path)
    parent = posixpath.dirname(path)
    if base == ".wh..wh..opq":
        prefix = parent + "/" if parent else ""
        for table in (modes, caps):
            for key in [k for k in table if k.startswith(prefix)]:
                del table[key]
        return
    if base.startswith(".wh."):
        gone = posixpath.join(parent, base[4:])
        for table in (modes, caps):
            for key in [k for k in table if k == gone or k.startswith(gone + "/")]:
                del table[key]
        return
    kind = stat.S_IFDIR if member.isdir() else stat.S_IFLNK if member.issym() else stat.S_IFREG
    modes[path] = kind | (member.mode & 0o7777)
    raw = member.pax_headers.get(_XATTR_CAP)
    if raw is None:
        caps.pop(path, None)
        return
    decoded = decode_capability_xattr(raw.encode("utf-8", "surrogateescape"))
    caps[path] = FileCapability("/" + path, decoded[0], decoded[1]) if decoded else None
