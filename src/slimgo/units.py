"""Byte counts as a person reads them (binary units), shared by every report."""

from __future__ import annotations

__all__ = ["human_bytes"]


def human_bytes(n: int) -> str:
    """`512 B`, `1.5 KiB`, `2.4 MiB`, `3.0 GiB`; negative counts (size deltas) keep their sign."""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
