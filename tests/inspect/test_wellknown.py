"""A well-known Go program nobody here wrote, fetched as a module: `slimgo inspect` agrees with `go version -m`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.elf.gofixtures import go_env, run_go
from tests.inspect.test_cli_binary import SCHEMA

pytestmark = pytest.mark.integration

MODULE = "golang.org/x/example/hello@v0.0.0-20250915201037-7f05d217867b"


def test_program_fetched_as_a_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    env = go_env({"GOBIN": str(tmp_path)})
    env.pop("GOPROXY")  # the toolchain's configured module proxy, not the offline setting of the fixtures
    if os.environ.get("GOPROXY"):
        env["GOPROXY"] = os.environ["GOPROXY"]
    try:
        proc = subprocess.run(["go", "install", MODULE], env=env, capture_output=True, text=True, timeout=180,
                              check=False)
    except subprocess.TimeoutExpired:
        proc = None
    if proc is None or proc.returncode != 0:
        message = f"the module proxy is unreachable: {proc.stderr.strip() if proc else 'timed out'}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    binary = tmp_path / "hello"
    assert main(["inspect", "--json", "--no-layer-size", str(binary)]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    lines = run_go("version", "-m", str(binary)).splitlines()
    mod = next(line.split("\t") for line in lines if line.startswith("\tmod\t"))
    assert data["go"]["main"] == {"path": mod[2], "version": mod[3], "sum": mod[4]}
    assert data["go"]["main"]["sum"].startswith("h1:")
    assert any(p["group"] == "main module" for p in data["size"]["packages"])
