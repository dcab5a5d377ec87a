"""`slimgo report IMAGE|BINARY [--bench RESULT.json] -o report.html`: one self-contained HTML page."""

from __future__ import annotations

__all__ = ["report"]

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from
from slimgo.stores.transport import SYNTAX

_BENCH_MAX = 16 << 20  # a bench document is a few KiB; anything past this is not one


@click.command(help=f"Write one offline HTML page for IMAGE ({SYNTAX}) or a BINARY: package-size treemap, layers, "
                    "and bench charts from --bench.")
@click.argument("target")
@click.option("--bench", "bench_path", type=click.Path(path_type=Path), help="A `slimgo bench --json` document.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")
@registry_options
def report(target: str, bench_path: Path | None, output: Path, pull: str, insecure: tuple[str, ...]) -> None:
    from slimgo import __version__
    from slimgo.inspect.jsonout import report_json
    from slimgo.inspect.target import inspect_target, is_image_target
    from slimgo.report.page import render_page

    bench = _read_bench(bench_path) if bench_path else None
    stores = stores_from(pull, insecure)
    # The page draws function bytes per package: the table and data shares would double the time for nothing.
    reports = inspect_target(target, stores=stores, compress=False, attribution=False)
    if not all(r.go_specific for r in reports):
        from slimgo.errors import UnusableBinary

        raise UnusableBinary(target, "holds no Go build information or function table, so there are no Go "
                             "packages to draw", "report on a Go binary, or an image whose entrypoint is one")
    layers = _layers(target, stores) if is_image_target(target) else []
    page = render_page(target, [report_json(r) for r in reports], layers, bench, __version__)
    _write_atomically(output, page)
    render.result_line(f"wrote {output}")


def _read_bench(path: Path) -> dict[str, Any]:
    from slimgo.errors import InputError

    if not path.is_file():
        raise InputError(f"--bench {path}", "is not a file", "pass the file `slimgo bench --json > FILE` wrote")
    with path.open("rb") as stream:
        data = stream.read(_BENCH_MAX + 1)
    try:
        document = json.loads(data) if len(data) <= _BENCH_MAX else None
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("kind") != "slimgo.bench" or \
            not isinstance(document.get("variants"), list):
        raise InputError(f"--bench {path}", "is not a slimgo.bench document",
                         "pass the file `slimgo bench --json > FILE` wrote")
    return document


def _layers(target: str, stores: Any) -> list[dict[str, Any]]:
    from slimgo.host import host_platform

    image = stores.open_image(target, host_platform())
    return [{"digest": str(layer.descriptor.digest), "media_type": layer.descriptor.media_type,
             "size": layer.descriptor.size} for layer in image.layers]


def _write_atomically(output: Path, page: str) -> None:
    """The page appears whole or not at all, next to where it goes."""
    directory = output.parent if str(output.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=".slimgo-report-", suffix=".html", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(page)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets; a report is read like any file
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
