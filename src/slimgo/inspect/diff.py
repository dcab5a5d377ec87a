"""Size deltas between two inspect reports: per section, per package and per group."""

from __future__ import annotations

__all__ = ["DeltaRow", "Diff", "diff_reports"]

from dataclasses import dataclass

from slimgo.inspect.binary import BinaryReport


@dataclass(frozen=True)
class DeltaRow:
    name: str
    a: int
    b: int
    delta: int


@dataclass(frozen=True)
class Diff:
    a: str
    b: str
    file_bytes: DeltaRow
    sections: list[DeltaRow]
    packages: list[DeltaRow]
    groups: list[DeltaRow]
    layer: list[DeltaRow]  # tar, gzip and zstd layer sizes, when both sides have them


def _rows(a: dict[str, int], b: dict[str, int]) -> list[DeltaRow]:
    rows = [DeltaRow(name, a.get(name, 0), b.get(name, 0), b.get(name, 0) - a.get(name, 0))
            for name in set(a) | set(b)]
    return sorted(rows, key=lambda r: (-abs(r.delta), r.name))


def diff_reports(a: BinaryReport, b: BinaryReport) -> Diff:
    """Every section, package and group that exists in either report, largest change first."""
    return Diff(
        a=a.target,
        b=b.target,
        file_bytes=DeltaRow("file", a.file_bytes, b.file_bytes, b.file_bytes - a.file_bytes),
        sections=_rows(dict(a.size.sections), dict(b.size.sections)),
        packages=_rows({p.name: p.size for p in a.size.packages}, {p.name: p.size for p in b.size.packages}),
        groups=_rows(a.size.groups, b.size.groups),
        layer=_layer_rows(a, b),
    )


def _layer_rows(a: BinaryReport, b: BinaryReport) -> list[DeltaRow]:
    la, lb = a.size.layer, b.size.layer
    if la is None or lb is None:
        return []
    return [DeltaRow(name, x, y, y - x) for name, x, y in (
        ("tar", la.tar_bytes, lb.tar_bytes), ("gzip", la.gzip_bytes, lb.gzip_bytes),
        ("zstd", la.zstd_bytes, lb.zstd_bytes))]
