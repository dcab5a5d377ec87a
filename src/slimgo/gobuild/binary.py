"""`go build` of one main package for one platform into a stable path, so Go can skip an up-to-date link."""

from __future__ import annotations

__all__ = ["binary_path", "compile_binary"]

import hashlib
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
