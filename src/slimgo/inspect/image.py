"""Find an image's entrypoint binary in its layers (whiteouts and symlinks honoured) and copy it to a file."""

from __future__ import annotations

__all__ = ["extract_file", "find_entrypoint"]

import posixpath
import tarfile
from pathlib import Path

from slimgo.errors import ImageFormatError, UnusableBinary
from slimgo.layercheck import copy_entry
from slimgo.oci.config import env_get
from slimgo.oci.image import StoredImage
from slimgo.rootfs import Rootfs

_ELF_MAGIC = b"\x7fELF"
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def entrypoint_argv(image: StoredImage) -> list[str]:
    """What the container runs: Entrypoint followed by Cmd, as a runtime would join them."""
    config = image.config
    return [*config.entrypoint, *config.cmd]


def find_entrypoint(image: StoredImage, rootfs: Rootfs, where: str) -> tuple[list[str], str]:
    """The argv and the absolute path, inside the image, of the program the image runs."""
    argv = entrypoint_argv(image)
    if not argv:
        raise ImageFormatError(where, "has no Entrypoint and no Cmd, so there is no binary to inspect",
                               "set an entrypoint when building the image")
    program = argv[0]
    if program.startswith("/"):
        candidates = [program]
    elif "/" in program:
        candidates = [posixpath.join(image.config.working_dir or "/", program)]
    else:  # looked up on the image's PATH, as a runtime does
        search = env_get(image.config.env, "PATH") or _DEFAULT_PATH
        candidates = [posixpath.join(d or "/", program) for d in search.split(":")]
    for candidate in candidates:
        node = rootfs.resolve(candidate)
        if node is not None and node.kind == "file":
            return argv, node.path
    raise ImageFormatError(where, f"runs {program!r}, which is not a regular file in its layers",
                           "check the image's Entrypoint/Cmd and that its layers hold the binary")


def extract_file(rootfs: Rootfs, path: str, dest: Path, where: str) -> None:
    """Stream the regular file at ``path`` (already resolved) from its layer into ``dest``.

    Only an ELF file is extracted (its first bytes are checked before anything is written), and the copy stops at the
    per-entry limit, so a hostile image costs neither memory nor disk.
    """
    node = rootfs.nodes.get(path)
    if node is None or node.kind != "file":
        raise ImageFormatError(where, f"{path} is not a regular file in its layers", "check the image")
    try:
        with rootfs.member(node) as src:
            head = src.read(len(_ELF_MAGIC))
            if head != _ELF_MAGIC:
                raise UnusableBinary(f"{where} {path}", "is not an ELF binary (it does not start with \\x7fELF)",
                               "inspect an image whose entrypoint is a Go binary")
            with open(dest, "wb") as out:
                out.write(head)
                copy_entry(src, out, rootfs.limits.entry, f"{where} {path}", copied=len(head))
    except (tarfile.TarError, EOFError, ValueError) as err:
        raise ImageFormatError(where, f"cannot read {path} from its layer ({err})",
                               "the image is corrupt; rebuild or pull it again") from None
    except OSError as err:
        raise ImageFormatError(where, f"cannot extract {path} to {dest.parent} ({err.strerror or err})",
                               "free space in the temporary directory, or point TMPDIR at a larger file system") \
            from None
