"""`slimgo login` never lets config.json (it holds secrets) exist readable by others, not even for a moment."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.stores.registry.conftest import PASSWORD, USER, Registry


def _login(monkeypatch: pytest.MonkeyPatch, config_dir: Path, reg: Registry) -> tuple[int, list[int]]:
    """Log in through the CLI, recording the mode of every file renamed onto config.json as the rename happens."""
    modes: list[int] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == "config.json":
            modes.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    monkeypatch.setattr(os, "replace", spy)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = main(["login", reg.host, "-u", USER, "--password-stdin"])
    return code, modes


def test_login_creates_config_0600_in_a_0700_directory(basic_registry: Registry, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0o022)  # a permissive umask, like many users have
    try:
        config_dir = tmp_path / "home" / "new" / ".docker"
        code, modes = _login(monkeypatch, config_dir, basic_registry)
    finally:
        os.umask(old)
    assert code == 0
    assert modes == [0o600]  # the file was never visible with wider permissions
    assert stat.S_IMODE((config_dir / "config.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    assert [p.name for p in config_dir.iterdir()] == ["config.json"]  # no temp file left beside it


def test_login_tightens_an_existing_config(basic_registry: Registry, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / ".docker"
    config_dir.mkdir(mode=0o755)
    (config_dir / "config.json").write_text('{"credsStore": ""}')
    os.chmod(config_dir / "config.json", 0o644)
    code, modes = _login(monkeypatch, config_dir, basic_registry)
    assert code == 0
    assert modes == [0o600]
    assert stat.S_IMODE((config_dir / "config.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o755  # a directory slimgo did not create is left alone
