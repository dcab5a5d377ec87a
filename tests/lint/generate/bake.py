"""A docker-bake.hcl resolved the way `docker buildx bake --print` resolves it, after parsing it with python-hcl2.

What is modelled is what the generated files use: variables with defaults, overridden by an environment variable of
the same name; `${NAME}` interpolation in strings (an unknown name is an error, as in bake); `inherits`, where the
child's attributes win and maps (`args`) are merged key by key; and the group "default", whose targets are the ones
printed (a target that only other targets inherit from, such as `_common`, is not).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import hcl2

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _unquote(value: str) -> str:
    assert value.startswith('"') and value.endswith('"'), f"not a string literal: {value}"
    return value[1:-1]


def _blocks(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for block in doc.get(kind, []):
        for name, body in block.items():
            assert _unquote(name) not in out, f"{kind} {name} defined twice"
            out[_unquote(name)] = {k: v for k, v in body.items() if not k.startswith("__")}
    return out


def _expand(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_expand(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, variables) for k, v in value.items()}

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in variables:
            raise KeyError(f"unknown variable {m.group(1)}")
        return variables[m.group(1)]

    return _INTERPOLATION.sub(one, _unquote(value))


def _resolve(name: str, targets: dict[str, dict[str, Any]], depth: int = 0) -> dict[str, Any]:
    assert depth < 10, f"inherits cycle at {name}"
    body = dict(targets[name])
    merged: dict[str, Any] = {}
    for parent in body.pop("inherits", []):
        for key, value in _resolve(parent, targets, depth + 1).items():
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    for key, value in body.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


def bake_print(text: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{"group": {...}, "target": {...}} as `bake --print` shows it for the default group, with ``env`` set."""
    doc = hcl2.loads(text)
    env = env or {}
    variables = {name: env.get(name, _unquote(body["default"])) for name, body in _blocks(doc, "variable").items()}
    targets = {name: _expand(body, variables) for name, body in _blocks(doc, "target").items()}
    groups = {name: _expand(body, variables) for name, body in _blocks(doc, "group").items()}
    chosen = groups["default"]["targets"]
    return {"group": {"default": {"targets": chosen}},
            "target": {name: _resolve(name, targets) for name in chosen}}
