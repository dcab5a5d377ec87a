"""The merged view (what each layer adds, replaces and removes) equals the filesystem umoci unpacks from the same
image, on random layer stacks with overwrites, whiteouts, opaque dirs and files replacing directories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slimgo.analyze.report import analyze_image
from tests.analyze.images import F, blob, docker_archive
from tests.conftest import require_tool
from tests.stores.access import Location, open_image, write_artifact

_NAMES = ["a", "b", "a/c", "a/d", "b/e", "a/c/f", "a/c/g"]


@st.composite
def _layers(draw: st.DrawFn) -> list[list[F]]:
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        members: dict[str, F] = {}  # one entry per path and layer, as image builders write them
        for _ in range(draw(st.integers(0, 6))):
            path = draw(st.sampled_from(_NAMES))
            ops = ["file", "file", "dir", "whiteout", "opaque"]
            if path in ("a", "b"):
                ops = ["dir", "whiteout", "opaque"]
            elif path not in ("a/c",):  # a symlink with entries below it is a hostile layer, not a test of merging
                ops.append("symlink")
            op = draw(st.sampled_from(ops))
            parent, _, base = path.rpartition("/")
            prefix = parent + "/" if parent else ""
            if op == "file":
                members[path] = F(path, blob(draw(st.integers(0, 300)), draw(st.integers(0, 9))))
            elif op == "dir":
                members[path] = F(path, kind="dir")
            elif op == "whiteout":
                members[f"{prefix}.wh.{base}"] = F(f"{prefix}.wh.{base}")
            elif op == "opaque":
                members[f"{path}/.wh..wh..opq"] = F(f"{path}/.wh..wh..opq")
            else:
                members[path] = F(path, kind="symlink", link="/nowhere")
        layers.append(list(members.values()))
    return layers


def _unpacked(rootfs: Path) -> dict[str, tuple[str, int]]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(rootfs):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = "/" + full.relative_to(rootfs).as_posix()
            if full.is_symlink():
                found[rel] = ("symlink", 0)
            elif full.is_dir():
                found[rel] = ("dir", 0)
            else:
                found[rel] = ("file", full.stat().st_size)
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(layers=_layers())
def test_merged_view_equals_umoci_unpack(layers: list[list[F]], tmp_path_factory: pytest.TempPathFactory) -> None:
    umoci = require_tool("umoci")
    tmp = tmp_path_factory.mktemp("umoci")
    archive = docker_archive(tmp / "img.tar", layers)
    image = open_image(f"docker-archive:{archive}")
    write_artifact(Location.parse(f"oci:{tmp}/layout:t"), image)
    done = subprocess.run([umoci, "raw", "unpack", "--rootless", "--image", f"{tmp}/layout:t", str(tmp / "rootfs")],
                          capture_output=True, text=True, timeout=120, check=False)
    assume(done.returncode == 0)  # a stack no runtime can apply (a path below a file in the same layer)
    expected = _unpacked(tmp / "rootfs")
    live = analyze_image(image, "img").merged.live
    ours = {p: (v.entry.kind, v.entry.size if v.entry.kind == "file" else 0) for p, v in live.items()}
    # umoci creates missing parent directories; the merged view lists only entries the layers hold
    implied = {p for p in expected if p not in ours and expected[p][0] == "dir"}
    assert {p: v for p, v in expected.items() if p not in implied} == ours, layers
