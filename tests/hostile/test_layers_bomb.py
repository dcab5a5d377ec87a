"""Decompression bombs: a 2 MB gzip layer that unpacks to 2 GiB costs bounded time, memory and disk in every verb."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.oci.image import BlobLayer
from tests.conftest import require_root, require_tool
from tests.hostile.harness import CliRun, make_canary, run_cli, tree_digest
from tests.hostile.layers import bomb_layer, write_image, zeros_ratio

GiB = 1 << 30
MAX_SECONDS = 90.0  # a guard against hanging (before the fix: 106 s), generous for a loaded CI machine
MAX_RSS_MB = 200.0
POD = """apiVersion: v1
kind: Pod
metadata: {name: bomb}
spec:
  containers:
    - name: app
      image: bomb:latest
"""


@dataclass(frozen=True)
class Bomb:
    layout: str  # oci:DIR:TAG
    layer: BlobLayer
    elf_layout: str  # a 1 GiB bomb behind an ELF header, so it passes inspect's magic check
    elf_layer: BlobLayer


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Bomb:
    root = tmp_path_factory.mktemp("bomb")
    (root / "zeros").mkdir()
    (root / "elf").mkdir()
    layer = bomb_layer(root / "zeros", "app/bomb", 2 * GiB)
    elf = bomb_layer(root / "elf", "app/bomb", GiB, head=b"\x7fELF\x02\x01\x01" + bytes((1 << 20) - 7))
    assert layer.descriptor.size < 3_000_000  # a 2 MB download ...
    write_image(f"oci:{root}/layout:zeros", [layer])
    write_image(f"oci:{root}/layout:elf", [elf])
    return Bomb(f"oci:{root}/layout:zeros", layer, f"oci:{root}/layout:elf", elf)


def bounded(result: CliRun) -> None:
    assert result.seconds < MAX_SECONDS, result
    assert result.max_rss_mb < MAX_RSS_MB, result
    assert "Traceback" not in result.err


def assert_layer_refused(result: CliRun, layer: BlobLayer, limit: str) -> None:
    """The error names the layer, the limit, how to raise it and the absurd ratio."""
    assert result.code == 1, result
    assert f"layer {layer.descriptor.digest}: unpacks to more than the limit of {limit} per layer" in result.err
    ratio = re.search(rf"its first ([\d.]+) KiB compressed unpacked to over {limit}, (\d+)x", result.err)
    assert ratio is not None, result.err
    assert float(ratio.group(1)) < 1024 and int(ratio.group(2)) > zeros_ratio() / 2  # gzip keeps zeros at ~1000x
    assert "fix: if you trust this image, raise the limit, e.g. SLIMGO_MAX_LAYER_SIZE=" in result.err


def test_inspect_refuses_a_non_elf_entrypoint_without_extracting_it(bomb: Bomb, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_cli(["inspect", bomb.layout], env={"TMPDIR": str(tmp)}, timeout=60)
    bounded(result)
    assert result.code == 1
    assert "/app/bomb: is not an ELF binary" in result.err
    assert list(tmp.iterdir()) == []


def test_inspect_stops_at_the_layer_limit(bomb: Bomb, tmp_path: Path) -> None:
    result = run_cli(["inspect", bomb.layout], env={"SLIMGO_MAX_LAYER_SIZE": "256MiB", "TMPDIR": str(tmp_path)},
                     timeout=60)
    bounded(result)
    assert_layer_refused(result, bomb.layer, "256.0 MiB")
    assert result.seconds < 30  # an eighth of the bomb is read, not all of it


def test_inspect_refuses_an_oversized_entry_from_its_header(bomb: Bomb, tmp_path: Path) -> None:
    result = run_cli(["inspect", bomb.elf_layout], env={"SLIMGO_MAX_ENTRY_SIZE": "64MiB", "TMPDIR": str(tmp_path)},
                     timeout=60)
    bounded(result)
    assert result.code == 1
    assert (f"layer {bomb.elf_layer.descriptor.digest} entry 'app/bomb': declares 1.0 GiB, over the limit of 64.0 MiB "
            "per entry") in result.err
    assert "SLIMGO_MAX_ENTRY_SIZE=128MiB" in result.err
    assert result.seconds < 20  # refused on the header: nothing decompressed past it
    assert list(tmp_path.iterdir()) == []


def test_inspect_streams_an_elf_entrypoint_and_never_holds_it(bomb: Bomb, tmp_path: Path) -> None:
    """Under the default limits a 1 GiB "binary" is extracted (sparsely) and mapped, never read into memory."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_cli(["inspect", bomb.elf_layout], env={"TMPDIR": str(tmp)}, timeout=90)
    bounded(result)
    assert result.code == 1, result  # an ELF header and zeros: reported, and exit 1 as nothing Go could be read
    assert "1,073,741,824" in result.out and "no Go build information" in result.out
    assert "size.compressed: not computed: the file is 1.0 GiB" in result.out.replace("\n", " ")
    assert list(tmp.iterdir()) == []  # the extracted copy is removed


