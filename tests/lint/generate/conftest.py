"""The Go module fixture for the generator tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.generate.gomodule import write_module


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "shop")
