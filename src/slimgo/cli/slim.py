"""`slimgo slim IMAGE -o DEST`: keep only the entrypoint binary (and what it loads) of an image, on the static base."""

from __future__ import annotations

__all__ = ["slim"]

import click

from slimgo.cli import render
from slimgo.cli.options import chosen_format, format_option, platform_option, registry_options, stores_from
from slimgo.errors import UsageError
from slimgo.stores.transport import SYNTAX


@click.command(help=f"""Re-package the entrypoint binary of IMAGE onto the static base, dropping everything else.

    A static binary is kept alone; a dynamic one with its ELF interpreter, libraries and NSS modules, taken from
    IMAGE. Scripts and interpreters are refused. IMAGE and DEST are {SYNTAX}.
    """)
@click.argument("image")
@click.option("-o", "--output", "dest", metavar="DEST", help="Where to write the slimmed image.")
@click.option("--dry-run", is_flag=True, help="Report what would be kept and dropped; write nothing.")
@click.option("--base", "base_spec", default="static", show_default=True, metavar="static|IMAGE",
              help=f"What to put the binary on: the embedded static base, or an image ({SYNTAX}).")
@click.option("--keep", multiple=True, metavar="PATH", help="Also keep this file (repeatable).")
@click.option("--user", default=None, metavar="UID[:GID]", help="User of the new image (default 65532:65532).")
@format_option("text", "json")
@platform_option("Image to pick from an index (default: this machine's).")
@registry_options
def slim(image: str, dest: str | None, dry_run: bool, base_spec: str, keep: tuple[str, ...], user: str | None, fmt: str,
         as_json: bool, platform_text: str | None, pull: str, insecure: tuple[str, ...]) -> int:
    import tempfile
    from pathlib import Path

    from slimgo.analyze.report import analyze_image
    from slimgo.analyze.slim import slim_image, slim_report
    from slimgo.host import host_platform
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import Location

    if not dest and not dry_run:
        raise UsageError("slimgo slim", "needs -o DEST (or --dry-run)", f"slimgo slim IMAGE -o DEST, DEST is {SYNTAX}")
    location = Location.parse(dest) if dest else None
    platform = Platform.parse(platform_text) if platform_text else host_platform()
    stores = stores_from(pull, insecure)
    source = stores.open_image(image, platform)
    base = None if base_spec == "static" else stores.open_image(base_spec, platform)
    before = analyze_image(source, image)
    with tempfile.TemporaryDirectory(prefix="slimgo-slim-") as work:
        slimmed, plan = slim_image(source, before, image, keep, user, Path(work), base, base_spec)
        report = slim_report(plan, before, analyze_image(slimmed, dest or "(dry run)"))
        written = None if dry_run or location is None else stores.write(location, slimmed, default_tag="latest")
    if chosen_format(fmt, as_json) == "json":
        render.document("slimgo.slim", _payload(report, image, str(source.digest), str(platform), written))
    else:
        if written:  # the reference is the result; the before/after report is for a person
            render.result_line(written)
            render.summary(_text(report, dry_run))
        else:  # a dry run's result is the report itself
            render.text(_text(report, dry_run))
    return 0


def _payload(report: object, image: str, digest: str, platform: str, written: str | None) -> dict[str, object]:
    from slimgo.analyze.slim import SlimReport

    assert isinstance(report, SlimReport)

    def sizes(t: tuple[int, int, int]) -> dict[str, int]:
        return {"size": t[0], "uncompressed_size": t[1], "layers": t[2]}

    return {"source": {"reference": image, "digest": digest, "platform": platform}, "written": written,
            "binary": report.binary, "linking": report.linking, "before": sizes(report.before),
            "after": sizes(report.after), "kept": report.kept,
            "dropped": {"files": report.dropped_files, "bytes": report.dropped_bytes},
            "findings_gone": report.findings_gone}


def _text(report: object, dry_run: bool) -> str:
    from slimgo.analyze.slim import SlimReport
    from slimgo.units import human_bytes

    assert isinstance(report, SlimReport)
    (bs, bu, bl), (as_, au, al) = report.before, report.after
    lines = [f"{'would keep' if dry_run else 'kept'} {report.binary} ({report.linking})"
             + (f" and {len(report.kept) - 1} file(s) it needs" if len(report.kept) > 1 else ""),
             f"size          {human_bytes(bs)} -> {human_bytes(as_)} ({human_bytes(as_ - bs)})",
             f"uncompressed  {human_bytes(bu)} -> {human_bytes(au)} ({human_bytes(au - bu)})",
             f"layers        {bl} -> {al}",
             f"dropped       {report.dropped_files} files, {human_bytes(report.dropped_bytes)}"]
    lines += [f"  gone: {g}" for g in report.findings_gone]
    return "\n".join(lines) + "\n"
