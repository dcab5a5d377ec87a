"""`go build` of one main package for one platform into a stable path, so Go can skip an up-to-date link."""

from __future__ import annotations

__all__ = ["binary_path", "compile_binary", "compile_together"]

import hashlib
from collections.abc import Sequence
from pathlib import Path

from slimgo.errors import BuildError
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.oci.platform import Platform


def binary_path(cache: Path | None, outdir: Path, package: GoPackage, platform: Platform,
                gopts: GoBuildOptions) -> Path:
    """Where `go build -o` writes. A stable path per package, flags and platform (in the cache) lets Go see
    an up-to-date binary and skip the link, which is most of a warm build's time."""
    if cache is None:
        outdir.mkdir(parents=True, exist_ok=True)
        return outdir / package.binary_name
    key = "\0".join([str(package.dir), package.import_path, str(platform), *gopts.flags(),
                     gopts.overlay.key if gopts.overlay else "",
                     *sorted(f"{k}={v}" for k, v in gopts.environment(platform).items())])
    directory = cache / "bin" / hashlib.sha256(key.encode()).hexdigest()[:32]
    directory.mkdir(parents=True, exist_ok=True)
    return directory / package.binary_name


def compile_binary(toolchain: GoToolchain, package: GoPackage, binary: Path, gopts: GoBuildOptions,
                   platform: Platform) -> Path:
    """`go build` into ``binary``; a failure caused by cgo says which packages use it."""
    try:
        toolchain.build(package, binary, gopts, platform)
    except BuildError as err:
        users = [] if gopts.cgo else toolchain.cgo_packages(package, gopts, platform)
        if users:
            raise BuildError(
                f"package {package.import_path} ({platform})",
                f"needs cgo (packages using it: {', '.join(users)}), and slimgo builds with CGO_ENABLED=0 "
                f"so the binary is static; go build said:\n{err.cause.removeprefix('failed:').lstrip()}",
                "drop the cgo dependency (pure-Go alternatives exist for most), or pass --cgo with --base "
                "naming an image that has glibc",
            ) from None
        raise
    return binary


def compile_together(toolchain: GoToolchain, packages: Sequence[GoPackage], cache: Path, gopts: GoBuildOptions,
                     platform: Platform) -> dict[str, Path]:
    """One `go build -o DIR/` of several main packages of one module, with distinct binary names: Go loads the
    package graph once and links in parallel, and DIR is stable for this set, flags and platform, so it skips
    up-to-date links. A failure is built again package by package, so the error names its package. Returns each
    import path's binary."""
    key = "\0".join(["together", *sorted(p.import_path for p in packages), str(packages[0].dir), str(platform),
                     *gopts.flags(), *sorted(f"{k}={v}" for k, v in gopts.environment(platform).items())])
    directory = cache / "bin" / f"all-{hashlib.sha256(key.encode()).hexdigest()[:28]}"
    directory.mkdir(parents=True, exist_ok=True)
    try:
        toolchain.build_many(packages, directory, gopts, platform)
    except BuildError:
        return {p.import_path: compile_binary(toolchain, p, binary_path(cache, directory, p, platform, gopts), gopts,
                                              platform) for p in packages}
    return {p.import_path: directory / p.binary_name for p in packages}
