"""`slimgo context DIR`: what `docker build DIR` would send, with and without its .dockerignore."""

from __future__ import annotations

__all__ = ["context"]

import click

from slimgo.cli import render
from slimgo.cli.options import chosen_format, fail_on_option, format_option
from slimgo.lint.context import ContextReport, scan_context, suggest_ignore
from slimgo.lint.findings import Severity
from slimgo.units import human_bytes


def _text(report: ContextReport) -> str:
    ignore = report.ignore_file or "(none)"
    lines = [
        f"context      {report.root}",
        f"ignore file  {ignore} ({len(report.patterns)} patterns)",
        "",
        f"{'':14}{'files':>12}{'bytes':>16}",
        f"{'sent':14}{report.sent.files:>12,}{human_bytes(report.sent.bytes):>16}",
        f"{'without it':14}{report.total.files:>12,}{human_bytes(report.total.bytes):>16}",
    ]
    if report.total.bytes:
        saved = report.total.bytes - report.sent.bytes
        lines.append(f"{'kept out':14}{report.total.files - report.sent.files:>12,}{human_bytes(saved):>16}")
    if report.largest:
        lines += ["", "largest paths sent:"]
        lines += [f"  {human_bytes(size):>12}  {path}" for path, size in report.largest]
    if report.findings:
        lines += ["", "findings:"]
        for f in report.findings:
            where = f"{f.path}:{f.line}" if f.line else f.path
            lines.append(f"  {f.severity.value:<7} {f.rule}  {where}: {f.message}")
            lines.append(f"          fix: {f.fix}")
    if report.fails:
        lines += ["", "docker build would fail while sending this context (see the errors above)"]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@format_option("text", "json")
@click.option("--suggest", is_flag=True, help="Print a .dockerignore for this context instead of the report.")
@click.option("--ignore-file", type=click.Path(dir_okay=False, path_type=str),
              help="Use this ignore file instead of DIRECTORY/.dockerignore.")
@fail_on_option("never")
def context(directory: str, fmt: str, as_json: bool, suggest: bool, ignore_file: str | None, fail_on: str) -> int:
    """Show what `docker build DIRECTORY` sends: files and bytes, the largest paths, and what should not be there."""
    report = scan_context(directory, ignore_file=ignore_file)
    if suggest:
        render.result_line(suggest_ignore(report).rstrip("\n"))
        return 0
    if chosen_format(fmt, as_json) == "json":
        render.document("slimgo.context", report.to_json())
    else:
        render.result_line(_text(report).rstrip("\n"))
    if report.fails:
        return 1
    if fail_on != "never":
        threshold = Severity(fail_on).rank
        if any(f.severity.rank >= threshold for f in report.findings):
            return 1
    return 0
