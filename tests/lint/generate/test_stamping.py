"""The generated Dockerfile keeps the -X version stamping of the project's Makefile or goreleaser config."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from slimgo.lint.generate import plan, write
from slimgo.lint.generate.stamping import version_stamping
from slimgo.lint.runner import lint_paths
from tests.conftest import require_tool
from tests.lint.generate.gomodule import write_module

MAKEFILES = {
    "inline": ('VERSION ?= $(shell git describe --tags)\nbuild:\n\tgo build -ldflags "-s -w -X main.version=$(VERSION)"'
               " -o bin/app ./cmd/api\n", {"main.version": ("VERSION", "dev")}),
    "variable": ("PKG := example.com/shop\nVERSION = 1.4.0\nLDFLAGS := -X $(PKG)/internal/lib.Version=$(VERSION) "
                 "-X '$(PKG)/internal/lib.Commit=$(shell git rev-parse HEAD)'\nbuild:\n\tgo build -ldflags "
                 '"$(LDFLAGS)" ./...\n',
                 {"example.com/shop/internal/lib.Version": ("VERSION", "1.4.0"),
                  "example.com/shop/internal/lib.Commit": ("COMMIT", "unknown")}),
    "literal": ("build:\n\tgo build -ldflags=-X=main.edition=community ./cmd/api\n", {"main.edition": (None, None)}),
    "unsafe": ("build:\n\tgo build -ldflags \"-X main.v=$$(rm -rf /) -X 'main.x;rm=1' -X main.apiToken=$(TOKEN)\" .\n",
               {"main.v": ("V", "unknown")}),
}


@pytest.mark.parametrize("name", MAKEFILES)
def test_makefile_stamps_become_build_args(tmp_path: Path, name: str) -> None:
    text, expected = MAKEFILES[name]
    root = write_module(tmp_path / "shop")
    (root / "Makefile").write_text(text)
    stamping = version_stamping(root)
    assert stamping is not None and stamping.source == "Makefile"
    assert {s.symbol: (s.arg, s.default) for s in stamping.stamps} == expected


@pytest.mark.parametrize("ldflags", [
    '  - -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}\n',
    "  - -s -w\n  - -X main.version={{ .Version }}\n  - -X main.commit={{ .ShortCommit }}\n"
    "  - -X main.date={{ .CommitDate }}\n",
])
def test_goreleaser_stamps_become_build_args(tmp_path: Path, ldflags: str) -> None:
    root = write_module(tmp_path / "shop")
    (root / ".goreleaser.yaml").write_text(f"version: 2\nbuilds:\n- main: ./cmd/api\n  ldflags:\n{ldflags}")
    (root / "Makefile").write_text("build:\n\tgo build -ldflags '-X main.other=1' ./...\n")  # goreleaser wins
    stamping = version_stamping(root)
    assert stamping is not None and stamping.source == ".goreleaser.yaml"
    assert {s.symbol: s.arg for s in stamping.stamps} == {"main.version": "VERSION", "main.commit": "COMMIT",
                                                          "main.date": "BUILD_DATE"}


def test_no_stamping_leaves_the_dockerfile_as_it_was(tmp_path: Path) -> None:
    root = write_module(tmp_path / "shop")
    (root / "Makefile").write_text("build:\n\tgo build ./...\n")
    text = plan([], cwd=root).files[root / "Dockerfile"]
    assert '-ldflags="-s -w -buildid="' in text and "Version stamping" not in text


def test_stamped_dockerfile_lints_clean_and_go_applies_its_flags(tmp_path: Path) -> None:
    root = write_module(tmp_path / "shop", mains=(".",))
    (root / "main.go").write_text('package main\n\nimport "fmt"\n\nvar version, commit = "none", "none"\n\n'
                                  "func main() { fmt.Println(version, commit) }\n")
    (root / "Makefile").write_text("VERSION ?= 0.0.0\nbuild:\n\tgo build -ldflags \"-X main.version=$(VERSION) "
                                   "-X main.commit=$(shell git rev-parse --short HEAD)\" .\n")
    write(plan([], cwd=root))
    text = (root / "Dockerfile").read_text()
    assert "ARG VERSION=0.0.0 COMMIT=unknown" in text
    assert lint_paths([str(root)]).findings == []
    hadolint = require_tool("hadolint")
    proc = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", str(root / "Dockerfile")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (proc.returncode, proc.stdout) == (0, "")
    # the -ldflags of the generated RUN, with the ARGs as `docker build --build-arg` would set them
    ldflags = re.search(r'-ldflags="([^"]*)"', text)
    assert ldflags is not None
    flags = ldflags.group(1).replace("${VERSION}", "1.2.3").replace("${COMMIT}", "abc123")
    go = require_tool("go")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    subprocess.run([go, "build", "-trimpath", f"-ldflags={flags}", "-o", str(tmp_path / "app"), "."], cwd=root,
                   env=env, check=True, timeout=300, capture_output=True)
    out = subprocess.run([str(tmp_path / "app")], capture_output=True, text=True, check=True, timeout=30).stdout
    assert out.split() == ["1.2.3", "abc123"]
