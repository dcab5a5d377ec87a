"""The snippets of docs/integrations.md that the tests execute: each fenced block after `<!-- snippet: NAME -->`."""

from __future__ import annotations

import re
from functools import cache

from tests.conftest import ROOT

DOC = ROOT / "docs" / "integrations.md"
_BLOCK = re.compile(r"<!-- snippet: ([\w-]+) -->\n```[\w-]*\n(.*?)\n```", re.DOTALL)


@cache
def snippets() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, body in _BLOCK.findall(DOC.read_text()):
        assert name not in found, f"two snippets named {name} in {DOC}"
        found[name] = body
    return found


def snippet(name: str) -> str:
    """The exact text of snippet ``name``; fails when the documentation lost it."""
    text = snippets().get(name)
    assert text is not None, f"docs/integrations.md has no snippet named {name}"
    return text
