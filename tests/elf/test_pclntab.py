"""The pclntab reader against `go tool nm -size` and the ELF section table, stripped and not."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.elf._reader import open_elf
from slimgo.elf.gopackages import NO_PACKAGE, PackageResolver
from slimgo.elf.pclntab import func_table_of, function_names, read_functions
from tests.elf.gofixtures import VARIANTS, run_go

pytestmark = pytest.mark.integration


def _nm_text_sizes(path: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for line in run_go("tool", "nm", "-size", str(path)).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("T", "t"):
            # the symbol table marks assembly (ABI0) functions with a suffix the function table omits
            sizes[parts[3].removesuffix(".abi0")] = int(parts[1])
    return sizes


@pytest.mark.parametrize("name", ["default", "static", "pie", "i386", "arm64", "s390x", "loong64", "riscv64",
                                  "mips", "mips64le", "ppc64", "arm"])
def test_function_sizes_match_go_tool_nm(gobin: dict[str, Path], name: str) -> None:
    nm = _nm_text_sizes(gobin[name])
    funcs = read_functions(gobin[name])
    assert len(funcs) > 1000
    names = [f.name for f in funcs]
    ours = {f.name: f.size for f in funcs if names.count(f.name) == 1}  # an ABI0 twin shares its name
    common = set(ours) & set(nm)
    assert len(common) >= 0.99 * len(ours)
    if name in ("default", "pie"):  # cgo: the C functions have no pc-value tables, their gcc NOPs are not fill
        resolver = PackageResolver()
        common = {n for n in common if resolver.package(n) != NO_PACKAGE}
    wrong = {n: (ours[n], nm[n]) for n in common if ours[n] != nm[n]}
    assert not wrong  # exact, including functions that end in INT3 or in a zero word


@pytest.mark.parametrize("name", sorted(n for n in VARIANTS if n not in ("cgo_pie", "c_shared")))  # external linking
def test_functions_plus_padding_span_text(gobin: dict[str, Path], name: str) -> None:
    with open_elf(gobin[name]) as image:
        table = func_table_of(image)
        text = image.section(".text")
    assert text is not None
    assert table.function_bytes + table.padding_bytes == text.size
    assert table.text_start == text.addr


def test_externally_linked_text_holds_c_code_outside_the_table(gobin: dict[str, Path]) -> None:
    with open_elf(gobin["cgo_pie"]) as image:
        table = func_table_of(image)
        text = image.section(".text")
    assert text is not None
    nm = run_go("tool", "nm", str(gobin["cgo_pie"]))
    runtime_text = next(int(line.split()[0], 16) for line in nm.splitlines() if line.endswith(" runtime.text"))
    assert table.text_start == runtime_text
    assert 0 < text.size - (table.function_bytes + table.padding_bytes) < text.size // 10


def test_stripped_binary_keeps_every_function_name(gobin: dict[str, Path]) -> None:
    assert function_names(gobin["stripped"]) == function_names(gobin["static"])
    names = function_names(gobin["stripped"])
    assert "main.main" in names and "example.com/greet.Hello" in names
    assert "time/tzdata.init" not in names


@pytest.mark.parametrize("name", ["arm64", "s390x", "i386"])
def test_cross_compiled_names_match_nm(gobin: dict[str, Path], name: str) -> None:
    nm = _nm_text_sizes(gobin[name])
    names = function_names(gobin[name])
    assert "main.main" in names
    assert len(names & set(nm)) >= 0.99 * len(names)


def _without_section_name(path: Path, out: Path, name: bytes) -> Path:
    data = bytearray(path.read_bytes())
    at = data.find(b"\0" + name + b"\0")
    assert at >= 0
    data[at + 1 : at + 1 + len(name)] = b"x" * len(name)  # the section stays, under another name
    out.write_bytes(bytes(data))
    return out


def _without_section_headers(path: Path, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    assert data[4] == 2 and data[5] == 1  # 64-bit little-endian: e_shoff at 0x28, e_shnum at 0x3c
    data[0x28:0x30] = b"\0" * 8
    data[0x3C:0x40] = b"\0" * 4  # e_shnum and e_shstrndx
    out.write_bytes(bytes(data))
    return out


def test_table_found_through_moduledata_or_a_scan(gobin: dict[str, Path], tmp_path: Path) -> None:
    expected = read_functions(gobin["stripped"])
    renamed = _without_section_name(gobin["stripped"], tmp_path / "renamed", b".gopclntab")
    with open_elf(renamed) as image:
        table = func_table_of(image)
    assert table.header.source == "moduledata (.go.module)"
    assert table.functions == expected
    headless = _without_section_headers(gobin["stripped"], tmp_path / "headless")
    with open_elf(headless) as image:
        assert image.sections == []
        table = func_table_of(image)
    assert table.header.source.startswith("segment scan")
    assert [f.name for f in table.functions] == [f.name for f in expected]
    assert [f.entry for f in table.functions] == [f.entry for f in expected]
