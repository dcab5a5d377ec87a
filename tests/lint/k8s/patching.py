"""Apply a finding's fix (`PATH: VALUE`, `remove PATH`, `[+]` appends) to parsed YAML, as a user would."""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def tokens(path: str) -> list[str | int]:
    """`spec.containers[0].securityContext` -> ['spec', 'containers', 0, 'securityContext']; `[+]` stays '+'."""
    out: list[str | int] = []
    for bracket, name in _TOKEN.findall(path):
        if name:
            out.append(name)
        elif bracket.isdigit():
            out.append(int(bracket))
        else:
            out.append(bracket)  # '+' (append) or a map key holding dots, e.g. an annotation name
    return out


def _child(node: Any, key: str | int, make_list: bool) -> Any:
    if isinstance(node, list):
        if key == "+":
            node.append([] if make_list else {})
            return node[-1]
        assert isinstance(key, int) and key < len(node), f"no item {key} in {node!r}"
        return node[key]
    assert isinstance(node, dict), f"cannot descend into {node!r} with {key!r}"
    if node.get(key) is None:
        node[key] = [] if make_list else {}
    return node[key]


def _set(doc: Any, path: list[str | int], value: Any) -> None:
    node = doc
    for key, nxt in itertools.pairwise(path):
        node = _child(node, key, make_list=isinstance(nxt, int) or nxt == "+")
    last = path[-1]
    if last == "+":
        node.append(value)
    else:
        node[last] = value


def _remove(doc: Any, path: list[str | int]) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def apply_fix(doc: Any, fix: str) -> None:
    """Apply every patch of ``fix`` to ``doc`` in place; an alternative in parentheses is not applied."""
    fix = re.sub(r"\s+\(or [^)]*\)$", "", fix)
    for part in fix.split(" and "):
        part = part.strip()
        if part.startswith("remove "):
            _remove(doc, tokens(part.removeprefix("remove ")))
            continue
        path, sep, value = part.partition(": ")
        assert sep, f"not a patch: {part!r}"
        _set(doc, tokens(path), yaml.safe_load(value))
