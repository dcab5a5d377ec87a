"""`slimgo inspect TARGET` and `slimgo inspect --diff A B`: the Go, linking, hardening and size report."""

from __future__ import annotations

__all__ = ["inspect"]

from pathlib import Path

import click

from slimgo.cli import render
from slimgo.cli.options import chosen_format, format_option, platform_option, registry_options, stores_from
from slimgo.errors import UsageError
from slimgo.stores.transport import SYNTAX


@click.command(help=f"""Report what a Go binary is made of: Go build info, linking, hardening and size.

    TARGET is a binary path, or an image: {SYNTAX} (its entrypoint binary is read out of the layers).
    """)
@click.argument("targets", nargs=-1, metavar="TARGET")
@click.option("--diff", "diff_mode", is_flag=True, help="Compare two targets: section, package and layer-size deltas.")
@format_option("text", "json")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Rows per size table.")
@platform_option("For an image index: only this platform (default: every platform; this machine's with --diff).")
@registry_options
@click.option("--no-layer-size", is_flag=True,
              help="Skip the gzip/zstd layer sizes (the slowest part; cached by content after a first run).")
@click.option("--strict", is_flag=True, help="Exit 1 when any part of the report could not be read.")
@click.option("--bloat-threshold", default="256KiB", show_default=True, metavar="SIZE",
              help="Name embedded data (go:embed files, large []byte and string data) from this size on as bloat.")
@click.option("--module", "module_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The main module's source, to name the import chain that pulls in each module "
                   "(default: the module around the working directory, when it is the binary's).")
def inspect(targets: tuple[str, ...], diff_mode: bool, fmt: str, as_json: bool, top: int, platform_text: str | None,
            pull: str, insecure: tuple[str, ...], no_layer_size: bool, strict: bool, bloat_threshold: str,
            module_dir: Path | None) -> int:
    from slimgo.cachedir import cache_root
    from slimgo.inspect.target import inspect_target
    from slimgo.layercheck import parse_size

    threshold = parse_size(bloat_threshold, "--bloat-threshold")

    expected = 2 if diff_mode else 1
    if len(targets) != expected:
        raise UsageError(
            "slimgo inspect",
            f"expects {'two targets with --diff' if diff_mode else 'one target'}, got {len(targets)}",
            "slimgo inspect TARGET, or slimgo inspect --diff A B",
        )
    json_out = chosen_format(fmt, as_json) == "json"
    stores = stores_from(pull, insecure)
    cache = None if no_layer_size else cache_root() / "inspect" / "layer-sizes"
    if diff_mode:
        from concurrent.futures import ThreadPoolExecutor

        from slimgo.inspect.diff import diff_reports

        # one platform per side: the one asked for, else the host's; both sides at once, so their
        # compressors share the cores while the other side is parsed
        with ThreadPoolExecutor(max_workers=2) as pool:
            sides = [pool.submit(inspect_target, t, stores=stores, platform=platform_text,
                                 compress=not no_layer_size, layer_cache=cache) for t in targets]
            a, b = (side.result()[0] for side in sides)
        diff = diff_reports(a, b)
        if json_out:
            from slimgo.inspect.jsonout import diff_json

            render.json_document(diff_json(diff))
        else:
            from slimgo.inspect import text

            render.renderable(text.render_diff(diff, top))
        return 0
    reports = inspect_target(targets[0], stores=stores, platform=platform_text, compress=not no_layer_size,
                             all_platforms=True, layer_cache=cache)
    from slimgo.inspect.deps import with_import_chains

    reports = with_import_chains(reports, module_dir)
    if json_out:
        from slimgo.inspect.jsonout import report_json, reports_json

        render.json_document(report_json(reports[0], threshold) if len(reports) == 1
                             else reports_json(reports, threshold))
    else:
        from slimgo.inspect import text

        for report in reports:
            render.renderable(text.render_report(report, top, threshold))
    from slimgo.inspect.binary import exit_code

    return exit_code(reports, strict=strict)  # 1 when nothing Go-specific was read: the report still printed
