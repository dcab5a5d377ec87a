"""The Go symbols a binary links, by package: the names of its functions and of the functions inlined into them, with
method receivers and generic instantiations normalised to the names the vulnerability database uses."""

from __future__ import annotations

__all__ = ["Symbols", "split_name", "strip_instantiation", "symbols_of"]

import re
from dataclasses import dataclass
from urllib.parse import unquote

from slimgo.elf._reader import ElfImage
from slimgo.elf.pclntab import read_header


@dataclass(frozen=True)
class Symbols:
    """``by_package`` maps an import path to the symbols of it that are linked ("Parse", "Reader.Read")."""

    by_package: dict[str, set[str]]


def strip_instantiation(name: str) -> str:
    """Drop every bracketed type-argument list: "p.(*T[go.shape.int]).M" -> "p.(*T).M", "p.F[...]" -> "p.F"."""
    if "[" not in name:
        return name
    out, depth = [], 0
    for ch in name:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


_RECEIVER_MARKS = re.compile(r"^\(\*?|\)$")


def split_name(name: str, main_path: str = "") -> tuple[str, str] | None:
    """(package, symbol) as the vulnerability database names them, or None for compiler-generated names."""
    plain = strip_instantiation(name)
    if plain.startswith(("go:", "type:", "type.")) or (plain.startswith("go.") and not _is_domain_path(plain)):
        return None
    pathend = max(plain.rfind("/"), 0)
    first = plain.find(".", pathend)
    if first < 0:
        return None
    package, rest = plain[:first], plain[first + 1 :]
    receiver, dot, base = rest.rpartition(".")
    symbol = f"{_RECEIVER_MARKS.sub('', receiver)}.{base}" if dot else base
    if "%" in package:
        package = unquote(package)
    if package == "main" and main_path:
        package = main_path
    return package, symbol


_DOMAIN = re.compile(r"^go\.[a-z0-9-]+(?:\.[a-z0-9-]+)+/")


def _is_domain_path(name: str) -> bool:
    """"go.uber.org/zap.New" is a package; Go 1.18-1.19 also spelled generated names "go.shape.int", "go.buildid"."""
    return _DOMAIN.match(name) is not None


def symbols_of(image: ElfImage, main_path: str = "") -> Symbols:
    """Every (package, symbol) the binary links, inlined functions included.

    The linker writes the function name table (funcnametab) from every function it keeps and every function inlined
    into one (cmd/link walkFuncs), each name once, so the table alone answers "is it in the binary" without walking
    the inline trees; it survives `-s -w`.
    """
    header, table, _offset = read_header(image)
    # the name table runs up to the next table of the header (the CU table in every Go release since 1.16)
    end = min((o for o in (header.cu_offset, header.filetab_offset, header.pctab_offset, header.pcln_offset)
               if o > header.funcname_offset), default=len(table))
    by_package: dict[str, set[str]] = {}
    for raw in bytes(table[header.funcname_offset : end]).split(b"\0"):
        if not raw:
            continue
        split = split_name(raw.decode("utf-8", "replace"), main_path)
        if split is not None:
            by_package.setdefault(split[0], set()).add(split[1])
    return Symbols(by_package)
