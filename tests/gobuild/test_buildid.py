"""The Go build ID slimgo reads to know an up-to-date binary: the same string `go tool buildid` prints."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from slimgo.gobuild.buildid import go_build_id
from tests.conftest import require_tool


def test_the_build_id_is_what_go_tool_buildid_says(tmp_path: Path) -> None:
    go = require_tool("go")
    (tmp_path / "go.mod").write_text("module example.com/id\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { println(1) }\n")
    binary = tmp_path / "id"
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], cwd=tmp_path, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"})
    expected = subprocess.run([go, "tool", "buildid", str(binary)], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert go_build_id(binary) == expected and expected.count("/") >= 1
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { println(2) }\n")
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], cwd=tmp_path, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"})
    assert go_build_id(binary) not in (None, expected)


def test_no_build_id_in_what_is_not_a_go_elf_binary(tmp_path: Path) -> None:
    text = tmp_path / "script"
    text.write_text("#!/bin/sh\n")
    assert go_build_id(text) is None
    assert go_build_id(tmp_path / "missing") is None
    fake = tmp_path / "fake"
    fake.write_bytes(b"\x7fELF\x02\x01" + bytes(100) + b"Go\x00\x00not a note")
    assert go_build_id(fake) is None
