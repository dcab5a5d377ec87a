"""Dockerfile model: BuildKit's parser, the leading directives, stages, and the ARG/ENV values in effect."""

from __future__ import annotations

__all__ = [
    "PLATFORM_ARGS",
    "Dockerfile",
    "DockerfileSyntaxError",
    "Instruction",
    "Stage",
    "expand",
    "parse",
    "read_instructions",
]

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dockerfile

# ARGs BuildKit defines for every FROM line and (when declared with ARG) inside a stage; their values are
# only known at build time, so they stay symbolic here.
PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    }
)  # fmt: skip

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_VAR = re.compile(r"\\\$|\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_KNOWN_CMDS = frozenset(c.upper() for c in dockerfile.all_cmds())
_NEEDS_ARGS = frozenset({"FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "USER", "WORKDIR", "ARG", "ENV"})


class DockerfileSyntaxError(Exception):
    """The file is not a Dockerfile BuildKit would accept; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def expand(word: str, env: Mapping[str, str | None]) -> str:
    """Substitute ``$VAR``/``${VAR}``/``${VAR:-x}``/``${VAR:+x}`` whose values are known; keep the others as written.

    Unknown variables stay symbolic so rules can still see that a value came from, say, ``$TARGETARCH``.
    """

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "\\$":
            return m.group(0)
        name = m.group(1) or m.group(4)
        op, alt = m.group(2), m.group(3)
        value = env.get(name)
        if op is None:
            return value if value is not None else m.group(0)
        if name not in env:
            return alt if op.endswith("-") else ""
        if value is None:
            return m.group(0)
        if op == ":-":
            return value or alt
        if op == "-":
            return value
        if op == ":+":
            return alt if value else ""
        return alt  # "+": set, even if empty

    return _VAR.sub(sub, word)


@dataclass(frozen=True)
class Mount:
    """One ``RUN --mount=...``: its type (bind by default) and options."""

    type: str
    options: Mapping[str, str]

    @property
    def target(self) -> str:
        for key in ("target", "dst", "destination"):
            if key in self.options:
                return self.options[key]
        return ""


@dataclass(frozen=True)
class Instruction:
    """One instruction with its flags, arguments and the ARG/ENV values known where it runs."""

    cmd: str
    line: int
    end_line: int
    flags: tuple[str, ...]
    args: tuple[str, ...]
    json: bool
    original: str
    heredocs: tuple[str, ...]
    env: Mapping[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    sub_cmd: str | None = None  # the instruction an ONBUILD defers (ARG, COPY, RUN ...)

    def flag(self, name: str) -> list[str]:
        """Values of ``--name=value`` flags (``--name`` alone gives "true")."""
        out: list[str] = []
        for f in self.flags:
            key, sep, value = f.partition("=")
            if key == f"--{name}":
                out.append(value if sep else "true")
        return out

    @property
    def mounts(self) -> list[Mount]:
        mounts = []
        for spec in self.flag("mount"):
            options: dict[str, str] = {}
            for part in spec.split(","):
                key, _, value = part.partition("=")
                options[key.strip().lower()] = expand(value.strip(), self.env)
            mounts.append(Mount(options.get("type", "bind"), options))
        return mounts

    @property
    def script(self) -> str:
        """The shell text a RUN executes (exec form joined by spaces, heredoc bodies appended)."""
        return "\n".join([" ".join(self.args), *self.heredocs])


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` and the instructions up to the next one."""

    index: int
    name: str | None
    image: str  # the base after ARG expansion: an image reference, ``scratch`` or an earlier stage's name
    raw_image: str
    platform: str | None
    line: int
    instructions: tuple[Instruction, ...]
    parent: Stage | None  # the earlier stage this one is built FROM, if any
    declared_args: frozenset[str]
    env: Mapping[str, str | None]  # ENV values at the end of the stage (what a child stage inherits)

    def chain(self) -> list[Stage]:
        """This stage and the stages it is built FROM, nearest first."""
        out: list[Stage] = []
        stage: Stage | None = self
        while stage is not None and len(out) <= self.index:  # parents come earlier: at most index+1 steps
            out.append(stage)
            stage = stage.parent
        return out

    @property
    def root(self) -> Stage:
        return self.chain()[-1]

    def all_instructions(self) -> list[Instruction]:
        """Instructions of this stage and of the stages it is built FROM, oldest first."""
        return [ins for stage in reversed(self.chain()) for ins in stage.instructions]

    def label(self) -> str:
        return f"stage '{self.name}'" if self.name else f"stage {self.index}"


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: directives, global ARGs and stages (the last one is what `docker build` ships)."""

    directives: Mapping[str, str]
    global_args: Mapping[str, str | None]
    global_arg_lines: Mapping[str, int]  # where each ARG before the first FROM is declared
    stages: tuple[Stage, ...]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def parse_directives(text: str) -> dict[str, str]:
    """The parser directives (``# syntax=``, ``# escape=``, ``# check=``): comments before anything else."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = _DIRECTIVE.match(line.strip())
        if not m or m.group(1).lower() in found:
            break
        found[m.group(1).lower()] = m.group(2)
    return found


def _locate(text: str, message: str) -> int:
    """BuildKit's errors carry no line: find the shortest prefix of the file that fails the same way."""
    lines = text.splitlines(keepends=True)
    lo, hi = 1, len(lines)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            dockerfile.parse_string("".join(lines[:mid]))
            failed = False
        except dockerfile.GoParseError as err:
            failed = str(err) == message
        if failed:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _split_from(ins: Instruction) -> tuple[str, str | None]:
    args = list(ins.args)
    if len(args) == 3 and args[1].lower() == "as":
        return args[0], args[2]
    if len(args) != 1:
        raise DockerfileSyntaxError(ins.line, "FROM takes an image and an optional `AS name`")
    return args[0], None


def unquote(value: str) -> str:
    """BuildKit word processing of an ARG/ENV value: quotes removed, backslash escapes resolved."""
    if not any(c in value for c in "\"'\\"):
        return value
    try:
        return " ".join(shlex.split(value))
    except ValueError:
        return value


def _arg_decls(ins: Instruction) -> list[tuple[str, str | None]]:
    decls = []
    for arg in ins.args:
        name, sep, value = arg.partition("=")
        decls.append((name, unquote(value) if sep else None))
    return decls


def _env_pairs(ins: Instruction) -> list[tuple[str, str]]:
    args = list(ins.args)
    return [(args[i], unquote(args[i + 1])) for i in range(0, len(args) - 1, 2)]


def _validate(ins: Instruction) -> None:
    if ins.cmd not in _KNOWN_CMDS:
        raise DockerfileSyntaxError(ins.line, f"unknown instruction {ins.cmd}")
    if ins.cmd in _NEEDS_ARGS and not ins.json and not any(a.strip() for a in ins.args):
        raise DockerfileSyntaxError(ins.line, f"{ins.cmd} needs at least one argument")
    if ins.cmd in {"COPY", "ADD"} and len(ins.args) < 2:
        raise DockerfileSyntaxError(ins.line, f"{ins.cmd} needs a source and a destination")


@dataclass
class _OpenStage:
    """A stage being read: its FROM facts, instructions so far, ARG and ENV values."""

    index: int
    name: str | None
    image: str
    raw_image: str
    platform: str | None
    line: int
    parent: Stage | None
    body: list[Instruction] = field(default_factory=list)
    args: dict[str, str | None] = field(default_factory=dict)
    envs: dict[str, str | None] = field(default_factory=dict)

    def values(self) -> dict[str, str | None]:
        return {**self.args, **self.envs}  # ENV wins over an ARG of the same name

    def close(self) -> Stage:
        return Stage(
            self.index, self.name, self.image, self.raw_image, self.platform, self.line,
            tuple(self.body), self.parent, frozenset(self.args), dict(self.envs),
        )  # fmt: skip


def read_instructions(text: str) -> list[Instruction]:
    """The instructions as BuildKit's parser reads them (no stage or argument checks yet)."""
    commands, patched = _parse_commands(text)
    for cmd in commands:
        if cmd.cmd is None:  # a lone `\` continuation: the parser yields a command without a name
            raise DockerfileSyntaxError(cmd.start_line, "a line continuation with no instruction")
    out = []
    for cmd in commands:
        args, is_json = tuple(cmd.value), bool(cmd.json)
        original = cmd.original
        if cmd.start_line in patched:
            args = tuple(a.replace(_MARK, "", 1) for a in args)
            original = original.replace(_MARK, "", 1)
        if is_json and cmd.cmd.upper() in _EXEC_FORM_CMDS:
            args, is_json = _strict_exec_form(cmd.cmd.upper(), original, args)
        out.append(Instruction(
            cmd=cmd.cmd.upper(), line=cmd.start_line, end_line=cmd.end_line, flags=tuple(cmd.flags),
            args=args, json=is_json, original=original, heredocs=tuple(h.content for h in cmd.heredocs),
            sub_cmd=cmd.sub_cmd.upper() if cmd.sub_cmd else None,
        ))
    return out


_NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only"
_MARK = "\ue000"  # hides a `[` from the bundled parser on a line BuildKit reads as shell form
_MAX_PATCHES = 64
_JSON_REST = re.compile(r"(\s*\S+(?:\s+--\S+)*\s*)(\[.*)$", re.S)


def _parse_commands(text: str) -> tuple[list[Any], set[int]]:
    """The bundled parser's commands, and the lines where a `[` was hidden from it.

    It rejects `CMD ["a", 1] x` for its non-string element; BuildKit first finds the text after the array,
    so the line is shell form there. Such lines are parsed again with the `[` hidden, then restored.
    """
    patched: set[int] = set()
    for _ in range(_MAX_PATCHES):
        try:
            return dockerfile.parse_string(text), patched
        except dockerfile.GoParseError as err:
            message = str(err)
            if message == "file with no instructions":
                raise DockerfileSyntaxError(0, "the file holds no instructions") from None
            line = _locate(text, message)
            fixed = _hide_json(text, line) if message == _NOT_STRINGS and line not in patched else None
            if fixed is None:
                raise DockerfileSyntaxError(line, message) from None
            text = fixed
            patched.add(line)
    raise DockerfileSyntaxError(0, "too many lines that look like JSON arrays")


def _hide_json(text: str, line: int) -> str | None:
    lines = text.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return None
    m = _JSON_REST.match(lines[line - 1])
    if m is None:
        return None
    try:
        json.loads(m.group(2))
        return None  # a complete array with a non-string in it: BuildKit rejects it too
    except ValueError:
        pass
    lines[line - 1] = m.group(1) + _MARK + m.group(2)
    return "".join(lines)


# Instructions whose JSON form BuildKit decides with a strict decoder; the bundled parser reads one JSON value
# and ignores what follows it, so `CMD ["/app"]%` would look like exec form when BuildKit runs it under a shell.
_EXEC_FORM_CMDS = frozenset({"CMD", "ENTRYPOINT", "RUN", "COPY", "ADD"})
_FLAG_WORD = re.compile(r"\s*--\S*")


def _strict_exec_form(name: str, original: str, args: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The arguments and exec-form flag as BuildKit's parseMaybeJSON decides them (json.Unmarshal, no trailer)."""
    rest = original.strip()[len(name):]
    if name in {"RUN", "COPY", "ADD"}:
        while (m := _FLAG_WORD.match(rest)) is not None and m.group(0).strip():
            rest = rest[m.end():]
    rest = rest.strip()
    try:
        json.loads(rest)
    except ValueError:
        # shell form: the text as written (COPY and ADD split it on whitespace)
        return (tuple(rest.split()) if name in {"COPY", "ADD"} else (rest,)), False
    return args, True


def parse(text: str, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse ``text``; raise DockerfileSyntaxError (with the line) for what BuildKit would reject.

    ``build_args`` are the values `docker build --build-arg` would give; they apply to declared ARGs only.
    A global ARG with no value is unset for FROM lines, as in BuildKit (``${X:-default}`` gives the default),
    and a bare ``$X`` stays as written so rules can say it could not be resolved.
    """
    given = dict(build_args or {})
    global_scope: dict[str, str | None] = dict.fromkeys(PLATFORM_ARGS)
    global_args: dict[str, str | None] = {}
    global_lines: dict[str, int] = {}
    stages: list[Stage] = []
    by_name: dict[str, Stage] = {}
    current: _OpenStage | None = None
    for ins in read_instructions(text):
        _validate(ins)
        if ins.cmd == "FROM":
            if current is not None:
                stages.append(current.close())
                if current.name:
                    by_name[current.name.lower()] = stages[-1]
            raw, name = _split_from(ins)
            image = expand(raw, global_scope)
            parent = by_name.get(image.lower())
            platforms = ins.flag("platform")
            current = _OpenStage(
                len(stages), name, image, raw, platforms[-1] if platforms else None, ins.line, parent,
                envs=dict(parent.env) if parent else {},
            )
            continue
        if current is None:
            if ins.cmd != "ARG":
                raise DockerfileSyntaxError(ins.line, f"{ins.cmd} before the first FROM (only ARG may come first)")
            for name, value in _arg_decls(ins):
                resolved = given.get(name, None if value is None else expand(value, global_scope))
                global_args[name] = resolved
                global_lines[name] = ins.line
                if resolved is not None or name in PLATFORM_ARGS:
                    global_scope[name] = resolved
                else:
                    global_scope.pop(name, None)
            continue
        if ins.cmd == "ARG":
            for name, value in _arg_decls(ins):
                if name in given:
                    current.args[name] = given[name]
                elif value is not None:
                    current.args[name] = expand(value, current.values())
                else:
                    current.args[name] = global_args.get(name)
        elif ins.cmd == "ENV":
            for name, value in _env_pairs(ins):
                current.envs[name] = expand(value, current.values())
        current.body.append(Instruction(**{**ins.__dict__, "env": current.values()}))
    if current is None:
        raise DockerfileSyntaxError(0, "no FROM instruction")
    stages.append(current.close())
    return Dockerfile(parse_directives(text), global_args, global_lines, tuple(stages))
