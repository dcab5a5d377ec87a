"""cgo is judged against the images: what the builder can compile and what the final base can run."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.dockerfile.images import has_c_compiler, libc_of

D = "@sha256:" + "d" * 64
GO = 'go build -trimpath -ldflags="-s -w" -o /out/app .'


def _dockerfile(builder: str, build: str, final: str, install: str = "") -> str:
    setup = f"RUN {install}\n" if install else ""
    final = final if final == "scratch" else final + D
    return (f"FROM {builder}{D} AS build\nWORKDIR /src\n{setup}COPY . .\nRUN {build}\n"
            f"FROM {final}\nCOPY --from=build /out/app /app\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\n")


def _sg110(builder: str, build: str, final: str, install: str = "") -> list[str]:
    text = _dockerfile(builder, build, final, install)
    return [f.message for f in lint_dockerfile("Dockerfile", text) if f.rule == "SG110"]


GLIBC_BUILDERS = ["golang:1.26", "golang:1.26-bookworm", "docker.io/library/golang:1.25-trixie"]
MUSL_BUILDERS = ["golang:1.26-alpine", "golang:1.26-alpine3.22"]
GLIBC_FINALS = ["debian:12-slim", "ubuntu:24.04", "gcr.io/distroless/base-debian12:nonroot",
                "gcr.io/distroless/cc-debian12", "cgr.dev/chainguard/glibc-dynamic"]
NO_LIBC_FINALS = ["scratch", "gcr.io/distroless/static-debian12:nonroot", "cgr.dev/chainguard/static", "busybox:1.36"]
MUSL_FINALS = ["alpine:3.22"]
CGO_ON = [GO, f"CGO_ENABLED=1 {GO}"]
CGO_OFF = [f"CGO_ENABLED=0 {GO}", f"export CGO_ENABLED=0 && {GO}", f"env CGO_ENABLED=0 {GO}"]


@pytest.mark.parametrize("builder", GLIBC_BUILDERS)
@pytest.mark.parametrize("build", CGO_ON)
@pytest.mark.parametrize("final", GLIBC_FINALS)
def test_a_glibc_build_on_a_glibc_final_base_runs(builder: str, build: str, final: str) -> None:
    assert _sg110(builder, build, final) == []


@pytest.mark.parametrize("builder", GLIBC_BUILDERS + MUSL_BUILDERS)
@pytest.mark.parametrize("build", CGO_ON)
@pytest.mark.parametrize("final", NO_LIBC_FINALS)
def test_a_cgo_build_on_a_base_without_libc_is_reported(builder: str, build: str, final: str) -> None:
    install = "apk add --no-cache build-base" if "alpine" in builder else ""
    (message,) = _sg110(builder, build, final, install)
    assert "has no C library" in message and final.split(":")[0] in message


@pytest.mark.parametrize("builder", MUSL_BUILDERS)
@pytest.mark.parametrize("final", NO_LIBC_FINALS + GLIBC_FINALS)
def test_no_compiler_means_no_cgo_when_cgo_is_left_alone(builder: str, final: str) -> None:
    assert _sg110(builder, GO, final, "apk add --no-cache git") == []


@pytest.mark.parametrize(("builder", "install", "final", "has"), [
    ("golang:1.26-bookworm", "", "alpine:3.22", "musl"),
    ("golang:1.26-alpine", "apk add --no-cache gcc musl-dev", "debian:12-slim", "glibc"),
    ("golang:1.26-alpine", "apk add --no-cache build-base", "gcr.io/distroless/base-debian12", "glibc"),
])
def test_a_libc_mismatch_is_reported(builder: str, install: str, final: str, has: str) -> None:
    (message,) = _sg110(builder, GO, final, install)
    assert f"has {has}" in message


def test_musl_on_musl_runs() -> None:
    assert _sg110("golang:1.26-alpine", GO, "alpine:3.22", "apk add --no-cache build-base") == []


@pytest.mark.parametrize("build", [
    *CGO_OFF,
    f"{GO.replace('-s -w', '-s -w -linkmode external -extldflags -static')}",
    "go build -trimpath -ldflags \"-s -w -extldflags '-static'\" -o /out/app .",
    f"{GO.replace('-trimpath', '-trimpath -tags netgo,osusergo')}",
    f"{GO.replace('-trimpath', '-trimpath -tags=osusergo,netgo,sqlite_omit_load_extension')}",
])
@pytest.mark.parametrize("final", NO_LIBC_FINALS)
def test_static_builds_are_not_reported(build: str, final: str) -> None:
    assert _sg110("golang:1.26-bookworm", build, final) == []


def test_a_distribution_builder_without_gcc_builds_static_and_with_gcc_does_not() -> None:
    assert _sg110("debian:12", GO, "scratch", "apt-get install -y golang-go") == []
    assert _sg110("debian:12", GO, "scratch", "apt-get install -y golang-go gcc")


def test_an_unknown_builder_on_a_base_without_libc_says_it_depends() -> None:
    (message,) = _sg110("example.com/ci/go-builder:1", GO, "scratch")
    assert "cgo is on if" in message


@pytest.mark.parametrize(("ref", "libc", "compiler"), [
    ("golang:1.26", "glibc", True), ("golang:1.26-alpine", "musl", False), ("alpine:3.22", "musl", False),
    ("debian:12", "glibc", False), ("scratch", None, False), ("gcr.io/distroless/static", None, False),
    ("gcr.io/distroless/cc-debian12", "glibc", False), ("example.com/x", None, None), ("gcc:14", "glibc", True),
])
def test_image_facts_by_name(ref: str, libc: str | None, compiler: bool | None) -> None:
    assert (libc_of(ref), has_c_compiler(ref)) == (libc, compiler)
