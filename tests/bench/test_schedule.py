"""Variants build two at a time, but never two builds of one Go binary at once, and the slowest packing starts first."""

from __future__ import annotations

import threading
import time

import pytest

from slimgo.bench.schedule import build_all, waves
from slimgo.bench.variants import VARIANTS, Variant, choose


def test_one_variant_per_go_binary_comes_first() -> None:
    first, rest = waves(VARIANTS)
    assert [v.name for v in first] == ["plain", "trimpath", "strip"]
    assert [v.name for v in rest][:2] == ["upx-best", "upx-lzma"]  # the longest packing starts first
    assert sorted(v.name for v in first + rest) == sorted(v.name for v in VARIANTS)


def test_without_strip_a_packed_variant_builds_the_stripped_binary_first() -> None:
    first, rest = waves(choose(("upx-best", "upx-fast")))
    assert [v.name for v in first] == ["plain", "upx-fast"]  # the cheapest one of the stripped binary
    assert [v.name for v in rest] == ["upx-best"]


def test_builds_overlap_but_never_for_one_go_binary() -> None:
    spans: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def build(variant: Variant) -> str:
        began = time.monotonic()
        time.sleep(0.2)
        with lock:
            spans[variant.name] = (began, time.monotonic())
        return variant.name

    assert build_all(VARIANTS, build, workers=2) == [v.name for v in VARIANTS]  # results in the variants' order

    def overlap(a: str, b: str) -> bool:
        return spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]

    # The stripped binary is built by `strip`; every variant that starts from it waits until it is there.
    for name in ("upx-fast", "upx-best", "upx-lzma", "strip-zstd"):
        assert not overlap("strip", name) and spans[name][0] >= spans["strip"][1]
    names = list(spans)
    assert any(overlap(a, b) for a in names for b in names if a < b), "two builds at once on two workers"


def test_a_failed_build_is_raised() -> None:
    def build(variant: Variant) -> str:
        if variant.name == "trimpath":
            raise ValueError("broken")
        return variant.name

    with pytest.raises(ValueError, match="broken"):
        build_all(VARIANTS, build, workers=2)
