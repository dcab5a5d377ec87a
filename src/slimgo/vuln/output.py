"""The vuln report as data for `--json`, as SARIF 2.1.0, and as text for a person (rendered into a string)."""

from __future__ import annotations

__all__ = ["age_days", "json_payload", "sarif", "text"]

from datetime import datetime
from typing import Any

from slimgo import __version__
from slimgo.vuln.match import PRESENT, Finding
from slimgo.vuln.scan import BinaryScan, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _date(report: Report) -> str | None:
    return report.database.date.isoformat().replace("+00:00", "Z") if report.database.date else None


def age_days(report: Report, now: datetime) -> int | None:
    return (now - report.database.date).days if report.database.date else None


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "aliases": list(f.aliases), "summary": f.summary, "url": f.url, "module": f.module,
            "version": f.version, "fixed": f.fixed, "status": f.status, "symbols": f.symbols,
            "packages": f.packages, "ignored": f.ignored, "replaces": f.replaces}


def _binary(b: BinaryScan) -> dict[str, Any]:
    return {"path": b.path, "layer": b.layer, "layer_digest": b.layer_digest, "go_version": b.go_version,
            "main_module": b.main_module, "goos": b.goos, "goarch": b.goarch, "note": b.note,
            "findings": [_finding(f) for f in b.findings]}


def counts(report: Report) -> dict[str, int]:
    findings = report.findings
    return {"present": sum(f.status == PRESENT and f.ignored is None for f in findings),
            "affected": sum(f.status != PRESENT and f.ignored is None for f in findings),
            "ignored": sum(f.ignored is not None for f in findings)}


def json_payload(report: Report, now: datetime, fail_on: str, failed: bool) -> dict[str, Any]:
    db = report.database
    return {
        "target": report.target,
        "image": {"digest": report.image_digest, "platform": report.platform} if report.image_digest else None,
        "database": {"source": db.source, "version": db.version, "date": _date(report),
                     "age_days": age_days(report, now), "stale": db.stale(now), "advisories": db.count,
                     "skipped": db.skipped, "skipped_files": list(db.skipped_files)},
        "fail_on": fail_on,
        "failed": failed,
        "summary": counts(report),
        "binaries": [_binary(b) for b in report.binaries],
        "skipped_binaries": [{"path": s.path, "layer": s.layer, "reason": s.reason} for s in report.skipped],
        "upgrades": [{"module": u.module, "current": u.current, "target": u.target, "clears": list(u.clears),
                      "unfixed": list(u.unfixed)} for u in report.upgrades],
    }


def _sarif_result(b: BinaryScan, f: Finding) -> dict[str, Any]:
    where = f"{f.module}@{f.version}"
    if f.status == PRESENT:
        linked = ", ".join(f.symbols or f.packages) or "the module's code"
        text = f"{f.id}: {f.summary} ({where}; linked: {linked}; fixed in {f.fixed or 'no release yet'})"
    else:
        text = f"{f.id}: {f.summary} ({where} is affected, the vulnerable symbols are not linked)"
    result: dict[str, Any] = {
        "ruleId": f.id,
        "level": "error" if f.status == PRESENT else "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": b.path.lstrip("/") or b.path}},
                       "logicalLocations": [{"name": s, "kind": "function"} for s in f.symbols]}],
        "properties": {"status": f.status, "module": f.module, "version": f.version, "fixed": f.fixed,
                       "layer": b.layer},
    }
    if f.ignored is not None:
        result["suppressions"] = [{"kind": "external", "justification": f.ignored}]
    return result


def sarif(report: Report) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for b in report.binaries:
        for f in b.findings:
            rules.setdefault(f.id, {"id": f.id, "shortDescription": {"text": f.summary or f.id},
                                    "helpUri": f.url, "properties": {"aliases": list(f.aliases)}})
            results.append(_sarif_result(b, f))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "slimgo-vuln", "version": __version__, "informationUri": "https://slimgo.dev",
                                "rules": list(rules.values())}},
            "results": results,
        }],
    }


def _finding_lines(f: Finding) -> list[str]:
    fix = f"fixed in {f.fixed}" if f.fixed else "no fixed version yet"
    mark = "PRESENT " if f.status == PRESENT else "affected"
    replaced = f" (replaces {f.replaces})" if f.replaces else ""
    lines = [f"  {mark}  {f.id}  {f.module}@{f.version}{replaced}  ({fix})"]
    if f.summary:
        lines.append(f"            {f.summary}")
    if f.status == PRESENT:
        linked = f.symbols or [f"{p} (whole package)" for p in f.packages]
        lines.extend(f"            linked: {item}" for item in linked[:10])
        if len(linked) > 10:
            lines.append(f"            ... and {len(linked) - 10} more")
    else:
        lines.append("            module affected, vulnerable symbols not linked")
    if f.ignored is not None:
        lines.append(f"            ignored: {f.ignored}")
    return lines


def text(report: Report, now: datetime, verbose: bool = False) -> str:
    db = report.database
    age = age_days(report, now)
    when = f"{db.date:%Y-%m-%d}, {age} days old" if db.date and age is not None else "date unknown"
    lines = [f"database: {db.source} ({when}), {db.count} advisories"
             + (f", {db.skipped} unreadable skipped" if db.skipped else "")]
    if report.image_digest:
        lines.append(f"image: {report.target} {report.platform} {report.image_digest}")
    for b in report.binaries:
        layer = f"  layer {b.layer} ({(b.layer_digest or '')[:19]})" if b.layer is not None else ""
        lines += ["", f"{b.path}  {b.go_version} {b.goos}/{b.goarch}  {b.main_module}{layer}"]
        if b.note:
            lines.append(f"  note: {b.note}")
        shown = [f for f in b.findings if verbose or f.status == PRESENT or f.ignored is not None]
        for f in shown:
            lines += _finding_lines(f)
        hidden = len(b.findings) - len(shown)
        if hidden:
            lines.append(f"  ({hidden} more advisories affect its modules but link none of the vulnerable "
                         "symbols; --verbose lists them)")
        if not b.findings:
            lines.append("  no known vulnerabilities")
    for s in report.skipped:
        lines.append(f"skipped {s.path} (layer {s.layer}): {s.reason}")
    if not report.binaries:
        lines += ["", "no Go binaries found"]
    if report.upgrades:
        lines.append("")
        for u in report.upgrades:
            target = u.target or "(no fixed version yet for " + ", ".join(u.unfixed) + ")"
            what = "go toolchain" if u.module == "stdlib" else u.module
            cleared = ", ".join(u.clears[:6]) + (f" and {len(u.clears) - 6} more" if len(u.clears) > 6 else "")
            lines.append(f"upgrade: {what} {u.current} -> {target}  clears {cleared}")
    c = counts(report)
    lines += ["", f"{c['present']} present, {c['affected']} affected but not linked, {c['ignored']} ignored"]
    return "\n".join(lines) + "\n"
