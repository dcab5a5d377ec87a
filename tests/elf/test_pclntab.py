"""The pclntab reader against `go tool nm -size` and the ELF section table, stripped and not."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.elf._reader import open_elf
from slimgo.elf.pclntab import func_table_of, function_names, has_function, read_functions
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


@pytest.mark.parametrize("name", ["default", "static", "pie", "i386"])
def test_function_sizes_match_go_tool_nm(gobin: dict[str, Path], name: str) -> None:
    nm = _nm_text_sizes(gobin[name])
    funcs = read_functions(gobin[name])
    assert len(funcs) > 1000
    ours = {f.name: f.size for f in funcs}
    common = set(ours) & set(nm)
    assert len(common) >= 0.99 * len(ours)
    exact = sum(1 for n in common if ours[n] == nm[n])
    assert exact >= 0.98 * len(common)  # a function ending in INT3 loses that byte to the fill
    total_nm = sum(nm[n] for n in common)
    assert abs(sum(ours[n] for n in common) - total_nm) <= 0.01 * total_nm


@pytest.mark.parametrize("name", sorted(n for n in VARIANTS if n != "cgo_pie"))
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
    assert has_function(gobin["stripped"], "main.main")
    assert has_function(gobin["stripped"], "example.com/greet.Hello")
    assert not has_function(gobin["stripped"], "time/tzdata.init")


@pytest.mark.parametrize("name", ["arm64", "s390x", "i386"])
def test_cross_compiled_names_match_nm(gobin: dict[str, Path], name: str) -> None:
    nm = _nm_text_sizes(gobin[name])
    names = function_names(gobin[name])
    assert "main.main" in names
    assert len(names & set(nm)) >= 0.99 * len(names)
