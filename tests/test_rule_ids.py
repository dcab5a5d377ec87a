"""Every rule id of every verb means one thing, and each is documented where its verb is.

Components without a catalog (dockerignore, build context, Kubernetes) are read for the ids their code emits.
"""

from __future__ import annotations

import ast
import re
from itertools import combinations
from pathlib import Path

from slimgo.analyze.audit import RULES as AUDIT_RULES
from slimgo.lint.dockerfile.catalog import RULES as DOCKERFILE_RULES
from slimgo.lint.runner import INPUT_RULES

SRC = Path(__file__).resolve().parents[1] / "src" / "slimgo"
DOCS = Path(__file__).resolve().parents[1] / "docs"
RULE_ID = re.compile(r"^SG\d{3}$")
# The one id two components share on purpose: the unsafe layer entry, one judgement (slimgo.layercheck).
SHARED = {frozenset({"analyze audit", "lint kubernetes"}): {"SG444"}}


def emitted(*paths: str) -> set[str]:
    """Rule ids written as string constants in the modules under ``paths`` (relative to src/slimgo)."""
    ids: set[str] = set()
    for relative in paths:
        root = SRC / relative
        for file in [root] if root.is_file() else sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(), str(file))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.match(node.value):
                    ids.add(node.value)
    return ids


def registries() -> dict[str, tuple[set[str], str]]:
    """component -> (its rule ids, the page documenting them)."""
    return {
        "analyze audit": (set(AUDIT_RULES), "analyze.md"),
        "lint input": (set(INPUT_RULES), "lint.md"),
        "lint dockerfile": ({rule.id for rule in DOCKERFILE_RULES.values()}, "lint.md"),
        # one family, one page: `slimgo context` reports an unreadable .dockerignore with the dockerignore rule
        "lint dockerignore and context": (emitted("lint/dockerignore", "lint/context.py"), "context.md"),
        "lint kubernetes": (emitted("lint/k8s"), "kubernetes.md"),
    }


def tabled(page: str) -> set[str]:
    """Ids named in the first cell of a table row of docs/PAGE (`| SG304 / SG305 | ...` names both)."""
    ids: set[str] = set()
    for line in (DOCS / page).read_text().splitlines():
        if line.startswith("|"):
            ids.update(re.findall(r"\bSG\d{3}\b", line.split("|")[1]))
    return ids


def documented(page: str) -> set[str]:
    """Ids docs/PAGE describes: in a rule table, or in its prose (the YAML safety rules are a paragraph)."""
    return tabled(page) | set(re.findall(r"\bSG\d{3}\b", (DOCS / page).read_text()))


def test_the_registries_are_found() -> None:
    found = registries()
    assert all(ids for ids, _ in found.values()), {name: ids for name, (ids, _) in found.items()}
    assert {"SG301", "SG444"} <= found["analyze audit"][0] and "SG001" in found["lint input"][0]


def test_no_id_means_two_things() -> None:
    found = registries()
    clashes = {frozenset({a, b}): found[a][0] & found[b][0] for a, b in combinations(found, 2)}
    assert {pair: ids for pair, ids in clashes.items() if ids} == SHARED


def test_the_shared_id_is_the_same_finding() -> None:
    """SG444 is the unsafe layer entry in analyze and in lint --image (that both report the same entries with the
    same words is tests/analyze/test_unsafe_agreement.py)."""
    assert AUDIT_RULES["SG444"][1] == "unsafe layer entry"
    assert "SG444" in tabled("kubernetes.md") and "SG444" in tabled("analyze.md")


def test_every_id_is_documented_on_its_page() -> None:
    missing = {name: sorted(ids - documented(page)) for name, (ids, page) in registries().items()}
    assert {name: ids for name, ids in missing.items() if ids} == {}


def test_no_rule_table_lists_an_id_that_no_code_emits() -> None:
    every = set().union(*(ids for ids, _ in registries().values()))
    for page in ("analyze.md", "lint.md", "context.md", "kubernetes.md"):
        assert tabled(page) - every == set(), page
