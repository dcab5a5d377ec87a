"""`slimgo sbom`: the SBOM of a binary path or of one image in any transport, and its atomic write to a file."""

from __future__ import annotations

__all__ = ["attach_sboms", "attached_sbom", "image_created", "image_sbom", "target_sbom", "write_file"]

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.errors import InputError, UsageError
from slimgo.oci.image import StoredImage
from slimgo.oci.platform import Platform
from slimgo.stores.transport import TRANSPORTS, Stores
from slimgo.supply.contents import Contents, binary_contents, image_contents
from slimgo.supply.sbom import FORMATS, Subject, render

if TYPE_CHECKING:
    from slimgo.supply.attach import Attached


def is_image_target(target: str) -> bool:
    """An existing file wins over a transport-looking name (a file may be called "oci:x")."""
    return not Path(target).exists() and target.startswith(tuple(f"{t}:" for t in TRANSPORTS))


def source_date_epoch(fallback: int) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else ``fallback``."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return fallback
    if not text.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH={text}", "is not a number of seconds since 1970",
                         "set it to an integer, e.g. $(git log -1 --format=%ct)")
    return int(text)


def _created(text: str) -> int:
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def image_created(image: StoredImage) -> int:
    """The SBOM's timestamp for ``image``: SOURCE_DATE_EPOCH, else the image's own creation time."""
    return source_date_epoch(_created(str(image.config.data.get("created", ""))))


def image_sbom(image: StoredImage, name: str, fmt: str, contents: Contents | None = None) -> bytes:
    """The SBOM of ``image``, named ``name``; its identity is the image's manifest digest."""
    check_format(fmt)
    listed = contents if contents is not None else image_contents(image, name)
    return render(fmt, Subject(name, str(image.digest), image_created(image)), listed)


def attach_sboms(stores: Stores, image: str, platform: Platform, formats: Sequence[str]) -> list[Attached]:
    """Generate the SBOMs of ``image`` in ``formats`` and attach each to it as a referrer."""
    from slimgo.supply.attach import attach_sbom

    for fmt in formats:
        check_format(fmt)
    chosen = stores.open_image(image, platform)
    contents = image_contents(chosen, image)
    return [attach_sbom(stores, image, chosen, fmt, image_sbom(chosen, image, fmt, contents),
                        image_created(chosen)) for fmt in formats]


def attached_sbom(stores: Stores, image: str, platform: Platform, fmt: str) -> bytes:
    from slimgo.supply.attach import fetch_sbom

    check_format(fmt)
    return fetch_sbom(stores, image, stores.open_image(image, platform).digest, fmt)


def binary_sbom(path: Path, fmt: str) -> bytes:
    check_format(fmt)
    if not path.is_file():
        raise InputError(str(path), "is not a file" if path.exists() else "does not exist",
                         "give a Go binary or an image (oci:DIR[:TAG], docker://REF, ...)")
    contents = binary_contents(path)
    binary = contents.binaries[0]
    vcs_time = binary.info.setting("vcs.time") or ""
    created = source_date_epoch(_created(vcs_time) if vcs_time else 0)
    return render(fmt, Subject(path.name, f"sha256:{binary.sha256}", created, "application"), contents)


def target_sbom(target: str, fmt: str, stores: Stores, platform: Platform) -> bytes:
    if is_image_target(target):
        return image_sbom(stores.open_image(target, platform), target, fmt)
    return binary_sbom(Path(target), fmt)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}", "is not an SBOM format slimgo writes", "use spdx or cyclonedx")


def write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    from slimgo.stores.fsutil import atomic_write_bytes, os_error

    if path.is_dir():
        raise InputError(str(path), "is a directory", "give a file name")
    try:
        atomic_write_bytes(path, data, mode)
    except OSError as err:
        raise os_error(path, err) from None
