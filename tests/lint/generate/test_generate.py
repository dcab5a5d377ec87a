"""`slimgo dockerfile`: what it finds in a module, what it writes, and that the result lints clean."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from slimgo.cli.main import main
from slimgo.errors import InputError
from slimgo.lint.generate import GenerateError, pins, plan, write
from slimgo.lint.generate.gomod import package_name
from slimgo.lint.runner import lint_paths
from tests.lint.generate.gomodule import write_module


def test_finds_the_main_packages(module: Path) -> None:
    p = plan([], cwd=module)
    assert [(pkg.rel, pkg.name) for pkg in p.packages] == [("./cmd/api", "api"), ("./cmd/worker", "worker")]
    assert p.module.path == "example.com/shop" and p.module.go_version == "1.24"
    assert sorted(path.name for path in p.files) == [".dockerignore", "Dockerfile", "docker-bake.hcl"]


def test_package_arguments(module: Path) -> None:
    assert [pkg.rel for pkg in plan(["./cmd/worker"], cwd=module).packages] == ["./cmd/worker"]
    assert [pkg.rel for pkg in plan(["./cmd/..."], cwd=module).packages] == ["./cmd/api", "./cmd/worker"]
    assert [pkg.rel for pkg in plan(["."], cwd=module / "cmd" / "api").packages] == ["./cmd/api"]
    with pytest.raises(GenerateError, match="not a main package"):
        plan(["./internal/lib"], cwd=module)
    with pytest.raises(InputError, match="not a directory"):
        plan(["./nope"], cwd=module)


def test_a_missing_package_outside_any_module_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory") as err:
        plan(["./nothing"], cwd=tmp_path)
    assert "./nothing" in err.value.diagnostics()


def test_no_module_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GenerateError) as err:
        plan([], cwd=tmp_path)
    assert "go.mod" in err.value.diagnostics() and "go mod init" in err.value.diagnostics()


def test_a_module_without_commands_is_an_error(tmp_path: Path) -> None:
    write_module(tmp_path / "m", mains=())
    with pytest.raises(GenerateError, match="no main package"):
        plan([], cwd=tmp_path / "m")


def test_package_clause_reading() -> None:
    assert package_name("// a\n/* b */ package main\n") == "main"
    assert package_name("//go:build linux\n\npackage lib\n") == "lib"
    assert package_name("//go:build ignore\n\npackage main\n") is None
    assert package_name("func main() {}\n") is None


def test_dockerfile_pins_and_shape(module: Path) -> None:
    text = plan([], cwd=module).files[module / "Dockerfile"]
    assert text.startswith("# syntax=docker/dockerfile:1\n")
    assert f"FROM --platform=$BUILDPLATFORM {pins.BUILDER_IMAGE} AS build" in text
    assert f"FROM {pins.RUNTIME_IMAGE}\n" in text
    assert "static-debian12:nonroot@sha256:" in pins.RUNTIME_IMAGE and len(pins.RUNTIME_DIGEST) == 71
    assert "GOOS=$TARGETOS GOARCH=$TARGETARCH" in text and "--mount=type=secret,id=netrc" in text
    assert "id=goprivate,env=GOPRIVATE" in text
    assert 'USER 65532:65532\nENTRYPOINT ["/app"]\n' in text
    assert "COPY go.mod ./" in text  # no go.sum in this module: COPY must not name it
    (module / "go.sum").write_text("")
    assert "COPY go.mod go.sum ./" in plan([], cwd=module).files[module / "Dockerfile"]


def test_generated_files_lint_clean(module: Path) -> None:
    written = write(plan([], cwd=module))
    assert len(written) == 3
    report = lint_paths([str(module)])
    assert report.findings == []
    assert {Path(p).name for p in report.files} == {"Dockerfile", ".dockerignore"}


def test_single_service_has_no_bake_file(tmp_path: Path) -> None:
    root = write_module(tmp_path / "one", mains=(".",))
    p = plan([], cwd=root)
    assert [pkg.rel for pkg in p.packages] == ["."] and p.packages[0].name == "shop"
    assert sorted(path.name for path in p.files) == [".dockerignore", "Dockerfile"]
    assert "ARG PACKAGE=.\n" in p.files[root / "Dockerfile"]


def test_bake_file_has_one_target_per_service(module: Path) -> None:
    bake = hcl2.loads(plan([], cwd=module).files[module / "docker-bake.hcl"])
    targets = {name.strip('"'): body for block in bake["target"] for name, body in block.items()}
    assert set(targets) == {"_common", "api", "worker"}
    assert targets["api"]["args"]["PACKAGE"].strip('"') == "./cmd/api"
    assert targets["worker"]["args"]["PACKAGE"].strip('"') == "./cmd/worker"
    group = bake["group"][0]['"default"']["targets"]
    assert [t.strip('"') for t in group] == ["api", "worker"]


def test_output_elsewhere_uses_a_dockerfile_specific_ignore_file(module: Path) -> None:
    p = plan([], out_dir=Path("deploy"), cwd=module)
    names = sorted(path.relative_to(module).as_posix() for path in p.files)
    assert names == ["deploy/Dockerfile", "deploy/Dockerfile.dockerignore", "deploy/docker-bake.hcl"]
    bake = hcl2.loads(p.files[module / "deploy" / "docker-bake.hcl"])
    common = next(b['"_common"'] for b in bake["target"] if '"_common"' in b)
    assert common["context"].strip('"') == ".." and common["dockerfile"].strip('"') == "deploy/Dockerfile"
    write(p)
    assert lint_paths([str(module / "deploy")]).findings == []


@pytest.mark.parametrize("out", ["../deploy", "../../elsewhere/docker", "deploy/../../sibling"])
def test_output_outside_the_module_lints_clean_and_names_no_parent(module: Path, out: str) -> None:
    p = plan([], out_dir=Path(out), cwd=module)
    ignore = next(path for path in p.files if path.name.endswith("dockerignore"))
    assert not ignore.is_relative_to(module)
    assert all(".." not in line for line in p.files[ignore].splitlines())
    write(p)
    assert lint_paths([str(ignore.parent)]).findings == []


def test_existing_files_are_kept_unless_forced(module: Path) -> None:
    (module / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(GenerateError, match="already exists"):
        write(plan([], cwd=module))
    assert (module / "Dockerfile").read_text() == "FROM scratch\n"
    assert not (module / ".dockerignore").exists()  # all or nothing
    write(plan([], cwd=module), force=True)
    assert "distroless" in (module / "Dockerfile").read_text()
    assert not [p for p in module.iterdir() if p.name.startswith(".Dockerfile.")]  # no temp files left


def test_newer_go_than_the_builder_is_noted(tmp_path: Path) -> None:
    root = write_module(tmp_path / "new", go="1.99")
    assert any("1.99" in note for note in plan([], cwd=root).notes)
    assert plan([], cwd=write_module(tmp_path / "old", go="1.22")).notes == []


def test_cli(module: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(module)
    assert main(["dockerfile", "./cmd/api", "--stdout"]) == 0
    assert "ENTRYPOINT" in capsys.readouterr().out and not (module / "Dockerfile").exists()
    assert main(["dockerfile"]) == 0
    assert "services: api (./cmd/api), worker (./cmd/worker)" in capsys.readouterr().out
    assert main(["dockerfile"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["lint", "."]) == 0
    assert main(["dockerfile", "./internal/lib", "-o", "x"]) == 1


def test_vendored_module_builds_from_vendor(module: Path) -> None:
    (module / "vendor").mkdir()
    (module / "vendor" / "modules.txt").write_text("# example.com/dep v1.0.0\n")
    p = plan([], cwd=module)
    text = p.files[module / "Dockerfile"]
    assert "GOFLAGS=-mod=vendor" in text and "go mod download" not in text and "COPY go.mod" not in text
    assert any("vendor" in note for note in p.notes)
    write(p)
    assert lint_paths([str(module / "Dockerfile")]).findings == []
