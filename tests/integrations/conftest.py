"""Shared set-up for the integration tests: slimgo as a command on PATH, a local registry, the built wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.stores.registry.conftest import (
    PASSWORD,
    USER,
    Registry,
    start_basic_registry,
    start_registry,
    stop_registry,
)

SRC = ROOT / "src"
EXAMPLE = ROOT / "examples" / "hello"
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,"
                  "application/vnd.docker.distribution.manifest.v2+json")


@dataclass
class Run:
    code: int
    out: str
    err: str


def slimgo_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell whose `slimgo` is this checkout's (no terminal, no colour settings)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "SLIMGO_QUIET",
                                                             "SLIMGO_DEBUG", "SLIMGO_REPO", "PYTHONPATH")}
    env["PYTHONPATH"] = str(SRC)
    env.update(extra)
    return env


def run_slimgo(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str = "",
               timeout: float = 300) -> Run:
    """`slimgo ARGS...` in a subprocess, stdout and stderr kept apart, as a script would run it."""
    result = subprocess.run([sys.executable, "-m", "slimgo", *args], cwd=cwd, env=env or slimgo_env(),
                            input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def slimgo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a `slimgo` command that runs this checkout, to put first on PATH."""
    bindir = tmp_path_factory.mktemp("slimgo-bin")
    script = bindir / "slimgo"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m slimgo "$@"\n')
    script.chmod(0o755)
    return bindir


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    """A copy of examples/hello outside the repository."""
    target = tmp_path / "hello"
    shutil.copytree(EXAMPLE, target)
    return target


def snapshot_files(root: Path = ROOT) -> list[str]:
    """What a clone of this checkout would hold with the current edits: tracked and new, unignored files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True, timeout=60).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (root / name).is_file()})


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout as it is now, so installing it never writes build output into the work tree."""
    target = tmp_path_factory.mktemp("checkout") / "slimgo"
    for name in snapshot_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="session")
def dists(snapshot: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build` of the checkout: an sdist and a wheel built from it, in a fresh directory."""
    require_module("build")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(snapshot)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def require_module(name: str) -> None:
    """A dev-extra tool (build, pipx, pre-commit): fail under CI=true, skip elsewhere."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        message = f"{name} is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """An anonymous docker-registry on 127.0.0.1."""
    running, process = start_registry(tmp_path_factory.mktemp("registry"), "anonymous")
    yield running
    stop_registry(process)


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind htpasswd Basic auth, as a hosted registry would be."""
    running, process = start_basic_registry(tmp_path_factory.mktemp("action-registry"))
    yield running
    stop_registry(process)


def registry_tags(registry: Registry, repository: str) -> dict[str, str]:
    """Each tag of ``repository`` and the digest it points at (empty when the repository does not exist)."""
    auth = (USER, PASSWORD)
    listed = requests.get(f"http://{registry.host}/v2/{repository}/tags/list", auth=auth, timeout=10)
    if listed.status_code == 404:
        return {}
    listed.raise_for_status()
    digests = {}
    for tag in listed.json()["tags"] or []:
        head = requests.head(f"http://{registry.host}/v2/{repository}/manifests/{tag}", auth=auth, timeout=10,
                             headers={"Accept": MANIFEST_TYPES})
        head.raise_for_status()
        digests[tag] = head.headers["Docker-Content-Digest"]
    return digests


def vendored_schema(name: str) -> dict[str, Any]:
    """SchemaStore's schema as check-jsonschema ships it (Apache-2.0, its licenses/LICENSE.schemastore)."""
    require_module("check_jsonschema")
    folder = resources.files("check_jsonschema.builtin_schemas.vendor")
    loaded: dict[str, Any] = json.loads((folder / f"{name}.json").read_text())
    return loaded


def schema_errors(document: Any, schema: dict[str, Any]) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
