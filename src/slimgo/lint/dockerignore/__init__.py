"""Docker's .dockerignore semantics (a port of moby/patternmatcher) and the linter for .dockerignore files."""

from __future__ import annotations

from slimgo.lint.dockerignore.ignorefile import IgnoreFileError, IgnoreLine, read_lines, read_patterns
from slimgo.lint.dockerignore.patternmatcher import MatchInfo, Pattern, PatternError, PatternMatcher, matches
from slimgo.lint.dockerignore.rules import lint_dockerignore

__all__ = [
    "IgnoreFileError",
    "IgnoreLine",
    "MatchInfo",
    "Pattern",
    "PatternError",
    "PatternMatcher",
    "lint_dockerignore",
    "matches",
    "read_lines",
    "read_patterns",
]
