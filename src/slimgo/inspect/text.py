"""Rich renderables for inspect reports and diffs; the CLI prints them, nothing here writes to a stream."""

from __future__ import annotations

__all__ = ["render_diff", "render_report", "wrap_path"]

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from slimgo.elf.buildinfo import BuildInfo, Module
from slimgo.inspect.binary import BinaryReport
from slimgo.inspect.bloat import DEFAULT_THRESHOLD, bloat_of
from slimgo.inspect.diff import DeltaRow, Diff
from slimgo.inspect.size import STD_MODULE
from slimgo.oci.mediatype import layer_compression
from slimgo.units import human_bytes

_STATUS_STYLE = {"ok": "green", "weak": "yellow", "not applicable": "dim", "info": "cyan"}


def human(n: int | None) -> str:
    if n is None:
        return "-"
    return human_bytes(n)


def signed(n: int) -> str:
    return ("+" if n > 0 else "") + f"{n:,}"


def _heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _subheading(title: str) -> Text:
    return Text(f"\n{title}", style="bold")


def _kv(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def _go(info: BuildInfo | None) -> list[RenderableType]:
    parts: list[RenderableType] = [_heading("Go")]
    if info is None:
        parts.append(Text("no Go build information could be read", style="yellow"))
        return parts
    rows = [("toolchain", info.go_version)]
    if not info.supported:
        parts += [_kv(rows), Text(info.note or "unsupported", style="yellow")]
        return parts
    if info.path:
        rows.append(("path", info.path))
    if info.main:
        rows.append(("main module", " ".join(x for x in (info.main.path, info.main.version, info.main.sum) if x)))
    parts.append(_kv(rows))
    if info.settings:  # every build line, in the order `go version -m` prints them (-compiler, DefaultGODEBUG...)
        parts.append(_subheading("build"))
        parts.append(_Settings(info.settings))
    if info.deps:
        parts.append(_subheading(f"dependencies ({len(info.deps)})"))
        parts.append(_Dependencies(info.deps))
    return parts


class _Dependencies:
    """The dependency table; the sums (47 characters each) are left out when the terminal is too narrow."""

    def __init__(self, deps: list[Module]) -> None:
        self.rows = [(dep.path, dep.version, dep.replace.path if dep.replace else "",
                      dep.replace.version if dep.replace else "", dep.sum) for dep in deps]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [max(len(row[i]) for row in self.rows) for i in range(5)]
        replaced = max(widths[2], widths[3])  # a replacement's path, and its version on the line below
        with_sum = sum(max(w, 11) + 3 for w in (widths[0], widths[1], replaced, widths[4])) <= options.max_width
        # the version keeps its width; the paths share the rest and break only after a "/"
        room = options.max_width - (widths[4] + 3 if with_sum else 0) - max(widths[1], 7) - 9
        longest = max((len(part) + 1 for row in self.rows for part in row[0].split("/")), default=8)
        # the replacement column needs room for its longest unbreakable piece: a path element or a version
        pieces = [len(part) + 1 for row in self.rows for part in row[2].split("/")] + [len(row[3]) for row in self.rows]
        path_width = min(widths[0], max(room - min(max(pieces, default=0), replaced), longest))
        replace_width = max(room - path_width, 11)
        table = Table(show_edge=False)
        table.add_column("path", overflow="fold", max_width=path_width)
        table.add_column("version", no_wrap=True)
        table.add_column("replaced by", overflow="fold", max_width=replace_width)
        if with_sum:
            table.add_column("sum", no_wrap=True)
        for path, version, new_path, new_version, checksum in self.rows:
            new = f"{new_path} {new_version}".strip()
            if len(new) > replace_width:  # the version goes on its own line, the path breaks after a "/"
                new = "\n".join(part for part in (wrap_path(new_path, replace_width), new_version) if part)
            row = [wrap_path(path, path_width), version, new, checksum]
            table.add_row(*(row if with_sum else row[:3]))
        yield table
        if not with_sum and any(row[4] for row in self.rows):
            yield Text("(sums left out at this width: see --json or a wider terminal)", style="dim")


def _linking(report: BinaryReport) -> list[RenderableType]:
    parts: list[RenderableType] = [_heading("Linking")]
    link = report.linking
    if link is None:
        parts.append(Text("the linking information could not be read", style="yellow"))
        return parts
    verdict = Text("static", style="green bold") if link.static else Text("dynamic", style="yellow bold")
    parts.append(Text.assemble("verdict: ", verdict))
    rows = [
        ("ELF", f"{link.elf_class}-bit {link.byteorder}-endian {link.machine} ({link.elf_type}"
                + (", shared object)" if link.shared_object else ")")),
        ("interpreter", link.interpreter or "none (no PT_INTERP)"),
        ("needed", ", ".join(link.needed) or "none (no DT_NEEDED)"),
    ]
    if link.rpath:
        rows.append(("RPATH", ":".join(link.rpath)))
    if link.runpath:
        rows.append(("RUNPATH", ":".join(link.runpath)))
    if link.required_versions:
        rows.append(("versions", ", ".join(link.required_versions)))
    if link.glibc_required:
        rows.append(("glibc", f"needs glibc >= {link.glibc_required}"))
    parts.append(_kv(rows))
    return parts


def _hardening(report: BinaryReport) -> list[RenderableType]:
    parts: list[RenderableType] = [_heading("Hardening")]
    if report.hardening is None:
        parts.append(Text("the hardening information could not be read", style="yellow"))
        return parts
    # the fix goes under its detail: at 80 columns a fourth column would wrap every row into a tower
    table = Table(show_edge=False)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail and fix", overflow="fold")
    for check in report.hardening.checks:
        detail = Text(check.detail)
        if check.fix:
            detail.append("\nfix: ", style="bold").append(check.fix)
        table.add_row(check.name, Text(check.status, style=_STATUS_STYLE[check.status]), detail)
    parts.append(table)
    return parts


def _size(report: BinaryReport, top: int) -> list[RenderableType]:
    size = report.size
    parts: list[RenderableType] = [_heading("Size")]
    rows = [("file", f"{size.file_bytes:,} bytes ({human(size.file_bytes)})")]
    if size.layer:
        rows.append(("layer, gzip -6", f"{size.layer.gzip_bytes:,} bytes ({human(size.layer.gzip_bytes)})"))
        rows.append(("layer, zstd -3", f"{size.layer.zstd_bytes:,} bytes ({human(size.layer.zstd_bytes)})"))
    if size.strip_savings_bytes:
        rows.append(("-s -w would save", f"{size.strip_savings_bytes:,} bytes ({human(size.strip_savings_bytes)})"))
    if size.function_bytes is not None:
        rows.append(("Go functions", f"{size.function_bytes:,} bytes + {size.padding_bytes:,} alignment padding"
                     f" (.text {size.text_bytes or 0:,})"))
    parts.append(_kv(rows))
    if size.sections:
        shown = _shown(top, len(size.sections))
        parts.append(_subheading(f"by section (file bytes{shown})"))
        sections = Table(show_edge=False)
        sections.add_column("section")
        sections.add_column("bytes", justify="right")
        sections.add_column("share", justify="right")
        for name, nbytes in size.sections[:top]:
            sections.add_row(name, f"{nbytes:,}", f"{100 * nbytes / max(size.file_bytes, 1):.1f}%")
        parts.append(sections)
    else:
        parts.append(Text("no section headers: sizes by section are unknown", style="yellow"))
    if size.groups:
        total = max(sum(size.groups.values()), 1)
        parts.append(_subheading("by group (function bytes)"))
        groups = Table(show_edge=False)
        groups.add_column("group")
        groups.add_column("bytes", justify="right")
        groups.add_column("share", justify="right")
        for name, nbytes in size.groups.items():
            groups.add_row(name, f"{nbytes:,}", f"{100 * nbytes / total:.1f}%")
        parts.append(groups)
    if size.modules:
        shown = _shown(top, len(size.modules))
        parts.append(_subheading(f"by module (functions, their function-table share and data{shown})"))
        parts.append(_PathTable(("module", "version", "bytes", "share"),
                                [(m.path, m.version, f"{m.total_bytes:,}", f"{100 * m.share:.1f}%")
                                 for m in size.modules[:top]]))
        why = [(m.path, m.chain) for m in size.modules[:top] if m.chain and len(m.chain) > 1 and m.path != STD_MODULE]
        if why:
            main_path = report.go.main.path if report.go and report.go.main else ""
            parts.append(_subheading("why each module is in: the import chain from the main package"))
            for path, chain in why:
                parts.append(Text(f"{path}: " + " -> ".join(_short_import(p, main_path, path) for p in chain),
                                  overflow="fold"))
    if size.packages:
        parts.append(_subheading(f"by package (top {min(top, len(size.packages))} of {len(size.packages)})"))
        parts.append(_PathTable(("package", "group", "functions", "code", "total"),
                                [(pkg.name, pkg.group, str(pkg.functions), f"{pkg.size:,}", f"{pkg.total_bytes:,}")
                                 for pkg in size.packages[:top]]))
    if size.unattributed_bytes is not None:
        left = ", ".join(f"{name} {human(nbytes)}" for name, nbytes in list(size.unattributed_by_section.items())[:5])
        share = 100 * size.unattributed_bytes / max(size.file_bytes, 1)
        parts.append(Text(f"\nnot attributed to a package: {size.unattributed_bytes:,} bytes ({share:.1f}%)"
                          + (f": {left}" if left else "")))
    return parts


def _short_import(package: str, main_path: str, module: str) -> str:
    """An import path in a chain, as short as it reads unambiguously: relative to the main module, or "..." for
    the module named at the start of the line."""
    if main_path and package == main_path:
        return "main"
    if main_path and package.startswith(main_path + "/"):
        return package[len(main_path) + 1 :]
    if module != STD_MODULE and package.startswith(module + "/"):
        return "..." + package[len(module) :]
    return package


def wrap_path(path: str, width: int, sep: str = "/") -> str:
    """``path`` on lines of at most ``width`` characters, broken only after a ``sep`` (an element longer than
    the width stays whole on its own line and is folded by the table only then)."""
    lines: list[str] = []
    line = ""
    elements = path.split(sep)
    for index, element in enumerate(elements):
        candidate = f"{line}{sep}{element}" if line else element
        limit = width if index == len(elements) - 1 else width - 1  # room for the separator ending a line
        if line and len(candidate) > limit:
            lines.append(line + sep)
            line = element
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines)


