"""Go's embedded build information (`.go.buildinfo`, Go 1.18+): toolchain, modules and build settings."""

from __future__ import annotations

__all__ = ["MAGIC", "NOT_A_GO_BINARY", "BuildInfo", "Module", "buildinfo_of", "parse_modinfo", "read_buildinfo"]

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from slimgo.elf._reader import PF_W, PF_X, PT_LOAD, ElfImage, open_elf
from slimgo.errors import ElfError, UnusableBinary

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2  # Go 1.18+: version and modinfo follow the header as varint-prefixed strings
SEARCH_LIMIT = 64 * 1024  # as debug/buildinfo: the blob sits at the start of the data
MAX_STRING = 1 << 24
NOT_A_GO_BINARY = "no Go build information (.go.buildinfo) was found"


@dataclass(frozen=True)
class Module:
    """A module line of the build info; ``replace`` is the module it was replaced by, if any."""

    path: str
    version: str
    sum: str = ""
    replace: Module | None = None


@dataclass(frozen=True)
class BuildInfo:
    """What `go version -m` prints. ``supported`` is False for a pre-1.18 binary (``note`` says why)."""

    go_version: str
    path: str = ""
    main: Module | None = None
    deps: list[Module] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    supported: bool = True
    note: str | None = None

    def setting(self, key: str) -> str | None:
        """The value of build setting ``key`` (the last one wins, as in Go), or None."""
        found = None
        for name, value in self.settings:
            if name == key:
                found = value
        return found

    def settings_dict(self) -> dict[str, str]:
        return dict(self.settings)

    def modinfo_text(self) -> str:
        """The text Go's debug.BuildInfo.String() gives, without the `go` line (as `go version -m` prints)."""
        lines: list[str] = []
        if self.path:
            lines.append(f"path\t{self.path}")

        def module_lines(word: str, mod: Module) -> None:
            if mod.replace is None:
                lines.append(f"{word}\t{mod.path}\t{mod.version}\t{mod.sum}")
            else:
                lines.append(f"{word}\t{mod.path}\t{mod.version}")
                module_lines("=>", mod.replace)
                lines.append("")  # Go writes a second newline after a replacement; keep byte equality

        if self.main is not None:
            module_lines("mod", self.main)
        for dep in self.deps:
            module_lines("dep", dep)
        for key, value in self.settings:
            key_text = _go_quote(key) if _needs_quote_key(key) else key
            value_text = _go_quote(value) if _needs_quote_value(value) else value
            lines.append(f"build\t{key_text}={value_text}")
        return "".join(line + "\n" for line in lines)


def _needs_quote_key(key: str) -> bool:
    return not key or any(c in key for c in "= \t\r\n\"`")


def _needs_quote_value(value: str) -> bool:
    return any(c in value for c in " \t\r\n\"`")


_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
            "\\": "\\\\", '"': '\\"'}


def _go_quote(text: str) -> str:
    """strconv.Quote for the printable text build settings hold."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
              '"': '"', "'": "'"}


def _quoted_prefix(text: str) -> tuple[str, int]:
    """Go's strconv.QuotedPrefix + Unquote: the unquoted value and how many characters it used."""
    if text.startswith("`"):
        end = text.find("`", 1)
        if end < 0:
            raise ValueError("unterminated raw string")
        return text[1:end], end + 1
    if not text.startswith('"'):
        raise ValueError("not a quoted string")
    out: list[str] = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = text[i + 1 : i + 2]
        if esc in _UNESCAPES:
            out.append(_UNESCAPES[esc])
            i += 2
        elif esc in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[esc]
            out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif esc.isdigit():
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            break
    raise ValueError("invalid quoted string")


