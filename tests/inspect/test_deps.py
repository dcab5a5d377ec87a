"""The import chain that pulls each module into a binary, from `go list -deps` in the module that built it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from slimgo.inspect.deps import import_chains, module_root
from tests.conftest import FIXTURES
from tests.elf.gofixtures import run_go

HELLO = FIXTURES / "inspect" / "hello"


def test_shortest_chain_per_module() -> None:
    listed = [
        {"ImportPath": "example.com/app", "Module": {"Path": "example.com/app"},
         "Imports": ["example.com/app/internal/store", "fmt"]},
        {"ImportPath": "example.com/app/internal/store", "Module": {"Path": "example.com/app"},
         "Imports": ["github.com/aws/aws-sdk-go-v2/service/s3", "golang.org/x/net/http2"]},
        {"ImportPath": "github.com/aws/aws-sdk-go-v2/service/s3", "Module": {"Path": "github.com/aws/aws-sdk-go-v2"},
         "Imports": ["golang.org/x/net/http2"]},
        {"ImportPath": "golang.org/x/net/http2", "Module": {"Path": "golang.org/x/net"}, "Imports": ["fmt"]},
        {"ImportPath": "fmt", "Standard": True},
    ]
    chains = import_chains(listed, "example.com/app")
    assert chains["github.com/aws/aws-sdk-go-v2"] == ["example.com/app", "example.com/app/internal/store",
                                                     "github.com/aws/aws-sdk-go-v2/service/s3"]
    assert chains["golang.org/x/net"] == ["example.com/app", "example.com/app/internal/store",
                                          "golang.org/x/net/http2"]  # the shortest, not the first seen
    assert chains["std"] == ["example.com/app", "fmt"]


def test_module_root_only_for_the_binary_module(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text('module "example.com/app"\n\ngo 1.22\n')
    (tmp_path / "cmd" / "app").mkdir(parents=True)
    assert module_root(tmp_path / "cmd" / "app", "example.com/app") == tmp_path.resolve()
    assert module_root(tmp_path / "cmd", "example.com/other") is None


def _modules(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, Any]]:
    assert main(["inspect", "--json", "--no-layer-size", *args]) == 0
    return {m["path"]: m for m in json.loads(capsys.readouterr().out)["size"]["modules"]}


@pytest.mark.integration
def test_chains_inside_the_module_and_with_module_dir(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    listed = run_go("list", "-deps", "-json=ImportPath,Imports", ".", cwd=HELLO)
    imports: dict[str, list[str]] = {}
    decoder = json.JSONDecoder()
    text, pos = listed.strip(), 0
    while pos < len(text):
        obj, pos = decoder.raw_decode(text, pos)
        imports[obj["ImportPath"]] = obj.get("Imports") or []
        pos += len(text[pos:]) - len(text[pos:].lstrip())
    monkeypatch.setenv("GOFLAGS", "-buildvcs=false")
    monkeypatch.setenv("GOPROXY", "off")  # tests never reach the network: the dependency is a local replacement
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.chdir(tmp_path)  # outside any module: no chains, and no go command run
    assert all(m["chain"] is None for m in _modules(capsys, str(gobin["static"])).values())
    monkeypatch.chdir(HELLO)  # inside the module that built it
    inside = _modules(capsys, str(gobin["static"]))
    chain = inside["example.com/greet"]["chain"]
    assert chain[0] == "example.com/hello" and chain[-1].startswith("example.com/greet")
    assert all(b in imports[a] for a, b in itertools.pairwise(chain))  # every step is a real import
    monkeypatch.chdir(tmp_path)
    assert _modules(capsys, "--module", str(HELLO), str(gobin["static"]))["example.com/greet"]["chain"] == chain
    monkeypatch.chdir(HELLO)
    assert main(["inspect", "--no-layer-size", str(gobin["static"])]) == 0
    assert "example.com/greet: main -> example.com/greet" in capsys.readouterr().out


@pytest.mark.integration
def test_a_module_that_cannot_be_listed_is_a_problem(
    gobin: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "go.mod").write_text("module example.com/hello\n\ngo 1.22\n")  # the right module, no package
    monkeypatch.setenv("GOFLAGS", "-buildvcs=false")
    monkeypatch.setenv("GOPROXY", "off")
    assert main(["inspect", "--json", "--no-layer-size", "--module", str(tmp_path), str(gobin["static"])]) == 0
    report = json.loads(capsys.readouterr().out)
    problems = {p["part"]: p["message"] for p in report["problems"]}
    assert "go list -deps" in problems["size.modules"]
    assert all(m["chain"] is None for m in report["size"]["modules"])
