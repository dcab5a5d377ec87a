"""The static gate: a binary for the embedded base must be static; a cgo binary must find its libc in the base."""

from __future__ import annotations

__all__ = ["check_dynamic_base", "check_static"]

import io
import posixpath
from collections.abc import Sequence
from pathlib import Path

from slimgo.elf.linking import Linking, read_linking
from slimgo.errors import StaticLinkError
from slimgo.gobuild.cgodrop import DroppedCgo
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
    # pyelftools (a fifth of `slimgo build`'s start-up) loads only for a cgo build's libc
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerDefSection

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


# Every dynamic loader a glibc or musl binary may name in PT_INTERP, per architecture.
_LOADERS = {
    "amd64": ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1"),
    "arm64": ("/lib/ld-linux-aarch64.so.1", "/lib64/ld-linux-aarch64.so.1", "/lib/ld-musl-aarch64.so.1"),
    "arm": ("/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3", "/lib/ld-musl-armhf.so.1"),
    "386": ("/lib/ld-linux.so.2", "/lib/ld-musl-i386.so.1"),
    "ppc64le": ("/lib64/ld64.so.2", "/lib/ld-musl-powerpc64le.so.1"),
    "s390x": ("/lib/ld64.so.1", "/lib/ld-musl-s390x.so.1"),
    "riscv64": ("/lib/ld-linux-riscv64-lp64d.so.1", "/lib/ld-musl-riscv64.so.1"),
}


def check_loader_before_cgo(rootfs: Rootfs, platform: Platform, base_name: str) -> None:
    """Refuse `--cgo` on a base with no dynamic loader at all, before minutes of compiling C."""
    loaders = _LOADERS.get(platform.architecture, ())
    if loaders and not any(rootfs.exists(path) for path in loaders):
        raise StaticLinkError(f"--cgo with --base {base_name}",
                              f"this base has no dynamic loader for {platform} ({', '.join(loaders)}), so no cgo "
                              "binary can start in it",
                              "pass --base with an image that has glibc (e.g. gcr.io/distroless/base or cc), "
                              "or drop --cgo")


def check_dropped_cgo(dropped: Sequence[DroppedCgo], where: str) -> list[str]:
    """An error for a dependency that CGO_ENABLED=0 turned into a stub; warnings for the rest."""
    fix = "pass --cgo with a --base that has glibc, or use a pure-Go alternative (e.g. modernc.org/sqlite " \
          "for github.com/mattn/go-sqlite3)"
    stubs = [d for d in dropped if d.stub]
    if stubs:
        names = ", ".join(f"{d.import_path} ({', '.join(d.cgo_files[:3])}{', ...' if len(d.cgo_files) > 3 else ''})"
                          for d in stubs)
        raise StaticLinkError(where, f"links {names} without its cgo files (CGO_ENABLED=0): what is left is a stub "
                              "that fails when the program runs", fix)
    return [f"{where}: {d.import_path} is built without its cgo files ({', '.join(d.cgo_files[:3])}) and uses "
            f"its pure-Go code instead; {fix}" for d in dropped]
