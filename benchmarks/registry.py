# ruff: noqa: E402
"""Registry speed: slimgo vs skopeo pushing examples/hello and a large image, re-pushing, and pulling to a layout."""

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
RUNS = 7
LARGE_LAYERS, LARGE_LAYER_MB = 4, 12
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
    work.mkdir(parents=True, exist_ok=True)
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


def paired(ours: Callable[[int], float], theirs: Callable[[int], float]) -> tuple[float, float]:
    """Medians of RUNS alternating runs, so a load spike on this machine hits both tools alike."""
    a: list[float] = []
    b: list[float] = []
    for i in range(RUNS):
        a.append(ours(i))
        b.append(theirs(i))
    return statistics.median(a), statistics.median(b)


def slimgo_command() -> list[str]:
    """The installed console script, as a user runs it (else `python -m slimgo`)."""
    script = Path(sys.executable).with_name("slimgo")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "slimgo"]


def main() -> None:
    for tool in ("docker-registry", "skopeo", "go"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (run `make setup`)")
    work = Path(tempfile.mkdtemp(prefix="slimgo-bench-registry-"))
    # An installed package has its bytecode compiled; a checkout run with PYTHONDONTWRITEBYTECODE would recompile
    # slimgo on every start and charge that to the push. Keep bytecode in the scratch directory instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"SLIMGO_CACHE_DIR": str(work / "cache"), "DOCKER_CONFIG": str(work / "docker"),
            "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    cli = slimgo_command()

    def slimgo(*args: str, cache: str | None = None) -> float:
        return run(*cli, *args, env=env if cache is None else {**env, "SLIMGO_CACHE_DIR": cache})

    def skopeo(src: str, dst: str) -> float:
        return run("skopeo", "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", src, dst)

    host, registry = start_registry(work / "main")
    # skopeo remembers where it pushed each blob (its blob info cache) and mounts it into the next repository of
    # that registry: a cold push is only cold into a registry neither tool has pushed to before, one per run.
    fresh = [start_registry(work / f"fresh{i}") for i in range(RUNS)]
    try:
        layout = f"oci:{work}/hello:hello"
        subprocess.run([*cli, "build", "-o", layout, "."], cwd=ROOT / "examples" / "hello", check=True,
                       stdout=subprocess.DEVNULL, env=env)
        size = blob_bytes(work / "hello")
        slimgo("copy", layout, f"docker://{host}/warmup/hello:1")  # bytecode written once, as at install

        cold_s, cold_k = paired(lambda i: slimgo("copy", layout, f"docker://{fresh[i][0]}/cold/slimgo:1"),
                                lambda i: skopeo(layout, f"docker://{fresh[i][0]}/cold/skopeo:1"))
        cold_inproc = statistics.median(push_in_process(layout, f"{fresh[i][0]}/cold/inproc:1", work / f"c{i}")
                                        for i in range(RUNS))
        warm_s, warm_k = paired(lambda i: slimgo("copy", layout, f"docker://{fresh[0][0]}/cold/slimgo:1"),
                                lambda i: skopeo(layout, f"docker://{fresh[0][0]}/cold/skopeo:1"))
        warm_inproc = statistics.median(repush_in_process(layout, f"{host}/warmup/hello:1") for _ in range(RUNS))

        large = random_layout(work, "large", LARGE_LAYERS, LARGE_LAYER_MB << 20)
        large_size = blob_bytes(work / "large")
        large_s, large_k = paired(lambda i: slimgo("copy", large, f"docker://{fresh[i][0]}/large/slimgo:1"),
                                  lambda i: skopeo(large, f"docker://{fresh[i][0]}/large/skopeo:1"))
        # The same image into another repository: each tool remembers where it pushed the blobs, and mounts.
        mount_s, mount_k = paired(lambda i: slimgo("copy", large, f"docker://{fresh[i][0]}/again/slimgo:1"),
                                  lambda i: skopeo(large, f"docker://{fresh[i][0]}/again/skopeo:1"))

        multi = random_layout(work, "multi", 6, 4 << 20)
        slimgo("copy", multi, f"docker://{host}/pull/multi:1")
        pull_size = blob_bytes(work / "multi")
        pull_s, pull_k = paired(
            lambda i: slimgo("copy", f"docker://{host}/pull/multi:1", f"oci:{work}/pulled-slimgo-{i}:x",
                             cache=str(work / f"pull-cache-{i}")),
            lambda i: skopeo(f"docker://{host}/pull/multi:1", f"oci:{work}/pulled-skopeo-{i}:x"))
    finally:
        for process in [registry, *(p for _, p in fresh)]:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x"

    rows = [
        [f"cold push of examples/hello ({size / 1e6:.1f} MB, 2 layers), CLI", f"{cold_s:.2f} s", f"{cold_k:.2f} s",
         ratio(cold_s, cold_k), "≤ 1.2x skopeo"],
        ["cold push of examples/hello, in-process (no interpreter start-up)", f"{cold_inproc:.2f} s",
         f"{cold_k:.2f} s", ratio(cold_inproc, cold_k), "≤ 1.2x skopeo"],
        [f"cold push of a {large_size / 1e6:.0f} MB image ({LARGE_LAYERS} random layers), CLI", f"{large_s:.2f} s",
         f"{large_k:.2f} s", ratio(large_s, large_k), "≤ 1.2x skopeo"],
        ["the same 50 MB image into a second repository (mounted), CLI", f"{mount_s:.2f} s", f"{mount_k:.2f} s",
         ratio(mount_s, mount_k), ""],
        ["re-push, unchanged, CLI", f"{warm_s:.2f} s", f"{warm_k:.2f} s", ratio(warm_s, warm_k), ""],
        ["re-push, unchanged, in-process (warm session)", f"{warm_inproc:.3f} s", "", "", "< 0.3 s"],
        [f"pull of a 6-layer image ({pull_size / 1e6:.1f} MB) to an OCI layout, CLI", f"{pull_s:.2f} s",
         f"{pull_k:.2f} s", ratio(pull_s, pull_k), ""],
    ]
    body = markdown_table(["case", "slimgo", "skopeo", "ratio", "target"], rows)
    body += (f"\n\nMedian of {RUNS} runs each, slimgo and skopeo alternating, against local `docker-registry` "
             "processes (plain HTTP on 127.0.0.1). Each cold push goes to a registry neither tool has pushed to "
             "before: both remember where they pushed a blob, and mount it into the next repository of that "
             "registry instead of uploading it again. CLI rows "
             "include starting the process: the `slimgo` console script with compiled bytecode (as installed), and "
             "skopeo's Go binary. slimgo's pull is `slimgo copy docker://... oci:...` into an empty cache (layers "
             "are verified once, into the cache, and hard-linked into the layout); skopeo's is `skopeo copy` to an "
             "OCI layout.")
    write_section("registry", "Registry push and pull", body)


def blob_bytes(layout: Path) -> int:
    return sum(p.stat().st_size for p in (layout / "blobs").rglob("*") if p.is_file())


def push_in_process(layout: str, ref: str, cache: Path) -> float:
    """A cold push from a fresh session (new connections, new ping), without Python's start-up and imports.

    Its own cache, too: the shared one remembers where the CLI pushed the same blobs, and would mount them.
    """
    from slimgo.stores.transport import Location, Stores

    artifact = Stores().read(Location.parse(layout))
    os.environ["SLIMGO_CACHE_DIR"] = str(cache)
    stores = Stores()  # a fresh session: new connections, new ping
    start = time.perf_counter()
    stores.write(Location.parse(f"docker://{ref}"), artifact)
    return time.perf_counter() - start


def repush_in_process(layout: str, ref: str) -> float:
    from slimgo.stores.transport import Location, Stores

    stores = Stores()
    artifact = stores.read(Location.parse(layout))
    stores.write(Location.parse(f"docker://{ref}"), artifact)  # warm: connections and the ping are behind us
    start = time.perf_counter()
    stores.write(Location.parse(f"docker://{ref}"), artifact)
    return time.perf_counter() - start


def random_layout(work: Path, name: str, count: int, size: int) -> str:
    """An OCI layout holding one image of ``count`` layers of ``size`` incompressible bytes each."""
    from slimgo.host import host_platform
    from slimgo.layer import Entry, build_layer
    from slimgo.oci.config import ImageConfig
    from slimgo.oci.image import assemble
    from slimgo.stores.transport import Location, Stores

    layers = [build_layer([Entry(f"data/{i}.bin", data=os.urandom(size))], work) for i in range(count)]
    image = assemble(ImageConfig.empty(host_platform()), layers)
    Stores().write(Location.parse(f"oci:{work}/{name}:x"), image)
    return f"oci:{work}/{name}:x"


if __name__ == "__main__":
    main()
