"""Translate the Go (RE2, Perl flags) regular expressions patternmatcher builds into Python ``re`` patterns.

patternmatcher hands the text between ``[`` and ``]`` and every character after a ``\\`` straight to Go's
regexp, so a faithful port must read that text the way Go does: POSIX classes, Perl classes, octal and
hex escapes, ``\\Q...\\E``, and Go's errors where Python would accept something else.
"""

from __future__ import annotations

__all__ = ["GoRegexError", "translate"]

import re

MAX_RUNE = 0x10FFFF

Ranges = list[tuple[int, int]]

_PERL: dict[str, Ranges] = {
    "d": [(0x30, 0x39)],
    "s": [(0x9, 0xA), (0xC, 0xD), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}

_POSIX: dict[str, Ranges] = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x0, 0x7F)],
    "blank": [(0x9, 0x9), (0x20, 0x20)],
    "cntrl": [(0x0, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x9, 0xD), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}

_SIMPLE_ESCAPES = {"a": 0x7, "f": 0xC, "n": 0xA, "r": 0xD, "t": 0x9, "v": 0xB}


class GoRegexError(ValueError):
    """Go's regexp.Compile would reject this expression (or it uses a feature the port does not carry)."""


def _negate(ranges: Ranges) -> Ranges:
    out: Ranges = []
    nxt = 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= MAX_RUNE:
        out.append((nxt, MAX_RUNE))
    return out


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _class(ranges: Ranges) -> str:
    if not ranges:
        return f"[^{_char(0)}-{_char(MAX_RUNE)}]"  # Go's empty class: matches nothing
    parts = [_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in sorted(ranges)]
    return "[" + "".join(parts) + "]"


def _isalnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _unhex(c: str) -> int:
    return int(c, 16) if c in "0123456789abcdefABCDEF" and c else -1


def _parse_escape(s: str, i: int) -> tuple[int, int]:
    """Go parseEscape: ``s[i]`` is the backslash; returns (rune, next index)."""
    start = i
    i += 1
    if i >= len(s):
        raise GoRegexError("trailing backslash at end of expression")
    c = s[i]
    i += 1
    if c in "1234567" and not (i < len(s) and "0" <= s[i] <= "7"):
        raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
    if c in "01234567":
        r = ord(c) - 0x30
        for _ in range(2):
            if i >= len(s) or not ("0" <= s[i] <= "7"):
                break
            r = r * 8 + ord(s[i]) - 0x30
            i += 1
        return r, i
    if c == "x" and i < len(s):
        c2 = s[i]
        i += 1
        if c2 == "{":
            nhex = 0
            r = 0
            while True:
                if i >= len(s):
                    raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
                d = s[i]
                i += 1
                if d == "}":
                    break
                v = _unhex(d)
                if v < 0:
                    raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
                r = r * 16 + v
                if r > MAX_RUNE:
                    raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
                nhex += 1
            if nhex == 0:
                raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
            return r, i
        x = _unhex(c2)
        if i >= len(s):
            raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
        y = _unhex(s[i])
        i += 1
        if x < 0 or y < 0:
            raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")
        return x * 16 + y, i
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i
    if c.isascii() and not _isalnum(c):
        return ord(c), i
    raise GoRegexError(f"invalid escape sequence: `{s[start:i]}`")


def _perl_class(s: str, i: int) -> tuple[Ranges, int] | None:
    if i + 1 < len(s) and s[i] == "\\" and s[i + 1].lower() in _PERL:
        ranges = _PERL[s[i + 1].lower()]
        return (_negate(ranges) if s[i + 1].isupper() else list(ranges)), i + 2
    return None


def _parse_class(s: str, i: int) -> tuple[str, int]:
    """Go parseClass: ``s[i]`` is '['; returns (python class, index after ']')."""
    whole_start = i
    i += 1
    negated = False
    if i < len(s) and s[i] == "^":
        negated = True
        i += 1
    ranges: Ranges = []
    first = True
    while i >= len(s) or s[i] != "]" or first:
        if i >= len(s):
            raise GoRegexError(f"missing closing ]: `{s[whole_start:]}`")
        first = False
        if s.startswith("[:", i) and len(s) - i > 2:
            end = s.find(":]", i + 2)
            if end >= 0:
                name = s[i : end + 2]
                key = name[2:-2]
                sign = +1
                if key.startswith("^"):
                    sign, key = -1, key[1:]
                if key not in _POSIX:
                    raise GoRegexError(f"invalid character class range: `{name}`")
                ranges += _POSIX[key] if sign > 0 else _negate(_POSIX[key])
                i = end + 2
                continue
        if s.startswith(("\\p", "\\P"), i):
            raise GoRegexError("Unicode classes (\\p) are not supported by slimgo's port")
        perl = _perl_class(s, i)
        if perl is not None:
            ranges += perl[0]
            i = perl[1]
            continue
        rng_start = i
        lo, i = _class_char(s, i, whole_start)
        hi = lo
        if i + 1 < len(s) and s[i] == "-" and s[i + 1] != "]":
            hi, i = _class_char(s, i + 1, whole_start)
            if hi < lo:
                raise GoRegexError(f"invalid character class range: `{s[rng_start:i]}`")
        ranges.append((lo, hi))
    i += 1
    return _class(_negate(ranges) if negated else ranges), i


def _class_char(s: str, i: int, whole_start: int) -> tuple[int, int]:
    if i >= len(s):
        raise GoRegexError(f"missing closing ]: `{s[whole_start:]}`")
    if s[i] == "\\":
        return _parse_escape(s, i)
    return ord(s[i]), i + 1


