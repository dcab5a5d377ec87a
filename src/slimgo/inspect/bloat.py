"""What a binary carries that a container does not need: debug handlers, DWARF, the symbol table, large embeds."""

from __future__ import annotations

__all__ = ["DEFAULT_THRESHOLD", "Bloat", "BloatItem", "bloat_of"]

from dataclasses import dataclass

from slimgo.inspect.binary import BinaryReport

DEFAULT_THRESHOLD = 256 << 10  # embedded data from this size on is named
_HANDLERS = {
    "net/http/pprof": "/debug/pprof/",
    "expvar": "/debug/vars",
}
# What net/http/pprof brings in that a program seldom imports itself (they left with it in inspect --diff)
_COMPANIONS = {"net/http/pprof": ("runtime/pprof", "internal/profile", "runtime/trace", "text/tabwriter")}
_STRIP = "(slimgo build's default: drop --no-strip)"


@dataclass(frozen=True)
class BloatItem:
    kind: str  # "debug-handler", "dwarf", "symbol-table" or "embedded"
    name: str
    bytes: int
    fix: str
    detail: str = ""


@dataclass(frozen=True)
class Bloat:
    threshold_bytes: int
    items: list[BloatItem]
    embeds_method: str  # how embedded data was looked for, and what that cannot see

    @property
    def total_bytes(self) -> int:
        return sum(item.bytes for item in self.items)


def _handlers(report: BinaryReport) -> list[BloatItem]:
    sizes = {package.name: package.total_bytes for package in report.size.packages}
    items = []
    for name, route in sorted(_HANDLERS.items(), key=lambda item: -sizes.get(item[0], 0)):
        if name not in sizes:
            continue
        linked = [(other, sizes[other]) for other in _COMPANIONS.get(name, ()) if other in sizes]
        along = (f"; linked with it, unless the program uses them itself: "
                 f"{', '.join(f'{other} {size:,}' for other, size in linked)} bytes") if linked else ""
        items.append(BloatItem(
            "debug-handler", name, sizes[name],
            "slimgo build --strip-debug-handlers (for `import _`), or drop the import",
            f"its init serves {route} on http.DefaultServeMux; the bytes are its own (code, function table, "
            f"data){along}; inspect --diff of the two builds shows the whole saving"))
    return items


def _sections(report: BinaryReport) -> list[BloatItem]:
    sections = dict(report.size.sections)
    items = []
    dwarf = {name: size for name, size in sections.items() if name.startswith((".debug_", ".zdebug_"))}
    if dwarf:
        items.append(BloatItem("dwarf", f"DWARF ({len(dwarf)} .debug_* sections)", sum(dwarf.values()),
                               f"-ldflags=-w {_STRIP}", "debugger information; panics keep their file:line without it"))
    symbols = {name: size for name, size in sections.items() if name in (".symtab", ".strtab")}
    if symbols:
        items.append(BloatItem("symbol-table", "symbol table (" + ", ".join(sorted(symbols)) + ")",
                               sum(symbols.values()), f"-ldflags=-s {_STRIP}",
                               "names for nm and debuggers; stack traces and slimgo inspect do not need it"))
    return items


def _embeds(report: BinaryReport, threshold: int) -> list[BloatItem]:
    items = []
    for data in report.embedded or []:
        if data.size < threshold:
            continue
        where = f" (embed.FS {data.symbol})" if data.symbol else (" (embed.FS)" if data.kind == "embed.FS" else "")
        items.append(BloatItem(
            "embedded", f"{data.name}{where}", data.size,
            "ship it beside the binary (slimgo build --file SRC:DEST, its own cached layer), or compress it",
            {"embed.FS": "a go:embed file", "[]byte": "[]byte data: go:embed or a literal",
             "string": "string data: go:embed or a literal"}[data.kind]))
    return items


def _method(report: BinaryReport) -> str:
    if report.embedded is None:
        return "not looked for: embedded data is found in ELF binaries only"
    tables = "embed.FS file tables (found by their layout, also in stripped binaries)"
    if dict(report.size.sections).get(".symtab"):
        return f"{tables}; []byte and string variables by the symbol table"
    return f"{tables}; []byte and string embeds need the symbol table, which this binary does not have (-s)"


def bloat_of(report: BinaryReport, threshold: int = DEFAULT_THRESHOLD) -> Bloat:
    """Every piece of ``report``'s binary a production image can do without, each with its size and fix."""
    return Bloat(threshold, _handlers(report) + _sections(report) + _embeds(report, threshold), _method(report))
