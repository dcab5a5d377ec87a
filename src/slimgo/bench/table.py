"""A bench result as a rich table (rendered by the CLI): medians, with min-max underneath."""

from __future__ import annotations

from rich.table import Table

from slimgo.bench.measure import BenchResult, Stat


def _ms(stat: Stat | None) -> str:
    return "-" if stat is None else f"{stat.median:.1f}\n[dim]{stat.min:.1f}-{stat.max:.1f}[/dim]"


def table(result: BenchResult) -> Table:
    grid = Table(title=f"slimgo bench {result.package} (N={result.repetitions}, medians; min-max below)")
    for header in ("variant", "binary MB", "pull MB", "disk MB", "pull ms", "start ms", "in runc ms", "RSS MB"):
        grid.add_column(header, justify="left" if header == "variant" else "right", overflow="fold")
    for m in result.variants:
        rss = m.rss_bytes
        grid.add_row(m.variant.name, f"{m.binary_bytes / 1e6:.2f}", f"{m.compressed_bytes / 1e6:.2f}",
                     f"{m.uncompressed_bytes / 1e6:.2f}", _ms(m.pull_ms), _ms(m.startup_ms),
                     _ms(m.startup_container_ms),
                     f"{rss.median / 1e6:.1f}\n[dim]{rss.min / 1e6:.1f}-{rss.max / 1e6:.1f}[/dim]")
    return grid
