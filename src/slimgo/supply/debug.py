"""The debug variant of a built image: the same image plus one layer with a static busybox (or tools the user
names) under /busybox, on PATH, the user unchanged; written beside the image under `<tag>-debug`."""

from __future__ import annotations

__all__ = ["tools", "write_variant"]

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slimgo.errors import InputError, UsageError
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import env_get, env_set
from slimgo.oci.image import StoredImage, assemble
from slimgo.stores.transport import Location, Stores

TOOLS_DIR = "busybox"
DEFAULT_BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static installs a static binary here
APPLETS = ("sh", "ls", "cat", "ps", "top", "env", "id", "grep", "find", "less", "vi", "wget", "nslookup", "netstat",
           "df", "du", "mount", "ip", "kill", "tail", "head", "sleep", "echo", "hostname")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class DebugVariant:
    image: str  # the main image
    reference: str  # where the variant was written


def tools(paths: Sequence[Path]) -> list[Path]:
    """The files to add: the ones given, else Debian's static busybox."""
    chosen = list(paths) or [DEFAULT_BUSYBOX]
    for path in chosen:
        if not path.is_file():
            fix = "install Debian's busybox-static (apt-get install busybox-static), or pass --debug-tools PATH" \
                if path == DEFAULT_BUSYBOX else "give an existing file"
            raise InputError(str(path), "does not exist or is not a file", fix)
        if path.read_bytes()[:4] != b"\x7fELF":
            raise UsageError(f"--debug-tools {path}", "is not an executable (no ELF header)",
                             "give static binaries: they run in a distroless image")
    return chosen


def _entries(files: Sequence[Path]) -> list[Entry]:
    entries = [Entry(TOOLS_DIR, kind="dir", mode=0o755)]
    names = set()
    for path in files:
        names.add(path.name)
        entries.append(Entry(f"{TOOLS_DIR}/{path.name}", mode=0o755, source=path))
    if "busybox" in names:
        entries += [Entry(f"{TOOLS_DIR}/{applet}", kind="symlink", linkname="busybox")
                    for applet in APPLETS if applet not in names]
    return entries


def variant(image: StoredImage, files: Sequence[Path], workdir: Path) -> StoredImage:
    """``image`` with one more layer holding ``files`` under /busybox, and /busybox appended to PATH."""
    config = image.config
    epoch_text = str(config.data.get("created", ""))
    layer = build_layer(_entries(files), workdir, "gzip", 0)
    path = env_get(config.env, "PATH") or DEFAULT_PATH
    history = [*config.history, {"created": epoch_text or "1970-01-01T00:00:00Z",
                                 "created_by": "slimgo: debug tools (/busybox)"}]
    debug_config = config.replace(history=history).replace_runtime(
        Env=env_set(config.env, "PATH", f"{path}:/{TOOLS_DIR}"))
    return assemble(debug_config, [*image.layers, layer], image.manifest.annotations, image.media_type)


def debug_location(image: str) -> Location:
    """Where the variant of ``image`` goes: its tag with `-debug` appended, in the same layout or repository."""
    location = Location.parse(image)
    tag = location.tag
    if location.transport == "docker":
        from slimgo.stores.registry.reference import Reference

        ref = Reference.parse(location.path)
        if ref.tag is None and ref.digest is not None:
            raise UsageError(image, "names the image by digest, and its debug variant is found by tag (<tag>-debug)",
                             "name the image by the tag it was built with")
        tag = ref.tag
    return location.sibling(f"{tag or 'latest'}-debug")


def write_variant(stores: Stores, image: str, files: Sequence[Path]) -> DebugVariant:
    artifact = stores.read(image)
    if not isinstance(artifact, StoredImage):
        raise UsageError(f"--debug-variant for {image}", "is an index of several platforms, and the debug tools "
                         "are one platform's binaries", "build the debug variant for one --platform")
    workdir = Path(tempfile.mkdtemp(prefix="slimgo-debug-"))
    try:
        written = stores.write(debug_location(image), variant(artifact, files, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return DebugVariant(image, written)
