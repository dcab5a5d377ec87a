"""Rules SG200-SG219 about a .dockerignore file itself: broken, dead, shadowed and missing patterns."""

from __future__ import annotations

__all__ = ["lint_dockerignore", "prunes_excluded_dirs", "without_trailing_glob"]

import re

from slimgo.lint.dockerignore.ignorefile import IgnoreFileError, IgnoreLine, read_lines
from slimgo.lint.dockerignore.patternmatcher import MatchType, Pattern, PatternError, PatternMatcher
from slimgo.lint.findings import Finding, Severity

# What fsutil counts as a wildcard when it decides whether excluded directories may be skipped unread.
_FSUTIL_PATTERN_CHARS = frozenset("*[]?^\\")

# Paths nearly every Go project should keep out of its build context, with why.
COMMON_ENTRIES: tuple[tuple[str, str], ...] = (
    (".git", "the repository history"),
    (".env", "local secrets"),
)


def _finding(path: str, line: int, rule: str, sev: Severity, message: str, fix: str) -> Finding:
    return Finding(path=path, line=line, rule=rule, severity=sev, message=message, fix=fix)


def without_trailing_glob(pattern: str) -> str:
    """fsutil's patternWithoutTrailingGlob."""
    if pattern.endswith("/**"):
        pattern = pattern[:-3]
    if pattern.endswith("/*"):
        pattern = pattern[:-2]
    return pattern


def prunes_excluded_dirs(patterns: list[str]) -> bool:
    """fsutil's onlyPrefixExcludeExceptions: no `!` exception holds a wildcard, so excluded dirs stay unread."""
    exceptions = (p[1:] for p in patterns if p.startswith("!"))
    return not any(_FSUTIL_PATTERN_CHARS & set(without_trailing_glob(p)) for p in exceptions)


def sample_path(pattern: Pattern) -> str | None:
    """A concrete path the pattern matches, to reason about shadowing; None when none is easy to build."""
    body = pattern.cleaned
    if pattern.match_type == MatchType.UNKNOWN:
        try:
            pattern.compile()
        except PatternError:
            return None
    if pattern.match_type == MatchType.EXACT:
        return body
    candidate = body.replace("**/", "").replace("**", "x").replace("*", "x").replace("?", "x")
    candidate = re.sub(r"\[\^?([^\]\\])[^\]]*\]", lambda m: "x" if m.group(0)[1] == "^" else m.group(1), candidate)
    candidate = candidate.replace("\\", "")
    try:
        return candidate if candidate and pattern.match(candidate) else None
    except PatternError:
        return None


def lint_dockerignore(path: str, text: str) -> list[Finding]:
    """Every finding about the .dockerignore ``text`` read from ``path``."""
    if "\0" in text:
        return [
            _finding(path, 1, "SG201", Severity.ERROR, "file holds NUL bytes: it is binary, not a .dockerignore",
                     "replace it with a text file of patterns, one a line"),
        ]
    try:
        lines = read_lines(text)
    except IgnoreFileError as err:
        return [
            _finding(path, err.line, "SG201", Severity.ERROR,
                     f"Docker cannot read this file: {err.detail} (lines are limited to 64 KiB)",
                     "split or shorten the line"),
        ]
    findings: list[Finding] = []
    compiled: list[tuple[IgnoreLine, Pattern]] = []
    for entry in lines:
        finding = _check_syntax(path, entry)
        if finding is not None:
            findings.append(finding)
            continue
        pm = PatternMatcher([entry.pattern])
        if not pm.patterns:
            continue
        compiled.append((entry, pm.patterns[0]))
    for entry, _ in compiled:
        findings.extend(_check_dead(path, entry))
    findings.extend(_check_order(path, compiled))
    findings.extend(_check_pruning(path, compiled))
    findings.extend(_check_common(path, [p for _, p in compiled]))
    return sorted(findings)


def _check_syntax(path: str, entry: IgnoreLine) -> Finding | None:
    try:
        pm = PatternMatcher([entry.pattern])
        for pattern in pm.patterns:
            pattern.compile()
    except PatternError as err:
        return _finding(
            path, entry.line, "SG201", Severity.ERROR,
            f"invalid pattern {entry.raw.strip()!r}: {err.detail}; `docker build` fails on it",
            "fix the pattern: close '[' ranges, escape '[', ']' and '\\' with a backslash, drop a lone '!'",
        )
    return None


