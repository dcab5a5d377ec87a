"""The whole binary attributed: the function table and data per package and module, against nm and readelf."""

from __future__ import annotations

import json
import mmap
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from slimgo.elf._reader import open_elf
from slimgo.elf.pclntab import _functab, _Records, read_header
from tests.conftest import require_tool
from tests.elf.gofixtures import run_go

pytestmark = pytest.mark.integration


def _report(capsys: pytest.CaptureFixture[str], binary: Path) -> dict[str, Any]:
    assert main(["inspect", "--json", "--no-layer-size", str(binary)]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def _readelf_sections(binary: Path) -> dict[str, int]:
    out = subprocess.run([require_tool("readelf"), "-SW", str(binary)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    sizes = {}
    for line in out.splitlines():
        cols = line.replace("[ ", "[").split()
        if len(cols) > 6 and cols[0].startswith("[") and cols[1].startswith("."):
            sizes[cols[1]] = 0 if cols[2] == "NOBITS" else int(cols[5], 16)
    return sizes


@pytest.mark.parametrize("name", ["static", "stripped", "pie", "arm64", "s390x", "goroot_cmd"])
def test_every_byte_is_attributed_or_named_by_section(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    size = _report(capsys, gobin[name])["size"]
    attributed, left = size["attributed_by_section"], size["unattributed_by_section"]
    assert size["unattributed_bytes"] == size["file_bytes"] - sum(attributed.values()) == sum(left.values())
    sections = _readelf_sections(gobin[name])
    for section, nbytes in attributed.items():  # never more than the section holds (readelf's size)
        assert 0 < nbytes <= sections[section], section
        assert nbytes + left.get(section, 0) == sections[section], section
    assert attributed[".text"] == size["function_bytes"]
    packages = size["packages"]
    assert all(p["total_bytes"] == p["size"] + p["pclntab_bytes"] + p["data_bytes"] for p in packages)
    assert sum(p["total_bytes"] for p in packages) == sum(attributed.values())
    assert [p["total_bytes"] for p in packages] == sorted((p["total_bytes"] for p in packages), reverse=True)
    table = size["function_table"]
    assert attributed[table] >= 0.99 * sections[table]  # all but the header, alignment and the last datum
    if name == "stripped":
        assert ".symtab" not in attributed and all(p["data_bytes"] == 0 for p in packages)


def test_modules_sum_their_packages(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(capsys, gobin["static"])
    size = report["size"]
    by_module: dict[str, int] = defaultdict(int)
    for package in size["packages"]:
        if package["module"] is not None:
            by_module[package["module"]] += package["total_bytes"]
    assert {m["path"]: m["total_bytes"] for m in size["modules"]} == by_module
    greet = {p["name"] for p in size["packages"] if p["module"] == "example.com/greet"}
    assert greet == {"example.com/greet", "example.com/greet/loud"}  # a module is one line for its packages
    modules = {m["path"]: m for m in size["modules"]}
    assert modules["example.com/greet"]["version"] == "v0.1.0"
    assert modules["std"]["version"] == report["go"]["version"]
    assert modules["example.com/hello"]["version"] == "(devel)"
    for module in size["modules"]:
        assert module["share"] == pytest.approx(module["total_bytes"] / size["file_bytes"])
    groups = {p["name"]: (p["group"], p["module"]) for p in size["packages"]}
    assert groups["runtime"] == ("runtime", "std") and groups["fmt"] == ("standard library", "std")
    assert groups["main"] == ("main module", "example.com/hello")


def test_function_data_equals_the_go_func_symbol(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The stack maps, inlining trees and argument info each function points at sum to `go:func.*`, the
    symbol the linker gives that whole area (the last item's length cannot be told without the symbol)."""
    nm = run_go("tool", "nm", "-size", str(gobin["static"]))
    gofunc = next(int(line.split()[1]) for line in nm.splitlines() if line.endswith(" go:func.*"))
    findfunctab = next(int(line.split()[1]) for line in nm.splitlines() if line.endswith(" runtime.findfunctab"))
    with open_elf(gobin["static"]) as image:
        from slimgo.elf.pclntab import func_table_of

        table = func_table_of(image)
        section = image.section(".gopclntab")
    assert table.shares is not None and section is not None
    funcdata = sum(table.shares.funcdata)
    assert gofunc - 64 <= funcdata <= gofunc
    # the section is the table proper, then the function data, then the find-function index
    assert table.shares.table_end + gofunc + findfunctab <= section.size <= table.shares.table_end + gofunc + \
        findfunctab + 64


def _walk(data: bytes | mmap.mmap, pos: int) -> int:
    """Length of the pc-value table at ``pos``, walked pair by pair (value delta, pc delta)."""
    start, first = pos, True
    while True:
        value, pos = _varint(data, pos)
        if value == 0 and not first:
            return pos - start
        first = False
        _, pos = _varint(data, pos)


def _varint(data: bytes | mmap.mmap, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


@pytest.mark.parametrize("name", ["arm64", "i386", "s390x", "static"])
def test_table_lengths_equal_a_walk_of_each_table(gobin: dict[str, Path], name: str) -> None:
    """A table's length is taken as the distance to the next table (the linker writes them back to back);
    walking each one, pair by pair, gives the same length for every table."""
    from slimgo.elf.pclnsize import _lengths

    with open_elf(gobin[name]) as image:
        header, table, origin = read_header(image)
        records = _Records(image, header, table, _functab(image, header, table), origin)
        fixed = 40 if header.magic == 0xFFFFFFF0 else 44
        offsets: set[int] = set()
        for funcoff in records.funcoffs:
            npcdata = records.word(funcoff, 7)
            offsets |= {records.word(funcoff, index) for index in (4, 5, 6)}  # pcsp, pcfile, pcln
            offsets |= {records.word(funcoff, fixed // 4 + i) for i in range(npcdata)}
        offsets.discard(0)
        walked = {off: _walk(records.mem, origin + header.pctab_offset + off) for off in offsets}
        del table, records  # views of the mapping: released before it is closed
    lengths = _lengths(offsets, header.pcln_offset - header.pctab_offset)
    last = max(offsets)
    assert {off: n for off, n in lengths.items() if off != last} == {off: n for off, n in walked.items()
                                                                      if off != last}
    assert 0 <= lengths[last] - walked[last] < 32  # the last one runs on to the aligned start of functab
