"""Builds a bench's variants in parallel, without two builds racing for the same Go binary: one variant per
distinct `go build` first, then the rest (the packing and the other layer codec) longest first."""

from __future__ import annotations

__all__ = ["build_all", "waves"]

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from slimgo.bench.variants import Variant

T = TypeVar("T")
# Rough cost of the step a variant adds on top of its `go build`: `upx --best` is minutes on a large binary,
# `--lzma` a fraction of that, the rest seconds. Only the order depends on it.
_COST = {"upx:best": 100, "upx:lzma": 20, "upx:fast": 2}


def _go_binary(variant: Variant) -> tuple[str, ...]:
    """The flags that decide the Go binary (and so its path in the build cache): packing and codec do not."""
    kept, skip = [], False
    for flag in variant.flags:
        if skip:
            skip = False
        elif flag in ("--compress", "--compression"):
            skip = True
        else:
            kept.append(flag)
    return tuple(kept)


def waves(variants: Sequence[Variant]) -> tuple[list[Variant], list[Variant]]:
    """First the cheapest variant of each distinct Go binary (they build different files, so they may run at
    once); then every other variant, which finds its binary built, most expensive first."""
    first: dict[tuple[str, ...], Variant] = {}
    for variant in sorted(variants, key=lambda v: _COST.get(v.compress or "", 0)):
        first.setdefault(_go_binary(variant), variant)
    rest = [v for v in variants if v not in first.values()]
    return list(first.values()), sorted(rest, key=lambda v: -_COST.get(v.compress or "", 0))


def build_all(variants: Sequence[Variant], build: Callable[[Variant], T], workers: int | None = None) -> list[T]:
    """``build`` every variant, up to ``workers`` at once (default: one per CPU), returned in ``variants``' order.
    The first failure is raised once the builds under way have finished."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    done: dict[Variant, T] = {}
    with ThreadPoolExecutor(max_workers=max(1, count), thread_name_prefix="slimgo-bench-build") as pool:
        for wave in waves(variants):
            futures = [(variant, pool.submit(build, variant)) for variant in wave]
            for variant, future in futures:
                done[variant] = future.result()
    return [done[variant] for variant in variants]