def _check_dead(path: str, entry: IgnoreLine) -> list[Finding]:
    body = entry.body
    out: list[Finding] = []
    if body == ".." or body.startswith("../"):
        out.append(_finding(
            path, entry.line, "SG202", Severity.WARNING,
            f"pattern {entry.raw.strip()!r} points outside the build context and can never match",
            f"delete line {entry.line}",
        ))
    elif body in (".", "/"):
        out.append(_finding(
            path, entry.line, "SG202", Severity.WARNING,
            f"pattern {entry.raw.strip()!r} names the context root, which Docker never matches",
            "use '*' (or '**') to exclude everything, then '!' lines for what the build needs",
        ))
    elif "\\" in body and re.search(r"\\[A-Za-z0-9_]", body) and "/" not in body:
        out.append(_finding(
            path, entry.line, "SG203", Severity.WARNING,
            f"pattern {entry.raw.strip()!r} uses '\\' which is an escape on Linux, not a path separator",
            "write paths with '/' (e.g. " + body.replace("\\", "/") + ")",
        ))
    return out


def _check_order(path: str, compiled: list[tuple[IgnoreLine, Pattern]]) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[tuple[str, bool], int] = {}
    for index, (entry, pattern) in enumerate(compiled):
        key = (pattern.cleaned, pattern.exclusion)
        if key in seen and not any(p.exclusion != pattern.exclusion for _, p in compiled[seen[key] + 1 : index]):
            first = compiled[seen[key]][0].line
            out.append(_finding(
                path, entry.line, "SG204", Severity.INFO,
                f"pattern {entry.pattern!r} repeats line {first}", f"delete line {entry.line}",
            ))
        seen.setdefault(key, index)
        if not pattern.exclusion:
            continue
        sample = sample_path(pattern)
        if sample is None:
            continue
        before = PatternMatcher([p.cleaned for _, p in compiled[:index] if not p.exclusion])
        if not _safe_match(before, sample):
            out.append(_finding(
                path, entry.line, "SG205", Severity.INFO,
                f"exception {entry.pattern!r} re-includes {sample!r}, which no earlier line excludes",
                f"delete line {entry.line}, or move it below the pattern it should override",
            ))
            continue
        for later_entry, later in compiled[index + 1 :]:
            if later.exclusion:
                continue
            if _safe_match(PatternMatcher([later.cleaned]), sample):
                out.append(_finding(
                    path, entry.line, "SG206", Severity.WARNING,
                    f"exception {entry.pattern!r} is undone by line {later_entry.line} ({later.cleaned!r}): "
                    "the last matching line wins",
                    f"move line {entry.line} below line {later_entry.line}",
                ))
                break
    return out


def _safe_match(pm: PatternMatcher, path: str) -> bool:
    try:
        return pm.matches_or_parent_matches(path)
    except PatternError:
        return False


def _check_pruning(path: str, compiled: list[tuple[IgnoreLine, Pattern]]) -> list[Finding]:
    for entry, pattern in compiled:
        if pattern.exclusion and _FSUTIL_PATTERN_CHARS & set(without_trailing_glob(pattern.cleaned)):
            return [_finding(
                path, entry.line, "SG207", Severity.INFO,
                f"exception {entry.pattern!r} holds a wildcard, so BuildKit must read every excluded directory "
                "(and fails on unreadable ones) instead of skipping it",
                "name the re-included paths literally (e.g. '!docs/README.md')",
            )]
    return []


def _check_common(path: str, patterns: list[Pattern]) -> list[Finding]:
    pm = PatternMatcher([("!" if p.exclusion else "") + p.cleaned for p in patterns])
    out: list[Finding] = []
    for name, why in COMMON_ENTRIES:
        if not _safe_match(pm, name):
            out.append(_finding(
                path, 1, "SG208", Severity.INFO,
                f"{name} ({why}) is not excluded; it is sent with the build context when present",
                f"add a line '{name}'",
            ))
    return out
