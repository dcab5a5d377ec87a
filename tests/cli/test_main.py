"""The top-level command: every verb is reachable, errors become exit codes, never tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from slimgo.cli.main import COMMANDS, main


def test_help_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in COMMANDS:
        assert f"  {verb} " in out


@pytest.mark.parametrize("verb", sorted(COMMANDS))
def test_each_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([verb, "--help"]) == 0
    assert "Usage: slimgo" in capsys.readouterr().out


def test_unknown_verb_and_bad_flag_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err
    assert main(["build", "--no-such-flag"]) == 2


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run([sys.executable, "-m", "slimgo", "--version"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0 and "slimgo" in result.stdout
