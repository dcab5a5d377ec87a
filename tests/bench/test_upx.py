"""`build --compress upx`: a packed binary that still starts, annotated with what it replaced, and still inspectable."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from slimgo.errors import BuildError
from slimgo.gobuild import upx
from slimgo.gobuild.options import GoBuildOptions
from slimgo.host import host_platform
from slimgo.imagebuild.options import ImageOptions
from slimgo.imagebuild.packing import ANNOTATION_ORIGINAL_DIGEST, ANNOTATION_ORIGINAL_SIZE, pack_binary
from tests.bench.conftest import Slimgo, copy_fixture
from tests.conftest import require_tool
from tests.schemas import validate


def test_packed_image_is_smaller_annotated_and_inspectable(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("upx")
    src = copy_fixture("stdincli", tmp_path)
    layout = tmp_path / "oci"
    plain = slimgo("build", "-o", f"oci:{layout}:plain", "--json", cwd=src)
    packed = slimgo("build", "--compress", "upx:fast", "-o", f"oci:{layout}:packed", "--json", cwd=src)
    assert plain.code == 0 and packed.code == 0, plain.err + packed.err
    plain_image, packed_image = plain.json_lines()[0], packed.json_lines()[0]
    assert packed_image["binary_size"] < plain_image["binary_size"]  # type: ignore[operator]

    index = json.loads((layout / "index.json").read_text())
    by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in index["manifests"]
              if "annotations" in m}  # the untagged entries are the images' SBOMs
    manifest = json.loads((layout / "blobs" / "sha256" / by_tag["packed"].split(":")[1]).read_text())
    annotations = manifest["annotations"]
    assert int(annotations[ANNOTATION_ORIGINAL_SIZE]) == plain_image["binary_size"]
    assert annotations[ANNOTATION_ORIGINAL_DIGEST].startswith("sha256:")

    report = slimgo("inspect", f"oci:{layout}:packed", "--json")
    assert report.code == 0, report.err
    document = json.loads(report.out)
    validate(document, "inspect")
    assert document["packed"] == {"packer": "upx", "packed_bytes": packed_image["binary_size"]}
    assert document["go"]["path"].endswith("stdincli")
    assert document["size"]["packages"], "package sizes come from the unpacked binary"
    assert "packed with upx" in slimgo("inspect", f"oci:{layout}:packed").out


def test_unknown_level_is_a_usage_error(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "--compress", "upx:ultra", "-o", f"oci:{tmp_path / 'o'}", cwd=src)
    assert result.code == 2
    assert "fast, best, lzma" in result.err
    assert not (tmp_path / "o").exists()


def test_upx_missing_names_the_package(slimgo: Slimgo, go: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    src = copy_fixture("stdincli", tmp_path)
    only_go = tmp_path / "bin"
    only_go.mkdir()
    (only_go / "go").symlink_to(go)
    monkeypatch.setenv("PATH", str(only_go))
    result = slimgo("build", "--compress", "upx", "-o", f"oci:{tmp_path / 'o'}", cwd=src)
    assert result.code == 1
    assert "upx-ucl" in result.err
    assert not (tmp_path / "o").exists()


def test_unsupported_platform_is_named(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("upx")
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "--compress", "upx", "--platform", "linux/riscv64", "-o", f"oci:{tmp_path / 'o'}",
                    cwd=src)
    assert result.code == 1
    assert "linux/riscv64" in result.err and "UPX cannot pack" in result.err
    assert not (tmp_path / "o").exists()


def test_dynamic_binary_is_refused(tmp_path: Path) -> None:
    dynamic = Path("/bin/ls")
    if not dynamic.exists() or os.uname().machine != "x86_64":
        pytest.skip("needs the host's dynamically linked /bin/ls")
    with pytest.raises(BuildError, match="dynamically linked"):
        pack_binary(dynamic, host_platform(), GoBuildOptions(), ImageOptions((host_platform(),), compress="upx"),
                    tmp_path)


def test_packed_results_are_cached_and_a_bad_entry_is_packed_again(go: str, tmp_path: Path) -> None:
    require_tool("upx")
    src = copy_fixture("stdincli", tmp_path)
    binary = tmp_path / "stdincli-sw"
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], cwd=src, check=True,
                   capture_output=True, timeout=300)
    cache = tmp_path / "cache"
    first = upx.pack(binary, tmp_path / "first", "fast", cache=cache)
    [entry] = list(cache.iterdir())
    assert entry.read_bytes() == first.path.read_bytes()

    # Prove the next pack reads the entry: put another valid packing of the same input in its place.
    other = upx.pack(binary, tmp_path / "other", "lzma", cache=cache)
    assert other.path.read_bytes() != first.path.read_bytes()
    entry.write_bytes(other.path.read_bytes())
    again = upx.pack(binary, tmp_path / "again", "fast", cache=cache)
    assert again.path.read_bytes() == other.path.read_bytes()
    assert os.access(again.path, os.X_OK), "a copy from the cache keeps the input's mode, as upx does"
    assert upx.start_once(again.path, ["3"]) == "exited with 3"

    # A damaged entry (still carrying UPX's marker) fails `upx -t`: packed again, and the entry replaced.
    damaged = bytearray(first.path.read_bytes())
    damaged[len(damaged) // 2: len(damaged) // 2 + 4096] = b"\0" * 4096
    entry.write_bytes(bytes(damaged))
    repaired = upx.pack(binary, tmp_path / "repaired", "fast", cache=cache)
    assert repaired.path.read_bytes() == first.path.read_bytes() == entry.read_bytes()
    assert len(list(cache.iterdir())) == 2  # the fast and the lzma entry
    assert not [p for p in cache.iterdir() if p.name.startswith(".upx-")], "no temporary file left behind"
