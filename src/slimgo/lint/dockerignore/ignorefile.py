"""Port of moby/patternmatcher/ignorefile.ReadAll that also keeps each pattern's line number."""

from __future__ import annotations

__all__ = ["IgnoreFileError", "IgnoreLine", "read_lines", "read_patterns"]

from dataclasses import dataclass

from slimgo.lint.dockerignore import gopath

# bufio.Scanner's default token limit: a longer line makes Docker fail with "token too long".
MAX_LINE = 64 * 1024


class IgnoreFileError(ValueError):
    """The file cannot be read the way Docker reads it."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


@dataclass(frozen=True)
class IgnoreLine:
    """One pattern as Docker keeps it, with where it came from."""

    line: int
    raw: str
    pattern: str  # cleaned, with a leading "!" for exceptions, exactly what ReadAll returns

    @property
    def exception(self) -> bool:
        return self.pattern.startswith("!")

    @property
    def body(self) -> str:
        return self.pattern[1:] if self.exception else self.pattern


def read_lines(text: str) -> list[IgnoreLine]:
    """ReadAll: drop a BOM, '#' comments and blank lines; trim, Clean, and strip one leading '/'."""
    out: list[IgnoreLine] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        if len(line.encode("utf-8", "surrogateescape")) > MAX_LINE:
            raise IgnoreFileError(number, "bufio.Scanner: token too long")
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            continue
        pattern = gopath.trim_space(line)
        if pattern == "":
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = gopath.trim_space(pattern[1:])
        if pattern:
            pattern = gopath.clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        out.append(IgnoreLine(number, raw_line, pattern))
    return out


def read_patterns(text: str) -> list[str]:
    """Exactly the list ignorefile.ReadAll returns."""
    return [entry.pattern for entry in read_lines(text)]
