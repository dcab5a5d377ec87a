"""Bad YAML never crashes or hangs the Kubernetes linter: syntax errors, alias bombs, recursion, size, binary."""

from __future__ import annotations

import time

from slimgo.lint.k8s import lint_kubernetes
from slimgo.lint.k8s.yamlsafe import MAX_BYTES


def only(text: str) -> tuple[str, int]:
    findings = lint_kubernetes("x.yaml", text)
    assert len(findings) == 1, findings
    return findings[0].rule, findings[0].line


def test_syntax_error_reports_its_line() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\nspec: {}\n"
    rule, line = only(text)
    assert rule == "SG490" and line in (4, 5)


def test_bad_indentation_line() -> None:
    rule, line = only("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n   - name: a\n  bad: : x\n")
    assert rule == "SG490" and line == 6


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    text = "apiVersion: v1\nkind: Pod\n" + "\n".join(lines) + "\n"
    start = time.monotonic()
    rule, _ = only(text)
    assert rule == "SG491"
    assert time.monotonic() - start < 5


def test_recursive_alias_is_refused() -> None:
    rule, line = only("apiVersion: v1\nkind: Pod\nspec: &s\n  self: *s\n")
    assert rule == "SG491" and line >= 3


def test_deep_nesting_is_refused() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec: " + "[" * 20_000 + "]" * 20_000 + "\n"
    rule, _ = only(text)
    assert rule in ("SG490", "SG491")


def test_deep_nesting_through_anchors_is_refused() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec: &a " + "[" * 300 + "]" * 300 + "\nx: *a\n"
    assert only(text)[0] == "SG491"


def test_huge_and_binary_inputs() -> None:
    assert only("a" * (MAX_BYTES + 1))[0] == "SG491"
    assert only("apiVersion: v1\0kind: Pod")[0] == "SG493"


def test_merge_keys_are_followed() -> None:
    text = (
        "x-common: &sc\n  privileged: true\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "    - name: a\n      image: x\n      securityContext:\n        <<: {privileged: true}\n"
    )
    findings = lint_kubernetes("p.yaml", text, level="baseline")
    assert [f.rule for f in findings] == ["SG401"]


def test_wrong_shapes_are_ignored_not_crashed_on() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec:\n  containers: 3\n  volumes: {a: b}\n  securityContext: []\n"
    assert lint_kubernetes("p.yaml", text) == []
    assert lint_kubernetes("p.yaml", "- 1\n- 2\n") == []
    assert lint_kubernetes("p.yaml", "") == []
