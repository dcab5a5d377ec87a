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
    assert main(["inspect", str(target)]) == 1
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
        assert code in (0, 1), captured.err
        assert "internal error" not in captured.err
        if code == 0:
            assert json.loads(captured.out)["problems"], f"a file cut at {cut} bytes reported no problem"
        codes.add(code)
    assert codes == {0, 1}


@pytest.mark.integration
def test_truncated_section_names_are_not_guessed(
    gobin: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = gobin["stripped"]
    assert main(["inspect", "--json", "--no-layer-size", str(whole)]) == 0
    full = json.loads(capsys.readouterr().out)
    cut = tmp_path / "cut"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # the section name table is at the end
    assert main(["inspect", "--json", "--no-layer-size", str(cut)]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in report["size"]["sections"]]
    assert names and all(name.startswith("[") for name in names)  # by index, as readelf does
    checks = {c["name"]: c for c in report["hardening"]["checks"]}
    assert checks["stripped"]["status"] == "info" and "unreadable" in checks["stripped"]["detail"]
    assert report["hardening"]["go_build_id"] == full["hardening"]["go_build_id"]  # from PT_NOTE
    problems = {p["part"]: p["message"] for p in report["problems"]}
    assert problems["size.packages"].startswith("truncated")
    assert main(["inspect", "--no-layer-size", str(cut)]) == 0
    out = capsys.readouterr().out
    assert "Could not read" in out and "(, ," not in out
