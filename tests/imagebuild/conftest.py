"""Helpers for build tests: run the CLI in-process, copy Go fixtures, read images back."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.conftest import FIXTURES, require_tool
from tests.schemas import validate


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict[str, object]]:
        """The image records of `build --json`, after checking the document against its schema."""
        document = json.loads(self.out)
        validate(document, "build")
        images: list[dict[str, object]] = document["images"]
        return images


Slimgo = Callable[..., Result]


@pytest.fixture
def slimgo(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Slimgo:
    """Call `slimgo ARGS...` in-process (optionally in directory ``cwd``) and capture its output."""

    def run(*args: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def go() -> str:
    return require_tool("go")


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target
