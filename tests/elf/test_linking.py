"""read_linking against `readelf -lWd` and `readelf -V` on binaries built by the Go toolchain."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from slimgo.elf.linking import Linking, highest_glibc, read_linking
from tests.conftest import require_tool
from tests.elf.gofixtures import VARIANTS

pytestmark = pytest.mark.integration


def _readelf(*args: str) -> str:
    readelf = require_tool("readelf")
    return subprocess.run([readelf, *args], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_interpreter_and_needed_match_readelf(gobin: dict[str, Path], name: str) -> None:
    out = _readelf("-lWd", str(gobin[name]))
    interp = re.search(r"Requesting program interpreter: (.+?)\]", out)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)
    linking = read_linking(gobin[name])
    assert linking.interpreter == (interp.group(1) if interp else None)
    assert linking.needed == needed
    assert linking.static is (interp is None and not needed)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_static_verdict_follows_the_build(gobin: dict[str, Path], name: str) -> None:
    variant = VARIANTS[name]
    linking = read_linking(gobin[name])
    if variant.static_expected:
        assert linking.static
    if "-buildmode=pie" in variant.flags:
        assert not linking.static  # PIE always asks for the dynamic loader, even without libraries
        assert linking.elf_type == "ET_DYN"


def test_glibc_required_is_the_highest_glibc_version_readelf_lists(gobin: dict[str, Path]) -> None:
    out = _readelf("-V", str(gobin["default"]))
    versions = re.findall(r"Name: (GLIBC_[0-9.]+)", out)
    assert versions, "the cgo build should require versioned glibc symbols"
    linking = read_linking(gobin["default"])
    assert linking.glibc_required == highest_glibc(versions)
    assert linking.glibc_required is not None
    assert {key.split("/")[1] for key in linking.versioned_symbols} == set(versions)
    assert all(key.startswith("libc.so.6/") for key in linking.versioned_symbols)
    assert sum(len(v) for v in linking.versioned_symbols.values()) > 0


def test_static_binary_has_no_versions(gobin: dict[str, Path]) -> None:
    linking = read_linking(gobin["static"])
    assert linking.versioned_symbols == {}
    assert linking.glibc_required is None
    assert linking.interpreter is None


@pytest.mark.parametrize(
    ("name", "elf_class", "machine", "byteorder"),
    [
        ("static", 64, "amd64", "little"),
        ("arm64", 64, "arm64", "little"),
        ("i386", 32, "386", "little"),
        ("s390x", 64, "s390x", "big"),
    ],
)
def test_class_machine_and_byte_order(
    gobin: dict[str, Path], name: str, elf_class: int, machine: str, byteorder: str
) -> None:
    linking = read_linking(gobin[name])
    assert (linking.elf_class, linking.machine, linking.byteorder) == (elf_class, machine, byteorder)


def test_highest_glibc_compares_numerically() -> None:
    assert highest_glibc(["GLIBC_2.9", "GLIBC_2.34", "GLIBC_2.3.2", "GLIBC_PRIVATE", "GLIBCXX_3.4.29"]) == "2.34"
    assert highest_glibc(["GLIBCXX_3.4"]) is None


def test_required_versions_sort_by_number() -> None:
    symbols = {f"libc.so.6/{name}": ["f"] for name in ("GLIBC_2.14", "GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.3.4",
                                                        "GLIBC_PRIVATE")}
    symbols["libstdc++.so.6/GLIBCXX_3.4.9"] = symbols["libstdc++.so.6/GLIBCXX_3.4.29"] = ["g"]
    linking = Linking("x", 64, "amd64", "little", "ET_DYN", False, "/lib64/ld-linux-x86-64.so.2",
                      versioned_symbols=symbols)
    assert linking.required_versions == ["GLIBC_2.2.5", "GLIBC_2.3.4", "GLIBC_2.14", "GLIBC_2.34", "GLIBC_PRIVATE",
                                         "GLIBCXX_3.4.9", "GLIBCXX_3.4.29"]
