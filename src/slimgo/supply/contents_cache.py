"""What an image's SBOM lists, kept in the cache by the image's config digest, so a rebuild of an unchanged image
(and its provenance, after its SBOM) does not read its layers again."""

from __future__ import annotations

__all__ = ["cached_image_contents"]

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from slimgo.cachedir import keep
from slimgo.elf.buildinfo import BuildInfo, Module
from slimgo.oci.digest import Digest
from slimgo.oci.image import StoredImage
from slimgo.supply.contents import Contents, GoBinary, OsPackage, image_contents

FORMAT = 1  # bump when Contents changes shape or what it lists
MAX_ENTRY = 16 << 20  # an entry lists modules and packages; a real one is a few KiB


def cached_image_contents(image: StoredImage, where: str, cache_dir: Path) -> Contents:
    """``image_contents`` of an image a build just wrote, from the cache when one with the same config was read
    before.

    The config digest pins every layer's uncompressed content (rootfs.diff_ids) and the history the static base's
    file sets are read from: everything the contents depend on.
    """
    key = Digest.of(image.raw_config)
    path = cache_dir / "sbom-contents" / f"v{FORMAT}-{key.algorithm}-{key.hex}.json"
    found = _load(path)
    if found is not None:
        return found
    # The build judged the layers already (refused unsafe ones unless --allow-unsafe-layers): what it wrote is
    # described as the merged filesystem shows it.
    contents = image_contents(image, where, refuse_unsafe=False)
    _store(path, contents)
    return contents


def _load(path: Path) -> Contents | None:
    """The cached entry, or None when it is missing or not one this version wrote (it is then rebuilt)."""
    try:
        with open(path, "rb") as stream:
            data: Any = json.loads(stream.read(MAX_ENTRY + 1))
        return Contents(binaries=[_binary(b) for b in data["binaries"]],
                        packages=[OsPackage(**p) for p in data["packages"]],
                        distro=(str(data["distro"][0]), str(data["distro"][1])))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _module(data: Any) -> Module | None:
    if data is None:
        return None
    return Module(str(data["path"]), str(data["version"]), str(data["sum"]), _module(data["replace"]))


def _binary(data: Any) -> GoBinary:
    info = data["info"]
    deps = [_module(d) for d in info["deps"]]
    return GoBinary(str(data["path"]), str(data["sha256"]), BuildInfo(
        go_version=str(info["go_version"]), path=str(info["path"]), main=_module(info["main"]),
        deps=[d for d in deps if d is not None], settings=[(str(k), str(v)) for k, v in info["settings"]],
        supported=bool(info["supported"]), note=None if info["note"] is None else str(info["note"])))


def _store(path: Path, contents: Contents) -> None:
    """Write the entry atomically (two builds may store the same one at once); a cache that cannot be written
    only costs the next build a read of the layers."""
    raw = json.dumps(asdict(contents), sort_keys=True).encode()
    keep(path, lambda out: out.write(raw))