_ATOM, _ANCHOR, _REPEAT, _OPEN, _START = "atom", "anchor", "repeat", "open", "start"


def _parse_int(s: str, i: int) -> tuple[int | None, int]:
    """Go parseInt: decimal digits, no leading zero unless alone; None when absent or too large."""
    start = i
    while i < len(s) and s[i].isascii() and s[i].isdigit():
        i += 1
    digits = s[start:i]
    if not digits or (len(digits) > 1 and digits[0] == "0"):
        return None, start
    if len(digits) >= 8:
        return -1, i  # Go: "parseInt found too big a number"
    return int(digits), i


def _parse_repeat(s: str, i: int) -> tuple[int, int, int] | None:
    """Go parseRepeat at ``s[i] == '{'``: (min, max or -1, next index), or None when it is a literal '{'."""
    lo, j = _parse_int(s, i + 1)
    if lo is None or j >= len(s):
        return None
    if s[j] != ",":
        hi = lo
    else:
        j += 1
        if j >= len(s):
            return None
        if s[j] == "}":
            hi = -1
        else:
            hi_val, j = _parse_int(s, j)
            if hi_val is None:
                return None
            hi = hi_val
            if hi < 0:
                lo = -1
    if j >= len(s) or s[j] != "}":
        return None
    return lo, hi, j + 1


# Characters that stand for themselves in the translation, with what they leave behind for a following repeat.
_PLAIN = {"|": ("|", _START), "^": (r"(?:\A)", _ANCHOR), "$": (r"(?:\Z)", _ANCHOR), ".": (".", _ATOM)}
# `^`, `$`: Go may repeat an empty-width assertion; Python only inside a group.
_ASSERTIONS = {"A": r"(?:\A)", "z": r"(?:\Z)", "b": r"(?a:\b)", "B": r"(?a:\B)"}


class _Translator:
    """Go's regexp parser reduced to what the translation needs: the last thing read and the group depth."""

    def __init__(self, goexpr: str) -> None:
        self.s = goexpr
        self.out: list[str] = []
        self.last = _START
        self.depth = 0
        self.i = 0

    def run(self) -> str:
        while self.i < len(self.s):
            self._step(self.s[self.i])
        if self.depth:
            raise GoRegexError(f"missing closing ): `{self.s}`")
        return "".join(self.out)

    def _emit(self, text: str, last: str, nxt: int) -> None:
        self.out.append(text)
        self.last = last
        self.i = nxt

    def _step(self, c: str) -> None:
        i = self.i
        if c in "*?+":
            self._repeat(c, i + 1)
        elif c == "{":
            self._brace()
        elif c in _PLAIN:
            self._emit(*_PLAIN[c], i + 1)
        elif c == "(":
            self.depth += 1
            self._emit("(", _OPEN, i + 1)
        elif c == ")":
            if self.depth == 0:
                raise GoRegexError(f"unexpected ): `{self.s}`")
            self.depth -= 1
            self._emit(")", _ATOM, i + 1)
        elif c == "[":
            cls, nxt = _parse_class(self.s, i)
            self._emit(cls, _ATOM, nxt)
        elif c == "\\":
            self._backslash()
        else:
            self._emit(re.escape(c), _ATOM, i + 1)

    def _repeat(self, text: str, nxt: int) -> None:
        if self.last in (_START, _OPEN):
            raise GoRegexError(f"missing argument to repetition operator: `{self.s[self.i:nxt]}`")
        if self.last == _REPEAT:
            raise GoRegexError(f"invalid nested repetition operator: `{self.s[self.i:nxt]}`")
        if nxt < len(self.s) and self.s[nxt] == "?":  # Perl's non-greedy suffix, not a second repeat
            text += "?"
            nxt += 1
        self._emit(text, _REPEAT, nxt)

    def _brace(self) -> None:
        rep = _parse_repeat(self.s, self.i)
        if rep is None:  # not a repeat count: a literal brace
            self._emit(re.escape("{"), _ATOM, self.i + 1)
            return
        lo, hi, nxt = rep
        if lo < 0 or lo > 1000 or hi > 1000 or (hi >= 0 and lo > hi):
            raise GoRegexError(f"invalid repeat count: `{self.s[self.i:nxt]}`")
        self._repeat(f"{{{lo},{'' if hi < 0 else hi}}}", nxt)

    def _backslash(self) -> None:
        s, i = self.s, self.i
        kind = s[i + 1] if i + 1 < len(s) else ""
        if kind == "C":
            raise GoRegexError("invalid escape sequence: `\\C`")
        if kind in ("p", "P"):
            raise GoRegexError("Unicode classes (\\p) are not supported by slimgo's port")
        if kind == "Q":
            lit, sep, _rest = s[i + 2 :].partition("\\E")
            self._emit("".join(re.escape(ch) for ch in lit), _ATOM if lit else self.last, i + 2 + len(lit) + len(sep))
        elif kind in _ASSERTIONS:
            self._emit(_ASSERTIONS[kind], _ANCHOR, i + 2)
        elif (perl := _perl_class(s, i)) is not None:
            self._emit(_class(perl[0]), _ATOM, perl[1])
        else:
            code, nxt = _parse_escape(s, i)
            self._emit(re.escape(chr(code)), _ATOM, nxt)


def translate(goexpr: str) -> str:
    """Return a Python pattern equivalent to the Go expression; raise GoRegexError where Go would."""
    return _Translator(goexpr).run()
