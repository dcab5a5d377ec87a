"""`slimgo analyze --diff A B`: what differs between two images in size, layers, files and findings."""

from __future__ import annotations

__all__ = ["diff_json", "diff_reports", "diff_text"]

from dataclasses import asdict, dataclass
from typing import Any

from slimgo.analyze.audit import Finding
from slimgo.analyze.report import Report
from slimgo.units import human_bytes

SHOWN = 50  # file rows kept per list


@dataclass(frozen=True)
class ReportDiff:
    a: Report
    b: Report
    only_a_layers: list[str]
    only_b_layers: list[str]
    added: list[tuple[str, int]]
    removed: list[tuple[str, int]]
    changed: list[tuple[str, int, int]]
    only_a_findings: list[Finding]
    only_b_findings: list[Finding]


def diff_reports(a: Report, b: Report) -> ReportDiff:
    layers_a, layers_b = [s.digest for s in a.scans], [s.digest for s in b.scans]
    files_a = {p: live.entry for p, live in a.merged.live.items() if live.entry.kind != "dir"}
    files_b = {p: live.entry for p, live in b.merged.live.items() if live.entry.kind != "dir"}
    added = sorted(((p, e.size) for p, e in files_b.items() if p not in files_a), key=lambda x: (-x[1], x[0]))
    removed = sorted(((p, e.size) for p, e in files_a.items() if p not in files_b), key=lambda x: (-x[1], x[0]))
    changed = sorted(((p, files_a[p].size, e.size) for p, e in files_b.items()
                      if p in files_a and (files_a[p].size, files_a[p].mode, files_a[p].linkname)
                      != (e.size, e.mode, e.linkname)), key=lambda x: (-abs(x[2] - x[1]), x[0]))
    keys_a = {(f.rule, f.path) for f in a.findings}
    keys_b = {(f.rule, f.path) for f in b.findings}
    return ReportDiff(a, b, [d for d in layers_a if d not in layers_b], [d for d in layers_b if d not in layers_a],
                      added, removed, changed, [f for f in a.findings if (f.rule, f.path) not in keys_b],
                      [f for f in b.findings if (f.rule, f.path) not in keys_a])


def _image(report: Report) -> dict[str, str]:
    return {"reference": report.reference, "digest": report.digest, "platform": report.platform}


def diff_json(diff: ReportDiff) -> dict[str, Any]:
    a, b = diff.a, diff.b
    return {
        "a": _image(a), "b": _image(b),
        "size": {"a": a.size, "b": b.size, "delta": b.size - a.size},
        "uncompressed_size": {"a": a.uncompressed_size, "b": b.uncompressed_size,
                              "delta": b.uncompressed_size - a.uncompressed_size},
        "layers": {"a": len(a.scans), "b": len(b.scans), "only_a": diff.only_a_layers, "only_b": diff.only_b_layers},
        "files": {
            "a": a.files, "b": b.files,
            "added": [{"path": p, "size": s} for p, s in diff.added[:SHOWN]], "added_count": len(diff.added),
            "removed": [{"path": p, "size": s} for p, s in diff.removed[:SHOWN]],
            "removed_count": len(diff.removed),
            "changed": [{"path": p, "a": x, "b": y} for p, x, y in diff.changed[:SHOWN]],
            "changed_count": len(diff.changed),
        },
        "findings": {"only_a": [asdict(f) for f in diff.only_a_findings],
                     "only_b": [asdict(f) for f in diff.only_b_findings]},
    }


def diff_text(diff: ReportDiff) -> str:
    a, b = diff.a, diff.b
    out = [f"a  {a.reference}  {a.digest}", f"b  {b.reference}  {b.digest}",
           f"size          {human_bytes(a.size)} -> {human_bytes(b.size)} ({human_bytes(b.size - a.size)})",
           f"uncompressed  {human_bytes(a.uncompressed_size)} -> {human_bytes(b.uncompressed_size)} "
           f"({human_bytes(b.uncompressed_size - a.uncompressed_size)})",
           f"layers        {len(a.scans)} -> {len(b.scans)} ({len(diff.only_a_layers)} only in a, "
           f"{len(diff.only_b_layers)} only in b)",
           f"files         {a.files} -> {b.files} (+{len(diff.added)} -{len(diff.removed)} ~{len(diff.changed)})"]
    out += [f"  + {human_bytes(s):>10}  {p}" for p, s in diff.added[:20]]
    out += [f"  - {human_bytes(s):>10}  {p}" for p, s in diff.removed[:20]]
    out += [f"  ~ {human_bytes(y - x):>10}  {p}" for p, x, y in diff.changed[:20]]
    out.append(f"findings      {len(a.findings)} -> {len(b.findings)}")
    out += [f"  - {f.rule} {f.path}: {f.message}" for f in diff.only_a_findings]
    out += [f"  + {f.rule} {f.path}: {f.message}" for f in diff.only_b_findings]
    return "\n".join(out) + "\n"