def test_lint_image_reads_a_bomb_in_bounded_time_and_memory(bomb: Bomb, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    result = run_cli(["lint", "--format", "json", "--image", bomb.layout, str(tmp_path / "pod.yaml")], timeout=60)
    bounded(result)
    assert result.code == 1  # the pod itself breaks the restricted profile
    assert "SG444" not in result.out  # a big file is not an unsafe entry


def test_lint_image_stops_at_the_layer_limit(bomb: Bomb, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    result = run_cli(["lint", "--image", bomb.layout, str(tmp_path / "pod.yaml")],
                     env={"SLIMGO_MAX_LAYER_SIZE": "512MiB"}, timeout=60)
    bounded(result)
    assert_layer_refused(result, bomb.layer, "512.0 MiB")


def test_copy_stops_at_the_layer_limit_and_writes_nothing(bomb: Bomb, tmp_path: Path) -> None:
    home, _ = make_canary(tmp_path / "home")
    before = tree_digest(home)
    result = run_cli(["copy", bomb.layout, f"oci:{tmp_path}/out:copy"],
                     env={"SLIMGO_MAX_LAYER_SIZE": "256MiB", "HOME": str(home)}, timeout=60)
    bounded(result)
    assert_layer_refused(result, bomb.layer, "256.0 MiB")
    assert not (tmp_path / "out").exists()
    assert tree_digest(home) == before


@pytest.mark.integration
def test_run_stops_at_the_layer_limit_and_leaves_no_rootfs(bomb: Bomb, tmp_path: Path) -> None:
    require_tool("runc")
    require_root()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_cli(["run", bomb.layout], env={"SLIMGO_MAX_LAYER_SIZE": "256MiB", "TMPDIR": str(tmp)}, timeout=60)
    bounded(result)
    assert_layer_refused(result, bomb.layer, "256.0 MiB")
    assert list(tmp.iterdir()) == []  # the partial rootfs is removed with its bundle


@pytest.mark.parametrize("value", ["lots", "0", "-5GiB", "12XB"])
def test_a_limit_that_is_not_a_size_is_a_usage_error(bomb: Bomb, value: str) -> None:
    result = run_cli(["inspect", bomb.layout], env={"SLIMGO_MAX_LAYER_SIZE": value}, timeout=30)
    assert result.code == 2, result
    assert f"SLIMGO_MAX_LAYER_SIZE={value!r}" in result.err and "16GiB" in result.err


@pytest.mark.integration
def test_run_unpacks_a_bomb_as_holes_under_the_default_limits(bomb: Bomb, tmp_path: Path) -> None:
    """2 GiB of zeros become a sparse file: bounded time and memory, no 2 GiB written to TMPDIR."""
    require_tool("runc")
    require_root()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_cli(["run", bomb.layout], env={"TMPDIR": str(tmp)}, timeout=90)
    bounded(result)
    assert result.code != 0 and "exec format error" in result.err, result  # zeros are no program
    assert list(tmp.iterdir()) == []
