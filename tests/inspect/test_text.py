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


LONG = "github.com/aws/aws-sdk-go-v2/service/s3/internal/customizations/presignedurlhandlers/v2"


def test_dependency_paths_break_only_at_slashes() -> None:
    deps = [Module(LONG, "v1.30.4", SUM,
                   Module("example.com/forks/aws-sdk-go-v2/service/s3/internal", "v0.0.0-20240101000000-abc", SUM)),
            Module("gopkg.in/yaml.v3", "v3.0.1", SUM)]
    console = Console(width=80, record=True, color_system=None)
    for part in _go(BuildInfo("go1.26.8", "example.com/app", Module("example.com/app", "(devel)"), deps)):
        console.print(part)
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("path"))
    cells = [cell for line in lines[start + 2 :] if "│" in line and (cell := line.split("│")[0].strip())]
    assert "".join(cells) == LONG + "gopkg.in/yaml.v3"  # the path reads back whole
    assert all(cell.endswith("/") for cell in cells[:-2])  # and every break fell after a "/"
    replaced = [line.split("│")[2].strip() for line in lines[start + 2 :] if "│" in line]
    assert "".join(replaced[:-2]) == "example.com/forks/aws-sdk-go-v2/service/s3/internal"
    assert replaced[-2] == "v0.0.0-20240101000000-abc"  # the replacement's version on its own line


def test_package_paths_break_only_at_slashes() -> None:
    from slimgo.inspect.text import _PathTable, wrap_path

    assert wrap_path(LONG, 200) == LONG
    pieces = wrap_path(LONG, 30).split("\n")
    assert "".join(pieces) == LONG and all(len(p) <= 30 and p.endswith("/") for p in pieces[:-1])
    console = Console(width=80, record=True, color_system=None)
    console.print(_PathTable(("package", "group", "functions", "bytes"),
                             [(LONG, "dependencies", "1234", "12,345,678"), ("runtime", "runtime", "1", "1")]))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    cells = [line.split("│")[0].strip() for line in lines[2:]]
    assert "".join(cells[:-1]) == LONG  # the path reads back whole: every break falls after a "/"
    assert all(cell.endswith("/") for cell in cells[:-2])
    assert set(LONG.split("/")) <= {e for cell in cells for e in cell.split("/")}


@pytest.mark.integration
def test_every_build_line_is_printed_as_go_version_m_does(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.elf.gofixtures import run_go

    monkeypatch.setenv("COLUMNS", "200")
    for name in ("default", "goroot_cmd"):
        builds = [line.split("\t", 2)[2] for line in run_go("version", "-m", str(gobin[name])).splitlines()
                  if line.startswith("\tbuild\t")]
        assert any(b.startswith("-compiler=") for b in builds)
        assert main(["inspect", "--no-layer-size", str(gobin[name])]) == 0
        out = capsys.readouterr().out.splitlines()
        shown: dict[str, str] = {}
        key = ""
        start = out.index("build") + 1
        for line in out[start : out.index("", start)]:
            if not line.startswith(" "):  # a new setting; indented lines continue the value above
                key, _, line = line.partition(" ")
                shown[key] = ""
            part = line.strip()
            shown[key] += part if shown[key].endswith(",") or not shown[key] else " " + part
        assert [f"{k}={v}" for k, v in shown.items()] == builds
