"""`slimgo inspect` on real Go binaries, in-process: JSON against the schema and against the Go tools."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from slimgo.cli.main import main
from slimgo.elf.gopackages import NO_PACKAGE, PackageResolver
from tests.elf.gofixtures import run_go

pytestmark = pytest.mark.integration

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schemas" / "inspect.schema.json").read_text())


def inspect_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["inspect", "--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    return data


@pytest.mark.parametrize("name", ["default", "static", "stripped", "pie", "pie_static", "cgo_pie", "arm64",
                                  "i386", "s390x", "goroot_cmd"])
def test_json_go_section_equals_go_version_m(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data = inspect_json(capsys, "--no-layer-size", str(gobin[name]))
    out = run_go("version", "-m", str(gobin[name])).splitlines()
    assert data["go"]["version"] == out[0].split(": ", 1)[1]
    lines = [line[1:].split("\t") for line in out[1:]]
    builds = [cols[1].split("=", 1) for cols in lines if cols[0] == "build"]
    # values `go version -m` quotes are compared unquoted
    assert [key for key, _ in builds] == [key for key, _ in data["go"]["settings_list"]]
    assert data["go"]["path"] == next(cols[1] for cols in lines if cols[0] == "path")
    mods = [cols for cols in lines if cols[0] == "mod"]
    if mods:
        assert data["go"]["main"]["path"] == mods[0][1]
        assert data["go"]["main"]["version"] == mods[0][2]
    assert [d["path"] for d in data["go"]["deps"]] == [cols[1] for cols in lines if cols[0] == "dep"]


def test_replaced_dependency_in_json(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = inspect_json(capsys, "--no-layer-size", str(gobin["static"]))
    assert data["go"]["deps"] == [{"path": "example.com/greet", "version": "v0.1.0", "sum": "",
                                   "replace": {"path": "../greet", "version": "(devel)", "sum": ""}}]
    groups = {p["name"]: p["group"] for p in data["size"]["packages"]}
    assert groups["main"] == "main module"
    assert groups["example.com/greet"] == "dependencies"
    assert groups["example.com/greet/loud"] == "dependencies"
    assert groups["runtime"] == "runtime"
    assert groups["fmt"] == "standard library"
    greet = sum(p["size"] for p in data["size"]["packages"] if p["name"].startswith("example.com/greet"))
    assert data["size"]["groups"]["dependencies"] == greet > 0


@pytest.mark.parametrize("name", ["example", "goroot_cmd"])
def test_no_dependency_bytes_without_dependencies(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data = inspect_json(capsys, "--no-layer-size", str(gobin[name]))
    assert data["go"]["deps"] == []
    assert data["size"]["groups"]["dependencies"] == 0
    groups = {p["name"]: p["group"] for p in data["size"]["packages"]}
    if name == "example":  # net/http pulls GOROOT's vendored golang.org/x packages: standard library
        vendored = [pkg for pkg in groups if pkg.startswith("vendor/golang.org/x/")]
        assert vendored and all(groups[pkg] == "standard library" for pkg in vendored)
    # every package is an import path: no fragments of anonymous struct types, no linker escapes
    assert all(" " not in pkg and "%" not in pkg and "{" not in pkg for pkg in groups if pkg != NO_PACKAGE)


def _nm_by_package(path: Path, resolver: PackageResolver) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in run_go("tool", "nm", "-size", "-sort", "size", str(path)).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("T", "t"):
            totals[resolver.package(parts[3].removesuffix(".abi0"))] += int(parts[1])
    return totals


ARCHITECTURES = ["arm64", "i386", "s390x", "loong64", "riscv64", "mips", "mips64le", "ppc64", "arm"]


@pytest.mark.parametrize("name", ["default", "static", "stripped", "pie", "goroot_cmd", *ARCHITECTURES])
def test_package_totals_match_go_tool_nm(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Every package's bytes equal the sizes `go tool nm` gives its symbols, on every architecture: a
    function's size comes from its own pc-value table, so the alignment fill is never guessed."""
    data = inspect_json(capsys, "--no-layer-size", str(gobin[name]))
    go = data["go"]
    resolver = PackageResolver(go["main"]["path"] if go["main"] else go["path"], [d["path"] for d in go["deps"]])
    # nm needs the symbol table: for the stripped build, the unstripped one of the same source
    nm = _nm_by_package(gobin["static" if name == "stripped" else name], resolver)
    ours = {p["name"]: p["size"] for p in data["size"]["packages"] if p["functions"]}  # not data-only packages
    assert len(ours) > 20
    for package, size in ours.items():
        if package == NO_PACKAGE and data["go"]["settings"].get("CGO_ENABLED") == "1":
            continue  # C functions of internally linked cgo have no pc-value tables: their gcc NOPs count
        assert size == nm.get(package, 0), package
    host_objects = {p for p in nm if "(" in p}  # cgo: nm names C object sections "net(.text)", not functions
    assert set(ours) - {NO_PACKAGE} == set(nm) - {NO_PACKAGE} - host_objects


