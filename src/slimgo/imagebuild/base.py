"""The base an image is built on: the embedded static rootfs, scratch, or an existing image kept byte-for-byte."""

from __future__ import annotations

__all__ = ["Base", "LayerCache", "resolve_base", "tzdata_version", "validate_base_spec"]

import threading
from dataclasses import dataclass
from pathlib import Path

import certifi

from slimgo.base import static
from slimgo.errors import UsageError
from slimgo.layer import build_layer
from slimgo.layercheck import check_artifact_layers
from slimgo.oci.config import ImageConfig
from slimgo.oci.digest import Digest
from slimgo.oci.image import Layer
from slimgo.oci.platform import Platform
from slimgo.stores.transport import TRANSPORTS, Location, Stores

BASE_FIX = "use --base static, --base scratch, or an image: oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE"


@dataclass(frozen=True)
class Base:
    kind: str  # "static" | "scratch" | "image"
    layers: tuple[Layer, ...]
    history: tuple[dict[str, object], ...]
    config: ImageConfig
    name: str | None = None
    digest: Digest | None = None


class LayerCache:
    """Builds each embedded layer once per run and shares it across packages and platforms (thread-safe)."""

    def __init__(self, workdir: Path, blob_cache: Path | None = None) -> None:
        self.workdir = workdir
        self.blob_cache = blob_cache
        self._lock = threading.Lock()
        self._layers: dict[tuple[str, str, int], Layer] = {}

    def get(self, what: str, compression: str, epoch: int) -> Layer:
        key = (what, compression, epoch)
        with self._lock:
            if key not in self._layers:
                entries = static.rootfs_entries() if what == "static" else static.zoneinfo_entries()
                self._layers[key] = build_layer(entries, self.workdir, compression, epoch, self.blob_cache)
            return self._layers[key]


def tzdata_version() -> str:
    import tzdata

    return str(tzdata.IANA_VERSION)


def validate_base_spec(spec: str) -> None:
    if spec in ("static", "scratch"):
        return
    transport = spec.partition(":")[0]
    if transport not in TRANSPORTS:
        raise UsageError(f"--base {spec}", "is not a known base", BASE_FIX)
    Location.parse(spec)


def resolve_base(spec: str, platform: Platform, cache: LayerCache, compression: str, created: str,
                 epoch: int, stores: Stores, allow_unsafe_layers: bool = False) -> Base:
    validate_base_spec(spec)
    if spec == "scratch":
        return Base("scratch", (), (), ImageConfig.empty(platform))
    if spec == "static":
        layer = cache.get("static", compression, epoch)
        config = ImageConfig.empty(platform).replace_runtime(Env=static.base_env(with_ca=True))
        entry: dict[str, object] = {
            "created": created,
            "created_by": "slimgo: static base (passwd, group, CA certificates)",
            "comment": f"certifi {certifi.__version__}",
        }
        return Base("static", (layer,), (entry,), config)
    image = stores.open_image(spec, platform)
    got = image.config.platform
    if (got.os, got.architecture) != (platform.os, platform.architecture):
        raise UsageError(f"--base {spec}", f"is an image for {got}, but the build targets {platform}",
                         "use a base for the target platform, or an index that has it")
    check_artifact_layers(image, allow_unsafe_layers, f"--base {spec}")
    return Base("image", tuple(image.layers), tuple(image.config.history), image.config, name=spec, digest=image.digest)
