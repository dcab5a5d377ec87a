"""`build --compress upx`: pack the checked binary before it is layered, and record what it replaced."""

from __future__ import annotations

__all__ = ["ANNOTATION_ORIGINAL_DIGEST", "ANNOTATION_ORIGINAL_SIZE", "pack_binary"]

from pathlib import Path

from slimgo.errors import BuildError
from slimgo.gobuild.options import GoBuildOptions
from slimgo.imagebuild.options import ImageOptions
from slimgo.oci.platform import Platform

ANNOTATION_PACKER = "dev.slimgo.binary.packer"
ANNOTATION_ORIGINAL_DIGEST = "dev.slimgo.binary.unpacked.digest"
ANNOTATION_ORIGINAL_SIZE = "dev.slimgo.binary.unpacked.size"


def pack_binary(binary: Path, platform: Platform, gopts: GoBuildOptions, iopts: ImageOptions,
                outdir: Path) -> tuple[Path, dict[str, str]]:
    """The binary to layer and the annotations that describe its packing (none without --compress)."""
    if not iopts.compress:
        return binary, {}
    from slimgo.elf.linking import read_linking
    from slimgo.gobuild import upx
    from slimgo.host import host_platform

    level = upx.parse_level(iopts.compress)
    upx.check_platform(platform)
    linking = read_linking(binary)
    if gopts.cgo or not linking.static or linking.elf_type != "ET_EXEC":
        kind = "a cgo" if gopts.cgo else ("a dynamically linked" if not linking.static else "a position-independent")
        raise BuildError(f"--compress {iopts.compress} ({binary.name}, {platform})",
                         f"is {kind} binary ({linking.elf_type}), which UPX cannot pack safely",
                         "drop --compress, or build static and not PIE (no --cgo, no -buildmode=pie)")
    upx.find_upx()
    packed = upx.pack(binary, outdir / binary.name, level)
    if platform.os == host_platform().os and platform.architecture == host_platform().architecture:
        upx.start_once(packed.path, iopts.args or (), iopts.env)
    return packed.path, {
        ANNOTATION_PACKER: f"upx:{level}",
        ANNOTATION_ORIGINAL_DIGEST: packed.original_digest,
        ANNOTATION_ORIGINAL_SIZE: str(packed.original_bytes),
    }
