"""A bench result as plain-words verdicts and as the documented JSON payload (kind slimgo.bench)."""

from __future__ import annotations

__all__ = ["payload", "verdicts"]

from dataclasses import asdict
from typing import Any

from slimgo.bench.measure import BenchResult, Measured, Stat


def _reference(result: BenchResult, measured: Measured) -> Measured | None:
    """What a variant is compared with: UPX and zstd with the stripped build they start from, the rest with plain."""
    names = {m.variant.name: m for m in result.variants}
    if measured.variant.compress or measured.variant.compression != "gzip":
        return names.get("strip") or names.get("plain")
    return names.get("plain")


def _change(value: float, base: float, unit: str, scale: float) -> str:
    delta = value - base
    pct = f"{delta / base * 100:+.0f}%" if base else "n/a"
    return f"{delta / scale:+.1f} {unit} ({pct})"


def _optional(label: str, value: Stat | None, base: Stat | None, unit: str, scale: float) -> str:
    """A comparison of medians measured only in some runs (in runc): empty when either side was not."""
    return "" if value is None or base is None else f"{label} {_change(value.median, base.median, unit, scale)}"


def verdicts(result: BenchResult) -> list[str]:
    """One sentence per variant that is not its own reference: what it saves and what it costs, in medians."""
    lines = []
    for measured in result.variants:
        base = _reference(result, measured)
        if base is None or base is measured:
            continue
        start_ratio = measured.startup_ms.median / base.startup_ms.median if base.startup_ms.median else 0.0
        pull = _change(measured.compressed_bytes, base.compressed_bytes, "MB", 1e6)
        lines.append(
            f"{measured.variant.name} vs {base.variant.name}: binary "
            f"{_change(measured.binary_bytes, base.binary_bytes, 'MB', 1e6)}, pull {pull}, pull time "
            f"{_change(measured.pull_ms.median, base.pull_ms.median, 'ms', 1)}, startup "
            f"{_change(measured.startup_ms.median, base.startup_ms.median, 'ms', 1)} (x{start_ratio:.1f}), "
            f"RSS {_change(measured.rss_bytes.median, base.rss_bytes.median, 'MB', 1e6)}"
            + _optional(", in runc", measured.startup_container_ms, base.startup_container_ms, "ms", 1)
            + _optional(", RSS in runc", measured.rss_container_bytes, base.rss_container_bytes, "MB", 1e6)
            + (" - the pull is LARGER" if measured.compressed_bytes > base.compressed_bytes else ""))
    return lines


def _stat(stat: Stat | None) -> dict[str, Any] | None:
    return None if stat is None else {**asdict(stat), "samples": list(stat.samples)}


def payload(result: BenchResult) -> dict[str, Any]:
    return {
        "package": result.package,
        "repetitions": result.repetitions,
        "probe": result.program.probe,
        "args": list(result.program.args),
        "variants": [{
            "name": m.variant.name,
            "flags": m.variant.go_flags,
            "compress": m.variant.compress,
            "compression": m.variant.compression,
            "binary_bytes": m.binary_bytes,
            "compressed_bytes": m.compressed_bytes,
            "uncompressed_bytes": m.uncompressed_bytes,
            "pull_ms": _stat(m.pull_ms),
            "startup_ms": _stat(m.startup_ms),
            "startup_container_ms": _stat(m.startup_container_ms),
            "rss_bytes": _stat(m.rss_bytes),
            "rss_container_bytes": _stat(m.rss_container_bytes),
        } for m in result.variants],
        "verdicts": verdicts(result),
        "elapsed_s": {phase: round(seconds, 3) for phase, seconds in result.elapsed_s.items()},
    }