class _Settings:
    """Build settings, one per line as `go version -m` lists them; a comma list such as DefaultGODEBUG is
    broken after a comma, never inside a name=value pair."""

    def __init__(self, settings: list[tuple[str, str]]) -> None:
        self.settings = settings

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key_width = max(len(key) for key, _ in self.settings)
        width = max(20, options.max_width - key_width - 2)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for key, value in self.settings:
            table.add_row(key, wrap_path(value, width, ",") if " " not in value and "," in value else value)
        yield table


class _PathTable:
    """A table whose first column holds package paths: wrapped at "/" to the width left by the other columns,
    never in the middle of a name."""

    def __init__(self, headers: tuple[str, ...], rows: list[tuple[str, ...]],
                 styles: list[str | None] | None = None) -> None:
        self.headers = headers
        self.rows = rows
        self.styles = styles or [None] * len(rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        others = [max([len(h)] + [len(row[i]) for row in self.rows]) for i, h in enumerate(self.headers) if i]
        # each column has one space of padding either side, and columns are separated by one rule
        width = max(16, options.max_width - sum(others) - 3 * len(self.headers) + 1)
        table = Table(show_edge=False)
        # lines are pre-broken at "/"; a name with spaces ("(assembly and linker symbols)") wraps at them
        table.add_column(self.headers[0], overflow="fold", max_width=width)
        for header, own in zip(self.headers[1:], others, strict=True):
            table.add_column(header, justify="left" if header in ("group", "version") else "right", no_wrap=True,
                             min_width=own)
        for row, style in zip(self.rows, self.styles, strict=True):
            cells: list[RenderableType] = [wrap_path(row[0], width), *row[1:]]
            if style:
                cells[-1] = Text(row[-1], style=style)
            table.add_row(*cells)
        yield table


def _bloat(report: BinaryReport, threshold: int) -> list[RenderableType]:
    bloat = bloat_of(report, threshold)
    parts: list[RenderableType] = [_heading("Bloat")]
    if not bloat.items:
        parts.append(Text(f"none found: no debug handlers, DWARF or symbol table, no embedded data of "
                          f"{human(threshold)} or more", style="green"))
    else:
        table = Table(show_edge=False)
        table.add_column("what", ratio=2)
        table.add_column("bytes", justify="right")
        table.add_column("fix", overflow="fold", ratio=3)
        for item in bloat.items:
            table.add_row(Text(item.name, overflow="fold"), f"{item.bytes:,}", item.fix)  # why: in --json
        parts.append(table)
        parts.append(Text(f"{bloat.total_bytes:,} bytes ({human(bloat.total_bytes)}) in all; embedded data from "
                          f"{human(threshold)} on is named"))
    parts.append(Text(f"embedded data looked for: {bloat.embeds_method}", style="dim"))
    return parts


def render_report(report: BinaryReport, top: int = 20, bloat_threshold: int = DEFAULT_THRESHOLD) -> RenderableType:
    title = Text.assemble((report.target, "bold"), f"  {report.platform}  {report.file_bytes:,} bytes")
    parts: list[RenderableType] = [title]
    if report.packed:
        parts.append(Text(f"packed with {report.packed.packer}: {report.packed.packed_bytes:,} bytes on disk; "
                          f"the report below describes the unpacked program", style="yellow"))
    if report.image:
        source = report.image
        parts.append(Text(f"entrypoint {' '.join(source.entrypoint)} -> {source.path_in_image}"))
        if source.layer_index is not None and source.layer_bytes is not None:
            codec = layer_compression(source.layer_media_type or "")
            parts.append(Text(f"in layer {source.layer_index + 1} of {source.layer_count}:"
                              f" {source.layer_bytes:,} bytes as stored ({codec})"))
    parts += _go(report.go) + _linking(report) + _hardening(report) + _size(report, top) \
        + _bloat(report, bloat_threshold)
    if report.problems:
        parts.append(_heading("Could not read"))
        for problem in report.problems:
            parts.append(Text(f"{problem.part}: {problem.message}", style="yellow"))
    return Group(*parts)


def _shown(top: int, count: int) -> str:
    return f", top {top} of {count}" if count > top else ""


def _delta_table(title: str, rows: list[DeltaRow], top: int) -> list[RenderableType]:
    changed = [row for row in rows if row.delta]
    heading = _subheading(f"{title} ({len(changed)} changed{_shown(top, len(changed))})")
    if not changed:
        return [heading]
    shown = changed[:top]
    table = _PathTable(("name", "A", "B", "delta"),
                       [(row.name, f"{row.a:,}", f"{row.b:,}", signed(row.delta)) for row in shown],
                       ["red" if row.delta > 0 else "green" for row in shown])
    return [heading, table]


def render_diff(diff: Diff, top: int = 20) -> RenderableType:
    f = diff.file_bytes
    parts: list[RenderableType] = [
        Text.assemble(("A ", "bold"), diff.a),
        Text.assemble(("B ", "bold"), diff.b),
        Text(f"file: {f.a:,} -> {f.b:,} bytes ({signed(f.delta)})"),
    ]
    for row in diff.layer:
        if row.name != "tar":
            parts.append(Text(f"{row.name} layer: {row.a:,} -> {row.b:,} bytes ({signed(row.delta)})"))
    for title, rows in (("sections", diff.sections), ("groups", diff.groups), ("packages", diff.packages)):
        parts += _delta_table(title, rows, top)
    return Group(*parts)
