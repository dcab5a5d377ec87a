"""A small reading of RUN scripts: simple commands, their `VAR=value` prefixes, and Go command lines."""

from __future__ import annotations

__all__ = ["SimpleCommand", "commands", "go_build", "is_go", "ldflag_words", "script_commands", "split_script"]

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from slimgo.lint.dockerfile.parse import Instruction, expand

_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
# wrappers and shell keywords that run the command after them unchanged
_WRAPPERS = frozenset({"sudo", "time", "nice", "nohup", "exec", "command", "xargs", "then", "do", "else", "elif",
                       "if", "while", "until", "!", "{", "}"})
_CLOSERS = frozenset({"fi", "done", "esac", "}"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash"})

_MAX_DEPTH = 32  # nested substitutions deeper than this are kept as text, unread
# two-character operators first: `&&` before `&`
_OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "\n", "(", ")")
_PLAIN = re.compile(r"[^\s'\"\\$`<>&|;()]+")
_REDIRECT = re.compile(r"&>>|&>|>>|>&|>\||<<-|<<<|<<|<&|<>|>|<")


class _Lexer:
    """POSIX shell word splitting: quotes, escapes, `$(...)`, backticks, `${...}`, operators and redirections.

    Words keep substitutions as written (``main.date=$(date +%F)``); the commands inside a substitution are
    read too and come out before the command that uses them, at a greater depth.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.out: list[tuple[tuple[str, ...], int]] = []

    def run(self) -> list[tuple[tuple[str, ...], int]]:
        self._commands(0, "")
        return self.out

    def _commands(self, depth: int, stop: str) -> None:
        """Read commands until ``stop`` (``)`` or a backquote) closes this level, or the text ends."""
        s = self.s
        words: list[str] = []
        word: list[str] | None = None
        drop_next = False  # the next word is a redirection's target
        parens = 0
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "#" and word is None:
                end = s.find("\n", self.i)
                self.i = len(s) if end < 0 else end
                continue
            elif stop and c == stop and (stop != ")" or parens == 0):
                break
            elif (m := _REDIRECT.match(s, self.i)) is not None and not (c in "<>" and s.startswith("(", m.end())):
                if word is not None and "".join(word).isdigit():
                    word = None  # the file descriptor: `2>&1`
                self.i = m.end()
                drop_next = True
            elif (op := next((o for o in _OPERATORS if s.startswith(o, self.i)), None)) is not None:
                parens += {"(": 1, ")": -1}.get(op, 0)
                self.i += len(op)
                word, drop_next = self._end_word(words, word, drop_next)
                self._end_command(words, depth)
                continue
            else:
                if word is None:
                    word = []
                self._word_part(word, depth)
                continue
            word, drop_next = self._end_word(words, word, drop_next)
        word, drop_next = self._end_word(words, word, drop_next)
        self._end_command(words, depth)

    def _end_word(self, words: list[str], word: list[str] | None, drop: bool) -> tuple[None, bool]:
        if word is None:
            return None, drop
        if not drop:
            words.append("".join(word))
        return None, False

    def _end_command(self, words: list[str], depth: int) -> None:
        if words:
            self.out.append((tuple(words), depth))
            words.clear()

    def _word_part(self, word: list[str], depth: int) -> None:
        """Add the next piece of an unquoted word: an escape, a quoted string, a substitution or a character."""
        s, i = self.s, self.i
        plain = _PLAIN.match(s, i)
        if plain is not None:  # ordinary characters, taken in one step
            word.append(plain.group(0))
            self.i = plain.end()
            return
        c = s[i]
        if c == "\\":
            word.append(s[i + 1 : i + 2])
            self.i = i + 2
        elif c == "'":
            end = s.find("'", i + 1)
            end = len(s) if end < 0 else end
            word.append(s[i + 1 : end])
            self.i = end + 1
        elif c == '"':
            self._double_quoted(word, depth)
        elif self._substitution(word, depth):
            pass
        else:
            word.append(c)
            self.i = i + 1

    def _double_quoted(self, word: list[str], depth: int) -> None:
        s = self.s
        self.i += 1
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\" and s[self.i + 1 : self.i + 2] in ("$", "`", '"', "\\"):
                word.append(s[self.i + 1])
                self.i += 2
            elif not self._substitution(word, depth):
                word.append(c)
                self.i += 1

    def _substitution(self, word: list[str], depth: int) -> bool:
        """At a substitution (``$(``, ``$((``, backquote, ``<(``, ``>(``, ``${``): add its text, read its commands."""
        s, start = self.s, self.i
        if s.startswith("$((", start):
            self.i = _arith_end(s, start + 3)
        elif s.startswith("${", start):
            self.i = _brace_end(s, start + 2)
        elif s.startswith(("$(", "<(", ">("), start) or s.startswith("`", start):
            if depth >= _MAX_DEPTH:
                return False
            stop = "`" if s[start] == "`" else ")"
            self.i = start + (1 if stop == "`" else 2)
            self._commands(depth + 1, stop)
            self.i += 1  # the closing `)` or backquote
        else:
            return False
        word.append(s[start : self.i])
        return True


def _arith_end(s: str, i: int) -> int:
    """The index after the ``))`` that closes an arithmetic expansion opened before ``i``."""
    level = 0
    while i < len(s):
        if s[i] == "(":
            level += 1
        elif s[i] == ")":
            if level == 0:
                return min(len(s), i + 2)
            level -= 1
        i += 1
    return len(s)


def _brace_end(s: str, i: int) -> int:
    """The index after the ``}`` that closes a parameter expansion opened before ``i`` (they may nest)."""
    level = 0
    while i < len(s):
        if s.startswith("${", i):
            level += 1
            i += 1
        elif s[i] == "}":
            if level == 0:
                return i + 1
            level -= 1
        i += 1
    return len(s)


def split_script(script: str) -> list[tuple[tuple[str, ...], int]]:
    """The simple commands of a shell script as (words, depth): depth 0 runs in the script's own shell."""
    return _Lexer(script.replace("\\\n", "")).run()


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
    """The simple commands of a RUN, in order; ``export`` and bare ``VAR=value`` carry into later ones.

    Commands inside a command substitution come before the command that uses them; what they set stays there.
    """
    raw_env: dict[str, str | None] = {k: (f"${k}" if v is None else v) for k, v in ins.env.items()}
    values: dict[str, str | None] = dict(ins.env)
    yield from _script_commands(ins.script, raw_env, values)


def script_commands(script: str, raw_env: Mapping[str, str | None],
                    values: Mapping[str, str | None]) -> Iterator[SimpleCommand]:
    """The simple commands of a script run with the given environment (a Makefile recipe, a build script)."""
    yield from _script_commands(script, dict(raw_env), dict(values))


def _script_commands(script: str, raw_env: dict[str, str | None], values: dict[str, str | None],
                     nesting: int = 0) -> Iterator[SimpleCommand]:
    for words, depth in split_script(script):
        # a substitution's shell is a child: its exports and assignments do not reach the script
        own_raw, own_values = (raw_env, values) if depth == 0 else (dict(raw_env), dict(values))
        cmd = _simple_command(list(words), own_raw, own_values)
        if cmd is None:
            continue
        if len(cmd.words) >= 3 and cmd.words[0] in _SHELLS and cmd.words[1] == "-c" and nesting < 2:
            # `sh -c "..."`: the script it runs is where the commands are
            yield from _script_commands(cmd.words[2], dict(cmd.env), dict(cmd.expanded_env), nesting + 1)
            continue
        yield cmd


def _simple_command(words: list[str], raw_env: dict[str, str | None],
                    values: dict[str, str | None]) -> SimpleCommand | None:
    """One command with its prefix assignments applied; None for `export` and bare assignments (applied)."""
    if words[0] == "export" or all(_ASSIGN.match(w) for w in words):
        for word in words:
            m = _ASSIGN.match(word)
            if m:
                raw_env[m.group(1)] = m.group(2)
                values[m.group(1)] = expand(m.group(2), values)
        return None
    local_raw = dict(raw_env)
    local_values = dict(values)
    while words and (words[0] in _WRAPPERS or words[0] == "env" or _ASSIGN.match(words[0])):
        m = _ASSIGN.match(words[0])
        if m:
            local_raw[m.group(1)] = m.group(2)
            local_values[m.group(1)] = expand(m.group(2), values)
        words = words[1:]
    if not words or (len(words) == 1 and words[0] in _CLOSERS):
        return None
    return SimpleCommand(tuple(expand(w, local_values) for w in words), local_raw, local_values)


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
    tags: str | None = None

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
    tags: str | None = None
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
            elif flag == "-tags":
                tags = value
            elif flag == "-trimpath":
                trimpath = value.lower() not in {"false", "0"}
            elif flag == "-mod":
                vendor = value == "vendor"
        else:
            packages.append(word)
        i += 1
    return GoBuild(ldflags, trimpath, vendor, tuple(packages), gcflags, tags)


def ldflag_words(ldflags: str) -> list[str]:
    """The linker flags as the go command splits -ldflags (quoted fields), without the values of -X."""
    fields = re.findall(r"""'[^']*'|"[^"]*"|[^\s'"]+""", ldflags)
    words: list[str] = []
    skip = False
    for field in fields:
        if skip:
            skip = False
            continue
        if field in ("-X", "--X"):
            skip = True  # `-X name=value`: the value is the program's, not a linker flag
            continue
        words.append(field)
    return words
