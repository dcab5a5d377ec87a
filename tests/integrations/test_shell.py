"""`slimgo --version` and `slimgo completion`: what a user sees in a shell, run as that shell runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slimgo import __version__
from tests.conftest import require_tool
from tests.integrations.conftest import run_slimgo, slimgo_env
from tests.integrations.snippets import snippet


def test_version_names_slimgo_and_the_go_it_found() -> None:
    go = require_tool("go")
    started = time.monotonic()
    result = run_slimgo("--version")
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    first, second = result.out.splitlines()
    assert first.startswith(f"slimgo {__version__} (Python ")
    expected = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    assert second == f"go: {expected} ({go})"
    assert result.err == ""
    assert elapsed < 5, f"--version took {elapsed:.1f} s"


def test_version_without_go_says_where_to_get_it(tmp_path: Path) -> None:
    python_only = tmp_path / "bin"
    python_only.mkdir()
    result = run_slimgo("--version", env=slimgo_env(PATH=str(python_only)))
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "go: not found on PATH (slimgo build needs Go: https://go.dev/dl)"


def test_version_with_a_broken_go_still_answers(tmp_path: Path) -> None:
    fake = tmp_path / "go"
    fake.write_text("#!/bin/sh\necho 'go: cannot find GOROOT directory' >&2\nexit 2\n")
    fake.chmod(0o755)
    result = run_slimgo("--version", env=slimgo_env(PATH=f"{tmp_path}:/usr/bin:/bin"))
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == f"go: unknown version (go env GOVERSION failed) ({fake})"


def test_version_does_not_load_the_build_stack() -> None:
    """--version answers from the package version and one `go env`: no rich, no requests, no ELF readers."""
    code = ("import sys; from slimgo.cli.main import main; main(['--version']); "
            "print(sorted(m for m in ('rich', 'requests', 'elftools', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=slimgo_env(), capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.splitlines()[-1] == "[]"


def _complete(slimgo_path: Path, words: str, loader: str) -> list[str]:
    """Load the completion as docs/integrations.md says, then ask for completions of ``words`` like bash does."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    script = f"""
{loader}
COMP_WORDS=({words}) ; [[ "{words}" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD={cword}
COMPREPLY=()
_slimgo_completion slimgo
printf '%s\\n' "${{COMPREPLY[@]}}"
complete -p slimgo
"""
    env = slimgo_env(PATH=f"{slimgo_path}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_bash_completion_completes_verbs_and_flags(slimgo_path: Path) -> None:
    loader = snippet("bash-completion")
    assert loader == 'eval "$(slimgo completion bash)"'
    lines = _complete(slimgo_path, "slimgo bu", loader)
    assert lines[0] == "build"
    assert lines[-1] == "complete -o nosort -F _slimgo_completion slimgo"
    assert _complete(slimgo_path, "slimgo build --tz", loader)[:-1] == ["--tzdata"]
    assert _complete(slimgo_path, "slimgo completion ", loader)[:-1] == ["bash", "zsh", "fish"]
    assert _complete(slimgo_path, "slimgo l", loader)[:-1] == ["lint", "login", "logout"]


# zsh and fish are optional on the test machine: the script is always checked; the shell itself runs it when present.
SHELL_CHECKS = {
    "zsh": 'autoload -Uz compinit && compinit -u -d "$TMPDIR/zcompdump"; eval "$(slimgo completion zsh)"; '
           "whence -w _slimgo_completion",
    "fish": 'slimgo completion fish | source; complete -C "slimgo bu"',
}
SHELL_EXPECT = {"zsh": "_slimgo_completion: function", "fish": "build\t"}


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_are_click_completion(shell: str, slimgo_path: Path, tmp_path: Path) -> None:
    result = run_slimgo("completion", shell)
    assert result.code == 0, result.err
    assert "_SLIMGO_COMPLETE" in result.out and f"{shell}_complete" in result.out
    binary = shutil.which(shell)
    if binary is None:
        return
    flags = ["-f", "-c"] if shell == "zsh" else ["--no-config", "-c"]
    env = slimgo_env(PATH=f"{slimgo_path}:{os.environ['PATH']}", TMPDIR=str(tmp_path), HOME=str(tmp_path))
    ran = subprocess.run([binary, *flags, SHELL_CHECKS[shell]], env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(SHELL_EXPECT[shell]), ran.stdout


def test_completion_for_an_unknown_shell_is_a_usage_error() -> None:
    result = run_slimgo("completion", "tcsh")
    assert result.code == 2
    assert re.search(r"'tcsh' is not one of 'bash', 'zsh', 'fish'", result.err)
    assert result.out == ""
