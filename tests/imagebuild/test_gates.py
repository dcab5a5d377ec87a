"""The gates before an image exists: `build --test`, dependencies that CGO_ENABLED=0 turned into stubs, and
`--cgo` on a base with no dynamic loader — each refusing before anything is written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.imagebuild.conftest import Slimgo

pytestmark = pytest.mark.integration


def _module(root: Path, main: str, requires: tuple[str, ...] = ()) -> Path:
    (root / "cmd" / "app").mkdir(parents=True)
    lines = ["module example.com/gated", "", "go 1.22", ""]
    for dep in requires:
        lines += [f"require example.com/{dep} v0.0.0", f"replace example.com/{dep} => ../{dep}"]
    (root / "go.mod").write_text("\n".join(lines) + "\n")
    (root / "cmd" / "app" / "main.go").write_text(main)
    return root


def test_build_test_runs_go_test_first_and_writes_nothing_when_it_fails(tmp_path: Path, slimgo: Slimgo,
                                                                        go: str) -> None:
    root = _module(tmp_path / "m", 'package main\n\nfunc add(a, b int) int { return a + b }\n\n'
                   'func main() { println(add(1, 2)) }\n')
    (root / "cmd" / "app" / "main_test.go").write_text(
        'package main\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif add(2, 2) != 5 {\n'
        '\t\tt.Fatal("2+2 is not 5")\n\t}\n}\n')
    result = slimgo("build", "--test", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert result.code == 1
    assert "2+2 is not 5" in result.err and "--- FAIL: TestAdd" in result.err
    assert "no image was written" in result.err and result.out == ""
    assert not (tmp_path / "out").exists()
    (root / "cmd" / "app" / "main_test.go").write_text(
        (root / "cmd" / "app" / "main_test.go").read_text().replace("!= 5", "!= 4"))
    result = slimgo("build", "--test", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert result.code == 0, result.err
    assert "ok  \texample.com/gated/cmd/app" in result.err
    assert result.out.startswith(f"oci:{tmp_path}/out:app@sha256:")


def _cgo_dependency(root: Path, name: str, without_cgo: str) -> None:
    root.mkdir(parents=True)
    (root / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.22\n")
    (root / "cgo.go").write_text(f'//go:build cgo\n\npackage {name}\n\n// int three(void) {{ return 3; }}\nimport "C"'
                                 f'\n\nfunc Open() (int, error) {{ return int(C.three()), nil }}\n')
    (root / "nocgo.go").write_text(f"//go:build !cgo\n\npackage {name}\n\n{without_cgo}\n")


def test_a_dependency_that_is_a_stub_without_cgo_is_named(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    _cgo_dependency(tmp_path / "fakesqlite", "fakesqlite",
                    'import "errors"\n\n// Open fails: this is a stub, the driver requires cgo to work.\n'
                    'func Open() (int, error) { return 0, errors.New("requires cgo") }')
    _cgo_dependency(tmp_path / "fastsum", "fastsum", "func Open() (int, error) { return 1 + 2, nil }")
    root = _module(tmp_path / "m", 'package main\n\nimport "example.com/fastsum"\n\n'
                   "func main() { println(fastsum.Open()) }\n", ("fastsum",))
    result = slimgo("build", "-o", f"oci:{tmp_path}/out", "./cmd/app", cwd=root)
    assert result.code == 0, result.err
    assert "warning: package example.com/gated/cmd/app: example.com/fastsum is built without its cgo files " \
           "(cgo.go)" in result.err
    root = _module(tmp_path / "s", 'package main\n\nimport "example.com/fakesqlite"\n\n'
                   "func main() { println(fakesqlite.Open()) }\n", ("fakesqlite",))
    result = slimgo("build", "-o", f"oci:{tmp_path}/stub", "./cmd/app", cwd=root)
    assert result.code == 1
    assert "example.com/fakesqlite (cgo.go) without its cgo files" in result.err
    assert "modernc.org/sqlite" in result.err and "--cgo" in result.err
    assert not (tmp_path / "stub").exists()


def test_cgo_on_a_base_without_a_loader_is_refused_before_compiling(tmp_path: Path, slimgo: Slimgo,
                                                                    go: str) -> None:
    base = _module(tmp_path / "b", "package main\n\nfunc main() {}\n")
    assert slimgo("build", "-o", f"oci:{tmp_path}/base:static", "./cmd/app", cwd=base).code == 0
    root = _module(tmp_path / "m", 'package main\n\n// int three(void) { return 3; }\nimport "C"\n\n'
                   "func main() { println(C.three()) }\n")
    started = time.monotonic()
    result = slimgo("build", "--cgo", "--base", f"oci:{tmp_path}/base:static", "-o", f"oci:{tmp_path}/out",
                    "./cmd/app", cwd=root)
    assert result.code == 1
    assert "has no dynamic loader" in result.err and "Traceback" not in result.err
    assert time.monotonic() - started < 10
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source, expected", [
    (b'package x\n\nimport "C"\n', True),
    (b'package x\n\nimport (\n\t"fmt"\n\t"C" // cgo\n)\n', True),
    (b'package x\n\nimport "fmt"\n\n// "C" in a comment\nvar s = `"C"`\n', False),
    (b"package x\n\nimport (\n" + b"\t\"a\"\n" * 8000, False),  # an unclosed block: no backtracking blow-up
])
def test_import_c_is_found_in_linear_time(source: bytes, expected: bool) -> None:
    from slimgo.gobuild.cgodrop import imports_c

    started = time.monotonic()
    assert imports_c(source) is expected
    assert time.monotonic() - started < 0.5
