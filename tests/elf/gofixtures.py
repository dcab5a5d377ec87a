"""Go binaries built once per test session by the real toolchain, shared by the elf and inspect tests."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, require_tool

SOURCES = FIXTURES / "inspect"


@dataclass(frozen=True)
class Variant:
    """How one fixture binary is built: which program, environment and flags."""

    program: str  # a directory under tests/fixtures/inspect, "examples/...", or a package such as "cmd/addr2line"
    env: Mapping[str, str]
    flags: tuple[str, ...] = ()

    @property
    def static_expected(self) -> bool:
        return self.env.get("CGO_ENABLED") == "0" and "-buildmode=pie" not in self.flags


VARIANTS: dict[str, Variant] = {
    "default": Variant("hello", {}),  # cgo on: net uses the C resolver, so it links libc dynamically
    "static": Variant("hello", {"CGO_ENABLED": "0"}),
    "stripped": Variant("hello", {"CGO_ENABLED": "0"}, ("-ldflags=-s -w",)),
    "pie": Variant("hello", {}, ("-buildmode=pie",)),
    "pie_static": Variant("hello", {"CGO_ENABLED": "0"}, ("-buildmode=pie",)),
    "cgo_pie": Variant("cgo", {}, ("-buildmode=pie",)),  # calls C: linked externally by the C linker
    "c_shared": Variant("hello", {}, ("-buildmode=c-shared",)),  # a library: ET_DYN without PT_INTERP
    "arm64": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "arm64"}),
    "i386": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "386"}),
    "s390x": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "s390x"}),  # big-endian
    # one of each remaining instruction-set family: their alignment fill and function sizes differ
    "loong64": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "loong64"}),
    "riscv64": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "riscv64"}),  # compressed instructions
    "mips": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "mips"}),  # 32-bit, big-endian, delay slots
    "mips64le": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "mips64le"}),
    "ppc64": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "ppc64"}),
    "arm": Variant("tiny", {"CGO_ENABLED": "0", "GOARCH": "arm", "GOARM": "7"}),
    "goroot_cmd": Variant("cmd/addr2line", {"CGO_ENABLED": "0"}),  # a program from the Go distribution
    "example": Variant("examples/hello", {}),  # the project's example: no module dependencies at all
}

_lock = threading.Lock()
_built: dict[str, Path] = {}


def go_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOFLAGS="-buildvcs=false", GOTOOLCHAIN="local", GOPROXY="off", GOOS="linux", GOARCH="amd64")
    env.pop("CGO_ENABLED", None)
    env.update(extra)
    return env


def _build(go: str, out_dir: Path, name: str, variant: Variant) -> Path:
    out = out_dir / name
    if variant.program.startswith("cmd/"):
        cwd, target = out_dir, variant.program
    elif variant.program.startswith("examples/"):
        cwd, target = ROOT / variant.program, "."
    else:
        cwd, target = SOURCES / variant.program, "."
    proc = subprocess.run(
        [go, "build", "-o", str(out), *variant.flags, target],
        cwd=cwd, env=go_env(variant.env), capture_output=True, text=True, timeout=600, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"go build of fixture {name} failed:\n{proc.stderr}")
    return out


def go_binaries(factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every fixture binary by variant name, built in parallel on first use and cached for the session."""
    go = require_tool("go")
    with _lock:
        if not _built:
            out_dir = factory.mktemp("gobin")
            with ThreadPoolExecutor(max_workers=3) as pool:
                futures = {name: pool.submit(_build, go, out_dir, name, v) for name, v in VARIANTS.items()}
                _built.update({name: future.result() for name, future in futures.items()})
        return dict(_built)


def run_go(*args: str, cwd: Path | None = None) -> str:
    """Output of a `go` subcommand (version -m, tool nm) run on a fixture."""
    go = require_tool("go")
    proc = subprocess.run(
        [go, *args], cwd=cwd, env=go_env({}), capture_output=True, text=True, timeout=300, check=True
    )
    return proc.stdout
