"""The report page: a jinja2 template rendered with inline SVG charts and inline CSS (nothing is fetched)."""

from __future__ import annotations

__all__ = ["render_page"]

from typing import Any

from slimgo.report.charts import GROUP_ORDER, PALETTE, bars, nice_ticks, treemap

TREEMAP_W, TREEMAP_H = 1000.0, 560.0
# Bench figures: (key, title, unit, divisor).
FIGURES = (("binary_bytes", "Binary size", "MB", 1e6), ("compressed_bytes", "Pull size (compressed layers)", "MB", 1e6),
           ("pull_ms", "Cold pull time", "ms", 1.0), ("startup_ms", "Start-up latency", "ms", 1.0),
           ("rss_bytes", "Peak RSS", "MB", 1e6), ("startup_container_ms", "Start-up latency in runc", "ms", 1.0),
           ("rss_container_bytes", "Peak memory in runc (container cgroup)", "MB", 1e6))



def _report_view(doc: dict[str, Any]) -> dict[str, Any]:
    packages = list(doc.get("size", {}).get("packages") or [])
    group_boxes, boxes = treemap(packages, TREEMAP_W, TREEMAP_H)
    by_name = {g.name: g for g in group_boxes}
    legend = [{"name": name, "colour": PALETTE[name], "mb": f"{by_name[name].size / 1e6:.2f}"}
              for name in GROUP_ORDER if name in by_name]
    packed = doc.get("packed")
    return {"platform": doc.get("platform", ""), "boxes": boxes, "legend": legend,
            "top": sorted(packages, key=lambda p: -int(p.get("size", 0)))[:15],
            "packed": f"{packed['packed_bytes']:,} bytes on disk" if packed else None}


def _bench_view(doc: dict[str, Any]) -> dict[str, Any]:
    variants = list(doc["variants"])
    charts = []
    for key, title, unit, scale in FIGURES:
        if all(v.get(key) is None for v in variants):  # in runc: measured only as root with runc
            continue
        chart_bars = bars(variants, key, scale)
        ticks = nice_ticks(max((b.high for b in chart_bars), default=0.0))
        charts.append({"title": title, "unit": unit, "bars": chart_bars, "ticks": ticks, "top": ticks[-1] or 1.0})
    pull = bars(variants, "compressed_bytes", 1e6)
    start = bars(variants, "startup_ms", 1.0)
    points = [{"label": p.label, "x": p.value, "y": s.value, "colour": p.colour}
              for p, s in zip(pull, start, strict=True)]
    xticks = nice_ticks(max((p.value for p in pull), default=0.0))
    yticks = nice_ticks(max((s.value for s in start), default=0.0))
    return {"package": doc.get("package", ""), "repetitions": doc.get("repetitions", 0), "charts": charts,
            "scatter": {"points": points, "xticks": xticks, "yticks": yticks, "xtop": xticks[-1] or 1.0,
                        "ytop": yticks[-1] or 1.0},
            "verdicts": list(doc.get("verdicts") or [])}


def render_page(title: str, inspect_reports: list[dict[str, Any]], layers: list[dict[str, Any]],
                bench: dict[str, Any] | None, version: str) -> str:
    """The whole page as one string: every chart inline, every colour from the colour-blind-safe palette."""
    import jinja2

    top = max((int(layer["size"]) for layer in layers), default=0) or 1
    layer_rows = [{**layer, "fraction": int(layer["size"]) / top, "mb": f"{int(layer['size']) / 1e6:.2f}"}
                  for layer in layers]
    subtitle = ", ".join(filter(None, [
        inspect_reports[0].get("go", {}).get("version") if inspect_reports and inspect_reports[0].get("go") else None,
        f"{inspect_reports[0]['size']['file_bytes']:,} bytes" if inspect_reports else None]))
    env = jinja2.Environment(loader=jinja2.PackageLoader("slimgo.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("report.html.j2").render(
        title=title, subtitle=subtitle, reports=[_report_view(doc) for doc in inspect_reports], layers=layer_rows,
        bench=_bench_view(bench) if bench else None, tw=TREEMAP_W, th=TREEMAP_H, version=version)
