"""slimgo report on a large Go binary (GOROOT's cmd/compile, unstripped): wall time and page size, beside
go-size-analyzer's HTML report when it can be installed."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._report import markdown_table, write_section
from benchmarks.inspect_binary import ENV, _gsa, _largest_binary

RUNS = 5


def _timed(args: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(args, env=ENV, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-report-") as tmp:
        out = Path(tmp)
        binary = _largest_binary(out)
        size_mb = binary.stat().st_size / 1e6
        page = out / "report.html"
        ours = _timed([sys.executable, "-m", "slimgo", "report", str(binary), "-o", str(page)])
        rows = [["slimgo report", f"{ours:.2f}", f"{page.stat().st_size / 1e3:.0f}"]]
        gsa, why = _gsa(out)
        if gsa:
            peer_page = out / "gsa.html"
            theirs = _timed([gsa, "--format", "html", "-o", str(peer_page), str(binary)])
            rows.append(["gsa --format html", f"{theirs:.2f}", f"{peer_page.stat().st_size / 1e3:.0f}"])
        body = (f"An HTML report for `cmd/compile` ({size_mb:.1f} MB, unstripped), median of {RUNS} runs, each a new "
                "process.\n\n" + markdown_table(["tool", "seconds", "page KB"], rows))
        if not gsa:
            body += f"\n\ngo-size-analyzer could not be installed here: {why}"
        write_section("report", "slimgo report (HTML)", body)


if __name__ == "__main__":
    main()
