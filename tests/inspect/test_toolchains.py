"""Binaries from other Go toolchains and build modes, against `go version -m` and `go tool nm -size`."""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from slimgo.elf.gopackages import MAIN, NO_PACKAGE, PackageResolver, gopath_root
from tests.conftest import require_tool
from tests.elf.gofixtures import go_env

pytestmark = pytest.mark.integration

OLD_TOOLCHAIN = "go1.19.13"  # the last spelling of compiler helpers as "type..eq." and arrays as "[...]"
OLD_PROGRAM = """package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
)

type pair struct {
	A, B string
	C    [4]netip.Addr
}

func main() {
	var ps [3]pair
	b, _ := json.Marshal(ps)
	fmt.Println(string(b), ps == [3]pair{}, http.StatusOK)
}
"""


def _go(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("go"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _report(capsys: pytest.CaptureFixture[str], binary: Path) -> dict[str, Any]:
    assert main(["inspect", "--json", "--no-layer-size", str(binary)]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def _nm_packages(binary: Path, resolver: PackageResolver, env: dict[str, str]) -> dict[str, int]:
    out = _go(["tool", "nm", "-size", str(binary)], binary.parent, env)
    assert out.returncode == 0, out.stderr
    totals: dict[str, int] = defaultdict(int)
    for line in out.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("T", "t"):
            totals[resolver.package(parts[3].removesuffix(".abi0"))] += int(parts[1])
    return totals


@pytest.fixture(scope="module")
def old_binary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A program built by Go 1.19, from the module cache only (tests never reach the network)."""
    src = tmp_path_factory.mktemp("old")
    (src / "go.mod").write_text("module example.com/old\n\ngo 1.18\n")
    (src / "main.go").write_text(OLD_PROGRAM)
    env = go_env({"CGO_ENABLED": "0", "GOTOOLCHAIN": OLD_TOOLCHAIN})
    built = _go(["build", "-o", str(src / "old"), "."], src, env)
    if built.returncode != 0:
        message = f"{OLD_TOOLCHAIN} is not in the module cache (GOTOOLCHAIN={OLD_TOOLCHAIN} go version)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}\n{built.stderr}")
        pytest.skip(message)
    return src / "old", env


def test_go119_equality_helpers_count_for_their_package(
    old_binary: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from slimgo.elf.pclntab import function_names

    binary, env = old_binary
    names = function_names(binary)
    helpers = [n for n in names if n.startswith(("type..eq.[...]", "go.struct {", "go.(*struct {"))]
    assert helpers, "the Go 1.19 spellings this test is about are in the binary"
    resolver = PackageResolver("example.com/old")
    assert all(resolver.package(name) != NO_PACKAGE for name in helpers)
    report = _report(capsys, binary)
    assert report["go"]["version"] == OLD_TOOLCHAIN
    ours = {p["name"]: p["size"] for p in report["size"]["packages"]}
    nm = _nm_packages(binary, resolver, env)
    assert abs(ours[NO_PACKAGE] - nm[NO_PACKAGE]) <= 0.01 * nm[NO_PACKAGE]
    for package, size in ours.items():
        assert abs(size - nm.get(package, 0)) <= max(0.01 * nm.get(package, 0), 4), package


def _gopath_tree(root: Path) -> Path:
    repo = root / "src" / "github.com" / "acme" / "tool"
    files = {
        "cmd/tool/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\n\t"github.com/acme/tool/lib"\n)\n\n'
                            "func main() { fmt.Println(lib.Hello(len(os.Args))) }\n",
        "lib/lib.go": 'package lib\n\nimport "github.com/other/dep"\n\n//go:noinline\n'
                      'func Hello(n int) string { return dep.Repeat("hi ", n) }\n',
        "vendor/github.com/other/dep/dep.go": 'package dep\n\nimport "strings"\n\n//go:noinline\n'
                                              "func Repeat(s string, n int) string { return strings.Repeat(s, n) }\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo / "cmd" / "tool"


def test_gopath_mode_main_module_is_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A binary built without modules (as Debian builds some): no `mod` line, its own packages grouped as the
    main module by the repository its `path` names, its vendored copies as dependencies."""
    cmd = _gopath_tree(tmp_path / "gopath")
    env = go_env({"CGO_ENABLED": "0", "GO111MODULE": "off", "GOPATH": str(tmp_path / "gopath"), "GOFLAGS": ""})
    built = _go(["build", "-o", str(tmp_path / "tool"), "."], cmd, env)
    assert built.returncode == 0, built.stderr
    version = _go(["version", "-m", str(tmp_path / "tool")], tmp_path, env).stdout
    assert "\tpath\tgithub.com/acme/tool/cmd/tool" in version and "\tmod\t" not in version
    report = _report(capsys, tmp_path / "tool")
    assert report["go"]["main"] is None and report["go"]["path"] == "github.com/acme/tool/cmd/tool"
    groups = {p["name"]: p["group"] for p in report["size"]["packages"]}
    assert groups["main"] == groups["github.com/acme/tool/lib"] == MAIN
    assert groups["github.com/acme/tool/vendor/github.com/other/dep"] == "dependencies"
    resolver = PackageResolver(gopath_root(report["go"]["path"]))
    nm = _nm_packages(tmp_path / "tool", resolver, env)
    main_nm = sum(size for package, size in nm.items() if resolver.group(package) == MAIN)
    assert report["size"]["groups"][MAIN] == main_nm > 0


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny fixture cross-compiled for Windows (PE) and macOS (Mach-O), as Go builds them anywhere."""
    from tests.conftest import FIXTURES

    out = tmp_path_factory.mktemp("foreign")
    built = {}
    for goos, goarch in (("windows", "amd64"), ("windows", "386"), ("darwin", "arm64"), ("darwin", "amd64")):
        target = out / f"tiny-{goos}-{goarch}"
        env = go_env({"CGO_ENABLED": "0", "GOOS": goos, "GOARCH": goarch})
        proc = _go(["build", "-o", str(target), "."], FIXTURES / "inspect" / "tiny", env)
        assert proc.returncode == 0, proc.stderr
        built[f"{goos}/{goarch}"] = target
    return built


@pytest.mark.parametrize("platform", ["windows/amd64", "windows/386", "darwin/arm64", "darwin/amd64"])
def test_pe_and_mach_o_binaries(foreign: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                platform: str) -> None:
    """Build info and package sizes of Windows and macOS binaries, as `go version -m` and `go tool nm -size`
    read them; linking and hardening are ELF-only and the report says so."""
    binary = foreign[platform]
    described = subprocess.run([require_tool("file"), "-L", str(binary)], capture_output=True, text=True,
                               check=True, timeout=60).stdout
    assert ("PE32" if platform.startswith("windows") else "Mach-O") in described
    report = _report(capsys, binary)
    assert report["platform"] == platform
    version = _go(["version", "-m", str(binary)], binary.parent, go_env({})).stdout.splitlines()
    assert report["go"]["version"] == version[0].split(": ", 1)[1]
    builds = [line.split("\t", 2)[2] for line in version if line.startswith("\tbuild\t")]
    assert [f"{k}={v}" for k, v in report["go"]["settings_list"]] == builds
    assert report["go"]["main"]["path"] == "example.com/tiny"
    assert report["linking"] is None and report["hardening"] is None
    problems = {p["part"]: p["message"] for p in report["problems"]}
    assert set(problems) == {"linking"} and "ELF binaries only" in problems["linking"]
    # PE and Mach-O symbols carry no size: nm gives each the distance to the next, fill included
    resolver = PackageResolver("example.com/tiny")
    nm = _nm_packages(binary, resolver, go_env({}))
    ours = {p["name"]: p for p in report["size"]["packages"] if p["functions"]}
    with_fill = _with_fill(binary, resolver)
    for package in ours:
        if package in ("runtime", NO_PACKAGE):  # nm also sizes the runtime's text markers
            assert abs(with_fill[package] - nm[package]) <= 0.01 * nm[package]
        else:
            assert with_fill[package] == nm[package], package
    assert main(["inspect", "--strict", "--json", "--no-layer-size", str(binary)]) == 1  # ELF-only parts
    capsys.readouterr()


def _with_fill(binary: Path, resolver: PackageResolver) -> dict[str, int]:
    from slimgo.elf.pclntab import read_functions

    totals: dict[str, int] = defaultdict(int)
    for func in read_functions(binary):
        totals[resolver.package(func.name)] += func.size + func.padding
    return totals


def test_damaged_pe_and_mach_o_are_told_in_slimgo_words(foreign: dict[str, Path], tmp_path: Path) -> None:
    from slimgo.errors import ElfError
    from slimgo.inspect.binary import inspect_binary
    from tests.elf.test_bad_input import FOREIGN

    for platform in ("windows/amd64", "darwin/arm64"):
        data = foreign[platform].read_bytes()
        cut = tmp_path / "cut"
        cuts = [*range(0, 512, 7), *range(512, len(data), max(1, len(data) // 40))]
        for at in cuts:
            broken = bytearray(data[:at])
            if at % 2 and len(broken) > 0x100:  # and some with a header field forged
                broken[0x84 + at % 64] ^= 0xFF
            cut.write_bytes(bytes(broken))
            try:
                report = inspect_binary(cut, compress=False)
            except ElfError as err:
                assert err.fix and not any(word in err.cause for word in FOREIGN), err.cause
            else:
                assert all(not any(word in p.message for word in FOREIGN) for p in report.problems)
