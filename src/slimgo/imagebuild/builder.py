"""Builds one Go main package into an image per platform (an index for several), verified before it is layered."""

from __future__ import annotations

__all__ = ["BuildResult", "ImageBuilder"]

import hashlib
import json
import os
import posixpath
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from slimgo.base import static
from slimgo.elf.buildinfo import BuildInfo, read_buildinfo
from slimgo.elf.linking import Linking, read_linking
from slimgo.elf.pclntab import function_names
from slimgo.errors import BuildError, ElfError, UsageError
from slimgo.gobuild.binary import binary_path, compile_binary
from slimgo.gobuild.buildid import go_build_id
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.gobuild.vcs import vcs_source
from slimgo.imagebuild.base import Base, LayerCache, resolve_base, tzdata_version
from slimgo.imagebuild.gate import check_dynamic_base, check_static
from slimgo.imagebuild.options import FileSpec, ImageOptions
from slimgo.imagebuild.packing import pack_binary
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig, env_set
from slimgo.oci.image import ImageIndex, Layer, StoredImage, assemble, assemble_index
from slimgo.oci.platform import Platform
from slimgo.rootfs import Rootfs
from slimgo.stores.layout import Artifact
from slimgo.stores.transport import Stores

ANNOTATION_SOURCE = "org.opencontainers.image.source"
ANNOTATION_REVISION = "org.opencontainers.image.revision"
ANNOTATION_BASE_NAME = "org.opencontainers.image.base.name"
ANNOTATION_BASE_DIGEST = "org.opencontainers.image.base.digest"


@dataclass(frozen=True)
class PlatformImage:
    platform: Platform
    image: StoredImage
    binary_size: int
    static: bool
    go_version: str
    tzdata: bool


@dataclass(frozen=True)
class BuildResult:
    package: GoPackage
    name: str
    artifact: Artifact
    images: tuple[PlatformImage, ...]


def zone_facts(binary: Path) -> tuple[bool, bool]:
    """Whether the program can load zone files (time.LoadLocation in its function table, which survives -s -w),
    and whether it embeds them itself (time/tzdata)."""
    names = function_names(binary)
    return "time.LoadLocation" in names, any(name.startswith("time/tzdata.") for name in names)


def needs_tzdata(binary: Path, mode: str, base_kind: str,
                 facts: Callable[[Path], tuple[bool, bool]] = zone_facts) -> bool:
    """`auto`: zone files only when the program can load them and does not embed them."""
    if mode != "auto":
        return mode == "always"
    if base_kind != "static":
        return False
    loads, embeds = facts(binary)
    return loads and not embeds


def _file_entries(spec: FileSpec) -> list[Entry]:
    dest = spec.dest.lstrip("/")
    if spec.source.is_dir():
        entries = []
        for path in sorted(spec.source.rglob("*")):
            rel = path.relative_to(spec.source).as_posix()
            target = posixpath.join(dest, rel)
            if path.is_symlink():
                entries.append(Entry(target, kind="symlink", mode=0o777, linkname=os.readlink(path)))
            elif path.is_dir():
                entries.append(Entry(target, kind="dir", mode=0o755))
            else:
                executable = os.access(path, os.X_OK)
                entries.append(Entry(target, mode=spec.mode or (0o755 if executable else 0o644), source=path))
        return entries
    return [Entry(dest, mode=spec.mode or 0o644, source=spec.source)]


