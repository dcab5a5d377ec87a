"""`slimgo dockerfile`: what it finds in a module, what it writes, and that the result lints clean."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from slimgo.cli.main import main
from slimgo.errors import InputError, UsageError
from slimgo.lint.generate import GenerateError, pins, plan, write
from slimgo.lint.generate.gomod import package_name
from slimgo.lint.runner import lint_paths
from tests.lint.generate.bake import bake_print
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
    assert "# syntax" not in text and "--mount" not in text  # portable: a plain Dockerfile
    assert f"ARG GO_IMAGE={pins.BUILDER_IMAGE}\nARG RUNTIME_IMAGE={pins.RUNTIME_IMAGE}\n" in text
    assert text.index("ARG GO_IMAGE") < text.index("FROM ")  # global: usable in FROM lines
    assert "FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build\n" in text
    assert pins.BUILDER_IMAGE.startswith("docker.io/library/golang:") and "@sha256:" in pins.BUILDER_IMAGE
    assert "static-debian12:nonroot@sha256:" in pins.RUNTIME_IMAGE and len(pins.RUNTIME_DIGEST) == 71
    assert pins.RUNTIME_IMAGE.startswith("gcr.io/")
    assert 'GOOS="${TARGETOS:-linux}" GOARCH="${TARGETARCH:-$(go env GOHOSTARCH)}"' in text
    for name in ("api", "worker"):  # a build stage and a final stage per service, the binary where slimgo puts it
        assert f"FROM build AS build-{name}\n" in text and f"-o /out/{name} ./cmd/{name}\n" in text
        assert (f"FROM ${{RUNTIME_IMAGE}} AS {name}\nCOPY --from=build-{name} /out/{name} /app/{name}\n"
                f'USER 65532:65532\nENTRYPOINT ["/app/{name}"]\n') in text
    assert re.search(r"COPY go.mod \./\n(#.*\n)?RUN go mod download\n", text)  # no go.sum: COPY must not name it
    assert "go mod vendor" in text and "GOPROXY" in text and "GOPRIVATE" not in text
    (module / "go.sum").write_text("")
    assert "COPY go.mod go.sum ./" in plan([], cwd=module).files[module / "Dockerfile"]


def test_buildkit_syntax_has_cache_and_secret_mounts(module: Path) -> None:
    text = plan([], cwd=module, syntax="buildkit").files[module / "Dockerfile"]
    assert text.startswith("# syntax=docker/dockerfile:1\n")
    assert "--mount=type=cache,target=/go/pkg/mod" in text and "--mount=type=cache,target=/root/.cache/go-build" in text
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in text and "id=goprivate,env=GOPRIVATE" in text
    assert "FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build\n" in text and 'ENTRYPOINT ["/app/api"]' in text
    with pytest.raises(UsageError):
        plan([], cwd=module, syntax="docker")


@pytest.mark.parametrize("syntax", ["portable", "buildkit"])
def test_generated_files_lint_clean(module: Path, syntax: str) -> None:
    written = write(plan([], cwd=module, syntax=syntax))
    assert len(written) == 3
    report = lint_paths([str(module)])
    assert report.findings == []
    assert {Path(p).name for p in report.files} == {"Dockerfile", ".dockerignore"}


def test_single_service_has_no_bake_file_unless_asked(tmp_path: Path) -> None:
    root = write_module(tmp_path / "one", mains=(".",))
    p = plan([], cwd=root)
    assert [pkg.rel for pkg in p.packages] == ["."] and p.packages[0].name == "shop"
    assert sorted(path.name for path in p.files) == [".dockerignore", "Dockerfile"]
    assert '-o /out/shop .\n' in p.files[root / "Dockerfile"]
    assert 'ENTRYPOINT ["/app/shop"]' in p.files[root / "Dockerfile"]
    baked = plan([], cwd=root, bake=True)
    assert bake_print(baked.files[root / "docker-bake.hcl"])["group"]["default"]["targets"] == ["shop"]
    assert root / "docker-bake.hcl" not in plan(["./..."], cwd=write_module(tmp_path / "two"), bake=False).files


def test_binary_names_follow_go_build(tmp_path: Path) -> None:
    # /app/<name> is what `slimgo build` uses: Go's own name for the binary, a /vN suffix skipped
    root = write_module(tmp_path / "shop", mains=(".", "cmd/api", "cmd/v2"))
    (root / "go.mod").write_text("module example.com/shop/v3\n\ngo 1.24\n")
    p = plan([], cwd=root)
    assert [(pkg.rel, pkg.name, pkg.binary) for pkg in p.packages] == [
        (".", "shop", "shop"), ("./cmd/api", "api", "api"), ("./cmd/v2", "v2", "cmd")]
    assert 'ENTRYPOINT ["/app/cmd"]' in p.files[root / "Dockerfile"]


def test_stage_names_that_clash_are_refused(tmp_path: Path) -> None:
    root = write_module(tmp_path / "shop", mains=("cmd/api", "cmd/build-api"))
    with pytest.raises(GenerateError, match="clashes"):
        plan([], cwd=root)
    assert [pkg.name for pkg in plan(["./cmd/api"], cwd=root).packages] == ["api"]


def test_bake_resolves_like_bake_print(module: Path) -> None:
    p = plan([], cwd=module)
    dockerfile, bake = p.files[module / "Dockerfile"], p.files[module / "docker-bake.hcl"]
    printed = bake_print(bake)
    assert printed["group"] == {"default": {"targets": ["api", "worker"]}}
    assert set(printed["target"]) == {pkg.name for pkg in p.packages}
    for pkg in p.packages:
        assert printed["target"][pkg.name] == {
            "context": ".", "dockerfile": "Dockerfile", "target": pkg.name,
            "platforms": ["linux/amd64", "linux/arm64"],
            "args": {"GO_IMAGE": pins.BUILDER_IMAGE, "RUNTIME_IMAGE": pins.RUNTIME_IMAGE},
            "tags": [f"{pkg.name}:dev"],
        }
        assert f"FROM ${{RUNTIME_IMAGE}} AS {pkg.name}\n" in dockerfile  # the target names a stage that exists
    for arg in printed["target"]["api"]["args"]:
        assert f"\nARG {arg}=" in dockerfile


def test_bake_variables_are_overridable(module: Path) -> None:
    (module / "Makefile").write_text("VERSION ?= 0.0.0\nbuild:\n\tgo build -ldflags '-X main.version=$(VERSION)' .\n")
    bake = plan([], cwd=module).files[module / "docker-bake.hcl"]
    printed = bake_print(bake, {"REPO": "registry.example/acme/", "TAG": "1.2.0", "VERSION": "1.2.0",
                                "GO_IMAGE": "mirror.example/golang:1.26"})
    api = printed["target"]["api"]
    assert api["tags"] == ["registry.example/acme/api:1.2.0"]
    assert api["args"] == {"GO_IMAGE": "mirror.example/golang:1.26", "RUNTIME_IMAGE": pins.RUNTIME_IMAGE,
                           "VERSION": "1.2.0"}
    assert bake_print(bake)["target"]["worker"]["args"]["VERSION"] == "0.0.0"  # the Makefile's own default


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
    assert main(["dockerfile", "--syntax", "docker", "-o", "x"]) == 2 and not (module / "x").exists()
    capsys.readouterr()


def test_cli_bake_and_syntax_flags(module: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(module)
    assert main(["dockerfile", "./cmd/api", "--bake", "--syntax", "buildkit", "-o", "one"]) == 0
    assert "wrote " + str(module / "one" / "docker-bake.hcl") in capsys.readouterr().out
    printed = bake_print((module / "one" / "docker-bake.hcl").read_text())
    assert printed["target"]["api"]["context"] == ".." and printed["target"]["api"]["dockerfile"] == "one/Dockerfile"
    assert "--mount=type=cache" in (module / "one" / "Dockerfile").read_text()
    assert main(["dockerfile", "--no-bake", "-o", "two"]) == 0
    assert sorted(p.name for p in (module / "two").iterdir()) == ["Dockerfile", "Dockerfile.dockerignore"]
    assert "--mount" not in (module / "two" / "Dockerfile").read_text()


def test_vendored_module_builds_from_vendor(module: Path) -> None:
    (module / "vendor").mkdir()
    (module / "vendor" / "modules.txt").write_text("# example.com/dep v1.0.0\n")
    p = plan([], cwd=module)
    text = p.files[module / "Dockerfile"]
    assert "GOFLAGS=-mod=vendor" in text and "go mod download" not in text and "COPY go.mod" not in text
    assert any("vendor" in note for note in p.notes)
    write(p)
    assert lint_paths([str(module / "Dockerfile")]).findings == []
