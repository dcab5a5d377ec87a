"""A line-for-line port of moby/patternmatcher (v0.6.1): the matcher `docker build` applies to .dockerignore."""

from __future__ import annotations

__all__ = ["MatchInfo", "MatchType", "Pattern", "PatternError", "PatternMatcher", "matches"]

import re
from dataclasses import dataclass, field
from enum import Enum

from slimgo.lint.dockerignore import gopath
from slimgo.lint.dockerignore.goregex import GoRegexError, translate

# patternmatcher means to escape `.+()|{}$`, but its bitmap (escapeBytes[b%8] |= 1<<(b/8)) loses every byte
# >= 64, so only `.+()$` are escaped and `|`, `{`, `}` reach Go's regexp as alternation and repetition.
_SHOULD_ESCAPE = frozenset(".+()$")


class PatternError(ValueError):
    """A pattern Docker rejects: when the matcher is built, or (like Go) on its first use."""

    def __init__(self, pattern: str, detail: str) -> None:
        super().__init__(f"{pattern!r}: {detail}")
        self.pattern = pattern
        self.detail = detail


class MatchType(Enum):
    UNKNOWN = 0
    EXACT = 1
    PREFIX = 2
    SUFFIX = 3
    REGEXP = 4


@dataclass
class Pattern:
    """One cleaned pattern; compiled lazily on first match, as patternmatcher does."""

    cleaned: str
    exclusion: bool
    dirs: list[str]
    match_type: MatchType = MatchType.UNKNOWN
    regexp: re.Pattern[str] | None = None
    error: str | None = None

    def __str__(self) -> str:
        return self.cleaned

    def compile(self) -> None:
        """Build the Go regexp text exactly as patternmatcher's compile does, then translate it."""
        reg = "^"
        detected = MatchType.EXACT
        chars = self.cleaned
        # text/scanner drops a byte order mark at the very start.
        if chars.startswith("\ufeff"):
            chars = chars[1:]
        n = len(chars)
        pos = 0
        it = 0
        while pos < n:
            ch = chars[pos]
            pos += 1
            if ch == "*":
                if pos < n and chars[pos] == "*":
                    pos += 1
                    if pos < n and chars[pos] == "/":
                        pos += 1
                    if pos >= n:
                        if detected == MatchType.EXACT:
                            detected = MatchType.PREFIX
                        else:
                            reg += ".*"
                            detected = MatchType.REGEXP
                    else:
                        reg += "(.*/)?"
                        detected = MatchType.REGEXP
                    if it == 0:
                        detected = MatchType.SUFFIX
                else:
                    reg += "[^/]*"
                    detected = MatchType.REGEXP
            elif ch == "?":
                reg += "[^/]"
                detected = MatchType.REGEXP
            elif ch in _SHOULD_ESCAPE:
                reg += "\\" + ch
            elif ch == "\\":
                if pos < n:
                    reg += "\\" + chars[pos]
                    pos += 1
                    detected = MatchType.REGEXP
                else:
                    reg += "\\"
            elif ch in "[]":
                reg += ch
                detected = MatchType.REGEXP
            else:
                reg += ch
            it += 1
        if detected == MatchType.REGEXP:
            reg += "$"
            try:
                self.regexp = re.compile(translate(reg))
            except (GoRegexError, re.error) as err:
                self.error = str(err)
                raise PatternError(self.cleaned, f"syntax error in pattern ({err})") from None
        self.match_type = detected

    def match(self, path: str) -> bool:
        if self.match_type == MatchType.UNKNOWN:
            if self.error is not None:
                raise PatternError(self.cleaned, f"syntax error in pattern ({self.error})")
            self.compile()
        mt = self.match_type
        if mt == MatchType.EXACT:
            return path == self.cleaned
        if mt == MatchType.PREFIX:
            return path.startswith(self.cleaned[:-2])
        if mt == MatchType.SUFFIX:
            suffix = self.cleaned[2:]
            if path.endswith(suffix):
                return True
            return suffix[:1] == "/" and path == suffix[1:]
        assert self.regexp is not None
        return self.regexp.search(path) is not None


@dataclass
class MatchInfo:
    """Per-pattern match results of a parent directory, carried down a walk."""

    parent_matched: list[bool] = field(default_factory=list)


class PatternMatcher:
    """patternmatcher.PatternMatcher: the last pattern that matches wins; `!` patterns re-include."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[Pattern] = []
        self.exclusions = False
        for raw in patterns:
            p = gopath.trim_space(raw)
            if p == "":
                continue
            p = gopath.clean(p)
            exclusion = False
            if p[0] == "!":
                if len(p) == 1:
                    raise PatternError(raw, 'illegal exclusion pattern: "!"')
                exclusion = True
                p = p[1:]
                self.exclusions = True
            try:
                gopath.match(p, ".")
            except gopath.BadPattern as err:
                raise PatternError(raw, str(err)) from None
            self.patterns.append(Pattern(cleaned=p, exclusion=exclusion, dirs=p.split("/")))

    def matches_or_parent_matches(self, file: str) -> bool:
        """MatchesOrParentMatches: the file, or any of its parent directories, is excluded."""
        matched = False
        parent = _dir(file)
        parent_dirs = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(file)
            if not match and parent != ".":
                for i in range(len(parent_dirs)):
                    # Go ignores the error here: a parent check never fails the match.
                    match = _match_quiet(pattern, "/".join(parent_dirs[: i + 1]))
                    if match:
                        break
            if match:
                matched = not pattern.exclusion
        return matched

    def matches_using_parent_results(self, file: str, parent: MatchInfo) -> tuple[bool, MatchInfo]:
        """MatchesUsingParentResults: what BuildKit's context walker calls for every path."""
        parent_matched = parent.parent_matched
        if parent_matched and len(parent_matched) != len(self.patterns):
            raise ValueError("wrong number of values in parentMatched")
        matched = False
        info = MatchInfo([False] * len(self.patterns))
        for i, pattern in enumerate(self.patterns):
            match = parent_matched[i] if parent_matched else False
            if not match:
                if pattern.exclusion != matched:
                    continue
                match = pattern.match(file)
                if not match and not parent_matched:
                    parent_path = _dir(file)
                    if parent_path != ".":
                        dirs = parent_path.split("/")
                        for j in range(len(dirs)):
                            match = _match_quiet(pattern, "/".join(dirs[: j + 1]))
                            if match:
                                break
            info.parent_matched[i] = match
            if match:
                matched = not pattern.exclusion
        return matched, info


def _match_quiet(pattern: Pattern, path: str) -> bool:
    try:
        return pattern.match(path)
    except PatternError:
        return False


def _dir(path: str) -> str:
    """filepath.Dir."""
    head, sep, _tail = path.rpartition("/")
    if not sep:
        return "."
    return gopath.clean(head or "/")


def matches(file: str, patterns: list[str]) -> bool:
    """patternmatcher.MatchesOrParentMatches(file, patterns); "." is never excluded."""
    pm = PatternMatcher(patterns)
    file = gopath.clean(file)
    if file == ".":
        return False
    return pm.matches_or_parent_matches(file)
