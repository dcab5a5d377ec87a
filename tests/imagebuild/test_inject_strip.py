"""`slimgo build --strip-debug-handlers / --inject` end to end: the saving `inspect --diff` shows, the injected init
running, the source tree untouched, and the digest independent of where the overlay was written."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from slimgo.compression import open_tar
from tests.gobuild.test_overlay import tree_digest
from tests.imagebuild.conftest import Slimgo, copy_fixture
from tests.schemas import validate
from tests.stores.access import open_image

pytestmark = pytest.mark.integration

BUILDINFO = '''package main

import (
\t"fmt"
\t"os"
)

// Stamped by the release pipeline, not by the application's source.
func init() {
\tif os.Getenv("SHOW_BUILD") != "" {
\t\tfmt.Println("injected: release 1.2.3")
\t}
}
'''


def _binary(layout: Path, tag: str, dest: Path) -> Path:
    """The image's /app/<name>, written to ``dest``."""
    image = open_image(f"oci:{layout}:{tag}")
    with open_tar(image.layers[-1]) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.name.startswith("app/"):
                dest.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
                dest.chmod(0o755)
                return dest
    raise AssertionError("no /app binary in the image")


def _annotations(layout: Path, tag: str) -> dict[str, str]:
    return dict(json.loads(open_image(f"oci:{layout}:{tag}").raw_manifest).get("annotations") or {})


def test_stripping_shows_in_inspect_diff_and_leaves_the_source_alone(tmp_path: Path, slimgo: Slimgo,
                                                                     go: str) -> None:
    src = copy_fixture("debugserver", tmp_path)
    before = tree_digest(src)
    plain = slimgo("build", "--json", "-o", f"oci:{tmp_path}/l:plain", str(src))
    slim = slimgo("build", "--json", "--strip-debug-handlers", "-o", f"oci:{tmp_path}/l:slim", str(src))
    assert plain.code == 0 and slim.code == 0, plain.err + slim.err
    assert tree_digest(src) == before  # nothing in the module was written, not even a timestamp
    assert "expvar, net/http/pprof left out of example.com/debugserver" in slim.err
    (plain_record,), (slim_record,) = plain.json_lines(), slim.json_lines()
    assert int(slim_record["binary_size"]) < int(plain_record["binary_size"])  # type: ignore[call-overload]
    assert _annotations(tmp_path / "l", "slim")["dev.slimgo.build.stripped"] == "expvar,net/http/pprof"
    assert "dev.slimgo.build.stripped" not in _annotations(tmp_path / "l", "plain")

    diff = slimgo("inspect", "--diff", "--json", f"oci:{tmp_path}/l:plain", f"oci:{tmp_path}/l:slim")
    assert diff.code == 0, diff.err
    document = json.loads(diff.out)
    validate(document, "inspect")
    packages = {row["name"]: row for row in document["packages"]}
    for gone in ("net/http/pprof", "expvar", "runtime/pprof"):
        assert packages[gone]["a"] > 0 and packages[gone]["b"] == 0
    assert document["file_bytes"]["delta"] < -300_000  # measured: -819 kB of 6.6 MB (go1.26, linux/amd64)
    gzip = {row["name"]: row for row in document["layer"]}["gzip"]
    assert gzip["delta"] < -100_000

    # the program still does its job, without the handlers
    binary = _binary(tmp_path / "l", "slim", tmp_path / "slim-binary")
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout == "debugserver requests\n"


def test_an_injected_init_runs_and_is_recorded(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("debugserver", tmp_path)
    before = tree_digest(src)
    extra = tmp_path / "zz_buildinfo.go"
    extra.write_text(BUILDINFO)
    result = slimgo("build", "--inject", str(extra), "-o", f"oci:{tmp_path}/l:inj", str(src))
    assert result.code == 0, result.err
    assert tree_digest(src) == before and not (src / "zz_buildinfo.go").exists()
    binary = _binary(tmp_path / "l", "inj", tmp_path / "app")
    shown = subprocess.run([str(binary)], capture_output=True, text=True, check=True, env={"SHOW_BUILD": "1"})
    assert shown.stdout.splitlines()[0] == "injected: release 1.2.3"
    import hashlib

    digest = hashlib.sha256(BUILDINFO.encode()).hexdigest()
    assert _annotations(tmp_path / "l", "inj")["dev.slimgo.build.injected"] == f"zz_buildinfo.go@sha256:{digest}"


def test_the_overlay_directory_does_not_reach_the_image(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    """Each build writes its overlay to a fresh temporary directory; the digests must not care, and the path must
    not be in the binary even with the symbol table and DWARF kept (--no-strip)."""
    src = copy_fixture("debugserver", tmp_path)
    extra = tmp_path / "zz_buildinfo.go"
    extra.write_text(BUILDINFO)
    digests = []
    for name in ("one", "two"):
        result = slimgo("build", "--no-strip", "--strip-debug-handlers", "--inject", str(extra),
                        "-o", f"oci:{tmp_path}/{name}:app", str(src))
        assert result.code == 0, result.err
        digests.append(result.out.strip().rsplit("@", 1)[1])
    assert digests[0] == digests[1]
    binary = _binary(tmp_path / "one", "app", tmp_path / "app").read_bytes()
    assert b"slimgo-overlay" not in binary and str(tmp_path).encode() not in binary
    assert b"example.com/debugserver/zz_buildinfo.go" in binary  # named as a file of the package, in DWARF
    version = subprocess.run([go, "version", "-m", str(tmp_path / "app")], capture_output=True, text=True,
                             check=True).stdout
    settings = version.split("\n", 1)[1]  # past the first line, which names the file
    assert "-trimpath=true" in settings and "overlay" not in settings


@pytest.mark.parametrize(("make", "cause"), [
    (lambda d: d / "absent.go", "does not exist"),
    (lambda d: _write(d / "lib.go", "package lib\n"), "says `package lib` (line 1)"),
    (lambda d: _write(d / "main.go", "package main\n"), "already exists"),
])
def test_a_bad_inject_is_a_usage_error_and_writes_nothing(tmp_path: Path, slimgo: Slimgo, go: str,
                                                          make: object, cause: str) -> None:
    src = copy_fixture("debugserver", tmp_path)
    (tmp_path / "in").mkdir()
    path = make(tmp_path / "in")  # type: ignore[operator]
    result = slimgo("build", "--inject", str(path), "-o", f"oci:{tmp_path}/out", str(src))
    assert result.code == 2
    assert f"--inject {path}" in result.err and cause in result.err and "fix:" in result.err
    assert not (tmp_path / "out").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_settings_file_may_ask_for_stripping(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("debugserver", tmp_path)
    (src / ".slimgo.yaml").write_text("mains:\n  debugserver:\n    strip-debug-handlers: true\n")
    result = slimgo("build", "-o", f"oci:{tmp_path}/l:app", str(src))
    assert result.code == 0, result.err
    assert _annotations(tmp_path / "l", "app")["dev.slimgo.build.stripped"] == "expvar,net/http/pprof"
