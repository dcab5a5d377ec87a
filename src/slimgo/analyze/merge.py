"""The filesystem as the runtime assembles it: layers applied in order, whiteouts and opaque directories
honoured, a non-directory replacing a directory removes what was under it. Counts what each layer adds, modifies
and removes, and which bytes end up dead (shadowed or deleted, yet still shipped in a lower layer)."""

from __future__ import annotations

__all__ = ["Live", "Merged", "merge"]

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from slimgo.analyze.scan import Entry, LayerScan


@dataclass(slots=True)
class Live:
    entry: Entry
    layer: int


@dataclass
class LayerChanges:
    added: int = 0
    modified: int = 0
    removed: int = 0


@dataclass
class Merged:
    """The final view and what it took to get there."""

    live: dict[str, Live]
    changes: list[LayerChanges]
    dead: dict[tuple[int, int], int]  # (killer layer, victim layer) -> dead bytes

    def dead_killed_in(self, first_layer: int) -> int:
        return sum(n for (killer, _), n in self.dead.items() if killer >= first_layer)


class _View:
    def __init__(self, layer_count: int) -> None:
        self.live: dict[str, Live] = {}
        self.children: dict[str, set[str]] = {}
        self.changes = [LayerChanges() for _ in range(layer_count)]
        self.dead: dict[tuple[int, int], int] = {}

    def _link(self, path: str) -> None:
        while path != "/":
            parent = posixpath.dirname(path)
            siblings = self.children.setdefault(parent, set())
            if path in siblings:
                return
            siblings.add(path)
            path = parent

    def _kill(self, path: str, killer: int) -> None:
        gone = self.live.pop(path, None)
        if gone is not None and gone.entry.kind == "file" and gone.entry.size:
            key = (killer, gone.layer)
            self.dead[key] = self.dead.get(key, 0) + gone.entry.size

    def _subtree(self, path: str) -> Iterator[str]:
        stack = list(self.children.get(path, ()))
        while stack:
            current = stack.pop()
            yield current
            stack.extend(self.children.get(current, ()))

    def remove(self, path: str, layer: int, keep_self: bool = False, below: int | None = None) -> None:
        """Remove ``path`` (unless keep_self) and what is under it; with ``below``, only entries of lower layers."""
        doomed = list(self._subtree(path))
        if not keep_self:
            doomed.append(path)
        changes = self.changes[layer]
        for victim in doomed:
            live = self.live.get(victim)
            if live is None or (below is not None and live.layer >= below):
                continue
            self._kill(victim, layer)
            changes.removed += 1
        if below is None:  # the whole subtree is gone: forget its directory index too
            for victim in doomed:
                self.children.pop(victim, None)
            if keep_self:
                self.children.pop(path, None)
            else:
                self.children.get(posixpath.dirname(path), set()).discard(path)

    def put(self, entry: Entry, layer: int) -> None:
        before = self.live.get(entry.path)
        changes = self.changes[layer]
        if before is None:
            changes.added += 1
        else:
            old = before.entry
            if not (old.kind == entry.kind == "dir" and (old.mode, old.uid, old.gid) == (entry.mode, entry.uid,
                                                                                        entry.gid)):
                changes.modified += 1  # a directory listed again unchanged (as every package tar does) is no change
            self._kill(entry.path, layer)
        if entry.kind != "dir" and self.children.get(entry.path):
            self.remove(entry.path, layer, keep_self=True)  # a file replacing a directory (listed or implied)
        self.live[entry.path] = Live(entry, layer)
        self._link(entry.path)


def merge(scans: Sequence[LayerScan]) -> Merged:
    view = _View(len(scans))
    for layer, scan in enumerate(scans):
        for entry in scan.entries:
            if entry.path == "/":
                continue
            parent = posixpath.dirname(entry.path)
            if entry.opaque:
                view.remove(parent, layer, keep_self=True, below=layer)
            elif entry.whiteout:  # like an opaque marker, it hides only what lower layers hold (OCI image spec)
                view.remove(posixpath.join(parent, entry.base[len(".wh."):]), layer, below=layer)
            else:
                view.put(entry, layer)
    return Merged(view.live, view.changes, view.dead)
