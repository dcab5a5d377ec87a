"""A module whose default build needs cgo gets a note instead of a Dockerfile that silently leaves it out."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from slimgo.lint.generate import plan
from tests.conftest import require_tool
from tests.lint.generate.gomodule import write_module


def _cgo_notes(root: Path) -> list[str]:
    return [n for n in plan([], cwd=root).notes if "needs cgo" in n]


def test_a_plain_module_gets_no_cgo_note(tmp_path: Path) -> None:
    assert _cgo_notes(write_module(tmp_path / "shop")) == []


@pytest.mark.parametrize(("require", "named"), [
    ("require github.com/mattn/go-sqlite3 v1.14.22\n", "github.com/mattn/go-sqlite3 (go.mod); modernc.org/sqlite"),
    ("require (\n\tgorm.io/gorm v1.25.0\n\tgithub.com/mattn/go-sqlite3 v1.14.22 // indirect\n)\n",
     "github.com/mattn/go-sqlite3 (go.mod)"),
    ("require github.com/confluentinc/confluent-kafka-go/v2 v2.4.0\n", "confluent-kafka-go/v2 (go.mod)"),
])
def test_a_cgo_only_module_in_go_mod_is_named(tmp_path: Path, require: str, named: str) -> None:
    root = write_module(tmp_path / "shop")
    with (root / "go.mod").open("a") as fh:
        fh.write("\n" + require)
    (note,) = _cgo_notes(root)
    assert named in note and "distroless/base-debian12" in note


def test_own_cgo_code_is_named_and_go_sees_it_too(tmp_path: Path) -> None:
    root = write_module(tmp_path / "shop")
    (root / "internal" / "lib" / "c.go").write_text('package lib\n\n// #include <stdlib.h>\nimport "C"\n\n'
                                                    "func Free() { C.free(nil) }\n")
    (note,) = _cgo_notes(root)
    assert 'import "C" in internal/lib/c.go' in note
    go = require_tool("go")
    env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    out = subprocess.run([go, "list", "-f", "{{.ImportPath}} {{join .CgoFiles \",\"}}", "./internal/lib"], cwd=root,
                         capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    assert out.split() == ["example.com/shop/internal/lib", "c.go"]
