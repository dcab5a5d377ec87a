"""Benchmark: `slimgo run` against `umoci unpack` + `runc run`, on a Go CLI over the static base with zoneinfo.

Run as root from the repository root: python -m benchmarks.run [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import markdown_table, write_section
from slimgo.base.static import base_env, rootfs_entries, zoneinfo_entries
from slimgo.host import host_platform
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import StoredImage, assemble
from slimgo.runtime.unpack import unpack_layers
from slimgo.stores.transport import Location, Stores

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "stdincli"


def best_of_pair(runs: int, ours: Callable[[], None], peer: Callable[[], None]) -> tuple[str, str]:
    """Best time of each, alternating the two so a busy moment of the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, into in ((ours, times[0]), (peer, times[1])):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return f"{min(times[0]) * 1000:.0f} ms", f"{min(times[1]) * 1000:.0f} ms"


def make_image(work: Path) -> tuple[StoredImage, str]:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    binary = work / "stdincli"
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "."], cwd=FIXTURE,
                   env={**os.environ, "CGO_ENABLED": "0"}, check=True)
    base = build_layer(rootfs_entries() + zoneinfo_entries(), work)
    app = build_layer([Entry("app/stdincli", mode=0o755, source=binary)], work)
    config = ImageConfig.empty(host_platform()).replace_runtime(User="65532:65532", Entrypoint=["/app/stdincli"],
                                                                Env=base_env(True))
    image = assemble(config, [base, app])
    Stores().write(Location.parse(f"oci:{work}/layout:cli"), image)
    return image, f"{work}/layout"


def check(done: subprocess.CompletedProcess[bytes]) -> None:
    if done.returncode != 0 or done.stdout != b"HI\n":
        raise SystemExit(f"unexpected result: {done.returncode} {done.stdout!r} {done.stderr.decode()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("runc") or not shutil.which("umoci"):
        raise SystemExit("needs root, runc and umoci")
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-run-") as tmp:
        work = Path(tmp)
        image, layout = make_image(work)
        files = sum(1 for _ in rootfs_entries() + zoneinfo_entries()) + 1

        def slimgo_unpack() -> None:
            target = work / "unpacked"
            unpack_layers(image.layers, target / "rootfs", lambda _: None)
            shutil.rmtree(target)

        def umoci_unpack() -> None:
            target = work / "umoci"
            subprocess.run(["umoci", "unpack", "--image", f"{layout}:cli", str(target)], check=True,
                           capture_output=True)
            shutil.rmtree(target)

        def slimgo_run() -> None:
            check(subprocess.run([sys.executable, "-m", "slimgo", "run", f"oci:{layout}:cli", "--", "0"],
                                 input=b"hi\n", capture_output=True, check=False))

        def umoci_runc() -> None:
            target = work / "umoci-run"
            subprocess.run(["umoci", "unpack", "--image", f"{layout}:cli", str(target)], check=True,
                           capture_output=True)
            spec = json.loads((target / "config.json").read_text())
            spec["process"]["terminal"] = False  # umoci writes a TTY config; stdin is a pipe here
            spec["process"]["args"] = ["/app/stdincli", "0"]
            (target / "config.json").write_text(json.dumps(spec))
            check(subprocess.run(["runc", "--root", str(work / "state"), "run", "--bundle", str(target),
                                  f"bench-{os.getpid()}"], input=b"hi\n", capture_output=True, check=False))
            shutil.rmtree(target)

        unpack = best_of_pair(args.runs, slimgo_unpack, umoci_unpack)
        run = best_of_pair(args.runs, slimgo_run, umoci_runc)
        rows = [
            ["unpack layers into a rootfs", unpack[0], f"{unpack[1]} (umoci unpack)"],
            ["unpack + run to exit + clean up", f"{run[0]} (slimgo run)", f"{run[1]} (umoci unpack + runc run + rm)"],
        ]
    body = (
        f"Image: the stdincli fixture (static Go) over the static base with zoneinfo, {files} entries in 2 gzip "
        f"layers. Best of {args.runs}. `slimgo run` includes Python start-up and the diff_id check of every layer; "
        "umoci also writes an mtree manifest of the rootfs.\n\n"
        + markdown_table(["step", "slimgo", "peer"], rows)
    )
    write_section("run", "slimgo run vs umoci + runc", body)


if __name__ == "__main__":
    main()
