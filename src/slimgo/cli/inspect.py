"""`slimgo inspect TARGET` and `slimgo inspect --diff A B`: the Go, linking, hardening and size report."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import click

from slimgo.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


@click.command()
@click.argument("targets", nargs=-1, metavar="TARGET")
@click.option("--diff", "diff_mode", is_flag=True, help="Compare two targets: section, package and layer-size deltas.")
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report instead of text.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Rows per size table.")
@click.option("--platform", default=None,
              help="For an image index: only this os/arch[/variant] (default: every platform; the host's with --diff).")
@click.option("--no-layer-size", is_flag=True,
              help="Skip the gzip/zstd layer sizes (the slowest part; cached by content after a first run).")
@click.option("--strict", is_flag=True, help="Exit 1 when any part of the report could not be read.")
@click.option("--module", "module_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The main module's source, to name the import chain that pulls in each module "
                   "(default: the module around the working directory, when it is the binary's).")
def inspect(
    targets: tuple[str, ...], diff_mode: bool, as_json: bool, top: int, platform: str | None, no_layer_size: bool,
    strict: bool = False, module_dir: Path | None = None,
) -> int:
    """Report what a Go binary is made of: Go build info, linking, hardening and size.

    TARGET is a binary path, or an image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE,
    docker://REF (its entrypoint binary is read out of the layers).
    """
    from slimgo.cachedir import cache_root
    from slimgo.inspect.diff import diff_reports
    from slimgo.inspect.jsonout import diff_json, report_json, reports_json
    from slimgo.inspect.target import inspect_target

    expected = 2 if diff_mode else 1
    if len(targets) != expected:
        raise UsageError(
            "slimgo inspect",
            f"expects {'two targets with --diff' if diff_mode else 'one target'}, got {len(targets)}",
            "slimgo inspect TARGET, or slimgo inspect --diff A B",
        )
    cache = None if no_layer_size else cache_root() / "inspect" / "layer-sizes"
    if diff_mode:
        from concurrent.futures import ThreadPoolExecutor

        # one platform per side: the one asked for, else the host's; both sides at once, so their
        # compressors share the cores while the other side is parsed
        with ThreadPoolExecutor(max_workers=2) as pool:
            sides = [pool.submit(inspect_target, t, platform=platform, compress=not no_layer_size,
                                 layer_cache=cache) for t in targets]
            a, b = (side.result()[0] for side in sides)
        diff = diff_reports(a, b)
        if as_json:
            click.echo(json.dumps(diff_json(diff), indent=2))
        else:
            console, text = _text_output()
            console.print(text.render_diff(diff, top))
        return 0
    reports = inspect_target(targets[0], platform=platform, compress=not no_layer_size, all_platforms=True,
                             layer_cache=cache)
    from slimgo.inspect.deps import with_import_chains

    reports = with_import_chains(reports, module_dir)
    if as_json:
        if len(reports) == 1:
            click.echo(json.dumps(report_json(reports[0]), indent=2))
        else:
            click.echo(json.dumps(reports_json(reports), indent=2))
    else:
        console, text = _text_output()
        for report in reports:
            console.print(text.render_report(report, top))
    from slimgo.inspect.binary import exit_code

    return exit_code(reports, strict=strict)  # 1 when nothing Go-specific was read: the report still printed


def _text_output() -> tuple[Console, ModuleType]:
    """A console and the renderers: rich is loaded only for text output, JSON needs none of it."""
    from rich.console import Console

    from slimgo.inspect import text

    return Console(soft_wrap=False), text
