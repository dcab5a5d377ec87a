"""`slimgo inspect`'s bloat section on binaries built here: a server with pprof and expvar, a program embedding a
1 MiB file (as embed.FS, []byte and string), stripped and not; sizes checked against `go tool nm -size` and
pyelftools."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from elftools.elf.elffile import ELFFile

from slimgo.cli.main import main
from tests.conftest import FIXTURES, require_tool
from tests.inspect.test_cli_binary import inspect_json

pytestmark = pytest.mark.integration

MIB = 1 << 20
EMBED_MAIN = '''package main

import (
\t"embed"
\t"fmt"
)

//go:embed assets
var files embed.FS

//go:embed assets/blob.bin
var blob []byte

//go:embed notes.txt
var notes string

func main() {
\tentries, _ := files.ReadDir("assets")
\tfmt.Println(len(entries), len(blob), len(notes))
}
'''


def _go_build(source: Path, out: Path, *flags: str, goarch: str = "amd64") -> Path:
    go = require_tool("go")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false", "GOTOOLCHAIN": "local", "GOOS": "linux",
           "GOARCH": goarch}
    subprocess.run([go, "build", "-o", str(out), *flags, "."], cwd=source, env=env, check=True,
                   capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bloat")
    embed = root / "embed"
    (embed / "assets").mkdir(parents=True)
    (embed / "go.mod").write_text("module example.com/embed\n\ngo 1.22\n")
    (embed / "main.go").write_text(EMBED_MAIN)
    noise = random.Random(7)  # incompressible, so the size is the file's
    (embed / "assets" / "blob.bin").write_bytes(noise.randbytes(MIB))
    (embed / "assets" / "small.txt").write_text("tiny\n")
    (embed / "notes.txt").write_text("n" * 300_000)
    return {
        "embed": _go_build(embed, root / "embed-full"),
        "embed_stripped": _go_build(embed, root / "embed-stripped", "-ldflags=-s -w"),
        "embed_386": _go_build(embed, root / "embed-386", "-ldflags=-s -w", goarch="386"),  # 32-bit words
        "embed_s390x": _go_build(embed, root / "embed-s390x", "-ldflags=-s -w", goarch="s390x"),  # big-endian
        "embed_pie": _go_build(embed, root / "embed-pie", "-buildmode=pie", "-ldflags=-s -w"),  # .data.rel.ro
        "pprof": _go_build(FIXTURES / "debugserver", root / "debugserver", "-ldflags=-s -w"),
        "clean": _go_build(FIXTURES / "stdincli", root / "clean", "-ldflags=-s -w"),
    }


def _bloat(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> dict[str, Any]:
    report: dict[str, Any] = inspect_json(capsys, "--no-layer-size", *args, str(path))
    bloat: dict[str, Any] = report["bloat"]
    return bloat | {"packages": {p["name"]: p for p in report["size"]["packages"]}}


def _nm(path: Path) -> dict[str, int]:
    out = subprocess.run([require_tool("go"), "tool", "nm", "-size", str(path)], capture_output=True, text=True,
                         check=True).stdout
    sizes = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            sizes[fields[3]] = int(fields[1])
    return sizes


def test_debug_handlers_are_named_with_their_own_size(binaries: dict[str, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bloat = _bloat(capsys, binaries["pprof"])
    handlers = {item["name"]: item for item in bloat["items"] if item["kind"] == "debug-handler"}
    assert set(handlers) == {"net/http/pprof", "expvar"}
    for name, item in handlers.items():
        package = bloat["packages"][name]
        assert item["bytes"] == package["size"] + package["pclntab_bytes"] + package["data_bytes"] > 1000
        assert "--strip-debug-handlers" in item["fix"]
    assert "/debug/pprof/" in handlers["net/http/pprof"]["detail"]
    profile = bloat["packages"]["runtime/pprof"]["total_bytes"]
    assert f"runtime/pprof {profile:,}" in handlers["net/http/pprof"]["detail"]
    assert {item["kind"] for item in bloat["items"]} == {"debug-handler"}  # stripped: no DWARF, no symbols


def test_dwarf_and_symbols_of_an_unstripped_binary(binaries: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bloat = _bloat(capsys, binaries["embed"])
    items = {item["kind"]: item for item in bloat["items"] if item["kind"] in ("dwarf", "symbol-table")}
    with binaries["embed"].open("rb") as handle:
        elf = ELFFile(handle)
        dwarf = sum(s["sh_size"] for s in elf.iter_sections() if s.name.startswith((".debug_", ".zdebug_")))
        symbols = sum(s["sh_size"] for s in elf.iter_sections() if s.name in (".symtab", ".strtab"))
    assert items["dwarf"]["bytes"] == dwarf > 100_000
    assert items["symbol-table"]["bytes"] == symbols > 10_000
    assert "-ldflags=-w" in items["dwarf"]["fix"] and "-ldflags=-s" in items["symbol-table"]["fix"]


def test_embedded_data_with_the_symbol_table(binaries: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    bloat = _bloat(capsys, binaries["embed"])
    embedded = {item["name"]: item["bytes"] for item in bloat["items"] if item["kind"] == "embedded"}
    assert embedded == {"assets/blob.bin (embed.FS main.files)": MIB, "main.blob": MIB, "main.notes": 300_000}
    nm = _nm(binaries["embed"])
    gobytes = [size for name, size in nm.items() if name.startswith("main..gobytes.")]
    assert gobytes == [MIB]  # the []byte's data, as the Go tools size it
    # the file table: a slice header, then {name, data, hash} per entry (assets/, blob.bin, small.txt)
    assert nm["main.files.files"] == 3 * 8 + 3 * 48
    assert bloat["total_bytes"] == sum(item["bytes"] for item in bloat["items"])
    assert bloat["threshold_bytes"] == 256 << 10


@pytest.mark.parametrize("name", ["embed_stripped", "embed_386", "embed_s390x", "embed_pie"])
def test_embedded_files_without_the_symbol_table(binaries: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                 name: str) -> None:
    bloat = _bloat(capsys, binaries[name])
    assert [(item["kind"], item["name"], item["bytes"]) for item in bloat["items"]] == [
        ("embedded", "assets/blob.bin (embed.FS)", MIB)]  # []byte and string data need symbols: said so
    assert "need the symbol table" in bloat["embeds_method"]


def test_the_threshold_is_a_flag(binaries: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    high = _bloat(capsys, binaries["embed_stripped"], "--bloat-threshold", "2MiB")
    assert high["items"] == [] and high["threshold_bytes"] == 2 * MIB
    low = _bloat(capsys, binaries["embed"], "--bloat-threshold", "4KiB")
    assert "main.notes" in {item["name"] for item in low["items"]}
    assert main(["inspect", "--bloat-threshold", "lots", str(binaries["embed"])]) == 2
    assert "--bloat-threshold='lots': is not a size" in capsys.readouterr().err


def test_text_report(binaries: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--no-layer-size", str(binaries["pprof"])]) == 0
    out = capsys.readouterr().out
    bloat = out[out.index("Bloat"):]
    assert "net/http/pprof" in bloat and "expvar" in bloat and "--strip-debug-handlers" in bloat
    assert main(["inspect", "--no-layer-size", str(binaries["clean"])]) == 0
    assert "none found" in capsys.readouterr().out
    report = inspect_json(capsys, "--no-layer-size", str(binaries["clean"]))
    assert report["bloat"]["items"] == [] and report["bloat"]["total_bytes"] == 0
    assert json.dumps(report)  # the whole report stays serialisable
