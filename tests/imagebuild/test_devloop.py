"""The developer loop of `slimgo build`: a rebuild asks `go list` again only when what it answered may have
changed, and an unchanged binary's layer is neither compressed nor written again."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.imagebuild.conftest import Slimgo

pytestmark = pytest.mark.integration

MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("one") }\n'


@pytest.fixture
def go_log(tmp_path: Path, go: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `go` first on PATH that logs each command line, then runs the real one."""
    bindir = tmp_path / "gobin"
    bindir.mkdir()
    log = tmp_path / "go.log"
    wrapper = bindir / "go"
    wrapper.write_text(f'#!/bin/sh\necho "$1 $2" >> {log}\nexec {go} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("go") == str(wrapper)
    return log


def _calls(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def _module(root: Path) -> Path:
    (root / "cmd" / "app").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/loop\n\ngo 1.22\n")
    (root / "cmd" / "app" / "main.go").write_text(MAIN)
    return root


def _settle() -> None:
    """Let the files written so far age past a timestamp tick (a file written while `go list` ran is not kept)."""
    time.sleep(0.05)


def _blobs(cache: Path) -> dict[str, tuple[int, int]]:
    """The compressed layer blobs the build cache keeps, with their inode and mtime (a rewrite changes them)."""
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in (cache / "layers").rglob("*")
            if p.is_file() and p.parent.name != "by-stat" and p.suffix != ".json"}


def test_a_warm_rebuild_and_a_body_edit_ask_go_list_nothing(tmp_path: Path, slimgo: Slimgo, go_log: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(cache))
    root = _module(tmp_path / "m")
    _settle()
    first = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert first.code == 0, first.err
    assert [c for c in _calls(go_log) if c.startswith("list")], "the first build lists the packages"
    blobs = _blobs(cache)
    assert len(blobs) == 2  # the static base and the binary
    again = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert again.code == 0 and again.out == first.out
    assert _calls(go_log) == ["build -o"]
    assert _blobs(cache) == blobs, "an unchanged binary's layer is not compressed again"
    (root / "cmd" / "app" / "main.go").write_text(MAIN.replace("one", "two"))
    _settle()
    edited = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert edited.code == 0 and edited.out != first.out  # a new binary, a new image
    assert _calls(go_log) == ["build -o"]
    assert len(_blobs(cache)) == 3 and set(blobs) < set(_blobs(cache))


def test_a_new_main_a_new_import_and_a_changed_environment_are_seen(tmp_path: Path, slimgo: Slimgo,
                                                                   go_log: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _module(tmp_path / "m")
    _settle()
    assert slimgo("build", "--json", "-o", f"oci:{tmp_path}/out", "./...", cwd=root).code == 0
    (root / "cmd" / "two").mkdir()
    (root / "cmd" / "two" / "main.go").write_text(MAIN)
    _settle()
    both = slimgo("build", "--json", "-o", f"oci:{tmp_path}/out", "./...", cwd=root)
    assert both.code == 0, both.err
    assert sorted(image["name"] for image in json.loads(both.out)["images"]) == ["app", "two"]
    # a dependency that is a stub without cgo, imported by an edit: the refusal comes from a fresh `go list`
    dep = tmp_path / "stub"
    dep.mkdir()
    (dep / "go.mod").write_text("module example.com/stub\n\ngo 1.22\n")
    (dep / "cgo.go").write_text('//go:build cgo\n\npackage stub\n\n// int three(void) { return 3; }\nimport "C"\n\n'
                                "func Open() int { return int(C.three()) }\n")
    (dep / "nocgo.go").write_text("//go:build !cgo\n\npackage stub\n\n// Open: this is a stub, it requires cgo.\n"
                                  "func Open() int { panic(\"requires cgo\") }\n")
    (root / "go.mod").write_text("module example.com/loop\n\ngo 1.22\n\nrequire example.com/stub v0.0.0\n"
                                 "replace example.com/stub => ../stub\n")
    (root / "cmd" / "app" / "main.go").write_text(
        'package main\n\nimport "example.com/stub"\n\nfunc main() { println(stub.Open()) }\n')
    _settle()
    refused = slimgo("build", "-o", f"oci:{tmp_path}/stubbed", "./cmd/app", cwd=root)
    assert refused.code == 1 and "example.com/stub (cgo.go) without its cgo files" in refused.err
    (root / "cmd" / "app" / "main.go").write_text(MAIN)
    _settle()
    assert slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root).code == 0
    _calls(go_log)
    monkeypatch.setenv("GOFLAGS", "-tags=loop")
    assert slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root).code == 0
    assert [c for c in _calls(go_log) if c.startswith("list")], "a new GOFLAGS asks go list again"


