"""A small reading of RUN scripts: simple commands, their `VAR=value` prefixes, and Go command lines."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from slimgo.lint.dockerfile.parse import Instruction, expand

_SEPARATORS = re.compile(r"&&|\|\||;|\||\n|\(|\)|`|\$\(")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
# wrappers that run the command after them unchanged
_WRAPPERS = frozenset({"sudo", "time", "nice", "nohup", "exec", "command", "xargs", "then", "do", "else", "!"})


@dataclass(frozen=True)
class SimpleCommand:
    """One command: its words (variables expanded where known) and the environment it runs with."""

    words: tuple[str, ...]
    env: Mapping[str, str | None]  # raw (unexpanded) values of variables set for it
    expanded_env: Mapping[str, str | None]


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:  # unbalanced quotes: fall back to whitespace, good enough to recognize commands
        return text.split()


def commands(ins: Instruction) -> Iterator[SimpleCommand]:
    """The simple commands of a RUN, in order; ``export`` and prefix assignments carry into later ones."""
    script = ins.script.replace("\\\n", " ")
    raw_env: dict[str, str | None] = {k: (f"${k}" if v is None else v) for k, v in ins.env.items()}
    values: dict[str, str | None] = dict(ins.env)
    for chunk in _SEPARATORS.split(script):
        words = _split_words(chunk)
        if words and words[0] == "export":
            for word in words[1:]:
                m = _ASSIGN.match(word)
                if m:
                    raw_env[m.group(1)] = m.group(2)
                    values[m.group(1)] = expand(m.group(2), values)
            continue
        local_raw = dict(raw_env)
        local_values = dict(values)
        while words and (words[0] in _WRAPPERS or words[0] == "env" or _ASSIGN.match(words[0])):
            m = _ASSIGN.match(words[0])
            if m:
                local_raw[m.group(1)] = m.group(2)
                local_values[m.group(1)] = expand(m.group(2), values)
            words = words[1:]
        if not words:
            # a bare `VAR=value` line sets a shell variable for the rest of the script
            for word in _split_words(chunk):
                m = _ASSIGN.match(word)
                if m:
                    raw_env[m.group(1)] = m.group(2)
                    values[m.group(1)] = expand(m.group(2), values)
            continue
        yield SimpleCommand(tuple(expand(w, local_values) for w in words), local_raw, local_values)


def is_go(cmd: SimpleCommand, sub: str) -> bool:
    """``go <sub> ...`` (also through a path such as /usr/local/go/bin/go, or tonistiigi/xx's ``xx-go``)."""
    words = cmd.words
    return len(words) >= 2 and words[0].rsplit("/", 1)[-1] in {"go", "xx-go"} and words[1] == sub


@dataclass(frozen=True)
class GoBuild:
    """The options of a `go build` (or `go install`) that the rules look at."""

    ldflags: str | None
    trimpath: bool
    mod_vendor: bool
    packages: tuple[str, ...]
    gcflags: str | None = None

    @property
    def for_debugger(self) -> bool:
        """-gcflags with -N or -l: optimizations off for Delve, which needs the DWARF that -w would drop."""
        words = [w.split("=", 1)[-1] for w in (self.gcflags or "").split()]
        return "-N" in words or "-l" in words


_VALUE_FLAGS = frozenset(
    {"-o", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-p", "-buildmode", "-compiler",
     "-gccgoflags", "-installsuffix", "-modfile", "-overlay", "-pgo", "-pkgdir", "-toolexec", "-C", "-covermode",
     "-coverpkg"}
)  # fmt: skip


def go_build(cmd: SimpleCommand) -> GoBuild:
    """Read the flags of ``go build``/``go install``, including those passed through GOFLAGS."""
    goflags = cmd.expanded_env.get("GOFLAGS") or ""
    words = [*_split_words(goflags), *cmd.words[2:]]
    ldflags: str | None = None
    gcflags: str | None = None
    trimpath = False
    vendor = False
    packages: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        name, sep, value = word.lstrip("-").partition("=")
        flag = "-" + name
        if word.startswith("-"):
            if not sep and flag in _VALUE_FLAGS:
                value = words[i + 1] if i + 1 < len(words) else ""
                i += 1
            if flag == "-ldflags":
                ldflags = value
            elif flag == "-gcflags":
                gcflags = value
            elif flag == "-trimpath":
                trimpath = value.lower() not in {"false", "0"}
            elif flag == "-mod":
                vendor = value == "vendor"
        else:
            packages.append(word)
        i += 1
    return GoBuild(ldflags, trimpath, vendor, tuple(packages), gcflags)
