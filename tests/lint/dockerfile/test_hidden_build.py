"""go build behind make or a script: read from the build context and judged, or said to be out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.dockerfile.hidden import expand_make, parse_makefile
from tests.lint.dockerfile.cases import BUILDER, RUNTIME

GOOD_BUILD = 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app'
BARE_BUILD = "go build -o /out/app ./cmd/app"


def _dockerfile(run: str) -> str:
    return (f"FROM --platform=$BUILDPLATFORM {BUILDER} AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\n"
            "RUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nARG TARGETOS TARGETARCH\n"
            "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n"
            f"    GOOS=$TARGETOS GOARCH=$TARGETARCH {run}\n\n"
            f"FROM {RUNTIME}\nCOPY --from=build /out/app /app\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\n")


def _lint(tmp_path: Path, run: str, files: dict[str, str]) -> dict[str, list[str]]:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(_dockerfile(run))
    found: dict[str, list[str]] = {}
    for f in lint_dockerfile(str(dockerfile), dockerfile.read_text()):
        found.setdefault(f.rule, []).append(f.message)
    return found


CLEAN_MAKEFILES = [
    f"build:\n\t{GOOD_BUILD}\n",
    'LDFLAGS := -s -w -X main.version=$(shell git describe --tags)\nGOFLAGS ?= -trimpath\n\n.PHONY: build\n'
    "build:\n\t@echo building\n\tCGO_ENABLED=0 go build $(GOFLAGS) -ldflags \"$(LDFLAGS)\" -o /out/app ./cmd/app\n",
    'export CGO_ENABLED=0\nFLAGS = -trimpath\nFLAGS += -ldflags="-s -w"\n\nbuild: generate\n\tgo build $(FLAGS) '
    "-o /out/app ./cmd/app\ngenerate:\n\tgo generate ./...\n",
    f"all: build\n\nbuild:\n\t$(MAKE) compile\n\ncompile:\n\t{GOOD_BUILD}\n",
    "BIN=/out/app\nbuild:\n\tCGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o $(BIN) \\\n\t\t./cmd/app\n",
]


@pytest.mark.parametrize("makefile", CLEAN_MAKEFILES)
def test_a_clean_makefile_build_raises_nothing(tmp_path: Path, makefile: str) -> None:
    found = _lint(tmp_path, "make build", {"Makefile": makefile})
    assert not {"SG110", "SG111", "SG112", "SG169", "SG171"} & set(found), found


@pytest.mark.parametrize(("run", "files"), [
    ("make build", {"Makefile": f"build:\n\t{BARE_BUILD}\n"}),
    ("make", {"Makefile": f".PHONY: build\nbuild:\n\t{BARE_BUILD}\ntest:\n\tgo test ./...\n"}),
    ("make -C src build", {"src/Makefile": f"build:\n\t{BARE_BUILD}\n"}),
    ("make -f build.mk app", {"build.mk": f"app: deps\n\t{BARE_BUILD}\ndeps:\n\tgo mod download\n"}),
    ("./build.sh", {"build.sh": f"#!/bin/sh\nset -eu\n{BARE_BUILD}\n"}),
    ("sh scripts/build.sh", {"scripts/build.sh": f"#!/bin/sh\nVERSION=$(git describe)\n{BARE_BUILD}\n"}),
    ("bash hack/build.sh", {"hack/build.sh": f"#!/bin/bash\nif true; then\n  {BARE_BUILD}\nfi\n"}),
])
def test_a_hidden_bare_build_is_judged_and_says_where(tmp_path: Path, run: str, files: dict[str, str]) -> None:
    found = _lint(tmp_path, run, files)
    assert {"SG110", "SG111", "SG112"} <= set(found), found
    source = next(iter(files)).removeprefix("./")
    assert all(source in m for m in found["SG111"])
    assert "SG169" not in found


def test_environment_flows_from_the_run_into_make(tmp_path: Path) -> None:
    mk = {"Makefile": "build:\n\tgo build -trimpath -ldflags=\"-s -w\" -o /out/app .\n"}
    assert "SG110" in _lint(tmp_path / "a", "make build", mk)
    assert "SG110" not in _lint(tmp_path / "b", "CGO_ENABLED=0 make build", mk)
    # the RUN's GOOS/GOARCH reach make's go build: no SG171
    assert "SG171" not in _lint(tmp_path / "c", "make build", mk)


@pytest.mark.parametrize(("run", "files", "why"), [
    ("make build", {}, "not found next to the Dockerfile"),
    ("make build", {"Makefile": "build:\n\t./compile\n"}, "holds no go build"),
    ("./scripts/build.sh", {}, "not found next to the Dockerfile"),
    ("task build", {"Taskfile.yml": "version: 3\n"}, "not found next to the Dockerfile"),
    ("make -C ../../outside build", {}, "not found next to the Dockerfile"),
])
def test_an_unseen_build_is_said_to_be_unchecked(tmp_path: Path, run: str, files: dict[str, str], why: str) -> None:
    found = _lint(tmp_path, run, files)
    (message,) = found["SG169"]
    assert why in message and "could not be checked" in message
    assert not {"SG110", "SG111", "SG112"} & set(found)


def test_make_elsewhere_does_not_read_the_context_makefile(tmp_path: Path) -> None:
    found = _lint(tmp_path, f"cd /tmp/libfoo && make && cd /src && {GOOD_BUILD}",
                  {"Makefile": f"build:\n\t{BARE_BUILD}\n"})
    assert not {"SG110", "SG111", "SG112", "SG169"} & set(found), found


def test_without_a_file_on_disk_the_build_is_unchecked() -> None:
    found = {f.rule: f.message for f in lint_dockerfile("-", _dockerfile("make build"))}
    assert "is not available here" in found["SG169"]


def test_makefile_reading() -> None:
    mk = parse_makefile("A = 1\nB := $(A) 2\nA ?= 9\nC += x\nC += y\nexport D = 4\n"
                        "all build: dep ; echo $@\n\techo $(B) $$HOME ${C}\n%.o: %.c\n\tcc $<\n")
    assert mk.first == "all" and "%.o" not in mk.rules and "D" in mk.exported
    assert expand_make("$(B) $$HOME ${C} $(UNKNOWN)", mk.variables) == "1 2 $HOME x y $(UNKNOWN)"
    assert mk.rules["all"] == (["dep"], ["echo $@", "echo $(B) $$HOME ${C}"])
