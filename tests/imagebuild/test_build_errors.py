"""Bad input to `slimgo build`: a clear one-paragraph error, exit 1 (2 for usage), no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imagebuild.conftest import Slimgo, copy_fixture

pytestmark = pytest.mark.integration


def assert_clean_failure(result: object, code: int, *needles: str) -> None:
    err = result.err  # type: ignore[attr-defined]
    assert result.code == code, err  # type: ignore[attr-defined]
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith("error: ") or err.startswith("Error: "), err
    for needle in needles:
        assert needle in err, err
    assert result.out == ""  # type: ignore[attr-defined]


def test_not_package_main(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    lib = copy_fixture("replaced", tmp_path) / "lib"
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", str(lib))
    assert_clean_failure(result, 2, "not package main", "fix:")
    assert not (tmp_path / "o").exists()


def test_package_that_does_not_compile(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    (src / "main.go").write_text((src / "main.go").read_text().replace("strings.ToUpper", "strings.NoSuchFunc"))
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", str(src))
    assert_clean_failure(result, 1, "go build", "undefined: strings.NoSuchFunc")
    assert not (tmp_path / "o").exists()


def test_cgo_package_without_cgo_flag(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("cgoprog", tmp_path)
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", str(src))
    assert_clean_failure(result, 1, "needs cgo", "example.com/cgoprog", "--cgo")
    assert not (tmp_path / "o").exists()


def test_static_gate_names_the_interpreter(tmp_path: Path, slimgo: Slimgo, go: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # CGO_ENABLED=0 with -buildmode=pie links a PT_INTERP without DT_NEEDED: not runnable on a static base.
    monkeypatch.setenv("GOFLAGS", "-buildmode=pie")
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", str(src))
    assert_clean_failure(result, 1, "is not static", "(PT_INTERP)", "CGO_ENABLED=0")
    assert not (tmp_path / "o").exists()


def test_toolexec_refused(tmp_path: Path, slimgo: Slimgo, go: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOFLAGS", "-toolexec=/bin/true")
    src = copy_fixture("stdincli", tmp_path)
    assert_clean_failure(slimgo("build", str(src), cwd=tmp_path), 2, "-toolexec")


@pytest.mark.parametrize("platform", ["linux", "linux/amd64/v9", "windows/amd64", "linux/sparc", "linux//"])
def test_malformed_platform(tmp_path: Path, slimgo: Slimgo, go: str, platform: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    assert_clean_failure(slimgo("build", "--platform", platform, "-o", f"oci:{tmp_path}/o", str(src)), 2,
                         "platform")
    assert not (tmp_path / "o").exists()


def test_unknown_base(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    assert_clean_failure(slimgo("build", "--base", "ubuntu", "-o", f"oci:{tmp_path}/o", str(src)), 2,
                         "--base ubuntu", "static")
    missing = slimgo("build", "--base", f"oci:{tmp_path}/nothing", "-o", f"oci:{tmp_path}/o", str(src))
    assert_clean_failure(missing, 2, "does not exist")  # an input that cannot be read
    (tmp_path / "plain").mkdir()
    not_layout = slimgo("build", "--base", f"oci:{tmp_path}/plain", "-o", f"oci:{tmp_path}/o", str(src))
    assert_clean_failure(not_layout, 1, "not an OCI image layout")
    assert not (tmp_path / "o").exists()


def test_unwritable_output(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    # /proc refuses new files even to root, so this holds whoever runs the tests.
    src = copy_fixture("stdincli", tmp_path)
    target = "/proc/slimgo-no-such-dir/layout"
    assert_clean_failure(slimgo("build", "-o", f"oci:{target}", str(src)), 1, target, "fix:")
    assert_clean_failure(slimgo("build", "-o", "oci-archive:/proc/slimgo.tar", str(src)), 1, "/proc/slimgo.tar")


def test_output_path_that_cannot_be_a_layout(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_clean_failure(slimgo("build", "-o", f"oci:{blocker}/sub", str(src)), 1, str(blocker))
    assert_clean_failure(slimgo("build", "-o", f"oci:{blocker}", str(src)), 1, "not a directory")
    assert blocker.read_text() == "not a directory"


def test_docker_archive_with_two_platforms(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "--platform", "linux/amd64,linux/arm64", "-o", f"oci:{tmp_path}/lay",
                    "-o", f"docker-archive:{tmp_path}/x.tar", str(src))
    assert_clean_failure(result, 2, "one platform only", "oci-archive")
    assert not (tmp_path / "x.tar").exists()
    assert not (tmp_path / "lay").exists()  # no output is written when another cannot be


def test_failed_build_keeps_existing_layout_untouched(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    good = copy_fixture("stdincli", tmp_path)
    assert slimgo("build", "-o", f"oci:{tmp_path}/lay", str(good)).code == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "lay").rglob("*"))
    index_before = (tmp_path / "lay" / "index.json").read_bytes()
    (good / "main.go").write_text("package main\n\nfunc main() { nope() }\n")
    assert slimgo("build", "-o", f"oci:{tmp_path}/lay", str(good)).code == 1
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "lay").rglob("*")) == before
    assert (tmp_path / "lay" / "index.json").read_bytes() == index_before
