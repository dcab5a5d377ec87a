"""The overlay plan: which blank imports of the debug handlers go, what keeps one linked, and --inject's checks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import cast

import pytest

from slimgo.errors import UsageError
from slimgo.gobuild.goimports import parse_head
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.overlay import SourceOverlay, plan_overlay, written_overlay
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.oci.platform import Platform
from tests.conftest import FIXTURES, require_tool

LINUX = (Platform.parse("linux/amd64"),)


def tree_digest(root: Path) -> str:
    """Names, modes, modification times and contents of every file under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_mode}\0{stat.st_mtime_ns}\0".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def module(tmp_path: Path) -> Path:
    target = tmp_path / "debugserver"
    shutil.copytree(FIXTURES / "debugserver", target)
    return target


def _plan(module: Path, notes: list[tuple[str, str]], platforms: tuple[Platform, ...] = LINUX,
          inject: tuple[Path, ...] = ()) -> SourceOverlay | None:
    require_tool("go")
    toolchain = GoToolchain()
    (package,) = toolchain.list_main_packages(["."], module)
    return plan_overlay(toolchain, package, GoBuildOptions(), platforms, strip=True, inject=inject,
                        on_note=lambda kind, text: notes.append((kind, text)))


def test_blank_imports_of_the_main_module_are_left_out(module: Path) -> None:
    before = tree_digest(module)
    notes: list[tuple[str, str]] = []
    overlay = _plan(module, notes)
    assert overlay is not None
    assert notes == [("note", "--strip-debug-handlers: expvar, net/http/pprof left out of example.com/debugserver "
                              "(go build -overlay; the source is not written): internal/metrics/metrics.go:4: "
                              "import _ \"expvar\" left out; main.go:7: import _ \"net/http/pprof\" left out")]
    assert overlay.stripped == ("expvar", "net/http/pprof")
    changed = dict(overlay.files)
    assert sorted(changed) == sorted(str(module / f) for f in ("main.go", "internal/metrics/metrics.go"))
    for path, content in changed.items():
        original = Path(path).read_text()
        text = content.decode()
        assert text.count("\n") == original.count("\n")  # every other line keeps its number
        assert {s.path for s in parse_head(text).imports} == \
            {s.path for s in parse_head(original).imports} - {"expvar", "net/http/pprof"}
    assert overlay.annotations() == {"dev.slimgo.build.stripped": "expvar,net/http/pprof"}
    assert any("main.go:7: import _ \"net/http/pprof\" left out" in edit for edit in overlay.edits)
    assert tree_digest(module) == before  # planning reads the tree, never writes it


def test_a_file_of_another_platform_is_rewritten_too(module: Path) -> None:
    notes: list[tuple[str, str]] = []
    arm64_only = str(module / "internal/metrics/metrics_arm64.go")
    amd64 = _plan(module, notes)
    assert amd64 is not None and arm64_only not in dict(amd64.files)
    both = _plan(module, notes, (*LINUX, Platform.parse("linux/arm64")))
    assert both is not None and arm64_only in dict(both.files)
    assert "pprof" not in dict(both.files)[arm64_only].decode()
    assert [kind for kind, _ in notes] == ["note", "note"]


def test_a_handler_used_by_name_stays_and_is_named(module: Path) -> None:
    (module / "profile.go").write_text('package main\n\nimport (\n\t"net/http"\n\tpprof "net/http/pprof"\n)\n\n'
                                       'var handler http.Handler = pprof.Handler("heap")\n')
    notes: list[tuple[str, str]] = []
    overlay = _plan(module, notes)
    assert overlay is not None and overlay.stripped == ("expvar",)
    assert notes[0] == ("warning", f"--strip-debug-handlers: net/http/pprof stays linked: used by name at "
                                   f"{module / 'profile.go'}:5 (only `import _ \"net/http/pprof\"` is left out)")
    assert str(module / "main.go") not in dict(overlay.files)  # a rewrite that saves nothing is not made


