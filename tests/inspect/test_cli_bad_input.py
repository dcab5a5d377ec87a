"""Bad input to `slimgo inspect`: a clear error (exit 1) or a report marking what it could not read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.elf.buildinfo import MAGIC


@pytest.mark.parametrize("kind", ["missing", "empty", "directory", "text"])
def test_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    target = tmp_path / kind
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "directory":
        target.mkdir()
    elif kind == "text":
        target.write_text("hello\n")
    assert main(["inspect", str(target)]) == 2  # unreadable input
    err = capsys.readouterr().err
    assert err.startswith(f"error: {target}: ")
    assert "fix:" in err
    assert "Traceback" not in err


@pytest.mark.integration
def test_damaged_parts_are_marked_and_the_rest_reported(
    gobin: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(gobin["static"].read_bytes())
    at = data.find(MAGIC)
    data[at : at + len(MAGIC)] = b"\0" * len(MAGIC)  # no build info any more
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(data))
    assert main(["inspect", "--json", "--no-layer-size", str(broken)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["go"] is None
    assert [p["part"] for p in report["problems"]] == ["go"]
    assert report["linking"]["static"] is True
    assert report["size"]["packages"]


@pytest.mark.integration
def test_truncations_never_crash(gobin: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = gobin["arm64"].read_bytes()
    cut_file = tmp_path / "cut"
    codes = set()
    for cut in range(0, len(data), max(1, len(data) // 60)):
        cut_file.write_bytes(data[:cut])
        code = main(["inspect", "--json", "--no-layer-size", str(cut_file)])
        captured = capsys.readouterr()
        assert code in (0, 1, 2), captured.err
        assert "internal error" not in captured.err
        if code in (0, 1):  # a report: 1 when nothing Go-specific could be read from what is left
            report = json.loads(captured.out)
            assert report["problems"], f"a file cut at {cut} bytes reported no problem"
            assert (code == 1) == (report["go"] is None and report["size"]["function_bytes"] is None)
        codes.add(code)
    assert codes == {0, 1, 2}


@pytest.mark.integration
def test_truncated_section_names_are_not_guessed(
    gobin: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = gobin["stripped"]
    assert main(["inspect", "--json", "--no-layer-size", str(whole)]) == 0
    full = json.loads(capsys.readouterr().out)
    cut = tmp_path / "cut"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # the section name table is at the end
    assert main(["inspect", "--json", "--no-layer-size", str(cut)]) == 1  # nothing Go-specific is left
    report = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in report["size"]["sections"]]
    assert names and all(name.startswith("[") for name in names)  # by index, as readelf does
    checks = {c["name"]: c for c in report["hardening"]["checks"]}
    assert checks["stripped"]["status"] == "info" and "unreadable" in checks["stripped"]["detail"]
    assert report["hardening"]["go_build_id"] == full["hardening"]["go_build_id"]  # from PT_NOTE
    problems = {p["part"]: p["message"] for p in report["problems"]}
    assert problems["size.packages"].startswith("truncated")
    assert main(["inspect", "--no-layer-size", str(cut)]) == 1
    out = capsys.readouterr().out
    assert "Could not read" in out and "(, ," not in out


def _hostile(tmp_path: Path, kind: str, gobin: dict[str, Path]) -> Path:
    from tests.elf.hostile_files import GIB, fifo, many_sections, sparse_copy, sparse_segment, symlink_loop

    if kind == "fifo":
        return fifo(tmp_path / "pipe")
    if kind == "device":
        return Path("/dev/zero")
    if kind == "loop":
        return symlink_loop(tmp_path)
    if kind == "sparse":
        return sparse_copy(gobin["static"], tmp_path / "sparse", 2 * GIB)
    if kind == "hollow":
        return sparse_segment(tmp_path / "hollow", 2 * GIB)
    return many_sections(gobin["static"], tmp_path / "many", 300_000)


@pytest.fixture(scope="module")
def baseline_rss(gobin: dict[str, Path]) -> float:
    """Peak RSS of the command on the ordinary static binary: what a hostile input is measured against."""
    from tests.hostile.harness import run_cli

    run = run_cli(["inspect", "--json", "--no-layer-size", str(gobin["static"])], timeout=60)
    assert run.code == 0, run.err
    return run.max_rss_mb


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "sparse", "hollow", "many"])
def test_hostile_files_cost_bounded_time_and_memory(
    gobin: dict[str, Path], tmp_path: Path, baseline_rss: float, kind: str
) -> None:
    """Each in a child process, as a user runs it: done within 5 s, peak RSS near that of an ordinary run
    (a 2 GiB file read whole would add 2 GiB), and a clear answer."""
    from tests.hostile.harness import run_cli

    target = _hostile(tmp_path, kind, gobin)
    run = run_cli(["inspect", "--json", "--no-layer-size", str(target)], timeout=30)
    assert run.seconds < 5, f"{kind}: {run.seconds:.1f} s"
    assert run.max_rss_mb < baseline_rss + 64, f"{kind}: {run.max_rss_mb:.0f} MB vs {baseline_rss:.0f} MB"
    assert "Traceback" not in run.err
    if kind in ("fifo", "device", "loop"):
        assert run.code == 2
        assert run.err.startswith(f"error: {target}: ") and "\n  fix: " in run.err
        return
    report = json.loads(run.out)
    if kind == "hollow":  # a header and nothing else: an ELF report with nothing Go in it
        assert run.code == 1 and report["go"] is None
        return
    assert run.code == 0, run.err
    assert report["go"]["path"] and report["size"]["packages"]
    if kind == "many":
        assert any("300,000 section headers" in p["message"] for p in report["problems"])


@pytest.mark.integration
def test_nothing_go_specific_exits_1_with_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A C program: the ELF parts are reported, the Go parts are not there, and the exit code says so."""
    from tests.conftest import require_tool

    ls = Path(require_tool("ls")).resolve()
    assert main(["inspect", "--json", "--no-layer-size", str(ls)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["go"] is None and report["size"]["packages"] == []
    assert {p["part"] for p in report["problems"]} >= {"go", "size.packages"}
    assert report["linking"]["needed"]
    checks = {c["name"]: c for c in report["hardening"]["checks"]}
    assert "cgo" not in checks["stack canary"]["detail"]  # a C program's canaries are not cgo's
    assert "Go code" not in checks["stack canary"]["detail"]
    assert main(["inspect", "--no-layer-size", str(ls)]) == 1
    out = capsys.readouterr().out
    assert "Could not read" in out and "C code (cgo)" not in out


@pytest.mark.integration
def test_strict_turns_any_unreadable_part_into_exit_1(
    gobin: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(gobin["static"].read_bytes())
    at = data.find(MAGIC)
    data[at : at + len(MAGIC)] = b"\0" * len(MAGIC)
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(data))
    assert main(["inspect", "--json", "--no-layer-size", str(broken)]) == 0  # partial: packages were read
    capsys.readouterr()
    assert main(["inspect", "--strict", "--json", "--no-layer-size", str(broken)]) == 1
    assert json.loads(capsys.readouterr().out)["problems"]
    assert main(["inspect", "--strict", "--json", "--no-layer-size", str(gobin["static"])]) == 0
