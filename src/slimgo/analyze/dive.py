"""Waste figures computed exactly as dive v0.12.0 computes them, so they can be compared with what dive shows.

dive builds one tree per layer (tar entries, intermediate directories as empty nodes, opaque markers dropped),
visits every leaf of every layer in name order, and for each path sums the sizes it finds (a whiteout counts the
size of the directory it removes in the layers below, or 0 for a file). Efficiency is the sum over paths of the
smallest size seen divided by the sum of all sizes; wasted bytes is the sum of all sizes of paths seen more than
once (the surviving copy included); user-wasted percent divides that by the size of every layer but the first.
"""

from __future__ import annotations

__all__ = ["DiveWaste", "dive_waste"]

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from slimgo.analyze.scan import LayerScan

WHITEOUT = ".wh."
OPAQUE_PREFIX = ".wh..wh.."


class _Node:
    __slots__ = ("children", "is_dir", "name", "parent", "size")

    def __init__(self, name: str, parent: _Node | None) -> None:
        self.name = name
        self.parent = parent
        self.children: dict[str, _Node] | None = None  # most nodes are leaves: no dict until a child comes
        self.size = 0
        self.is_dir = False

    def path(self) -> str:
        names = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            names.append(node.name.removeprefix(WHITEOUT) if node is self else node.name)
            node = node.parent
        return ("/" + "/".join(reversed(names))).replace("//", "/")


def _add(root: _Node, path: str, size: int, is_dir: bool) -> None:
    """dive's AddPath: create missing parents as empty nodes; a name starting '.wh..wh..' stops the walk."""
    names = [n for n in path.strip("/").split("/") if n]
    node = root
    for i, name in enumerate(names):
        if node.children is None:
            node.children = {}
        child = node.children.get(name)
        if child is None:
            if name.startswith(OPAQUE_PREFIX):
                return
            child = node.children[name] = _Node(name, node)
        node = child
        if i == len(names) - 1:
            node.size, node.is_dir = size, is_dir


def _get(root: _Node, path: str) -> _Node | None:
    node = root
    for name in (n for n in path.strip("/").split("/") if n):
        found = node.children.get(name) if node.children else None
        if found is None:
            return None
        node = found
    return node


def _child_first(node: _Node) -> Iterator[_Node]:
    """Depth first, children before their parent, siblings by name (the root itself is never visited)."""
    stack: list[tuple[_Node, bool]] = [(node, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            if current.parent is not None:
                yield current
            continue
        stack.append((current, True))
        children = current.children or {}
        for key in sorted(children, reverse=True):
            stack.append((children[key], False))


def layer_tree(scan: LayerScan) -> _Node:
    root = _Node("", None)
    for entry in scan.entries:
        _add(root, entry.name, entry.size, entry.kind == "dir")
    return root


def _stack(lower: _Node, upper: _Node) -> None:
    for node in _child_first(upper):
        if node.name.startswith(WHITEOUT):
            gone = _get(lower, node.path())
            if gone is not None and gone.parent is not None and gone.parent.children:
                del gone.parent.children[gone.name]
        else:
            _add(lower, node.path(), node.size, node.is_dir)


@dataclass(frozen=True)
class DiveFile:
    path: str
    count: int
    wasted_bytes: int


@dataclass(frozen=True)
class DiveWaste:
    efficiency: float
    wasted_bytes: int
    user_wasted_percent: float | None  # a ratio (0..1) despite its name, as dive reports it; None when undefined
    size_bytes: int
    user_size_bytes: int
    files: tuple[DiveFile, ...]


def _removed_size(stacked: _Node, path: str) -> int | None:
    """What a whiteout at ``path`` counts: the subtree size of a directory, 0 for a file; None when dive fails."""
    previous = _get(stacked, path)
    if previous is None or previous.parent is None:
        return None
    if not previous.is_dir:
        return 0
    return previous.size + sum(n.size for n in _child_first(previous))


def dive_waste(scans: Sequence[LayerScan]) -> DiveWaste:
    sizes: dict[str, list[int]] = {}
    stacked = layer_tree(scans[0]) if scans else _Node("", None)  # dive's copy of the first layer's tree
    for scan in scans:
        tree = layer_tree(scan)  # one layer's tree at a time: memory follows the stacked view, not every layer
        for node in _child_first(tree):
            if node.children:
                continue  # dive visits leaves only
            seen = sizes.setdefault(node.path(), [])  # dive records the path before it sizes it
            size = _removed_size(stacked, node.path()) if node.name.startswith(WHITEOUT) else node.size
            if size is None:
                break  # dive stops visiting this layer at a whiteout of a path it cannot find
            seen.append(size)
        _stack(stacked, tree)
    return _figures(scans, sizes)


def _figures(scans: Sequence[LayerScan], sizes: dict[str, list[int]]) -> DiveWaste:
    minimum = sum(min(s) if s else -1 for s in sizes.values())  # dive's "not yet seen" marker is -1, and it counts
    discovered = sum(sum(s) for s in sizes.values())
    efficiency = 1.0 if discovered == 0 else minimum / discovered
    files = sorted((DiveFile(p, len(s), sum(s)) for p, s in sizes.items() if len(s) > 1),
                   key=lambda f: (-f.wasted_bytes, f.path))
    wasted = sum(f.wasted_bytes for f in files)
    layer_sizes = [sum(e.size for e in scan.entries) for scan in scans]
    user = sum(layer_sizes[1:])
    return DiveWaste(efficiency, wasted, wasted / user if user else None, sum(layer_sizes), user, tuple(files))
