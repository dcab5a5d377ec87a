"""slimgo vuln vs govulncheck -mode=binary on caddy's binary with the same local database, and indexing the database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from benchmarks._report import markdown_table, write_section
from benchmarks._timing import median, peer_binary

RUNS = 7
CADDY = ("github.com/caddyserver/caddy/v2/cmd/caddy", "v2.10.0")
GOVULNCHECK = ("golang.org/x/vuln/cmd/govulncheck", "v1.9.0")
ENV = {**os.environ, "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}






def _run(*args: str, env: Mapping[str, str] = ENV) -> str:
    return subprocess.run(args, env=dict(env), check=False, capture_output=True, text=True, timeout=600).stdout


def _govulncheck_present(output: str) -> set[str]:
    decoder, present = json.JSONDecoder(), set()
    for _ in range(1_000_000):
        output = output.lstrip()
        if not output:
            break
        message, end = decoder.raw_decode(output)
        output = output[end:]
        finding = message.get("finding")
        if finding and finding["trace"][0].get("function"):
            present.add(finding["osv"])
    return present


def main() -> None:
    from slimgo.gobuild.moddownload import download
    from slimgo.vuln.database import VULNDB_MODULE, build_index, open_module, osv_files

    caddy = peer_binary(*CADDY)
    govulncheck = peer_binary(*GOVULNCHECK)
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-") as tmp:
        cache = Path(tmp) / "cache"
        start = time.perf_counter()
        db = open_module(cache / "vuln", download, refresh=True)  # the module itself is usually in GOMODCACHE
        first_index = time.perf_counter() - start
        osv_dir = download(VULNDB_MODULE, db.version, "").dir / "data" / "osv"
        _, files = osv_files(osv_dir)
        parse_only = median(lambda: build_index(files), 3)
        env = {**ENV, "SLIMGO_CACHE_DIR": str(cache)}
        slimgo = [sys.executable, "-m", "slimgo", "vuln", "--json", "--fail-on", "never", str(caddy)]
        peer = [str(govulncheck), "-mode=binary", "-db", osv_dir.as_uri(), "-format", "json", str(caddy)]
        ours = json.loads(_run(*slimgo, env=env))
        theirs = _govulncheck_present(_run(*peer))
        present = {f["id"] for b in ours["binaries"] for f in b["findings"] if f["status"] == "present"}
        affecting = {f["id"] for b in ours["binaries"] for f in b["findings"]}
        t_slimgo = median(lambda: _run(*slimgo, env=env))
        t_peer = median(lambda: _run(*peer))
        shutil.rmtree(cache, ignore_errors=True)
    rows: list[list[object]] = [
        ["`slimgo vuln --json` (index already built)", f"{t_slimgo * 1000:.0f} ms",
         f"{t_slimgo / t_peer:.2f}x govulncheck"],
        ["`govulncheck -mode=binary -db file://... -format json`", f"{t_peer * 1000:.0f} ms", "peer"],
        ["indexing the database once (`go mod download` of the cached module + index)", f"{first_index:.2f} s",
         "target < 10 s"],
        ["  of which parsing the advisories into the index", f"{parse_only:.2f} s", f"{len(files):,} files"],
    ]
    same = "the same" if present == theirs else f"DIFFERENT (slimgo {sorted(present ^ theirs)})"
    body = (
        f"Binary: caddy {CADDY[1]} ({caddy.stat().st_size / 1e6:.1f} MB, unstripped), database "
        f"{VULNDB_MODULE}@{db.version} ({db.count:,} advisories), median of {RUNS} runs; whole-command times "
        "include Python start-up.\n\n"
        + markdown_table(["what", "time", "note"], rows)
        + f"\n\nBoth report {len(present)} advisories present (of {len(affecting)} affecting caddy's modules): "
        f"{same} IDs. govulncheck reads the {len(files):,} OSV files on every run; slimgo reads its compact index "
        "and the binary's function name table once.\n"
    )
    write_section("vuln", "slimgo vuln", body)


if __name__ == "__main__":
    main()
