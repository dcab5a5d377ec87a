"""The .dockerignore linter: broken, dead, shadowed and missing patterns, each at its line."""

from __future__ import annotations

from slimgo.lint.dockerignore import PatternMatcher, lint_dockerignore, read_lines
from slimgo.lint.dockerignore.rules import prunes_excluded_dirs
from slimgo.lint.findings import Severity


def rules_at(text: str) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in lint_dockerignore(".dockerignore", text)}


def test_invalid_pattern_is_an_error_at_its_line() -> None:
    findings = lint_dockerignore(".dockerignore", ".git\n\n# c\n[a\n")
    bad = [f for f in findings if f.rule == "SG201"]
    assert [(f.line, f.severity) for f in bad] == [(4, Severity.ERROR)]
    assert "[a" in bad[0].message and bad[0].fix


def test_pattern_that_only_fails_in_go_regexp_is_caught() -> None:
    # filepath.Match accepts it ("a" fails before the bad class is reached); Go's regexp compile does not.
    assert ("SG201", 2) in rules_at(".git\na*[\n")


def test_lone_exclamation_mark_is_rejected() -> None:
    assert ("SG201", 1) in rules_at("!\n.git\n")


def test_patterns_outside_the_context_or_naming_the_root() -> None:
    found = rules_at(".git\n../secret\n/\n")
    assert ("SG202", 2) in found and ("SG202", 3) in found


def test_windows_separator_warning() -> None:
    # \d is a valid Go regexp escape (a digit), so Docker accepts the line and it silently matches "logs5ebug".
    assert ("SG203", 2) in rules_at(".git\nlogs\\debug\n")
    # \o is not: docker build fails on the file.
    assert ("SG201", 2) in rules_at(".git\nbuild\\output\n")


def test_duplicate_pattern() -> None:
    assert ("SG204", 3) in rules_at(".git\nnode_modules\nnode_modules\n")


def test_exception_without_an_earlier_exclusion() -> None:
    assert ("SG205", 2) in rules_at(".git\n!README.md\n")


def test_exception_undone_by_a_later_line() -> None:
    findings = lint_dockerignore(".dockerignore", ".git\n*.md\n!README.md\n*\n")
    shadow = [f for f in findings if f.rule == "SG206"]
    assert len(shadow) == 1 and shadow[0].line == 3 and "line 4" in shadow[0].message


def test_exception_that_works_is_not_flagged() -> None:
    assert not {r for r, _ in rules_at(".git\n.env\n*.md\n!README.md\n")} & {"SG205", "SG206"}


def test_wildcard_exception_defeats_directory_pruning() -> None:
    assert ("SG207", 3) in rules_at(".git\nsrc\n!src/**/*.go\n")
    assert not prunes_excluded_dirs(["src", "!src/**/*.go"])
    assert prunes_excluded_dirs(["src", "!src/keep/**"])


def test_missing_common_entries() -> None:
    found = {f.message.split(" ")[0] for f in lint_dockerignore(".dockerignore", "node_modules\n") if f.rule == "SG208"}
    assert found == {".git", ".env"}
    assert not [f for f in lint_dockerignore(".dockerignore", "*\n!main.go\n") if f.rule == "SG208"]


def test_binary_and_overlong_lines() -> None:
    assert rules_at("a\0b") == {("SG201", 1)}
    assert rules_at(".git\n" + "x" * 70_000 + "\n") == {("SG201", 2)}


def test_read_lines_follows_docker_cleaning() -> None:
    lines = read_lines("\ufeff# c\n  /a/b/../c/  \n! d\n\n#x\n")
    assert [(entry.line, entry.pattern) for entry in lines] == [(2, "a/c"), (3, "!d")]


def test_last_matching_line_wins() -> None:
    pm = PatternMatcher(["*.md", "!README*.md", "README-secret.md"])
    assert pm.matches_or_parent_matches("a.md")
    assert not pm.matches_or_parent_matches("README.md")
    assert pm.matches_or_parent_matches("README-secret.md")
