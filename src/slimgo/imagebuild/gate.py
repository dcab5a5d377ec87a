"""The static gate: a binary for the embedded base must be static; a cgo binary must find its libc in the base."""

from __future__ import annotations

__all__ = ["check_dynamic_base", "check_static"]

import io
import posixpath
from collections.abc import Sequence
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection

from slimgo.elf.linking import Linking, read_linking
from slimgo.errors import StaticLinkError
from slimgo.oci.platform import Platform
from slimgo.rootfs import Rootfs

# Where the dynamic loader looks when the binary has no RUNPATH (glibc's trusted dirs plus Debian multiarch).
_LIB_DIRS = {
    "amd64": ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"),
    "arm64": ("/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"),
    "arm": ("/lib/arm-linux-gnueabihf", "/usr/lib/arm-linux-gnueabihf"),
    "386": ("/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu"),
    "ppc64le": ("/lib/powerpc64le-linux-gnu", "/usr/lib/powerpc64le-linux-gnu"),
    "s390x": ("/lib/s390x-linux-gnu", "/usr/lib/s390x-linux-gnu"),
    "riscv64": ("/lib/riscv64-linux-gnu", "/usr/lib/riscv64-linux-gnu"),
}
_GENERIC = ("/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib")


def check_machine(binary: Path, linking: Linking, platform: Platform) -> None:
    if linking.machine != platform.architecture:
        raise StaticLinkError(str(binary), f"is built for {linking.machine}, but the image targets {platform}",
                              "this is a toolchain problem: check GOARCH is not overridden in the Go env")


def check_static(binary: Path, platform: Platform, cgo_packages: Sequence[str]) -> Linking:
    """Fail unless ``binary`` has no PT_INTERP and no DT_NEEDED (what a static base can run)."""
    linking = read_linking(binary)
    check_machine(binary, linking, platform)
    if linking.static:
        return linking
    evidence = []
    if linking.interpreter:
        evidence.append(f"{linking.interpreter} (PT_INTERP)")
    if linking.needed:
        evidence.append(f"{', '.join(linking.needed)} (DT_NEEDED)")
    users = f"; packages using cgo: {', '.join(cgo_packages)}" if cgo_packages else ""
    raise StaticLinkError(
        str(binary),
        f"is not static: it needs {' and '.join(evidence) or 'a dynamic loader'}{users}",
        "build with CGO_ENABLED=0 (the default; check CGO_ENABLED in your Go env and -ldflags for -linkmode=external), "
        "or pass --cgo with --base naming an image that has glibc",
    )


def _glibc_versions(data: bytes) -> set[str]:
    """The GLIBC_x.y version names a libc.so.6 defines."""
    names: set[str] = set()
    try:
        elf = ELFFile(io.BytesIO(data))
        for section in elf.iter_sections():
            if isinstance(section, GNUVerDefSection):
                for _verdef, auxiliaries in section.iter_versions():
                    for aux in auxiliaries:
                        names.add(aux.name)
    except (ELFError, ValueError, KeyError):
        return set()
    return names


def _version_key(name: str) -> tuple[int, ...]:
    digits = name.split("_", 1)[-1]
    return tuple(int(p) for p in digits.split(".") if p.isdigit())


def check_dynamic_base(binary: Path, platform: Platform, rootfs: Rootfs, base_name: str) -> Linking:
    """Check that ``rootfs`` holds the interpreter, every DT_NEEDED library, and a new enough glibc."""
    linking = read_linking(binary)
    check_machine(binary, linking, platform)
    fix = "use a --base that has glibc for this platform (e.g. gcr.io/distroless/base or cc), or build static"
    if linking.interpreter and not rootfs.exists(linking.interpreter):
        raise StaticLinkError(base_name, f"lacks the dynamic loader {linking.interpreter} that {binary.name} "
                              "needs (PT_INTERP)", fix)
    dirs = [*linking.runpath, *linking.rpath, *_LIB_DIRS.get(platform.architecture, ()), *_GENERIC]
    libc_path: str | None = None
    for lib in linking.needed:
        found = next((posixpath.join(d, lib) for d in dirs if rootfs.exists(posixpath.join(d, lib))), None)
        if found is None:
            raise StaticLinkError(base_name, f"lacks {lib} that {binary.name} needs (DT_NEEDED); looked in "
                                  f"{', '.join(dict.fromkeys(dirs))}", fix)
        if lib.startswith("libc.so"):
            libc_path = found
    if linking.glibc_required and libc_path is not None:
        provided = _glibc_versions(rootfs.read(libc_path))
        glibc = sorted((v for v in provided if v.startswith("GLIBC_") and _version_key(v)), key=_version_key)
        highest = glibc[-1].removeprefix("GLIBC_") if glibc else "unknown"
        if f"GLIBC_{linking.glibc_required}" not in provided:
            raise StaticLinkError(base_name, f"has glibc {highest} at {libc_path}, but {binary.name} needs "
                                  f"glibc >= {linking.glibc_required}", fix + " with a newer glibc")
    return linking