def test_a_dependency_outside_the_main_module_is_named(module: Path) -> None:
    dep = module.parent / "dep"
    dep.mkdir()
    (dep / "go.mod").write_text("module example.com/dep\n\ngo 1.22\n")
    (dep / "dep.go").write_text('package dep\n\nimport _ "expvar"\n\n// On is true.\nconst On = true\n')
    with (module / "go.mod").open("a") as handle:
        handle.write("\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n")
    (module / "dep.go").write_text('package main\n\nimport "example.com/dep"\n\nvar _ = dep.On\n')
    notes: list[tuple[str, str]] = []
    overlay = _plan(module, notes)
    assert overlay is not None and overlay.stripped == ("net/http/pprof",)
    assert notes[0] == ("warning", "--strip-debug-handlers: expvar stays linked: imported by example.com/dep, "
                                   "outside the main module, whose source is not rewritten")


def test_nothing_to_strip_is_a_note(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "stdincli", tmp_path / "cli")
    notes: list[tuple[str, str]] = []
    assert _plan(tmp_path / "cli", notes) is None
    assert notes and notes[0][0] == "note" and "nothing to leave out" in notes[0][1]


def test_the_overlay_file_lives_only_while_go_runs(tmp_path: Path) -> None:
    target = str(tmp_path / "main.go")
    overlay = SourceOverlay(((target, b"package main\n"),))
    with written_overlay(overlay) as flags:
        (flag,) = flags
        manifest = Path(flag.removeprefix("-overlay="))
        replace = json.loads(manifest.read_text())["Replace"]
        assert list(replace) == [target] and Path(replace[target]).read_bytes() == b"package main\n"
        assert not str(manifest).startswith(str(tmp_path))
    assert not manifest.exists() and not manifest.parent.exists()
    with written_overlay(None) as none:
        assert none == []
    assert overlay.key != SourceOverlay(((target, b"package main \n"),)).key


def _inject(tmp_path: Path, name: str, text: str | None, *more: Path) -> SourceOverlay | None:
    source = tmp_path / "in" / name
    source.parent.mkdir(exist_ok=True)
    if text is not None:
        source.write_text(text)
    package_dir = tmp_path / "pkg"
    package_dir.mkdir(exist_ok=True)
    (package_dir / "main.go").write_text("package main\n\nfunc main() {}\n")
    package = GoPackage("example.com/app", "main", package_dir, tmp_path, "example.com/app")
    return plan_overlay(cast(GoToolchain, None), package, GoBuildOptions(), LINUX, strip=False,
                        inject=(source, *more))


def test_an_injected_file_is_added_under_its_name(tmp_path: Path) -> None:
    overlay = _inject(tmp_path, "zz_build.go", "package main\n\nfunc init() {}\n")
    assert overlay is not None
    ((path, content),) = overlay.files
    assert path == str(tmp_path / "pkg" / "zz_build.go") and content == b"package main\n\nfunc init() {}\n"
    digest = hashlib.sha256(content).hexdigest()
    assert overlay.annotations() == {"dev.slimgo.build.injected": f"zz_build.go@sha256:{digest}"}
    assert not os.path.exists(path)


@pytest.mark.parametrize(("name", "text", "cause"), [
    ("missing.go", None, "does not exist"),
    ("notes.txt", "package main\n", "is not a Go source file"),
    ("x_test.go", "package main\n", "is not a Go source file"),
    ("lib.go", "package lib\n", "says `package lib` (line 1), but it is added to example.com/app, which is "
                                "package main"),
    ("main.go", "package main\n", "already exists"),
    ("bad.go", "package main\nimport (\n", "does not parse as Go at line 2"),
    ("latin.go", "package main // caf\xe9\n", "is not UTF-8"),
])
def test_a_bad_injected_file_is_refused_naming_the_cause(tmp_path: Path, name: str, text: str | None,
                                                         cause: str) -> None:
    if name == "latin.go":
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / name).write_bytes((text or "").encode("latin-1"))
        text = None
    with pytest.raises(UsageError) as caught:
        _inject(tmp_path, name, text)
    assert caught.value.subject.startswith("--inject ") and name in caught.value.subject
    assert cause in caught.value.cause and caught.value.fix


def test_two_injected_files_may_not_share_a_name(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "zz.go"
    other.parent.mkdir()
    other.write_text("package main\n")
    with pytest.raises(UsageError, match="another --inject file also takes"):
        _inject(tmp_path, "zz.go", "package main\n", other)
