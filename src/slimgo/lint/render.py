"""Findings as text (rich), JSON (the documented contract) or SARIF 2.1.0 (for code-scanning UIs)."""

from __future__ import annotations

__all__ = ["json_payload", "render_sarif", "render_text"]

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from slimgo import __version__
from slimgo.lint.findings import Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def json_payload(findings: Sequence[Finding], files: int, suppressed: int = 0) -> dict[str, object]:
    """The body of the `slimgo.lint` JSON document (the CLI adds schema_version and kind)."""
    return {"files": files, "suppressed": suppressed, "findings": [f.to_json() for f in findings]}


def render_text(findings: Sequence[Finding], files: int, *, color: bool = False, width: int = 100) -> str:
    """One block per finding (``path:line  severity  rule  message`` then its fix) and a summary line."""
    if not color:
        return _plain_text(findings, files)
    from rich.console import Console  # only coloured output pays for rich (~40 ms of a one-file run)
    from rich.markup import escape

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False,
                      soft_wrap=True)
    for f in findings:
        where = f"{f.path}:{f.line}" if f.line else f.path
        console.print(
            f"[bold]{escape(where)}[/bold]  [{_STYLE[f.severity]}]{f.severity.value}[/]  "
            f"[dim]{f.rule}[/dim]  {escape(f.message)}"
        )
        console.print(f"    [green]fix:[/green] {escape(f.fix)}")
    console.print(_summary(findings, files))
    return buf.getvalue()


def _summary(findings: Sequence[Finding], files: int) -> str:
    noun = "file" if files == 1 else "files"
    if not findings:
        return f"no findings in {files} {noun}"
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    return (f"\n{len(findings)} finding{'s' if len(findings) != 1 else ''} in {files} {noun}: "
            f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info")


def _plain_text(findings: Sequence[Finding], files: int) -> str:
    lines = []
    for f in findings:
        where = f"{f.path}:{f.line}" if f.line else f.path
        lines += [f"{where}  {f.severity.value}  {f.rule}  {f.message}", f"    fix: {f.fix}"]
    lines.append(_summary(findings, files))
    # what the rich path prints without colour (tabs expanded as rich does), without importing rich; a
    # `:name:` in a message stays as written instead of becoming an emoji
    return "".join(line.expandtabs(8) + "\n" for line in "\n".join(lines).split("\n"))


def _rule_descriptions() -> dict[str, tuple[str, str, Severity]]:
    """id -> (title, fix, default severity) for every rule with a catalog (others are described by a finding)."""
    from slimgo.lint.dockerfile.catalog import RULES
    from slimgo.lint.runner import INPUT_RULES

    out = {r.id: (r.title, r.fix, r.severity) for r in RULES.values()}
    out.update({rid: (title, fix, Severity.ERROR) for rid, (title, fix) in INPUT_RULES.items()})
    return out


def _uri(path: str, base: Path) -> str:
    p = Path(path)
    try:
        rel = p.resolve().relative_to(base.resolve()) if p.is_absolute() else p
    except ValueError:
        return p.resolve().as_uri()
    return quote(rel.as_posix().removeprefix("./"))


def render_sarif(findings: Sequence[Finding], base: Path | None = None) -> str:
    """A SARIF 2.1.0 log with one run; paths relative to ``base`` (default: cwd) under %SRCROOT%."""
    base = base or Path(os.getcwd())
    known = _rule_descriptions()
    rule_ids = sorted({f.rule for f in findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    rules = []
    for rid in rule_ids:
        first = next(f for f in findings if f.rule == rid)
        title, fix, severity = known.get(rid, (first.message, first.fix, first.severity))
        rules.append({
            "id": rid,
            "name": rid,
            "shortDescription": {"text": title},
            "help": {"text": fix, "markdown": f"**Fix:** {fix}"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
        })
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.fix}"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path, base), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(f.line, 1)},
                }
            }],
            "partialFingerprints": {"slimgo/v1": f"{f.rule}:{f.path}:{f.message}"},
        }
        for f in findings
    ]  # fmt: skip
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "slimgo", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }  # fmt: skip
    return json.dumps(log, indent=2) + "\n"