def test_a_kept_cgo_answer_still_warns(tmp_path: Path, slimgo: Slimgo, go_log: Path) -> None:
    """The warning about a dependency built without its cgo files comes back on a rebuild answered from the
    cache, as it did from `go list`."""
    dep = tmp_path / "fastsum"
    dep.mkdir()
    (dep / "go.mod").write_text("module example.com/fastsum\n\ngo 1.22\n")
    (dep / "cgo.go").write_text('//go:build cgo\n\npackage fastsum\n\n// int three(void) { return 3; }\n'
                                'import "C"\n\nfunc Open() int { return int(C.three()) }\n')
    (dep / "nocgo.go").write_text("//go:build !cgo\n\npackage fastsum\n\nfunc Open() int { return 1 + 2 }\n")
    root = _module(tmp_path / "m")
    (root / "go.mod").write_text("module example.com/loop\n\ngo 1.22\n\nrequire example.com/fastsum v0.0.0\n"
                                 "replace example.com/fastsum => ../fastsum\n")
    (root / "cmd" / "app" / "main.go").write_text(
        'package main\n\nimport "example.com/fastsum"\n\nfunc main() { println(fastsum.Open()) }\n')
    _settle()
    warning = "example.com/fastsum is built without its cgo files (cgo.go)"
    first = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert first.code == 0 and warning in first.err, first.err
    _calls(go_log)
    again = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert again.code == 0 and warning in again.err
    assert _calls(go_log) == ["build -o"]
    (dep / "nocgo.go").write_text("//go:build !cgo\n\npackage fastsum\n\n// Open: a stub, it requires cgo.\n"
                                  "func Open() int { panic(\"requires cgo\") }\n")
    _settle()
    stub = slimgo("build", "-o", f"oci:{tmp_path}/stub", "./cmd/app", cwd=root)
    assert stub.code == 1 and "example.com/fastsum (cgo.go) without its cgo files" in stub.err


def test_mains_of_one_module_build_in_one_go_command_and_a_failure_names_its_package(
        tmp_path: Path, slimgo: Slimgo, go_log: Path) -> None:
    root = _module(tmp_path / "m")
    for name in ("two", "three"):
        (root / "cmd" / name).mkdir()
        (root / "cmd" / name / "main.go").write_text(MAIN.replace("one", name))
    _settle()
    built = slimgo("build", "--json", "-o", f"oci:{tmp_path}/out", "./...", cwd=root)
    assert built.code == 0, built.err
    assert sorted(image["name"] for image in json.loads(built.out)["images"]) == ["app", "three", "two"]
    assert [c for c in _calls(go_log) if c.startswith("build")] == ["build -o"]  # one go build for all three
    (root / "cmd" / "two" / "main.go").write_text(MAIN.replace("fmt.Println", "fmt.Printn"))
    _settle()
    broken = slimgo("build", "-o", f"oci:{tmp_path}/broken", "./...", cwd=root)
    assert broken.code == 1
    assert "go build example.com/loop/cmd/two" in broken.err and "Printn" in broken.err
    assert "cmd/three" not in broken.err and not (tmp_path / "broken").exists()


@pytest.mark.parametrize(("flags", "unused"), [
    ([], ("yaml", "elftools", "slimgo.imagebuild.ko", "slimgo.imagebuild.fleet")),
    # the default SBOM is supply-chain code; without it, none of that loads either
    (["--sbom", "none"], ("yaml", "elftools", "slimgo.imagebuild.ko", "slimgo.supply.publish",
                          "slimgo.imagebuild.fleet")),
])
def test_a_default_build_loads_no_yaml_elftools_ko_or_supply_chain_code(tmp_path: Path, go: str, flags: list[str],
                                                                        unused: tuple[str, ...]) -> None:
    """Start-up is a dev-loop cost: what a default build does not use is not imported."""
    import subprocess
    import sys

    root = _module(tmp_path / "m")
    probe = ("import sys\nfrom slimgo.cli.main import main\n"
             f"code = main(['-q', 'build', *{flags!r}, '-o', 'oci:{tmp_path}/out', './cmd/app'])\n"
             f"loaded = [m for m in {unused!r} if m in sys.modules]\n"
             "print(code, loaded, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.stderr.strip().splitlines()[-1] == "0 []", result.stderr
