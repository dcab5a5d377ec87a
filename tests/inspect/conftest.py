"""Fixtures for the inspect tests: real Go binaries, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.elf.gofixtures import go_binaries


@pytest.fixture(scope="session")
def gobin(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return go_binaries(tmp_path_factory)
