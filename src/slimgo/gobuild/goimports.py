"""The package clause and import declarations of one Go source file, with their positions, as go/parser reads them."""

from __future__ import annotations

__all__ = ["GoFileHead", "GoSyntaxError", "ImportSpec", "blank_out", "parse_head"]

from dataclasses import dataclass


class GoSyntaxError(ValueError):
    """The head of a Go file (package clause and imports) does not parse; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class ImportSpec:
    """One import: ``name`` is None, "_", "." or an identifier. ``start``/``end`` span what removing it must blank
    (the whole declaration when it is not in a group, and a `;` written after it)."""

    name: str | None
    path: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class GoFileHead:
    package: str
    package_line: int
    imports: tuple[ImportSpec, ...]


@dataclass(frozen=True)
class _Token:
    kind: str  # "ident", "string", or the punctuation itself: "(", ")", ";", "."
    text: str
    start: int
    end: int
    line: int


def _skip_space(src: str, pos: int) -> int:
    """Past whitespace and comments (a /* */ comment may span lines)."""
    while pos < len(src):
        char = src[pos]
        if char in " \t\r\n\ufeff":
            pos += 1
        elif src.startswith("//", pos):
            newline = src.find("\n", pos)
            pos = len(src) if newline < 0 else newline
        elif src.startswith("/*", pos):
            close = src.find("*/", pos + 2)
            if close < 0:
                raise GoSyntaxError(src.count("\n", 0, pos) + 1, "comment not terminated")
            pos = close + 2
        else:
            break
    return pos


def _string_end(src: str, pos: int, line: int) -> int:
    quote = src[pos]
    index = pos + 1
    while index < len(src):
        char = src[index]
        if char == quote:
            return index + 1
        if quote == '"' and char == "\\":
            index += 2
            continue
        if quote == '"' and char == "\n":
            break
        index += 1
    raise GoSyntaxError(line, "string literal not terminated")


def _token_at(src: str, pos: int) -> _Token | None:
    """The token starting at or after ``pos`` (None at the end of the source)."""
    pos = _skip_space(src, pos)
    if pos >= len(src):
        return None
    line = src.count("\n", 0, pos) + 1
    char = src[pos]
    if char.isalpha() or char == "_":
        end = pos + 1
        while end < len(src) and (src[end].isalnum() or src[end] == "_"):
            end += 1
        return _Token("ident", src[pos:end], pos, end, line)
    if char in "\"`":
        end = _string_end(src, pos, line)
        return _Token("string", src[pos:end], pos, end, line)
    return _Token(char if char in "();." else "other", char, pos, pos + 1, line)


def _unquote(token: _Token) -> str:
    body = token.text[1:-1]
    if token.text[0] == "`" or "\\" not in body:
        return body
    import json

    try:
        return str(json.loads(token.text))  # Go's escapes in an import path are JSON's, in practice
    except ValueError:
        raise GoSyntaxError(token.line, f"cannot read the import path {token.text}") from None


class _Parser:
    """Reads tokens one at a time, so nothing past the imports is ever looked at."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.last_line = 1

    def peek(self) -> _Token | None:
        return _token_at(self.src, self.pos)

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise GoSyntaxError(self.last_line, "unexpected end of file")
        self.pos, self.last_line = token.end, token.line
        return token

    def skip_semicolon(self, end: int) -> int:
        token = self.peek()
        if token is not None and token.kind == ";":
            self.pos = token.end
            return token.end
        return end

    def spec(self, decl_start: int | None) -> ImportSpec:
        first = path = self.take()
        name = None
        if first.kind in ("ident", "."):
            name, path = first.text, self.take()
            if first.kind == "ident" and "\n" in self.src[first.end:path.start]:
                raise GoSyntaxError(first.line, "missing import path")  # Go ends the line after a name
        if path.kind != "string":
            raise GoSyntaxError(path.line, f"expected an import path, found {path.text!r}")
        start = first.start if decl_start is None else decl_start
        return ImportSpec(name, _unquote(path), path.line, start, self.skip_semicolon(path.end))

    def head(self) -> GoFileHead:
        keyword = self.take()
        if keyword.text != "package":
            raise GoSyntaxError(keyword.line, "expected the package clause")
        name = self.take()
        if name.kind != "ident" or name.text == "_":
            raise GoSyntaxError(name.line, f"invalid package name {name.text!r}")
        self.skip_semicolon(name.end)
        imports: list[ImportSpec] = []
        while (token := self.peek()) is not None and token.kind == "ident" and token.text == "import":
            self.take()
            if (opening := self.peek()) is not None and opening.kind == "(":
                self.take()
                while (inner := self.peek()) is not None and inner.kind != ")":
                    imports.append(self.spec(None))
                self.take()
                self.skip_semicolon(0)
            else:
                imports.append(self.spec(token.start))
        return GoFileHead(name.text, name.line, tuple(imports))


def parse_head(src: str) -> GoFileHead:
    """The package clause and every import of Go source ``src`` (what go/parser's ImportsOnly mode reads)."""
    return _Parser(src).head()


def blank_out(src: str, spans: list[tuple[int, int]]) -> str:
    """``src`` with each span replaced by spaces, its newlines kept, so every other line keeps its number."""
    chars = list(src)
    for start, end in spans:
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = " "
    return "".join(chars)
