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
    running: dict[str, int] = {}
    most_at_once = 0
    lock = threading.Lock()

    def build(variant: Variant) -> str:
        nonlocal most_at_once
        key = "strip" if variant.name not in ("plain", "trimpath") else variant.name
        with lock:
            # a variant of the stripped binary may build beside another once that binary exists (second wave)
            first_wave = variant.name in ("plain", "trimpath", "strip")
            assert not (first_wave and running.get(key)), f"two builds of the {key} binary at once"
            running[key] = running.get(key, 0) + 1
            most_at_once = max(most_at_once, sum(running.values()))
        time.sleep(0.05)
        with lock:
            running[key] -= 1
        return variant.name

    assert build_all(VARIANTS, build, workers=2) == [v.name for v in VARIANTS]  # results in the variants' order
    assert most_at_once == 2


def test_a_failed_build_is_raised() -> None:
    def build(variant: Variant) -> str:
        if variant.name == "trimpath":
            raise ValueError("broken")
        return variant.name

    with pytest.raises(ValueError, match="broken"):
        build_all(VARIANTS, build, workers=2)
