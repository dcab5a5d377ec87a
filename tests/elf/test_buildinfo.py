"""read_buildinfo against `go version -m`, plus the modinfo parser and the pre-1.18 format."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.elf.buildinfo import MAGIC, Module, parse_modinfo, read_buildinfo
from slimgo.errors import ElfError
from tests.elf.gofixtures import VARIANTS, run_go


def _go_version_m(path: Path) -> tuple[str, str]:
    out = run_go("version", "-m", str(path))
    first, *rest = out.splitlines()
    return first.split(": ", 1)[1], "".join(line[1:] + "\n" for line in rest)


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_equals_go_version_m(gobin: dict[str, Path], name: str) -> None:
    version, modinfo = _go_version_m(gobin[name])
    info = read_buildinfo(gobin[name])
    assert info.supported
    assert info.go_version == version
    assert info.modinfo_text() == modinfo


@pytest.mark.integration
def test_replaced_dependency_and_settings(gobin: dict[str, Path]) -> None:
    info = read_buildinfo(gobin["stripped"])
    assert info.path == "example.com/hello"
    assert info.main is not None and info.main.path == "example.com/hello"
    assert info.deps == [Module("example.com/greet", "v0.1.0", "", Module("../greet", "(devel)", ""))]
    assert info.setting("CGO_ENABLED") == "0"
    assert info.setting("-ldflags") == "-s -w"
    assert info.setting("GOARCH") == "amd64"
    assert info.settings[0] == ("-buildmode", "exe")


@pytest.mark.integration
def test_pre_118_header_is_reported_unsupported(gobin: dict[str, Path], tmp_path: Path) -> None:
    # No pre-1.18 toolchain is available here, so rewrite a real header the way go1.17 laid it out:
    # flags without the inline bit (0x2), followed by pointers instead of inline strings.
    data = bytearray(gobin["static"].read_bytes())
    at = data.find(MAGIC)
    assert at >= 0
    data[at + 15] = 0x0
    data[at + 16 : at + 32] = b"\0" * 16
    old = tmp_path / "old"
    old.write_bytes(bytes(data))
    info = read_buildinfo(old)
    assert not info.supported
    assert info.note is not None and "1.18" in info.note
    assert info.deps == [] and info.main is None


def test_parse_modinfo_quoting_and_replace() -> None:
    text = (
        "path\texample.com/x\n"
        "mod\texample.com/x\tv1.0.0\th1:abc=\n"
        "dep\tgolang.org/y\tv0.1.0\n"
        "=>\tgolang.org/z\tv0.2.0\th1:def=\n"
        'build\t-ldflags="-s -w -X \\"main.v=1\\""\n'
        'build\t"odd key"=v\n'
        "build\tCGO_ENABLED=0\n"
    )
    path, main, deps, settings = parse_modinfo(text)
    assert path == "example.com/x"
    assert main == Module("example.com/x", "v1.0.0", "h1:abc=")
    assert deps == [Module("golang.org/y", "v0.1.0", "", Module("golang.org/z", "v0.2.0", "h1:def="))]
    assert settings == [("-ldflags", '-s -w -X "main.v=1"'), ("odd key", "v"), ("CGO_ENABLED", "0")]


@pytest.mark.parametrize(
    "text",
    ["mod\tonly-one-column\n", "=>\ta\tb\tc\n", "build\t=x\n", "build\tnoequals\n", 'build\t"unterminated=1\n'],
)
def test_parse_modinfo_rejects_malformed_lines(text: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_modinfo(text)


@pytest.mark.integration
def test_binary_without_buildinfo_is_a_clear_error(gobin: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(gobin["static"].read_bytes())
    at = data.find(MAGIC)
    data[at : at + len(MAGIC)] = b"X" * len(MAGIC)
    broken = tmp_path / "nobuildinfo"
    broken.write_bytes(bytes(data))
    with pytest.raises(ElfError, match="no Go build information"):
        read_buildinfo(broken)
