"""`slimgo completion bash|zsh|fish`: the shell script that completes slimgo's verbs and flags (click's own)."""

from __future__ import annotations

__all__ = ["completion"]

import click

from slimgo.cli import render

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_SLIMGO_COMPLETE"  # what click reads when the shell asks for completions of `slimgo`


@click.command(epilog="""\b
Load it in the current shell, or for every new one:
  bash:  eval "$(slimgo completion bash)"   (in ~/.bashrc; bash 4.4 or later)
  zsh:   eval "$(slimgo completion zsh)"    (in ~/.zshrc, after compinit)
  fish:  slimgo completion fish > ~/.config/fish/completions/slimgo.fish""")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL."""
    from click.shell_completion import get_completion_class

    from slimgo.cli.main import cli

    completer = get_completion_class(shell)
    assert completer is not None  # every name in SHELLS is one click ships
    render.text(completer(cli, {}, "slimgo", COMPLETE_VAR).source() + "\n")
