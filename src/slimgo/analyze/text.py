"""The text report of `slimgo analyze`: plain aligned columns a person reads (and a log keeps)."""

from __future__ import annotations

__all__ = ["render_report"]

import posixpath

from slimgo.analyze.report import Report
from slimgo.units import human_bytes


def _short(digest: str | None) -> str:
    return digest.split(":", 1)[-1][:12] if digest else "-"


def render_report(report: Report, top: int, tree_depth: int | None = None) -> str:
    out = [f"image     {report.reference}", f"digest    {report.digest}", f"platform  {report.platform}",
           f"size      {human_bytes(report.size)} compressed, {human_bytes(report.uncompressed_size)} "
           f"uncompressed, {report.files} files", "", "layers"]
    out.append(f"  {'#':>3}  {'digest':12}  {'size':>10}  {'unpacked':>10}  {'+add':>6} {'~mod':>6} {'-del':>6}  "
               "created by")
    for row in report.layers:
        index = "-" if row.index is None else str(row.index)
        created = " ".join(row.created_by.split())[:90] or "(no history)"
        if row.empty:
            out.append(f"  {index:>3}  {'(empty)':12}  {'':>10}  {'':>10}  {'':>6} {'':>6} {'':>6}  {created}")
            continue
        out.append(f"  {index:>3}  {_short(row.digest):12}  {human_bytes(row.size):>10}  "
                   f"{human_bytes(row.uncompressed_size):>10}  {row.added:>6} {row.modified:>6} {row.removed:>6}  "
                   f"{created}")
    out += ["", *_waste(report, top), "", "largest files"]
    out += [f"  {human_bytes(live.entry.size):>10}  {path}  (layer {live.layer})" for path, live in report.largest(top)]
    out += ["", *_findings(report)]
    if report.verdicts:
        out += ["", "verdict"] + [f"  - {line}" for line in report.verdicts]
    if tree_depth is not None:
        out += ["", "tree", *render_tree(report, tree_depth)]
    return "\n".join(out) + "\n"


def _waste(report: Report, top: int) -> list[str]:
    dive, fixed = report.dive, report.corrected
    user = "n/a" if dive.user_wasted_percent is None else f"{dive.user_wasted_percent * 100:.4f} %"
    out = ["waste (dive-compatible: every copy of a repeated path counts, layer 0 is the base)",
           f"  efficiency           {dive.efficiency * 100:.4f} %",
           f"  wasted bytes         {dive.wasted_bytes} ({human_bytes(dive.wasted_bytes)})",
           f"  user wasted percent  {user}",
           f"waste (corrected: dead copies only, base = {fixed.base_layers} layer(s), from {fixed.base_source})",
           f"  wasted bytes         {fixed.wasted_bytes} ({human_bytes(fixed.wasted_bytes)})",
           f"  wasted percent       {fixed.wasted_percent:.4f} %"]
    if fixed.base_wasted_bytes:
        out.append(f"  in the base itself   {human_bytes(fixed.base_wasted_bytes)}")
    if dive.files:
        out.append("  repeated paths (dive's count, wasted space, path)")
        out += [f"    {f.count:>3}  {human_bytes(f.wasted_bytes):>10}  {f.path}" for f in dive.files[:top]]
    return out


def _findings(report: Report) -> list[str]:
    if not report.findings:
        return ["findings  none"]
    out = [f"findings ({len(report.findings)})"]
    for f in report.findings:
        where = f" [layer {_short(f.layer)}]" if f.layer else ""
        out.append(f"  {f.severity:7}  {f.rule}  {f.path}{where}: {f.message}")
        out.append(f"           fix: {f.fix}")
    return out


def render_tree(report: Report, depth: int) -> list[str]:
    """The merged tree, directories with the total size beneath them, down to ``depth`` levels."""
    totals: dict[str, int] = {}
    kids: dict[str, set[str]] = {}
    for path, live in report.merged.live.items():
        size = live.entry.size if live.entry.kind == "file" else 0
        totals[path] = totals.get(path, 0) + size
        child = path
        for ancestor in _ancestors(path):
            kids.setdefault(ancestor, set()).add(child)
            totals[ancestor] = totals.get(ancestor, 0) + size
            child = ancestor
    lines: list[str] = []
    _tree_lines("/", kids, totals, report, depth, "", lines)
    return lines


def _ancestors(path: str) -> list[str]:
    out = []
    while path != "/":
        path = posixpath.dirname(path)
        out.append(path)
    return out


def _tree_lines(node: str, kids: dict[str, set[str]], totals: dict[str, int], report: Report, depth: int,
                prefix: str, lines: list[str]) -> None:
    if depth == 0:
        return
    children = sorted(kids.get(node, ()))
    for i, child in enumerate(children):
        last = i == len(children) - 1
        live = report.merged.live.get(child)
        link = f" -> {live.entry.linkname}" if live and live.entry.linkname else ""
        lines.append(f"  {human_bytes(totals.get(child, 0)):>10}  {prefix}{'└── ' if last else '├── '}"
                     f"{posixpath.basename(child)}{link}")
        _tree_lines(child, kids, totals, report, depth - 1, prefix + ("    " if last else "│   "), lines)
