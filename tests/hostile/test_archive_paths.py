"""docker-archive paths aimed at the host (absolute, climbing out, symlinked members) and layers that are not
what their config says: refused by every verb that reads an archive, naming the entry, writing nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_tool
from tests.hostile.harness import CliRun, make_canary, run_cli, tree_digest
from tests.stores.registry.conftest import Registry

RSS_LIMIT_MB = 200
CLIMB = "../" * 40  # more than any scratch directory is deep


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _link(tar: tarfile.TarFile, name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


def _config(diff_ids: list[str]) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/app/x"]},
                       "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()


def _layer_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        _add(tar, "app/x", b"#!/bin/true\n")
    return out.getvalue()


# Each builder writes a docker-archive aimed at ``secret`` (the canary's docker config.json) and returns the
# archive entry the refusal must name.
Builder = Callable[[Path, Path, bytes], str]


def _archive(path: Path, config: bytes, config_name: str, layers: list[str],
             members: Callable[[tarfile.TarFile], None] = lambda tar: None) -> None:
    with tarfile.open(path, "w") as tar:
        _add(tar, "manifest.json", json.dumps([{"Config": config_name, "RepoTags": ["evil:1"],
                                                 "Layers": layers}]).encode())
        if config_name == "config.json":
            _add(tar, "config.json", config)
        members(tar)


def absolute_layer(path: Path, secret_path: Path, secret: bytes) -> str:
    # The config's diff_id is the host file's own hash: only the path check can stop it.
    _archive(path, _config([_sha(secret)]), "config.json", [str(secret_path)])
    return str(secret_path)


def climbing_layer(path: Path, secret_path: Path, secret: bytes) -> str:
    name = CLIMB + str(secret_path).lstrip("/")
    _archive(path, _config([_sha(secret)]), "config.json", [name])
    return name


def climbing_config(path: Path, secret_path: Path, secret: bytes) -> str:
    name = CLIMB + str(secret_path).lstrip("/")
    _archive(path, b"", name, [])
    return name


def symlinked_layer(path: Path, secret_path: Path, secret: bytes) -> str:
    _archive(path, _config([_sha(secret)]), "config.json", ["layer.tar"],
             lambda tar: _link(tar, "layer.tar", str(secret_path)))
    return "layer.tar"


def symlinked_parent(path: Path, secret_path: Path, secret: bytes) -> str:
    target = CLIMB + str(secret_path.parent).lstrip("/")
    _archive(path, _config([_sha(secret)]), "config.json", ["d/config.json"],
             lambda tar: _link(tar, "d", target))
    return "'d'"


def hard_linked_layer(path: Path, secret_path: Path, secret: bytes) -> str:
    _archive(path, _config([_sha(secret)]), "config.json", ["layer.tar"],
             lambda tar: _link(tar, "layer.tar", str(secret_path), tarfile.LNKTYPE))
    return "layer.tar"


def wrong_diff_id(path: Path, secret_path: Path, secret: bytes) -> str:
    layer = _layer_tar()
    _archive(path, _config([_sha(layer + b"x")]), "config.json", ["0/layer.tar"],
             lambda tar: _add(tar, "0/layer.tar", layer))
    return "layer '0/layer.tar'"


def link_loop(path: Path, secret_path: Path, secret: bytes) -> str:
    def members(tar: tarfile.TarFile) -> None:
        _link(tar, "a", "b")
        _link(tar, "b", "a")

    _archive(path, _config([_sha(secret)]), "config.json", ["a"], members)
    return "Layers 'a'"


EVIL: dict[str, Builder] = {
    "absolute-layer": absolute_layer, "climbing-layer": climbing_layer, "climbing-config": climbing_config,
    "symlinked-layer": symlinked_layer, "symlinked-parent": symlinked_parent,
    "hard-linked-layer": hard_linked_layer, "wrong-diff-id": wrong_diff_id, "link-loop": link_loop,
}


class Scene:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.home, self.secret = make_canary(tmp / "home")
        self.secret_path = self.home / ".docker" / "config.json"
        self.cache = tmp / "cache"
        self.env = {"HOME": str(self.home), "DOCKER_CONFIG": str(self.home / ".docker"),
                    "SLIMGO_CACHE_DIR": str(self.cache), "SLIMGO_DEBUG": ""}
        self.before = tree_digest(self.home)

    def evil(self, kind: str) -> tuple[Path, str]:
        path = self.tmp / f"{kind}.tar"
        return path, EVIL[kind](path, self.secret_path, self.secret)

    def refused(self, run: CliRun, archive: Path, entry: str) -> None:
        assert run.code == 1, (run.code, run.err)
        assert "Traceback" not in run.err and "internal error" not in run.err, run.err
        assert str(archive) in run.err and entry in run.err, (entry, run.err)
        assert "\n  fix: " in run.err, run.err
        assert run.max_rss_mb < RSS_LIMIT_MB
        assert tree_digest(self.home) == self.before
        scratch = self.cache / "tmp"
        assert not scratch.exists() or list(scratch.iterdir()) == []  # its extraction removed on the way out


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return Scene(tmp_path)


@pytest.mark.parametrize("kind", sorted(EVIL))
def test_copy_to_a_layout_refuses(kind: str, scene: Scene) -> None:
    archive, entry = scene.evil(kind)
    out = scene.tmp / "out"
    run = run_cli(["copy", f"docker-archive:{archive}", f"oci:{out}"], env=scene.env)
    scene.refused(run, archive, entry)
    assert not out.exists()


@pytest.mark.parametrize("kind", ["absolute-layer", "climbing-layer", "symlinked-layer", "wrong-diff-id"])
def test_copy_to_a_registry_never_pushes_the_host_file(kind: str, scene: Scene, registry: Registry) -> None:
    archive, entry = scene.evil(kind)
    run = run_cli(["copy", f"docker-archive:{archive}", f"docker://{registry.host}/hostile/{kind}:1"], env=scene.env)
    scene.refused(run, archive, entry)
    leaked = [p for p in registry.root.rglob("*") if p.is_file() and scene.secret in p.read_bytes()]
    assert leaked == []
    assert not list(registry.root.rglob(f"hostile/{kind}"))  # not even the repository was created


@pytest.mark.parametrize("verb", ["inspect", "run"])
@pytest.mark.parametrize("kind", ["absolute-layer", "symlinked-parent", "wrong-diff-id"])
def test_inspect_and_run_refuse(verb: str, kind: str, scene: Scene) -> None:
    archive, entry = scene.evil(kind)
    run = run_cli([verb, f"docker-archive:{archive}"], env=scene.env)
    scene.refused(run, archive, entry)


@pytest.mark.parametrize("kind", ["climbing-layer", "wrong-diff-id"])
def test_build_with_an_evil_base_refuses(kind: str, scene: Scene) -> None:
    require_tool("go")
    archive, entry = scene.evil(kind)
    src = scene.tmp / "stdincli"
    shutil.copytree(FIXTURES / "stdincli", src)
    out = scene.tmp / "out"
    env = {**scene.env, "GOCACHE": str(Path.home() / ".cache" / "go-build"),
           "GOPATH": str(Path.home() / "go"), "GOFLAGS": "-mod=mod",
           "XDG_CONFIG_HOME": str(scene.tmp / "xdg")}  # Go's own telemetry files: not slimgo's writes
    run = run_cli(["build", "--base", f"docker-archive:{archive}", "-o", f"oci:{out}", str(src)], env=env,
                  timeout=300)
    scene.refused(run, archive, entry)
    assert not out.exists()


@pytest.mark.parametrize("destination", ["oci", "oci-archive", "docker-archive", "docker"])
def test_a_tampered_layer_nothing_scanned_is_never_written(destination: str, scene: Scene,
                                                             registry: Registry) -> None:
    """With --allow-unsafe-layers nothing reads the layer before the store writes it: the write checks it."""
    archive, entry = scene.evil("wrong-diff-id")
    target = {"oci": f"oci:{scene.tmp / 'out'}", "oci-archive": f"oci-archive:{scene.tmp / 'out'}",
              "docker-archive": f"docker-archive:{scene.tmp / 'out'}",
              "docker": f"docker://{registry.host}/hostile/unscanned:1"}[destination]
    run = run_cli(["copy", "--allow-unsafe-layers", f"docker-archive:{archive}", target], env=scene.env)
    scene.refused(run, archive, entry)
    assert "not the diff_id" in run.err
    assert not (scene.tmp / "out").exists()
    assert not list(registry.root.rglob("hostile/unscanned"))


def test_manifest_json_past_the_cap_is_refused(scene: Scene) -> None:
    archive = scene.tmp / "huge.tar"
    with tarfile.open(archive, "w") as tar:
        _add(tar, "manifest.json", b"[" + b" " * (5 << 20) + b"]")
    run = run_cli(["copy", f"docker-archive:{archive}", f"oci:{scene.tmp / 'out'}"], env=scene.env)
    scene.refused(run, archive, "manifest.json")
    assert "larger than 4194304 bytes" in run.err


def test_a_well_formed_archive_with_links_inside_still_copies(scene: Scene) -> None:
    """docker's own archives may link one layer file to another: links that stay inside are fine."""
    layer = _layer_tar()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as z:
        z.write(layer)
    config = _config([_sha(layer), _sha(layer)])
    archive = scene.tmp / "good.tar"

    def members(tar: tarfile.TarFile) -> None:
        _add(tar, "a/layer.tar", gz.getvalue())
        _link(tar, "b/layer.tar", "../a/layer.tar")

    _archive(archive, config, "config.json", ["a/layer.tar", "b/layer.tar"], members)
    out = scene.tmp / "out"
    run = run_cli(["copy", f"docker-archive:{archive}", f"oci:{out}:1"], env=scene.env)
    assert run.code == 0, run.err
    index = json.loads((out / "index.json").read_bytes())
    manifest = json.loads((out / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).read_bytes())
    assert [m["digest"] for m in manifest["layers"]] == [_sha(gz.getvalue())] * 2
    assert tree_digest(scene.home) == scene.before
