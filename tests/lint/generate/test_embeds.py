"""//go:embed patterns that the Docker build cannot satisfy are named, with their package, before it fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from slimgo.lint.generate import plan
from tests.conftest import require_tool
from tests.lint.generate.gomodule import write_module

WEB = """package web

import "embed"

//go:embed ui/dist
var UI embed.FS

//go:embed static/*.css "templates/index.html" all:assets
var Static embed.FS

//go:embed `gen/schema.json`
var Schema []byte

//go:embed dist/bundle.js
var Bundle []byte
"""


def _module(tmp_path: Path) -> Path:
    root = write_module(tmp_path / "shop")
    web = root / "internal" / "web"
    for rel in ("static/site.css", "templates/index.html", "assets/.keep", "dist/bundle.js"):
        (web / rel).parent.mkdir(parents=True, exist_ok=True)
        (web / rel).write_text("x\n")
    (web / "web.go").write_text(WEB)
    (root / "cmd" / "api" / "main.go").write_text(
        'package main\n\nimport _ "example.com/shop/internal/web"\n\nfunc main() {}\n')
    return root


def _embed_notes(root: Path) -> list[str]:
    return [n for n in plan([], cwd=root).notes if n.startswith("//go:embed")]


def test_missing_and_ignored_embeds_are_noted_with_package_and_line(tmp_path: Path) -> None:
    root = _module(tmp_path)
    notes = _embed_notes(root)
    assert len(notes) == 2, notes
    missing = next(n for n in notes if "ui/dist" in n)
    assert "example.com/shop/internal/web (internal/web/web.go:5) matches no file" in missing
    # the generated .dockerignore keeps a top-level dist/ out: `internal/web/dist` is not top-level, so it is fine
    assert "gen/schema.json" in next(n for n in notes if "schema" in n)


def test_go_agrees_that_the_noted_patterns_break_the_build(tmp_path: Path) -> None:
    go = require_tool("go")
    root = _module(tmp_path)
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    proc = subprocess.run([go, "build", "./..."], cwd=root, capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    assert proc.returncode != 0 and "no matching files found" in proc.stderr
    assert any(f"pattern {p}:" in proc.stderr for p in ("ui/dist", "gen/schema.json"))
    (root / "internal/web/ui/dist").mkdir(parents=True)
    (root / "internal/web/ui/dist/index.html").write_text("<html></html>\n")
    (root / "internal/web/gen").mkdir()
    (root / "internal/web/gen/schema.json").write_text("{}\n")
    assert _embed_notes(root) == []
    proc = subprocess.run([go, "build", "./..."], cwd=root, capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_an_embed_of_files_the_ignore_file_drops_is_noted(tmp_path: Path) -> None:
    root = _module(tmp_path)
    (root / "dist").mkdir()
    (root / "dist" / "app.js").write_text("x\n")
    (root / "assets.go").write_text('package shop\n\nimport _ "embed"\n\n//go:embed dist/app.js\nvar App []byte\n')
    notes = [n for n in _embed_notes(root) if "dist/app.js" in n]
    assert len(notes) == 1 and "keeps out" in notes[0] and "(assets.go:5)" in notes[0]
