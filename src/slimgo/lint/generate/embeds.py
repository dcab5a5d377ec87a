"""`//go:embed` patterns of a module that match no file the Docker build would see (generated assets)."""

from __future__ import annotations

__all__ = ["embed_problems"]

import re
from dataclasses import dataclass
from pathlib import Path

from slimgo.lint.dockerignore import PatternError, PatternMatcher
from slimgo.lint.generate.gomod import Module, go_sources

MAX_SOURCE = 1024 * 1024  # only the start of a huge generated .go file is read for directives
_DIRECTIVE = re.compile(r"^[ \t]*//go:embed[ \t]+(.+)$", re.M)
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)')


@dataclass(frozen=True)
class EmbedProblem:
    package: str  # import path
    source: str  # file:line, relative to the module root
    pattern: str
    why: str  # "matches no file" or "matches only files the .dockerignore keeps out"


def _patterns(text: str) -> list[str]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
        out.append(word.removeprefix("all:"))
    return out


def _matches(directory: Path, pattern: str) -> list[Path]:
    if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
        return []  # Go rejects these patterns itself
    try:
        return [p for p in directory.glob(pattern) if p.is_relative_to(directory)][:1000]
    except (OSError, ValueError):
        return []


def embed_problems(module: Module, ignore_lines: list[str]) -> list[EmbedProblem]:
    """Every //go:embed pattern that matches nothing, or only what ``ignore_lines`` drop from the context."""
    matcher = PatternMatcher([line for line in ignore_lines if line and not line.startswith("#")])
    problems: list[EmbedProblem] = []
    for path, text in go_sources(module, MAX_SOURCE):
        here = path.parent
        rel_dir = here.relative_to(module.root).as_posix()
        package = module.path if rel_dir == "." else f"{module.path}/{rel_dir}"
        for m in _DIRECTIVE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            source = f"{path.relative_to(module.root).as_posix()}:{line}"
            for pattern in _patterns(m.group(1)):
                found = _matches(here, pattern)
                if not found:
                    problems.append(EmbedProblem(package, source, pattern, "matches no file"))
                elif all(_ignored(matcher, module.root, p) for p in found):
                    problems.append(EmbedProblem(package, source, pattern,
                                                 "matches only files the .dockerignore keeps out"))
    return problems


def _ignored(matcher: PatternMatcher, root: Path, path: Path) -> bool:
    rel = path.relative_to(root).as_posix()
    try:
        return matcher.matches_or_parent_matches(rel)
    except PatternError:  # a pattern the matcher cannot use: do not guess
        return False
