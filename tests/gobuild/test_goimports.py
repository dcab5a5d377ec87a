"""slimgo's reader of Go import declarations, held against go/parser (a small Go program) on tricky and real files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from slimgo.gobuild.goimports import GoSyntaxError, blank_out, parse_head
from tests.conftest import FIXTURES, require_tool

TRICKY = {
    "group.go": '// Package main: the words import "x" and package in a comment do not count.\n'
                'package main\n\nimport (\n\t"fmt"\n\t_ "net/http/pprof" // profiling\n'
                '\t. "strings"\n\tstr "strconv"\n\t`os`\n)\n\nfunc main() { fmt.Println(Split, str.Itoa, os.Args) }\n',
    "single.go": 'package main\nimport _ "net/http/pprof"; import "fmt"\nimport _ "expvar"\n'
                 'func main() { fmt.Println() }\n',
    "oneline.go": 'package main; import ( _ "expvar"; "fmt" ); func main() { fmt.Println() }\n',
    "comments.go": '\ufeff//go:build linux\n\n/* block\n   comment */ package /* here */ main\n\n'
                   'import _ /* a comment */ "net/http/pprof"\nimport (\n)\nimport (\n\t// nothing\n\t"os"\n)\n'
                   'var _ = os.Args\n',
    "cgo.go": 'package main\n\n/*\n#include <stdio.h>\n*/\nimport "C"\nimport _ "expvar"\n\nfunc main() {}\n',
    "none.go": 'package lib\n\nfunc F() int { return 1 }\n',
    "escape.go": 'package main\nimport _ "net/http/\\u0070prof"\nfunc main() {}\n',
    "decl.go": 'package main\nimport "fmt"\nvar x = `import "os"`\nfunc main() { fmt.Println(x) }\n',
}


def _go_parser(go: str, files: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run([go, "run", ".", *map(str, files)], cwd=FIXTURES / "goparser", capture_output=True,
                            text=True, timeout=300, check=True)
    parsed: list[dict[str, Any]] = json.loads(result.stdout)
    return parsed


def _ours(path: Path) -> dict[str, Any]:
    head = parse_head(path.read_text(encoding="utf-8"))
    return {"file": str(path), "package": head.package, "error": "",
            "imports": [{"name": spec.name, "path": spec.path, "line": spec.line} for spec in head.imports]}


@pytest.fixture(scope="module")
def go() -> str:
    return require_tool("go")


def test_reads_what_go_parser_reads(tmp_path: Path, go: str) -> None:
    files = []
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
    goroot = Path(subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip())
    real = sorted((goroot / "src" / "net" / "http").glob("*.go"))[:80]  # the standard library as a corpus
    assert len(real) > 40
    expected = _go_parser(go, files + real)
    assert [item["error"] for item in expected] == [""] * len(expected)
    assert [_ours(path) for path in files + real] == expected
    assert expected[0]["imports"][1] == {"name": "_", "path": "net/http/pprof", "line": 6}


def test_blanking_keeps_the_rest_and_every_line_number(tmp_path: Path, go: str) -> None:
    files = []
    for name, text in TRICKY.items():
        head = parse_head(text)
        spans = [(spec.start, spec.end) for spec in head.imports if spec.name == "_"]
        out = blank_out(text, spans)
        assert out.count("\n") == text.count("\n")
        (tmp_path / name).write_text(out, encoding="utf-8")
        files.append(tmp_path / name)
    after = _go_parser(go, files)
    assert [item["error"] for item in after] == [""] * len(after)  # still Go: a `;` left behind would not be
    for item, text in zip(after, TRICKY.values(), strict=True):
        kept = [{"name": s.name, "path": s.path, "line": s.line} for s in parse_head(text).imports if s.name != "_"]
        assert item["imports"] == kept
    assert "pprof" not in (tmp_path / "single.go").read_text()
    assert 'import "fmt"' in (tmp_path / "single.go").read_text()


@pytest.mark.parametrize(("text", "line"), [
    ("", 1),
    ("func main() {}\n", 1),
    ("package main\nimport (\n\t\"fmt\"\n", 3),
    ("package main\nimport fmt\n", 2),
    ("package main\nimport \"fmt\n\"\n", 2),
    ("package main\n/* never closed\n", 2),
    ("package main\nimport _ /* a comment over\nlines ends the line */ \"expvar\"\n", 2),
])
def test_broken_heads_name_their_line(text: str, line: int) -> None:
    with pytest.raises(GoSyntaxError) as caught:
        parse_head(text)
    assert caught.value.line == line
