"""`slimgo bench examples/hello -n 10`, all seven variants, cold (an empty slimgo cache: every UPX level packs) and
then warm (the same cache: packed binaries are reused), each phase's wall time from the bench's own JSON."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._report import markdown_table, write_section

ROOT = Path(__file__).resolve().parent.parent
REPETITIONS = 10
TARGET_S = 60.0


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bench(cache: Path, work: Path) -> tuple[float, dict[str, Any]]:
    """One whole `slimgo bench` in a new process: its wall time and its JSON document."""
    addr = f"127.0.0.1:{_port()}"
    env = {**os.environ, "SLIMGO_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "slimgo", "bench", str(work), "-n", str(REPETITIONS), "--probe",
                           f"http://{addr}/healthz", "--arg", f"-addr={addr}", "--json"],
                          env=env, capture_output=True, text=True, timeout=1800, check=True)
    return time.perf_counter() - start, json.loads(done.stdout)


def _stat(stat: dict[str, float] | None, scale: float = 1.0) -> str:
    if stat is None:
        return "-"
    return f"{stat['median'] / scale:.1f} ({stat['min'] / scale:.1f}-{stat['max'] / scale:.1f})"


def _variants(document: dict[str, Any]) -> str:
    rows = [[v["name"], f"{v['binary_bytes'] / 1e6:.2f}", f"{v['compressed_bytes'] / 1e6:.2f}",
             f"{v['uncompressed_bytes'] / 1e6:.2f}", _stat(v["pull_ms"]), _stat(v["startup_ms"]),
             _stat(v["startup_container_ms"]), _stat(v["rss_bytes"], 1e6), _stat(v["rss_container_bytes"], 1e6)]
            for v in document["variants"]]
    return markdown_table(["variant", "binary MB", "pull MB", "disk MB", "pull ms", "start ms", "in runc ms",
                           "RSS MB", "runc cgroup peak MB"], rows)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-bench-") as tmp:
        work = Path(tmp) / "hello"
        subprocess.run(["cp", "-r", str(ROOT / "examples" / "hello"), str(work)], check=True)
        cache = Path(tmp) / "cache"
        load_before = os.getloadavg()[0]
        cold_s, cold = _bench(cache, work)
        warm_s, warm = _bench(cache, work)
        load_after = os.getloadavg()[0]
    cold_phases, warm_phases = cold["elapsed_s"], warm["elapsed_s"]
    rows = [[name, f"{total:.1f}", *(f"{phases.get(p, 0):.1f}" for p in ("build", "prepare", "measure")),
             "met" if total < TARGET_S else "NOT met"]
            for name, total, phases in (("cold (empty slimgo cache)", cold_s, cold_phases),
                                        ("warm (packed binaries cached)", warm_s, warm_phases))]
    body = ("`slimgo bench examples/hello -n 10 --probe URL` (a net/http server), all seven variants, as root with "
            "runc (so every round also starts each variant in a container), each run a new process. Cold: an empty "
            "slimgo cache, so every UPX level packs (`upx --best` is most of it); Go's own build cache stays warm. "
            "Warm: the same command again. Phases from the bench's `elapsed_s`: build (all variants, two at a "
            "time), prepare (binaries, runc bundles, registry, pushes), measure (the 10 interleaved rounds, "
            f"nothing else of ours running). Load average (1 min) before/after: {load_before:.1f} / "
            f"{load_after:.1f} on {os.cpu_count()} CPUs.\n\n"
            + markdown_table(["run", "total s", "build s", "prepare s", "measure s", f"< {TARGET_S:.0f} s"], rows)
            + "\n\nThe warm run's figures (median (min-max) of 10):\n\n" + _variants(warm))
    write_section("bench", "slimgo bench (cold and warm)", body)


if __name__ == "__main__":
    main()
