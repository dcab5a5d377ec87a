"""The text report reads in an 80-column terminal and uses a wide one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from slimgo.cli.main import main
from slimgo.elf.buildinfo import BuildInfo, Module
from slimgo.inspect.text import _go

SUM = "h1:e5/vxKd/rZsfSJMUX1agtjeTDf+qv1/JdBF8gg5k9ZM="
INFO = BuildInfo("go1.26.8", "example.com/app", Module("example.com/app", "(devel)"), [
    Module("github.com/spf13/cobra", "v1.8.1", SUM),
    Module("gopkg.in/yaml.v3", "v3.0.1", SUM, Module("example.com/fork/yaml", "v3.0.2", SUM)),
    Module("golang.org/x/sys", "v0.0.0-20240101000000-abcdefabcdef", SUM),
])


def _render(width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    for part in _go(INFO):
        console.print(part)
    return console.export_text().splitlines()


def test_dependency_sums_only_where_they_fit() -> None:
    wide = _render(200)
    assert any(SUM in line and "github.com/spf13/cobra" in line for line in wide)
    assert any("gopkg.in/yaml.v3" in line and "example.com/fork/yaml v3.0.2" in line for line in wide)
    narrow = _render(80)
    assert all(len(line) <= 80 for line in narrow)
    assert not any(SUM in line for line in narrow)
    assert any(line.startswith(" github.com/spf13/cobra ") for line in narrow)  # paths are not cut
    assert any("sums left out" in line for line in narrow)


@pytest.mark.integration
@pytest.mark.parametrize("width", [80, 200])
def test_report_fits_the_terminal(gobin: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["inspect", "--no-layer-size", str(gobin["default"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= width
    hardening = lines.index("Hardening")
    fixes = [line for line in lines[hardening:] if "fix: " in line]
    assert any("-buildmode=pie" in line for line in fixes)  # each fix sits under its detail, whole
