"""Unsafe layer entries get one verdict from every verb: copy, build --base, inspect, lint --image and run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_root, require_tool
from tests.hostile.harness import CliRun, make_canary, run_cli, tree_digest
from tests.hostile.layers import Member, raw_layer, write_cases, write_image
from tests.stores.registry.conftest import start_registry, stop_registry

pytestmark = pytest.mark.integration

APP = Member("app/x", data=b"#!/bin/false\n", mode=0o755)
# Each case: the layers (lists of entries, lowest first) and the words of the verdict's cause.
CASES: dict[str, tuple[list[list[Member]], str]] = {
    "dotdot": ([[APP, Member("../escaped-by-slimgo", data=b"x")]], "has a path that climbs above the root"),
    "dotdot-inside": ([[APP, Member("app/../../escaped-by-slimgo", data=b"x")]],
                      "has a path that climbs above the root"),
    "symlink-parent": ([[APP, Member("esc", "symlink", linkname="../../../../../../../tmp"),
                         Member("esc/escaped-by-slimgo", data=b"x")]], "would be written through a symlink"),
    "symlink-parent-in-a-lower-layer": ([[APP, Member("esc", "symlink", linkname="../../../../../../../tmp")],
                                         [Member("esc/escaped-by-slimgo", data=b"x")]],
                                        "would be written through a symlink"),
    "hardlink": ([[APP, Member("hl", "hardlink", linkname="../../../../etc/passwd")]], "is a hard link whose target"),
    "hardlink-via-symlink": ([[APP, Member("up", "symlink", linkname="../../../../../.."),
                               Member("hl", "hardlink", linkname="up/etc/passwd")]], "is a hard link whose target"),
    "device": ([[APP, Member("dev/mem", "chardev")]], "is a character device node"),
    "aufs-metadata": ([[APP, Member(".wh..wh.plnk/1.2", data=b"x")]], "under a whiteout name"),
    "aufs-marker": ([[APP, Member("app/.wh..wh.aufs", data=b"")]], "aufs metadata entry"),
    "whiteout-dotdot": ([[APP, Member("app/.wh...")]], "whiteout that names no file"),
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """oci:DIR:TAG of each case, and the digest of its layer that holds the refused entry."""
    return write_cases(tmp_path_factory.mktemp("unsafe"), {case: layers for case, (layers, _) in CASES.items()})


def verdict(result: CliRun, digest: str) -> str:
    """The verdict text: `layer DIGEST entry 'NAME'` and its cause, as a verb printed it."""
    text = " ".join(result.err.split()) + " " + " ".join(result.out.split())
    match = re.search(rf"layer {digest} entry ('[^']+'):? (.+?)(?:;| fix:| \(\d+ more|\"|$)", text)
    assert match is not None, result
    return f"{match.group(1)} {match.group(2)}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_verb_gives_the_same_verdict(images: dict[str, tuple[str, str]], tmp_path: Path, case: str) -> None:
    image, digest = images[case]
    cause = CASES[case][1]
    home, _ = make_canary(tmp_path / "home")
    before = tree_digest(home)
    env = {"HOME": str(home), "TMPDIR": str(tmp_path)}

    copy = run_cli(["copy", image, f"oci:{tmp_path}/out:x"], env=env, timeout=60)
    assert copy.code == 1, copy
    assert copy.err.startswith(f"error: {image}: layer {digest} entry '"), copy.err
    assert cause in copy.err and "fix: rebuild the image" in copy.err and "--allow-unsafe-layers" in copy.err
    assert not (tmp_path / "out").exists()

    inspect = run_cli(["inspect", image], env=env, timeout=60)
    assert inspect.code == 1, inspect
    assert cause in inspect.err and "Traceback" not in inspect.err

    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                                       "  containers: [{name: app, image: layout}]\n")
    lint = run_cli(["lint", "--format", "json", "--image", image, str(tmp_path / "pod.yaml")], env=env, timeout=60)
    assert lint.code == 1, lint
    assert '"SG444"' in lint.out and cause in lint.out

    verdicts = {verdict(copy, digest), verdict(inspect, digest), verdict(lint, digest)}
    assert len(verdicts) == 1, verdicts  # one judgement, word for word
    assert tree_digest(home) == before
    assert not Path("/tmp/escaped-by-slimgo").exists() and not (tmp_path.parent / "escaped-by-slimgo").exists()


@pytest.mark.parametrize("case", sorted(c for c in CASES if c != "device"))  # run skips devices: runc makes /dev
def test_run_refuses_with_the_same_verdict(images: dict[str, tuple[str, str]], tmp_path: Path, case: str) -> None:
    require_tool("runc")
    require_root()
    image, digest = images[case]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = run_cli(["run", image], env={"TMPDIR": str(tmp)}, timeout=60)
    assert run.code == 1, run
    assert run.err.startswith(f"error: layer {digest} entry '") and CASES[case][1] in run.err
    inspect = run_cli(["inspect", image], timeout=60)
    assert verdict(run, digest) == verdict(inspect, digest)
    assert list(tmp.iterdir()) == []
    assert not Path("/tmp/escaped-by-slimgo").exists()


def test_copy_carries_an_unsafe_layer_when_allowed(images: dict[str, tuple[str, str]], tmp_path: Path) -> None:
    image, _ = images["dotdot"]
    result = run_cli(["copy", "--allow-unsafe-layers", image, f"oci:{tmp_path}/out:x"], timeout=60)
    assert result.code == 0, result
    assert result.out.startswith(f"oci:{tmp_path}/out:x@sha256:")


def test_build_base_refuses_an_unsafe_layer_unless_allowed(images: dict[str, tuple[str, str]],
                                                           tmp_path: Path) -> None:
    require_tool("go")
    image, digest = images["symlink-parent-in-a-lower-layer"]
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "stdincli", src)
    refused = run_cli(["build", "--base", image, "-o", f"oci:{tmp_path}/built:x", str(src)], cwd=src, timeout=300)
    assert refused.code == 1, refused
    assert refused.err.startswith(f"error: --base {image}: layer {digest} entry 'esc/escaped-by-slimgo'")
    assert "would be written through a symlink" in refused.err and "--allow-unsafe-layers" in refused.err
    assert not (tmp_path / "built").exists()
    allowed = run_cli(["build", "--allow-unsafe-layers", "--base", image, "-o", f"oci:{tmp_path}/built:x", str(src)],
                      cwd=src, timeout=300)
    assert allowed.code == 0, allowed


def test_copy_reads_a_clean_image_once_per_layer(tmp_path: Path) -> None:
    """A clean image passes, and a leading slash alone is no reason to refuse (ko writes them)."""
    layer = raw_layer(tmp_path, [Member("/app/", "dir"), APP, Member("/app/link", "symlink", linkname="/app/x"),
                                 Member("/app/hl", "hardlink", linkname="/app/x"), Member("app/.wh.gone")])
    write_image(f"oci:{tmp_path}/clean:x", [layer], entrypoint=["/app/x"])
    result = run_cli(["copy", f"oci:{tmp_path}/clean:x", f"oci:{tmp_path}/out:x"], timeout=60)
    assert result.code == 0, result


def test_registry_copies_are_judged_unless_the_layers_stay_in_one_registry(images: dict[str, tuple[str, str]],
                                                                          tmp_path: Path) -> None:
    image, digest = images["hardlink"]
    running, process = start_registry(tmp_path / "registry", "anonymous")
    try:
        pushed = run_cli(["copy", image, f"docker://{running.host}/evil:1"], timeout=60)
        assert pushed.code == 1 and f"layer {digest} entry 'hl'" in pushed.err, pushed
        assert not (running.root / "docker/registry/v2/repositories/evil").exists()  # nothing was pushed
        allowed = run_cli(["copy", "--allow-unsafe-layers", image, f"docker://{running.host}/evil:1"], timeout=60)
        assert allowed.code == 0, allowed
        # Promotion within the registry mounts the blobs: they are not downloaded, so not judged either.
        promoted = run_cli(["copy", f"docker://{running.host}/evil:1", f"docker://{running.host}/promoted:1"],
                           timeout=60)
        assert promoted.code == 0, promoted
        pulled = run_cli(["copy", f"docker://{running.host}/promoted:1", f"oci:{tmp_path}/pulled:x"], timeout=60)
        assert pulled.code == 1 and f"layer {digest} entry 'hl'" in pulled.err, pulled
        assert not (tmp_path / "pulled").exists()
    finally:
        stop_registry(process)
