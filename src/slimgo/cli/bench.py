"""`slimgo bench PACKAGE`: build the size variants of one Go program and measure each (sizes, pull, start-up, RSS)."""

from __future__ import annotations

__all__ = ["bench"]

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from slimgo.cli import render

if TYPE_CHECKING:
    from rich.table import Table

    from slimgo.bench.measure import BenchResult, ContainerStarts, Stat
    from slimgo.bench.variants import Variant
    from slimgo.oci.image import StoredImage
    from slimgo.stores.transport import Stores

# build's own flags that a bench variant never sets: everything else keeps build's defaults.
_NOT_BUILD_VALUES = ("packages", "fmt", "as_json", "config_path", "image_tags", "bare", "pull", "insecure",
                     "vuln_gate")


@click.command()
@click.argument("package", default=".")
@click.option("-n", "--repetitions", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Measurements per variant (interleaved across variants).")
@click.option("--variant", "variant_names", multiple=True, metavar="NAME",
              help="Measure only these variants (plain is always measured). Repeatable. "
                   "Names: plain, trimpath, strip, upx-fast, upx-best, upx-lzma, strip-zstd.")
@click.option("--probe", metavar="URL", help="A server is up when this URL answers 2xx/3xx (else: when it exits).")
@click.option("--arg", "args", multiple=True, help="An argument for the program. Repeatable.")
@click.option("--env", "env", multiple=True, metavar="K=V", help="Environment for the program. Repeatable.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
              help="Seconds one start may take before the program counts as hung.")
@click.option("--container/--no-container", default=None,
              help="Also time starts, and read the peak memory of the container's cgroup, in a runc container "
                   "(default: when root and runc is installed).")
@click.option("--json", "as_json", is_flag=True, help="Print the slimgo.bench JSON document.")
def bench(package: str, repetitions: int, variant_names: tuple[str, ...], probe: str | None, args: tuple[str, ...],
          env: tuple[str, ...], timeout: float, container: bool | None, as_json: bool) -> None:
    """Build PACKAGE as plain, -trimpath, -s -w, UPX and zstd variants, and measure what each costs."""
    from slimgo.bench.measure import Program, run_bench
    from slimgo.bench.output import payload, verdicts
    from slimgo.bench.schedule import build_all
    from slimgo.bench.variants import choose
    from slimgo.cli.options import stores_from
    from slimgo.imagebuild.options import parse_pairs

    variants = choose(variant_names)
    program = Program(args, dict(parse_pairs(env, "--env")), probe, timeout)
    stores = stores_from(None, ())
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-build-") as tmp:
        started = time.perf_counter()
        # Built before anything is measured, so no measurement shares the CPUs with a build of ours.
        images = build_all(variants, lambda variant: _build(package, variant, Path(tmp), stores))
        build_s = time.perf_counter() - started
        result = run_bench(package, list(zip(variants, images, strict=True)), program, repetitions, stores,
                           on_step=render.log, container=_container_starts(container))
        result = replace(result, elapsed_s={"build": build_s, **result.elapsed_s})
    if as_json:
        render.document("slimgo.bench", payload(result))
        return
    render.renderable(_table(result))
    for line in verdicts(result):
        render.result_line(line)
    render.log(f"[dim]took {sum(result.elapsed_s.values()):.1f} s: "
               + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in result.elapsed_s.items()) + "[/dim]")


def _container_starts(wanted: bool | None) -> ContainerStarts | None:
    import os
    import shutil

    if wanted is False or (wanted is None and (os.geteuid() != 0 or shutil.which("runc") is None)):
        return None
    from slimgo.runtime.timing import container_starts

    return container_starts


def _build(package: str, variant: Variant, workdir: Path, stores: Stores) -> StoredImage:
    """One variant through `slimgo build`'s own pipeline, written to a scratch layout."""
    from slimgo.cachedir import cache_root
    from slimgo.cli.build import build as build_command
    from slimgo.imagebuild.pipeline import BuildRequest, run_build
    from slimgo.oci.image import StoredImage

    render.log(f"building {variant.name} ({variant.go_flags}{', ' + variant.compress if variant.compress else ''})")
    # A layout per variant: the builds run at once, and two writers of one index.json would race.
    context = build_command.make_context("build", [package, *variant.flags, "-o",
                                                   f"oci:{workdir / variant.name}:{variant.name}"])
    values: dict[str, Any] = {k: v for k, v in context.params.items() if k not in _NOT_BUILD_VALUES}
    request = BuildRequest(patterns=(package,), values=values, explicit=frozenset(values),
                           multiple=frozenset(p.name for p in build_command.params if p.name and
                                              getattr(p, "multiple", False)), cwd=Path.cwd())
    outcome = run_build(request, stores, cache_root())[0]
    artifact = outcome.result.artifact
    assert isinstance(artifact, StoredImage)  # one platform: the host's
    return artifact


def _ms(stat: Stat | None, scale: float = 1.0) -> str:
    if stat is None:
        return "-"
    return f"{stat.median / scale:.1f}\n[dim]{stat.min / scale:.1f}-{stat.max / scale:.1f}[/dim]"


def _table(result: BenchResult) -> Table:
    """Medians, with min-max underneath."""
    from rich.table import Table

    grid = Table(title=f"slimgo bench {result.package} (N={result.repetitions}, medians; min-max below)")
    for header in ("variant", "binary MB", "pull MB", "disk MB", "pull ms", "start ms", "in runc ms", "RSS MB",
                   "runc RSS MB"):
        grid.add_column(header, justify="left" if header == "variant" else "right", overflow="fold")
    for m in result.variants:
        grid.add_row(m.variant.name, f"{m.binary_bytes / 1e6:.2f}", f"{m.compressed_bytes / 1e6:.2f}",
                     f"{m.uncompressed_bytes / 1e6:.2f}", _ms(m.pull_ms), _ms(m.startup_ms),
                     _ms(m.startup_container_ms), _ms(m.rss_bytes, 1e6), _ms(m.rss_container_bytes, 1e6))
    return grid
