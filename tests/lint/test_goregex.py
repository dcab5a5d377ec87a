"""The Go-to-Python regular expression translation on its own: Go's answers for the corners, Go's errors."""

from __future__ import annotations

import re

import pytest

from slimgo.lint.dockerignore.goregex import GoRegexError, translate


@pytest.mark.parametrize(("goexpr", "matches", "misses"), [
    ("a*?b", ["b", "aab"], ["a"]),
    ("a{2}", ["aa"], ["a", "aaa"]),
    ("a{2,}", ["aa", "aaaa"], ["a"]),
    ("a{,2}", ["a{,2}"], ["aa"]),  # not a repeat in Go: literal braces
    ("x{", ["x{"], ["x"]),
    ("(a|b)c", ["ac", "bc"], ["c"]),
    (r"\Qa.b\E.", ["a.bx"], ["axbx"]),
    (r"\d\D", ["1a"], ["11"]),
    (r"[[:^digit:]x]", ["a", "x"], ["1"]),
    (r"\x41\x{42}\101", ["ABA"], ["AB"]),
    (r"^a$", ["a"], ["ba"]),
    (r"\Aa\z", ["a"], ["a\n"]),
    (r"a\bb", [], ["ab"]),
])
def test_translation_matches_as_go_does(goexpr: str, matches: list[str], misses: list[str]) -> None:
    pattern = re.compile(translate(goexpr), re.DOTALL)
    for text in matches:
        assert pattern.fullmatch(text), (goexpr, text)
    for text in misses:
        assert not pattern.fullmatch(text), (goexpr, text)


@pytest.mark.parametrize(("goexpr", "message"), [
    ("*a", "missing argument to repetition operator"),
    ("(*)", "missing argument to repetition operator"),
    ("a|*", "missing argument to repetition operator"),
    (r"\Q\E*", "missing argument to repetition operator"),  # an empty \Q\E leaves nothing to repeat
    ("a**", "invalid nested repetition operator"),
    ("a{2}{3}", "invalid nested repetition operator"),
    ("a{1001}", "invalid repeat count"),
    ("a{3,2}", "invalid repeat count"),
    ("a)", "unexpected )"),
    ("(a", "missing closing )"),
    ("[a", "missing closing ]"),
    ("[z-a]", "invalid character class range"),
    ("[[:nope:]]", "invalid character class range"),
    ("a\\", "trailing backslash"),
    ("\\C", "invalid escape sequence"),
    ("\\8", "invalid escape sequence"),
    ("\\x{}", "invalid escape sequence"),
    ("\\pL", "not supported"),
])
def test_go_errors_are_raised(goexpr: str, message: str) -> None:
    with pytest.raises(GoRegexError, match=re.escape(message)):
        translate(goexpr)


def test_anchors_may_repeat_as_in_go() -> None:
    assert re.compile(translate("^*a$+")).fullmatch("a")
