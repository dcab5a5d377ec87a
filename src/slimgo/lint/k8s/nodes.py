"""A read-only view of YAML nodes that knows each value's line and its patch path (spec.containers[0]...)."""

from __future__ import annotations

__all__ = ["Y"]

from dataclasses import dataclass

import yaml

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_TRUE = frozenset({"true", "yes", "on", "y"})


_CACHE = "_slimgo_pairs"


def _lookup(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The merged key table of a mapping, computed once per node (checks ask the same node many times)."""
    table: dict[str, tuple[yaml.Node, yaml.Node]] | None = node.__dict__.get(_CACHE)
    if table is None:
        table = {}
        for name, knode, value in _pairs(node):
            table.setdefault(name, (knode, value))
        node.__dict__[_CACHE] = table
    return table


def _pairs(node: yaml.MappingNode, depth: int = 0) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) with YAML merge keys ('<<') applied; own keys win over merged ones."""
    own: list[tuple[str, yaml.Node, yaml.Node]] = []
    merged: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if key.tag == _MERGE and depth < 20:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for src in sources:
                if isinstance(src, yaml.MappingNode):
                    merged.extend(_pairs(src, depth + 1))
        elif isinstance(key, yaml.ScalarNode):
            own.append((str(key.value), key, value))
    seen = {k for k, _, _ in own}
    return own + [p for p in merged if p[0] not in seen]


@dataclass(frozen=True)
class Y:
    """A node and the path a patch would use to reach it."""

    node: yaml.Node
    path: str
    key_line: int = 0  # the line of the key that holds this value, when there is one

    @property
    def line(self) -> int:
        return self.key_line or self.node.start_mark.line + 1

    def child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Y | None:
        if not isinstance(self.node, yaml.MappingNode):
            return None
        found = _lookup(self.node).get(key)
        if found is None:
            return None
        return Y(found[1], self.child_path(key), found[0].start_mark.line + 1)

    def dig(self, *keys: str) -> Y | None:
        cur: Y | None = self
        for key in keys:
            if cur is None:
                return None
            cur = cur.get(key)
        return cur

    def items(self) -> list[tuple[str, Y]]:
        if not isinstance(self.node, yaml.MappingNode):
            return []
        return [(name, Y(value, self.child_path(name), k.start_mark.line + 1)) for name, k, value in _pairs(self.node)]

    def seq(self) -> list[Y]:
        if not isinstance(self.node, yaml.SequenceNode):
            return []
        return [Y(item, f"{self.path}[{i}]") for i, item in enumerate(self.node.value)]

    @property
    def is_map(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode) and self.node.tag == "tag:yaml.org,2002:null"

    @property
    def text(self) -> str | None:
        if isinstance(self.node, yaml.ScalarNode) and not self.is_null:
            return str(self.node.value)
        return None

    @property
    def boolean(self) -> bool | None:
        if isinstance(self.node, yaml.ScalarNode) and self.node.tag == _BOOL:
            return str(self.node.value).lower() in _TRUE
        return None

    @property
    def integer(self) -> int | None:
        if isinstance(self.node, yaml.ScalarNode) and self.node.tag == _INT:
            try:
                return int(str(self.node.value).replace("_", ""), 0)
            except ValueError:
                return None
        return None

    def strings(self) -> list[str]:
        """A sequence of scalars as text (an invalid item is skipped)."""
        return [t for item in self.seq() if (t := item.text) is not None]
