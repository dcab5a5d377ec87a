"""Writes a small Go module: two commands, a library, test data, an ignored file and a nested module."""

from __future__ import annotations

from pathlib import Path


def write_module(root: Path, *, go: str = "1.24", mains: tuple[str, ...] = ("cmd/api", "cmd/worker")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module example.com/shop\n\ngo {go}\n")
    for rel in mains:
        d = root / rel
        d.mkdir(parents=True, exist_ok=True)
        (d / "main.go").write_text(
            "// Command doc.\n/* block\n   comment */\npackage main\n\nimport \"fmt\"\n\n"
            f"func main() {{ fmt.Println({rel!r:s}) }}\n".replace("'", '"')
        )
        (d / "main_test.go").write_text("package main_test\n")
    (root / "internal" / "lib").mkdir(parents=True)
    (root / "internal" / "lib" / "lib.go").write_text("package lib\n\n// Name is used by nothing.\nconst Name = 1\n")
    (root / "testdata" / "tool").mkdir(parents=True)
    (root / "testdata" / "tool" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (root / "tools").mkdir()
    (root / "tools" / "gen.go").write_text("//go:build ignore\n\npackage main\n\nfunc main() {}\n")
    nested = root / "examples" / "demo"
    nested.mkdir(parents=True)
    (nested / "go.mod").write_text("module example.com/demo\n\ngo 1.24\n")
    (nested / "main.go").write_text("package main\n\nfunc main() {}\n")
    return root
