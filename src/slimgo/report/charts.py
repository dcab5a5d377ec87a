"""Chart data for the report: treemap entries by package group, bars per bench variant, pull-vs-startup points."""

from __future__ import annotations

__all__ = ["GROUP_ORDER", "PALETTE", "bars", "nice_ticks", "treemap"]

import math
from dataclasses import dataclass
from typing import Any

from slimgo.report.treemap import Rect, squarify

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = {"main module": "#E69F00", "dependencies": "#0072B2", "standard library": "#009E73",
           "runtime": "#CC79A7", "other": "#999999"}
GROUP_ORDER = ("main module", "dependencies", "standard library", "runtime")
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
MAX_ENTRIES = 300  # a 50 MB binary has thousands of packages: the rest of a group is one "other" box


@dataclass(frozen=True)
class Box:
    name: str
    group: str
    size: int
    rect: Rect
    colour: str


def treemap(packages: list[dict[str, Any]], width: float, height: float) -> tuple[list[Box], list[Box]]:
    """Group boxes and package boxes (one per entry: a package, or the rest of a group), laid out in ``width`` x
    ``height``."""
    ranked = sorted((p for p in packages if p.get("size", 0) > 0), key=lambda p: -int(p["size"]))
    kept, rest = ranked[:MAX_ENTRIES], ranked[MAX_ENTRIES:]
    groups: dict[str, list[tuple[str, int]]] = {}
    for p in kept:
        groups.setdefault(str(p["group"]), []).append((str(p["name"]), int(p["size"])))
    for p in rest:
        entries = groups.setdefault(str(p["group"]), [])
        if entries and entries[-1][0].startswith("(other"):
            name, size = entries.pop()
            count = int(name.split()[1]) + 1
            entries.append((f"(other {count} packages)", size + int(p["size"])))
        else:
            entries.append(("(other 1 packages)", int(p["size"])))
    names = sorted(groups, key=lambda g: -sum(s for _, s in groups[g]))
    outer = squarify([sum(s for _, s in groups[g]) for g in names], Rect(0, 0, width, height))
    group_boxes, boxes = [], []
    for group, rect in zip(names, outer, strict=True):
        colour = PALETTE.get(group, PALETTE["other"])
        group_boxes.append(Box(group, group, sum(s for _, s in groups[group]), rect, colour))
        inner = squarify([s for _, s in groups[group]], rect)
        boxes += [Box(name, group, size, r, colour) for (name, size), r in zip(groups[group], inner, strict=True)]
    return group_boxes, boxes


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float
    high: float
    colour: str


def bars(variants: list[dict[str, Any]], figure: str, scale: float) -> list[Bar]:
    """One bar per variant for ``figure`` (a number, or a {median,min,max} stat), divided by ``scale``."""
    values = []
    for v in variants:
        raw = v.get(figure)
        if isinstance(raw, dict):
            values.append((raw["median"] / scale, raw["min"] / scale, raw["max"] / scale))
        elif isinstance(raw, int | float):
            values.append((raw / scale, raw / scale, raw / scale))
        else:
            values.append((0.0, 0.0, 0.0))
    return [Bar(str(v["name"]), mid, low, high, SERIES[i % len(SERIES)])
            for i, (v, (mid, low, high)) in enumerate(zip(variants, values, strict=True))]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round axis ticks from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top and len(ticks) < 12:
        ticks.append(round(ticks[-1] + step, 9))
    return ticks
