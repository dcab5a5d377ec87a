"""Scan a binary, or every Go binary of an image (with its path and layer), and assemble the report."""

from __future__ import annotations

__all__ = ["BinaryScan", "Report", "apply_ignores", "check_target", "failing", "scan_image", "scan_target"]

import posixpath
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from slimgo.elf._reader import ElfImage, open_elf
from slimgo.elf.buildinfo import NOT_A_GO_BINARY, buildinfo_of
from slimgo.errors import ElfError, InputError, UnusableBinary
from slimgo.vuln.database import Database
from slimgo.vuln.fix import Upgrade, upgrade_set
from slimgo.vuln.match import PRESENT, Finding, match_binary
from slimgo.vuln.symbols import Symbols, symbols_of

if TYPE_CHECKING:
    from slimgo.oci.image import StoredImage
    from slimgo.stores.transport import Stores

MAX_BINARY_BYTES = 2 << 30  # larger files in a layer are not read (no Go binary is that big)
_ELF_MAGIC = b"\x7fELF"


@dataclass
class BinaryScan:
    path: str  # the file given, or the path inside the image
    go_version: str
    main_module: str
    goos: str
    goarch: str
    findings: list[Finding]
    layer: int | None = None  # index in the image's layers (0 = base)
    layer_digest: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str
    layer: int | None = None


@dataclass
class Report:
    target: str
    database: Database
    binaries: list[BinaryScan]
    skipped: list[Skipped] = field(default_factory=list)
    upgrades: list[Upgrade] = field(default_factory=list)
    image_digest: str | None = None
    platform: str | None = None

    @property
    def findings(self) -> list[Finding]:
        return [f for b in self.binaries for f in b.findings]


def scan_elf(image: ElfImage, shown: str, db: Database, now: datetime) -> BinaryScan:
    """Match one opened binary; ElfError when it has no usable Go build information."""
    info = buildinfo_of(image)
    if not info.supported:
        raise UnusableBinary(shown, f"was built by {info.go_version}: {info.note}",
                       "rebuild it with Go 1.18 or newer, which records the modules it was built from")
    main_path = info.path or (info.main.path if info.main else "")
    symbols: Symbols | None
    note = None
    try:
        with image.parsing("Go function table"):
            symbols = symbols_of(image, main_path)
    except ElfError as err:
        symbols, note = None, f"function table unreadable ({err.cause}): every affected advisory counts as present"
    findings = match_binary(info, symbols, db, now)
    return BinaryScan(shown, info.go_version, info.main.path if info.main else info.path,
                      info.setting("GOOS") or "", info.setting("GOARCH") or "", findings, note=note)


def scan_file(path: Path, db: Database, now: datetime) -> BinaryScan:
    with open_elf(path) as image:
        return scan_elf(image, str(path), db, now)


def _usable(member: tarfile.TarInfo) -> bool:
    """Which layer entries are read at all: regular files of a sane size (the path is never written anywhere)."""
    return member.isfile() and 4 <= member.size <= MAX_BINARY_BYTES


def _copy_if_elf(source: IO[bytes], dest: Path) -> bool:
    head = source.read(4)
    if head != _ELF_MAGIC:
        return False
    with open(dest, "wb") as out:
        out.write(head)
        shutil.copyfileobj(source, out, 1 << 20)
    return True


def scan_image(image: StoredImage, shown: str, db: Database, now: datetime) -> tuple[list[BinaryScan], list[Skipped]]:
    """Every Go binary the merged filesystem holds: each read from the layer that provides it."""
    from slimgo.compression import open_tar
    from slimgo.rootfs import Rootfs

    rootfs = Rootfs(image.layers)
    binaries: list[BinaryScan] = []
    skipped: list[Skipped] = []
    with tempfile.TemporaryDirectory(prefix="slimgo-vuln-") as tmp:
        scratch = Path(tmp) / "binary"
        for index, layer in enumerate(image.layers):
            digest = str(layer.descriptor.digest)
            with open_tar(layer) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    path = posixpath.normpath("/" + member.name.lstrip("/"))
                    node = rootfs.nodes.get(path)
                    if not _usable(member) or node is None or node.layer != index or node.kind != "file":
                        continue
                    data = tar.extractfile(member)
                    if data is None or not _copy_if_elf(data, scratch):
                        continue
                    try:
                        scan = scan_file(scratch, db, now)
                    except ElfError as err:
                        if NOT_A_GO_BINARY not in err.cause:
                            skipped.append(Skipped(path, err.cause, index))
                        continue
                    scan.path, scan.layer, scan.layer_digest = path, index, digest
                    binaries.append(scan)
    return binaries, skipped


def scan_target(target: str, db: Database, now: datetime, *, stores: Stores | None = None,
                platform: str | None = None, ignores: dict[str, str] | None = None) -> Report:
    """The report for a binary path, or for an image in any transport (one platform of an index)."""
    if _is_image(target):
        from slimgo.host import host_platform
        from slimgo.oci.platform import Platform
        from slimgo.stores.transport import Stores

        chosen = Platform.parse(platform) if platform else host_platform()
        image = (stores or Stores()).open_image(target, chosen)
        binaries, skipped = scan_image(image, target, db, now)
        report = Report(target, db, binaries, skipped, image_digest=str(image.digest),
                        platform=str(image.config.platform))
    else:
        check_target(target)
        report = Report(target, db, [scan_file(Path(target), db, now)])
    apply_ignores(report.findings, ignores or {})
    report.upgrades = upgrade_set(report.findings, db.advisory)
    return report


def apply_ignores(findings: list[Finding], ignores: dict[str, str]) -> None:
    """Mark the findings an ignore names (by its GO- id or an alias) with the reason given."""
    for finding in findings:
        for ident in (finding.id, *finding.aliases):
            if ident in ignores:
                finding.ignored = ignores[ident] or "ignored"
                break


def failing(findings: list[Finding], fail_on: str) -> list[Finding]:
    """The findings that fail the gate: present ones (or every affected one) not ignored."""
    if fail_on == "never":
        return []
    return [f for f in findings if f.ignored is None and (fail_on == "affected" or f.status == PRESENT)]


def check_target(target: str) -> None:
    """A target that is no image must be a readable file: said before the database is even opened."""
    if _is_image(target):
        return
    path = Path(target)
    if not path.is_file():
        from slimgo.stores.transport import SYNTAX

        raise InputError(target, "no such file" if not path.exists() else "is not a regular file",
                         f"give the path of a Go binary, or an image ({SYNTAX})")


def _is_image(target: str) -> bool:
    """An existing file wins over a transport-looking name (a file may be called "oci:x")."""
    if Path(target).exists():
        return False
    from slimgo.stores.transport import TRANSPORTS

    return target.startswith(tuple(f"{t}:" for t in TRANSPORTS))