@pytest.mark.parametrize("name", ["default", "static", "stripped", "pie", *ARCHITECTURES])
def test_functions_plus_padding_equal_text(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    size = inspect_json(capsys, "--no-layer-size", str(gobin[name]))["size"]
    assert size["attributed_bytes"] == size["function_bytes"] + size["padding_bytes"] == size["text_bytes"]
    assert sum(p["size"] for p in size["packages"]) == size["function_bytes"]
    assert size["file_bytes"] == gobin[name].stat().st_size


def test_linking_and_hardening_verdicts(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    static = inspect_json(capsys, "--no-layer-size", str(gobin["static"]))
    assert static["linking"]["static"] is True
    assert static["hardening"]["relro"] == "not applicable"
    assert static["hardening"]["stack_canary"] == "not applicable"
    assert static["hardening"]["stripped"] is False
    weak = {c["name"]: c for c in static["hardening"]["checks"] if c["status"] == "weak"}
    assert weak["stripped"]["fix"] == '-ldflags="-s -w"'
    pie = inspect_json(capsys, "--no-layer-size", str(gobin["pie"]))
    assert pie["hardening"]["pie"] is True and pie["linking"]["static"] is False
    assert pie["hardening"]["relro"] == "partial"
    assert pie["linking"]["glibc_required"] is not None
    stripped = inspect_json(capsys, "--no-layer-size", str(gobin["stripped"]))
    assert stripped["hardening"]["stripped"] is True
    assert stripped["size"]["strip_savings_bytes"] is None
    assert stripped["size"]["packages"], "the function table survives -s -w"


def test_a_c_shared_library_is_a_shared_object(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """`file -L` and readelf call it a shared object with no interpreter; so does the report, and its PIE
    check passes instead of calling it a fixed-address executable."""
    import subprocess

    from tests.conftest import require_tool

    library = gobin["c_shared"]
    described = subprocess.run([require_tool("file"), "-L", str(library)], capture_output=True, text=True,
                               check=True, timeout=60).stdout
    assert "shared object" in described
    headers = subprocess.run([require_tool("readelf"), "-lW", str(library)], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    assert "INTERP" not in headers
    data = inspect_json(capsys, "--no-layer-size", str(library))
    assert data["linking"]["shared_object"] is True and data["linking"]["interpreter"] is None
    assert data["linking"]["elf_type"] == "ET_DYN"
    assert data["hardening"]["pie"] is True
    pie = {c["name"]: c for c in data["hardening"]["checks"]}["PIE"]
    assert pie["status"] == "ok" and "shared object" in pie["detail"] and "fixed-address" not in pie["detail"]
    for name in ("pie", "static", "cgo_pie"):  # executables stay executables
        assert inspect_json(capsys, "--no-layer-size", str(gobin[name]))["linking"]["shared_object"] is False
    assert main(["inspect", "--no-layer-size", str(library)]) == 0
    assert "(ET_DYN, shared object)" in capsys.readouterr().out


def test_strip_savings_predict_the_stripped_build(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    savings = inspect_json(capsys, "--no-layer-size", str(gobin["static"]))["size"]["strip_savings_bytes"]
    actual = gobin["static"].stat().st_size - gobin["stripped"].stat().st_size
    assert abs(savings - actual) <= 0.02 * actual


def test_layer_sizes(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    layer = inspect_json(capsys, str(gobin["stripped"]))["size"]["layer"]
    size = gobin["stripped"].stat().st_size
    assert layer["tar_bytes"] > size
    assert 0 < layer["gzip_bytes"] < size and 0 < layer["zstd_bytes"] < size


def test_text_report(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--top", "5", "--no-layer-size", str(gobin["default"])]) == 0
    out = capsys.readouterr().out
    for expected in ("Go", "Linking", "Hardening", "Size", "needs glibc >=", "libc.so.6", "example.com/greet",
                     ".gopclntab", "by package (top 5 of"):
        assert expected in out


def test_diff(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--diff", "--json", "--no-layer-size", str(gobin["static"]), str(gobin["stripped"])]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    sections = {row["name"]: row for row in data["sections"]}
    assert sections[".symtab"]["b"] == 0 and sections[".symtab"]["delta"] < 0
    assert data["file_bytes"]["delta"] == gobin["stripped"].stat().st_size - gobin["static"].stat().st_size
    assert all(row["delta"] == row["b"] - row["a"] for row in data["packages"])
    assert data["layer"] == []  # not computed with --no-layer-size
    assert main(["inspect", "--diff", str(gobin["static"]), str(gobin["default"])]) == 0
    out = capsys.readouterr().out
    assert "packages" in out and "gzip layer: " in out


def test_diff_layer_sizes_match_each_report(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = (inspect_json(capsys, str(gobin[name]))["size"]["layer"] for name in ("static", "stripped"))
    assert main(["inspect", "--diff", "--json", str(gobin["static"]), str(gobin["stripped"])]) == 0
    diff = json.loads(capsys.readouterr().out)
    jsonschema.validate(diff, SCHEMA)
    rows = {row["name"]: row for row in diff["layer"]}
    assert set(rows) == {"tar", "gzip", "zstd"}
    for codec in ("gzip", "zstd"):
        assert (rows[codec]["a"], rows[codec]["b"]) == (a[f"{codec}_bytes"], b[f"{codec}_bytes"])
        assert rows[codec]["delta"] < 0  # stripping makes the layer smaller


def test_usage_errors(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 2
    assert main(["inspect", "--diff", str(gobin["static"])]) == 2
    assert "expects two targets" in capsys.readouterr().err
