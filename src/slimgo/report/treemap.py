"""A squarified treemap layout (Bruls, Huizing, van Wijk): sizes in, rectangles out. Pure arithmetic."""

from __future__ import annotations

__all__ = ["Rect", "squarify"]

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


def _worst(row: Sequence[float], side: float) -> float:
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    return max(max(side * side * r / (total * total), (total * total) / (side * side * r)) for r in row if r > 0)


def _place(row: Sequence[float], box: Rect) -> tuple[list[Rect], Rect]:
    total = sum(row)
    rects = []
    if box.w >= box.h:  # a column along the left edge
        width = total / box.h if box.h else 0
        y = box.y
        for area in row:
            height = area / width if width else 0
            rects.append(Rect(box.x, y, width, height))
            y += height
        return rects, Rect(box.x + width, box.y, box.w - width, box.h)
    height = total / box.w if box.w else 0
    x = box.x
    for area in row:
        width = area / height if height else 0
        rects.append(Rect(x, box.y, width, height))
        x += width
    return rects, Rect(box.x, box.y + height, box.w, box.h - height)


def squarify(sizes: Sequence[float], box: Rect) -> list[Rect]:
    """One rectangle per size (same order; sizes sorted largest first give the best aspect ratios), tiling ``box``."""
    total = sum(sizes)
    if total <= 0:
        return [Rect(box.x, box.y, 0, 0) for _ in sizes]
    scale = box.w * box.h / total
    areas = [s * scale for s in sizes]
    out: list[Rect] = []
    row: list[float] = []
    for area in areas:
        side = min(box.w, box.h)
        if not row or _worst([*row, area], side) <= _worst(row, side):
            row.append(area)
            continue
        placed, box = _place(row, box)
        out += placed
        row = [area]
    if row:
        placed, box = _place(row, box)
        out += placed
    return out
