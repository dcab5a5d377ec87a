"""Shared test helpers: real external tools are required under CI=true and skipped only outside CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: no per-example deadline (a loaded 2-core CI machine is slow, not wrong), and under CI the same
# examples every run so a landing never depends on luck; locally they stay random to keep finding new cases.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_tool(name: str) -> str:
    """Return the path of the external tool ``name``; skip without it, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (run `make setup`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_root() -> None:
    """runc needs root; fail under CI=true (CI runs as root), skip elsewhere."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("runc tests need root")
        pytest.skip("runc tests need root")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's slimgo cache."""
    os.environ["SLIMGO_CACHE_DIR"] = str(tmp_path_factory.mktemp("slimgo-cache"))
