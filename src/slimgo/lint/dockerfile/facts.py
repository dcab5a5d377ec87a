"""Facts the rules share, computed once per Dockerfile: RUN commands per stage and the final base."""

from __future__ import annotations

__all__ = ["Facts", "Run", "installed_packages"]

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from slimgo.lint.dockerfile.hidden import hidden_script, runs_hidden_build
from slimgo.lint.dockerfile.images import ImageFacts, classify
from slimgo.lint.dockerfile.parse import Dockerfile, Instruction, Stage
from slimgo.lint.dockerfile.shell import SimpleCommand, commands, is_go, script_commands

_PACKAGE_INSTALL = {
    "apt-get": {"install"}, "apt": {"install"}, "aptitude": {"install"}, "apk": {"add"},
    "yum": {"install", "groupinstall"}, "dnf": {"install", "groupinstall"}, "microdnf": {"install"},
    "tdnf": {"install"}, "zypper": {"install", "in"}, "pacman": {"-S", "-Sy", "-Syu"}, "rpm": {"-i", "-ivh", "-U"},
    "dpkg": {"-i", "--install"},
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One simple command of a RUN, with the instruction it belongs to (and the Makefile or script it is in)."""

    ins: Instruction
    cmd: SimpleCommand
    via: str | None = None  # "Makefile target build", "scripts/build.sh": where a hidden command was read


def installed_packages(cmd: SimpleCommand) -> list[str] | None:
    """Package names a package-manager install command installs, or None if it is not one."""
    words = cmd.words
    if not words:
        return None
    verbs = _PACKAGE_INSTALL.get(words[0].rsplit("/", 1)[-1])
    if verbs is None or not any(w in verbs for w in words[1:]):
        return None
    return [w.split("=", 1)[0] for w in words[1:] if not w.startswith("-") and w not in verbs]


class Facts:
    """Lazily computed views of one Dockerfile."""

    def __init__(self, path: str, df: Dockerfile, context: Path | None = None) -> None:
        self.path = path
        self.df = df
        self.context = context  # the build context, to read the Makefile or script a RUN hands the build to

    @cached_property
    def runs(self) -> dict[int, list[Run]]:
        out: dict[int, list[Run]] = {}
        for stage in self.df.stages:
            runs: list[Run] = []
            for ins in stage.instructions:
                if ins.cmd != "RUN":
                    continue
                moved = False  # after a `cd`, `make` reads some other directory's Makefile, not the context's
                for cmd in commands(ins):
                    runs.append(Run(ins, cmd))
                    moved = moved or cmd.words[0] in {"cd", "pushd"}
                    if not moved:
                        runs += self._hidden_runs(ins, cmd)
            out[stage.index] = runs
        return out

    def _hidden_runs(self, ins: Instruction, cmd: SimpleCommand) -> list[Run]:
        """The commands of the Makefile recipe or script ``cmd`` runs, with its environment (one level deep)."""
        if self.context is None or not runs_hidden_build(cmd.words):
            return []
        hidden = hidden_script(cmd.words, self.context)
        if hidden is None:
            return []
        raw = {**cmd.env, **hidden.env}
        values = {**cmd.expanded_env, **hidden.env}
        return [Run(ins, inner, hidden.source) for inner in script_commands(hidden.script, raw, values)]

    def go_runs(self, stage: Stage, sub: str) -> list[Run]:
        return [r for r in self.runs[stage.index] if is_go(r.cmd, sub)]

    @cached_property
    def final_base(self) -> ImageFacts:
        return classify(self.df.final.root.image)

    @cached_property
    def final_is_debug(self) -> bool:
        final = self.df.final
        return self.final_base.debug or any("debug" in (s.name or "").lower() for s in final.chain())

    def is_stage_ref(self, image: str) -> bool:
        return any(s.name and s.name.lower() == image.lower() for s in self.df.stages)

    def builder_stages(self) -> list[Stage]:
        """Stages other than the final one that run `go build` or `go install`."""
        return [
            s for s in self.df.stages[:-1]
            if self.go_runs(s, "build") or self.go_runs(s, "install")
        ]  # fmt: skip

    def unresolved(self, text: str) -> bool:
        return "$" in text