def parse_modinfo(text: str) -> tuple[str, Module | None, list[Module], list[tuple[str, str]]]:
    """Parse the modinfo text (Go's debug.ParseBuildInfo): path, main module, deps, build settings."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    last: str | None = None  # "main" or "dep": which module a "=>" line replaces
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        word, _, rest = line.partition("\t")
        try:
            if word == "path":
                path = rest
            elif word in ("mod", "dep"):
                cols = rest.split("\t")
                if len(cols) not in (2, 3):
                    raise ValueError(f"expected 2 or 3 columns; got {len(cols)}")
                mod = Module(cols[0], cols[1], cols[2] if len(cols) == 3 else "")
                if word == "mod":
                    main, last = mod, "main"
                else:
                    deps.append(mod)
                    last = "dep"
            elif word == "=>":
                cols = rest.split("\t")
                if len(cols) != 3:
                    raise ValueError(f"expected 3 columns for replacement; got {len(cols)}")
                replacement = Module(cols[0], cols[1], cols[2])
                if last == "main" and main is not None:
                    main = Module(main.path, main.version, main.sum, replacement)
                elif last == "dep":
                    old = deps[-1]
                    deps[-1] = Module(old.path, old.version, old.sum, replacement)
                else:
                    raise ValueError("replacement with no module on previous line")
                last = None
            elif word == "build":
                settings.append(_parse_setting(rest))
        except (ValueError, IndexError) as err:
            raise ValueError(f"line {number}: {err}") from None
    return path, main, deps, settings


def _parse_setting(kv: str) -> tuple[str, str]:
    if not kv or kv[0] == "=":
        raise ValueError("build line with missing key")
    if kv[0] in "`\"":
        key, used = _quoted_prefix(kv)
        if kv[used : used + 1] != "=":
            raise ValueError("build line missing '=' after quoted key")
        raw = kv[used + 1 :]
    else:
        key, sep, raw = kv.partition("=")
        if not sep:
            raise ValueError("build line missing '=' after key")
    if raw[:1] in ("`", '"'):
        value, used = _quoted_prefix(raw)
        if used != len(raw):
            raise ValueError("trailing text after quoted value")
    else:
        value = raw
    return key, value


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(10):
        if pos >= len(data):
            raise ValueError("varint runs past the end of the data")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise ValueError("varint too long")


def _blob_region(image: ElfImage) -> tuple[int, int]:
    """File offset and size of where the buildinfo blob is: its section, else the first writable segment."""
    sec = image.section(".go.buildinfo")
    if sec is not None and sec.type != "SHT_NOBITS":
        return sec.offset, sec.size
    for seg in image.segments:
        if seg.type == PT_LOAD and seg.flags & (PF_X | PF_W) == PF_W:
            return seg.offset, seg.filesz
    raise UnusableBinary(image.subject, NOT_A_GO_BINARY, "inspect a binary built by the Go toolchain")


def buildinfo_of(image: ElfImage) -> BuildInfo:
    """Read the build info of an already opened ELF image."""
    start, size = _blob_region(image)
    window = image.data[start : min(start + min(size, SEARCH_LIMIT), image.size)]
    found = -1
    pos = window.find(MAGIC)
    while pos >= 0:
        if pos % 16 == 0:
            found = pos
            break
        pos = window.find(MAGIC, pos + 1)
    if found < 0:
        if len(window) < size and start + size > image.size:
            raise ElfError(image.subject, "truncated: the .go.buildinfo data lies beyond the end of the file",
                           "the file is incomplete; rebuild it or copy it again")
        raise UnusableBinary(image.subject, NOT_A_GO_BINARY, "inspect a binary built by the Go toolchain")
    # the version and modinfo strings are bounded, so a forged section size cannot make this copy large
    blob = image.data[start + found : start + min(size, found + HEADER_SIZE + 2 * (MAX_STRING + 10))]
    if len(blob) < HEADER_SIZE:
        raise ElfError(image.subject, "truncated: the Go build info header is cut short",
                       "the file is incomplete; rebuild it or copy it again")
    flags = blob[15]
    if not flags & FLAG_INLINE:
        return _old_format(image, blob)
    try:
        length, pos = _varint(blob, HEADER_SIZE)
        if length > MAX_STRING or pos + length > len(blob):
            raise ValueError("the Go version string runs past the end of the data")
        version = blob[pos : pos + length].decode("utf-8", "replace")
        pos += length
        length, pos = _varint(blob, pos)
        if length > MAX_STRING or pos + length > len(blob):
            raise ValueError("the module information runs past the end of the data")
        modinfo = blob[pos : pos + length].decode("utf-8", "replace")
    except ValueError as err:
        raise ElfError(image.subject, f"corrupt Go build info: {err}",
                       "the binary is damaged; rebuild it with the Go toolchain") from None
    if not version:
        raise ElfError(image.subject, "corrupt Go build info: empty Go version",
                       "the binary is damaged; rebuild it with the Go toolchain")
    # modinfo is framed by two 16-byte sentinels (cmd/go/internal/modload infoStart/infoEnd)
    modinfo = modinfo[16:-16] if len(modinfo) >= 33 and modinfo[-17] == "\n" else ""
    try:
        path, main, deps, settings = parse_modinfo(modinfo)
    except ValueError as err:
        raise ElfError(image.subject, f"corrupt Go module information: {err}",
                       "the binary is damaged; rebuild it with the Go toolchain") from None
    return BuildInfo(version, path, main, deps, settings)


def _old_format(image: ElfImage, blob: bytes) -> BuildInfo:
    """A pre-1.18 binary: try to name its Go version, but report the rest as unsupported."""
    ptr_size = blob[14]
    order: Literal["little", "big"] = "big" if blob[15] & FLAG_BIG_ENDIAN else "little"
    version = "unknown (before go1.18)"
    if ptr_size in (4, 8):
        try:
            ptr = int.from_bytes(blob[16 : 16 + ptr_size], order)
            off = image.vaddr_to_offset(ptr)
            if off is not None:
                header = image.read(off, 2 * ptr_size, "Go version string header")
                data = int.from_bytes(header[:ptr_size], order)
                length = int.from_bytes(header[ptr_size:], order)
                data_off = image.vaddr_to_offset(data)
                if data_off is not None and 0 < length < 64:
                    version = image.read(data_off, length, "Go version").decode("utf-8", "replace")
        except ElfError:
            pass
    return BuildInfo(
        version,
        supported=False,
        note="build information of Go binaries older than go1.18 is unsupported; rebuild with go1.18 or newer",
    )


def read_buildinfo(path: Path) -> BuildInfo:
    """The Go build info of the binary at ``path``; raises ElfError if there is none or it is corrupt."""
    with open_elf(path) as image:
        return buildinfo_of(image)
