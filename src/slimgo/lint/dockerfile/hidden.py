"""The go build lines a RUN hides behind `make` or a script, read from the build context next to the Dockerfile."""

from __future__ import annotations

__all__ = ["MAX_FILE", "expand_make", "hidden_script", "parse_makefile", "read_text", "runs_hidden_build"]

import re
from dataclasses import dataclass
from pathlib import Path

MAX_FILE = 1024 * 1024  # a Makefile or build script is small; a larger file is not read
MAX_TARGETS = 64  # targets followed through prerequisites and $(MAKE) calls
_SCRIPT_SUFFIXES = (".sh", ".bash")
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_ASSIGN = re.compile(r"^(?:export\s+|override\s+)*([A-Za-z_][A-Za-z0-9_.]*)\s*([?:+!]?:?=)\s*(.*)$")
_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_ ]*)\s*$")
_RULE = re.compile(r"^([^\s:=#][^:=]*?)\s*::?(?![=])\s*([^;]*)(?:;(.*))?$")
_REF = re.compile(r"\$(?:\(([A-Za-z_][A-Za-z0-9_.]*)\)|\{([A-Za-z_][A-Za-z0-9_.]*)\}|([A-Za-z_@<^]))")


@dataclass(frozen=True)
class Hidden:
    """A script that a RUN command runs: its shell text, exported variables, and where it came from."""

    script: str
    env: dict[str, str]
    source: str  # e.g. "Makefile target build" or "scripts/build.sh"


@dataclass
class Makefile:
    variables: dict[str, str]
    exported: set[str]
    rules: dict[str, tuple[list[str], list[str]]]  # target -> (prerequisites, recipe lines)
    first: str | None


def read_text(root: Path, rel: str) -> str | None:
    """A file of the build context, or None when it is missing, too large, or outside the context."""
    try:
        base = root.resolve()
        path = (base / rel).resolve()
        if not path.is_relative_to(base) or not path.is_file() or path.stat().st_size > MAX_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def parse_makefile(text: str) -> Makefile:
    """Variables, exports and explicit rules with their recipes (conditionals are read as if every branch ran)."""
    mk = Makefile({}, set(), {}, None)
    current: list[str] | None = None
    for line in text.replace("\\\n", " ").splitlines():
        if line.startswith("\t"):
            if current is not None:
                current.append(line[1:])
            continue
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        current = None
        if (m := _EXPORT.match(stripped)) is not None:
            mk.exported.update(m.group(1).split())
        elif (m := _ASSIGN.match(stripped)) is not None:
            name, op, value = m.groups()
            if op == "?=" and name in mk.variables:
                continue
            mk.variables[name] = f"{mk.variables.get(name, '')} {value}".strip() if op == "+=" else value
            if stripped.startswith("export"):
                mk.exported.add(name)
        elif (m := _RULE.match(stripped)) is not None and "%" not in m.group(1):
            recipe = [m.group(3).strip()] if m.group(3) else []
            for target in m.group(1).split():
                prereqs, lines = mk.rules.setdefault(target, ([], []))
                prereqs += m.group(2).split()
                lines += recipe
                if mk.first is None and not target.startswith("."):
                    mk.first = target
            current = mk.rules[m.group(1).split()[0]][1] if m.group(1).split() else None
    return mk


def expand_make(text: str, variables: dict[str, str], depth: int = 0) -> str:
    """Substitute $(VAR) and ${VAR} as make does before the shell sees a recipe; $$ is a literal $."""
    if depth > 8:
        return text
    parts = text.split("$$")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name is None:
            return "" if m.group(3) in "@<^" else m.group(0)
        if name == "MAKE":
            return "make"
        value = variables.get(name)
        return m.group(0) if value is None else expand_make(value, variables, depth + 1)

    return "$".join(_REF.sub(sub, part) for part in parts)


def _make_args(words: tuple[str, ...]) -> tuple[str, str, list[str], dict[str, str]]:
    """Directory, makefile, targets and command-line variables of a `make` command."""
    directory, makefile, targets, overrides = ".", "Makefile", [], {}
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-C", "--directory") and i + 1 < len(words):
            directory, i = words[i + 1], i + 2
            continue
        if word in ("-f", "--file", "--makefile") and i + 1 < len(words):
            makefile, i = words[i + 1], i + 2
            continue
        if word.startswith("-C") and len(word) > 2:
            directory = word[2:]
        elif not word.startswith("-"):
            name, sep, value = word.partition("=")
            if sep and re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name):
                overrides[name] = value
            else:
                targets.append(word)
        i += 1
    return directory, makefile, targets, overrides


def _recipes(mk: Makefile, targets: list[str]) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(targets))
    while stack and len(seen) < MAX_TARGETS:
        target = stack.pop()
        if target in seen or target not in mk.rules:
            continue
        seen.add(target)
        prereqs, recipe = mk.rules[target]
        stack += reversed(prereqs)
        for line in recipe:
            lines.append(line.lstrip("@-+ \t"))
            called = re.match(r"^(?:\$\(MAKE\)|\$\{MAKE\}|make)\s+(.*)$", line.lstrip("@-+ \t"))
            if called is not None:
                stack += reversed([w for w in called.group(1).split() if not w.startswith("-") and "=" not in w])
    return lines


def hidden_script(words: tuple[str, ...], root: Path | None) -> Hidden | None:
    """The script behind ``make ...``, ``./build.sh`` or ``sh scripts/build.sh``, read from ``root``."""
    if root is None or not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    if name in {"make", "gmake"}:
        directory, makefile, targets, overrides = _make_args(words)
        text = read_text(root, f"{directory}/{makefile}")
        if text is None and makefile == "Makefile":
            text = read_text(root, f"{directory}/makefile") or read_text(root, f"{directory}/GNUmakefile")
        if text is None:
            return None
        mk = parse_makefile(text)
        mk.variables.update(overrides)
        chosen = targets or ([mk.first] if mk.first else [])
        script = "\n".join(expand_make(line, mk.variables) for line in _recipes(mk, chosen))
        env = {k: expand_make(v, mk.variables) for k, v in mk.variables.items() if k in mk.exported}
        where = f"{directory}/{makefile}".removeprefix("./")
        return Hidden(script, env, f"{where} target {' '.join(chosen) or '(none)'}")
    path = words[1] if name in _SHELLS and len(words) > 1 and not words[1].startswith("-") else words[0]
    if not path.endswith(_SCRIPT_SUFFIXES) and not path.startswith(("./", "scripts/", "hack/", "build/")):
        return None
    if path.startswith("/"):
        return None  # a path inside the image, not the context
    text = read_text(root, path)
    return None if text is None else Hidden(text, {}, path.removeprefix("./"))


def runs_hidden_build(words: tuple[str, ...]) -> bool:
    """Whether a command hands the build to make, a task runner or a script (whose go build lines we may not see)."""
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1]
    if name in {"make", "gmake", "task", "mage", "just", "goreleaser", "bazel", "bazelisk"}:
        return True
    if name in _SHELLS and len(words) > 1 and not words[1].startswith("-"):
        return words[1].endswith(_SCRIPT_SUFFIXES)
    return words[0].startswith("./") or words[0].endswith(_SCRIPT_SUFFIXES)
