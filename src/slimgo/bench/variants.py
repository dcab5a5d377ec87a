"""The build variants a bench compares: the article's plain `go build`, then each size trick on its own."""

from __future__ import annotations

__all__ = ["Variant", "choose"]

from dataclasses import dataclass

from slimgo.errors import UsageError


@dataclass(frozen=True)
class Variant:
    name: str
    flags: tuple[str, ...]  # `slimgo build` flags that make this variant
    compress: str | None  # upx level, None for no packing
    compression: str  # layer codec

    @property
    def go_flags(self) -> str:
        """The Go flags this variant builds with, for a person reading the table."""
        parts = []
        if "--no-trimpath" not in self.flags:
            parts.append("-trimpath")
        if "--no-strip" not in self.flags:
            parts.append("-ldflags=-s -w")
        return " ".join(parts) or "(none)"


VARIANTS: tuple[Variant, ...] = (
    Variant("plain", ("--no-strip", "--no-trimpath"), None, "gzip"),
    Variant("trimpath", ("--no-strip",), None, "gzip"),
    Variant("strip", (), None, "gzip"),
    Variant("upx-fast", ("--compress", "upx:fast"), "upx:fast", "gzip"),
    Variant("upx-best", ("--compress", "upx:best"), "upx:best", "gzip"),
    Variant("upx-lzma", ("--compress", "upx:lzma"), "upx:lzma", "gzip"),
    Variant("strip-zstd", ("--compression", "zstd"), None, "zstd"),
)
BY_NAME = {variant.name: variant for variant in VARIANTS}


def choose(names: tuple[str, ...]) -> tuple[Variant, ...]:
    """The variants named (all when none), in the table's order; `plain` is always measured, as the reference."""
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise UsageError(f"--variant {unknown[0]}", "is not a bench variant", f"use one of {', '.join(BY_NAME)}")
    wanted = set(names) | {"plain"} if names else set(BY_NAME)
    return tuple(variant for variant in VARIANTS if variant.name in wanted)
