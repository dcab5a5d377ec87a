"""`slimgo bench` on a small fixture, N=3: only what physics guarantees is asserted, and every number is a sample."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.bench.conftest import Slimgo, copy_fixture
from tests.conftest import require_tool
from tests.schemas import validate

SERVER = """package main

import (
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/up", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
\t_ = http.ListenAndServe(os.Args[1], nil)
}
"""


def _stat_ok(stat: dict[str, Any], repetitions: int) -> None:
    assert len(stat["samples"]) == repetitions
    assert stat["min"] == min(stat["samples"]) and stat["max"] == max(stat["samples"])
    assert stat["min"] <= stat["median"] <= stat["max"]
    assert all(sample > 0 for sample in stat["samples"]), "a zero is a placeholder, not a measurement"


def _loadable_bytes(go: str, src: Path, tmp_path: Path) -> int:
    """The file bytes of the stripped build's loadable segments: what UPX has to write back into memory."""
    from elftools.elf.elffile import ELFFile

    binary = tmp_path / "loadable"
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], cwd=src, check=True,
                   capture_output=True, timeout=300)
    with binary.open("rb") as stream:
        return sum(int(seg["p_filesz"]) for seg in ELFFile(stream).iter_segments() if seg["p_type"] == "PT_LOAD")


def test_bench_measures_what_physics_guarantees(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("upx")
    require_tool("docker-registry")
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("bench", "-n", "3", "--variant", "strip", "--variant", "upx-fast", "--json", ".", cwd=src)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    validate(document, "bench")
    assert document["kind"] == "slimgo.bench" and document["repetitions"] == 3
    by_name = {v["name"]: v for v in document["variants"]}
    assert list(by_name) == ["plain", "strip", "upx-fast"]
    for variant in by_name.values():
        for figure in ("pull_ms", "startup_ms", "rss_bytes"):
            _stat_ok(variant[figure], 3)
        assert variant["uncompressed_bytes"] > variant["binary_bytes"]  # the layer tar holds the binary
    plain, strip, upx = by_name["plain"], by_name["strip"], by_name["upx-fast"]
    if os.geteuid() == 0 and shutil.which("runc"):  # root with runc: the container starts are measured too
        for variant in by_name.values():
            _stat_ok(variant["startup_container_ms"], 3)
            _stat_ok(variant["rss_container_bytes"], 3)
            # More than runc's set-up and a Go runtime's first heap; far less than a leak would make.
            assert 256 << 10 < variant["rss_container_bytes"]["min"] <= variant["rss_container_bytes"]["max"] < 1 << 30
        # UPX writes the whole unpacked program into anonymous memory, which the container's cgroup is charged for
        # (the files of an unpacked binary were paged in when the bundle was written, and are not).
        loadable = _loadable_bytes(go, src, tmp_path)
        assert upx["rss_container_bytes"]["min"] > loadable
        assert strip["rss_container_bytes"]["median"] < upx["rss_container_bytes"]["median"]
    elif not os.environ.get("CI"):
        assert all(variant["startup_container_ms"] is None for variant in by_name.values())
        assert all(variant["rss_container_bytes"] is None for variant in by_name.values())
    assert strip["binary_bytes"] < plain["binary_bytes"]
    assert upx["binary_bytes"] < strip["binary_bytes"]
    # Unpacking costs time before main runs.
    assert upx["startup_ms"]["median"] > plain["startup_ms"]["median"]
    assert any(line.startswith("upx-fast vs strip:") for line in document["verdicts"])


def test_text_table_and_verdicts(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("docker-registry")
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("bench", "-n", "1", "--variant", "strip", ".", cwd=src)
    assert result.code == 0, result.err
    assert "strip vs plain: binary -" in result.out and "pull" in result.out and "startup" in result.out
    if os.geteuid() == 0 and shutil.which("runc"):
        assert "in runc" in result.out and "RSS in runc" in result.out


def test_a_server_that_never_answers_times_out_with_its_stderr(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("docker-registry")
    src = tmp_path / "server"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/server\n\ngo 1.21\n")
    (src / "main.go").write_text(SERVER)
    # It listens on one port; the probe asks another, so it never answers. Go says nothing: stderr is named empty.
    result = slimgo("bench", "-n", "1", "--variant", "strip", "--timeout", "1", "--arg", "127.0.0.1:0",
                    "--probe", "http://127.0.0.1:9/up", ".", cwd=src)
    assert result.code == 1
    assert "did not answer within 1 s" in result.err and "stderr ends" in result.err


def test_a_program_that_fails_before_answering_shows_its_stderr(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("docker-registry")
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("bench", "-n", "1", "--variant", "strip", "--timeout", "5", "--probe", "http://127.0.0.1:9/",
                    "--arg", "3", ".", cwd=src)
    assert result.code == 1
    assert "exited with 3 before http://127.0.0.1:9/ answered" in result.err


def test_a_library_package_is_refused(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "go.mod").write_text("module example.com/lib\n\ngo 1.21\n")
    (lib / "lib.go").write_text("package lib\n\nfunc One() int { return 1 }\n")
    result = slimgo("bench", "-n", "1", ".", cwd=lib)
    assert result.code in (1, 2)
    assert "main" in result.err and "Traceback" not in result.err
