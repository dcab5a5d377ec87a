# ruff: noqa: E402
"""Registry speed: slimgo vs skopeo pushing examples/hello, re-pushing it unchanged, and pulling a multi-layer image."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is benchmarks/ (whose registry.py would shadow nothing, but whose parent holds the
# `benchmarks` package): point it at the repository root before anything else is imported.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable

import requests

from benchmarks._report import markdown_table, write_section

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
CONFIG = """version: 0.1
log: {{level: error, accesslog: {{disabled: true}}}}
storage: {{filesystem: {{rootdirectory: {root}}}}}
http: {{addr: {addr}, secret: bench}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_registry(work: Path) -> tuple[str, subprocess.Popen[bytes]]:
    host = f"127.0.0.1:{free_port()}"
    config = work / "registry.yml"
    config.write_text(CONFIG.format(root=work / "storage", addr=host))
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if requests.get(f"http://{host}/v2/", timeout=1).status_code == 200:
                return host, process
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("docker-registry did not start")


def run(*cmd: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - start


def median(measure: Callable[[int], float]) -> float:
    return statistics.median(measure(i) for i in range(RUNS))


def slimgo(*args: str, env: dict[str, str]) -> float:
    return run(sys.executable, "-m", "slimgo", *args, env=env)


def main() -> None:
    for tool in ("docker-registry", "skopeo", "go"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (run `make setup`)")
    work = Path(tempfile.mkdtemp(prefix="slimgo-bench-registry-"))
    env = {**os.environ, "SLIMGO_CACHE_DIR": str(work / "cache"), "DOCKER_CONFIG": str(work / "docker")}
    host, registry = start_registry(work)
    try:
        layout = f"oci:{work}/hello:hello"
        subprocess.run([sys.executable, "-m", "slimgo", "build", "-o", layout, "."], cwd=ROOT / "examples" / "hello",
                       check=True, stdout=subprocess.DEVNULL, env=env)
        size = sum(p.stat().st_size for p in (work / "hello" / "blobs").rglob("*") if p.is_file())

        cold_slimgo = median(lambda i: slimgo("copy", layout, f"docker://{host}/cold/slimgo{i}:1", env=env))
        cold_skopeo = median(lambda i: run("skopeo", "copy", "-q", "--dest-tls-verify=false", layout,
                                           f"docker://{host}/cold/skopeo{i}:1"))
        cold_inproc = median(lambda i: push_in_process(layout, f"{host}/cold/inproc{i}:1"))
        warm_slimgo = median(lambda i: slimgo("copy", layout, f"docker://{host}/cold/slimgo0:1", env=env))
        warm_skopeo = median(lambda i: run("skopeo", "copy", "-q", "--dest-tls-verify=false", layout,
                                           f"docker://{host}/cold/skopeo0:1"))
        warm_inproc = median(lambda i: repush_in_process(layout, f"{host}/cold/slimgo0:1"))

        multi = multi_layer_layout(work)
        slimgo("copy", multi, f"docker://{host}/pull/multi:1", env=env)
        pull_size = sum(p.stat().st_size for p in (work / "multi" / "blobs").rglob("*") if p.is_file())

        def pull_slimgo(i: int) -> float:
            cache_env = {**env, "SLIMGO_CACHE_DIR": str(work / f"pull-cache-{i}")}
            return slimgo("copy", f"docker://{host}/pull/multi:1", f"oci:{work}/pulled-slimgo-{i}:x", env=cache_env)

        pull_s = median(pull_slimgo)
        pull_k = median(lambda i: run("skopeo", "copy", "-q", "--src-tls-verify=false",
                                      f"docker://{host}/pull/multi:1", f"oci:{work}/pulled-skopeo-{i}:x"))
    finally:
        registry.terminate()
        registry.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        [f"cold push of examples/hello ({size / 1e6:.1f} MB)", f"{cold_slimgo:.2f} s", f"{cold_skopeo:.2f} s",
         f"{cold_slimgo / cold_skopeo:.2f}x", "≤ 1.2x skopeo"],
        ["cold push, in-process (no interpreter start-up)", f"{cold_inproc:.2f} s", f"{cold_skopeo:.2f} s",
         f"{cold_inproc / cold_skopeo:.2f}x", "≤ 1.2x skopeo"],
        ["re-push, unchanged (CLI process)", f"{warm_slimgo:.2f} s", f"{warm_skopeo:.2f} s",
         f"{warm_slimgo / warm_skopeo:.2f}x", ""],
        ["re-push, unchanged (in-process, warm session)", f"{warm_inproc:.3f} s", "", "", "< 0.3 s"],
        [f"pull of a 6-layer image ({pull_size / 1e6:.1f} MB)", f"{pull_s:.2f} s", f"{pull_k:.2f} s",
         f"{pull_s / pull_k:.2f}x", ""],
    ]
    body = markdown_table(["case", "slimgo", "skopeo", "ratio", "target"], rows)
    body += (f"\n\nMedian of {RUNS} runs each, one local `docker-registry` (plain HTTP on 127.0.0.1) for both tools. "
             "CLI times include starting the process (Python for slimgo, Go for skopeo). slimgo's pull is "
             "`slimgo copy docker://... oci:...` into an empty cache; skopeo's is `skopeo copy` to an OCI layout.")
    write_section("registry", "Registry push and pull", body)


def push_in_process(layout: str, ref: str) -> float:
    """A cold push from a fresh session (new connections, new ping), without Python's start-up and imports."""
    from slimgo.stores import registry
    from slimgo.stores.registry.session import reset_sessions
    from slimgo.stores.transport import Location, read_artifact

    artifact = read_artifact(Location.parse(layout))
    reset_sessions()
    start = time.perf_counter()
    registry.write(ref, artifact)
    return time.perf_counter() - start


def repush_in_process(layout: str, ref: str) -> float:
    from slimgo.stores import registry
    from slimgo.stores.transport import Location, read_artifact

    artifact = read_artifact(Location.parse(layout))
    registry.write(ref, artifact)  # warm: connections and the ping are behind us
    start = time.perf_counter()
    registry.write(ref, artifact)
    return time.perf_counter() - start


def multi_layer_layout(work: Path) -> str:
    from slimgo.layer import Entry, build_layer
    from slimgo.oci.config import ImageConfig
    from slimgo.oci.image import assemble
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import Location, write_artifact

    layers = [build_layer([Entry(f"data/{i}.bin", data=os.urandom(4 << 20))], work) for i in range(6)]
    image = assemble(ImageConfig.empty(Platform.host()), layers)
    write_artifact(Location.parse(f"oci:{work}/multi:x"), image)
    return f"oci:{work}/multi:x"


if __name__ == "__main__":
    main()