class ImageBuilder:
    """`go build` + static gate + layers + config, for one package and one or more platforms."""

    def __init__(self, toolchain: GoToolchain, workdir: Path, stores: Stores, cache: LayerCache | None = None,
                 source_of: Callable[[Path], str | None] = vcs_source) -> None:
        self.toolchain = toolchain
        self.stores = stores
        self.workdir = workdir
        self.cache = cache or LayerCache(workdir)
        self._source_of = source_of

    def build(self, package: GoPackage, gopts: GoBuildOptions, iopts: ImageOptions,
              compiled: Callable[[Platform], Path] | None = None) -> BuildResult:
        """The image (an index for several platforms); ``compiled`` gives a platform's binary when `go build`
        was started earlier (else it runs here)."""
        if gopts.cgo and iopts.base in ("static", "scratch"):
            raise UsageError(f"--cgo with --base {iopts.base}",
                             "a cgo binary needs a C library and loader, which this base does not have",
                             "pass --base with an image that has glibc (e.g. oci:DIR of distroless/base), "
                             "or drop --cgo")
        name = package.binary_name
        images = tuple(self._build_platform(package, name, platform, gopts, iopts, compiled)
                       for platform in iopts.platforms)
        annotations = dict(images[0].image.manifest.annotations)
        artifact: Artifact
        if len(images) == 1:
            artifact = images[0].image
        else:
            index_annotations = {k: v for k, v in annotations.items() if not k.startswith(
                "org.opencontainers.image.base.")}
            artifact = assemble_index([p.image for p in images], index_annotations)
        return BuildResult(package, name, artifact, images)

    def _build_platform(self, package: GoPackage, name: str, platform: Platform, gopts: GoBuildOptions,
                        iopts: ImageOptions, compiled: Callable[[Platform], Path] | None) -> PlatformImage:
        outdir = self.outdir(name, platform)
        outdir.mkdir(parents=True, exist_ok=True)
        binary = compiled(platform) if compiled else compile_binary(
            self.toolchain, package, binary_path(self.cache.blob_cache, outdir, package, platform, gopts), gopts,
            platform)
        # Go touches an up-to-date binary on every build: its build ID, not its times, says it is unchanged
        build_id = go_build_id(binary)
        app_path = posixpath.join(iopts.app_dir, name)
        with ThreadPoolExecutor(max_workers=1) as side:
            # the app layer is compressed while the gates read the binary (a binary to pack: after them)
            early = None if iopts.compress else side.submit(self._app_layer, binary, build_id, app_path, iopts,
                                                             outdir)
            base = resolve_base(iopts.base, platform, self.cache, iopts.compression, iopts.created, iopts.epoch,
                                self.stores, iopts.allow_unsafe_layers)
            linking, info, tz = self._gates(binary, package, platform, gopts, iopts, base.layers, base.kind, build_id)
            binary, packing = pack_binary(binary, platform, gopts, iopts, outdir)
            app_layer = early.result() if early else self._app_layer(binary, None, app_path, iopts, outdir)
        layers: list[Layer] = list(base.layers)
        history: list[dict[str, object]] = list(base.history)
        if tz:
            layers.append(self.cache.get("zoneinfo", iopts.compression, iopts.epoch))
            history.append({"created": iopts.created, "created_by": "slimgo: zoneinfo (/usr/share/zoneinfo)",
                            "comment": f"tzdata {tzdata_version()}"})
        layers.append(app_layer)
        history.append({"created": iopts.created, "created_by": f"slimgo build {package.import_path}",
                        "comment": f"{info.go_version} {' '.join(gopts.flags())}".strip()})
        config = self._config(base, platform, app_path, history, iopts)
        annotations = {**self._manifest_annotations(package, base, info, iopts), **packing,
                       **(gopts.overlay.annotations() if gopts.overlay else {})}
        image = assemble(config, layers, annotations)
        return PlatformImage(platform, image, binary.stat().st_size, linking.static, info.go_version, tz)

    def _gates(self, binary: Path, package: GoPackage, platform: Platform, gopts: GoBuildOptions,
               iopts: ImageOptions, base_layers: tuple[Layer, ...], base_kind: str,
               build_id: str | None) -> tuple[Linking, BuildInfo, bool]:
        """The static (or loader) gate, the build info, and whether zoneinfo goes in."""
        try:
            if gopts.cgo:
                linking = check_dynamic_base(binary, platform, Rootfs(base_layers), iopts.base)
            else:
                # `go list` for the cgo users costs a second; only a failing gate needs them for its message.
                users = [] if read_linking(binary).static else self.toolchain.cgo_packages(package, gopts, platform)
                linking = check_static(binary, platform, users)
            info = read_buildinfo(binary)
            tz = needs_tzdata(binary, iopts.tzdata, base_kind, lambda path: self._zone_facts(path, build_id))
        except ElfError as err:
            raise BuildError(str(binary), f"was built but cannot be read as an ELF binary: {err.cause}",
                             "report this; check the Go toolchain targets linux") from None
        return linking, info, tz

    def _app_layer(self, binary: Path, build_id: str | None, app_path: str, iopts: ImageOptions,
                   outdir: Path) -> Layer:
        """The binary at ``app_path`` with the --file entries (and a ko project's kodata)."""
        entries = [Entry(app_path.lstrip("/"), mode=0o755, source=binary)]
        for spec in iopts.files:
            entries += _file_entries(spec)
        entries += iopts.entries
        return build_layer(entries, outdir, iopts.compression, iopts.epoch, self.cache.blob_cache,
                           {binary: f"go-build-id:{build_id}"} if build_id else None)

    def outdir(self, name: str, platform: Platform) -> Path:
        """The scratch directory of one binary's layer (and its binary when there is no cache)."""
        return self.workdir / f"{name}-{str(platform).replace('/', '-')}"

    def _zone_facts(self, binary: Path, build_id: str | None) -> tuple[bool, bool]:
        """zone_facts, kept by Go build ID in the cache (a large program's function table takes ~0.1 s)."""
        if build_id is None or self.cache.blob_cache is None:
            return zone_facts(binary)
        kept = self.cache.blob_cache / "facts" / f"{hashlib.sha256(build_id.encode()).hexdigest()}.json"
        try:
            with kept.open("rb") as handle:
                loads, embeds = json.loads(handle.read(100))["zone"]
            return bool(loads), bool(embeds)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        facts = zone_facts(binary)
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            scratch = kept.with_name(f"{kept.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            scratch.write_text(json.dumps({"zone": list(facts)}))
            os.replace(scratch, kept)
        except OSError:
            pass  # a cache that cannot be written is skipped
        return facts

    def _config(self, base: Base, platform: Platform, app_path: str, history: list[dict[str, object]],
                iopts: ImageOptions) -> ImageConfig:
        config = base.config
        env = config.env
        if base.kind == "scratch" or not any(e.startswith("PATH=") for e in env):
            env = env_set(env, "PATH", static.DEFAULT_PATH)
        for key, value in iopts.env:
            env = env_set(env, key, value)
        user = iopts.user if iopts.user is not None else (config.user or f"{static.NONROOT_UID}:{static.NONROOT_UID}")
        ports = {**(config.runtime.get("ExposedPorts") or {}), **{p: {} for p in iopts.ports}}
        labels = {**config.labels, **dict(iopts.labels)}
        config = config.replace_runtime(
            Entrypoint=[app_path],
            Cmd=list(iopts.args) if iopts.args else None,
            Env=env,
            User=user,
            WorkingDir=iopts.workdir if iopts.workdir is not None else (config.working_dir or None),
            ExposedPorts=ports or None,
            Labels=labels or None,
        )
        return config.replace(
            created=iopts.created,
            history=history,
            architecture=platform.architecture,
            os=platform.os,
            variant=platform.variant or None,
        )

    def _manifest_annotations(self, package: GoPackage, base: Base, info: BuildInfo,
                              iopts: ImageOptions) -> dict[str, str]:
        annotations: dict[str, str] = {}
        revision = info.setting("vcs.revision")
        if revision:
            annotations[ANNOTATION_REVISION] = revision
            source = self._source_of(package.dir)
            if source:
                annotations[ANNOTATION_SOURCE] = source
        if base.kind == "image" and base.name and base.digest:
            annotations[ANNOTATION_BASE_NAME] = base.name
            annotations[ANNOTATION_BASE_DIGEST] = str(base.digest)
        annotations.update(dict(iopts.annotations))
        return annotations


def is_index(artifact: Artifact) -> bool:
    return isinstance(artifact, ImageIndex)
