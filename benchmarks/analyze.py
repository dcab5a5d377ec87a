"""slimgo analyze vs dive v0.12.0 on a generated 1 GB, 50,000-file, 8-layer docker-archive (and the same image as
an OCI layout, which dive cannot read): wall time and peak RSS of each, measured in the same run."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchmarks._report import markdown_table, write_section

LAYERS = 8
FILES = 50_000
TOTAL = 1 << 30
DIVE = ("github.com/wagoodman/dive", "v0.12.0")
REPEAT = 3
OPEN_ONLY = ("import sys\nfrom slimgo.host import host_platform\nfrom slimgo.stores.transport import Stores\n"
             "Stores().open_image(sys.argv[1], host_platform())\n")


class _Hashing(io.RawIOBase):
    def __init__(self, sink: io.BufferedWriter) -> None:
        self.sink, self.hash = sink, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.hash.update(data)
        return self.sink.write(data)


def _layer(path: Path, index: int, rng: random.Random, chunk: bytes) -> str:
    """One layer of FILES/LAYERS files (some overwriting or deleting earlier ones); returns its diff_id."""
    per_file = TOTAL // FILES
    with open(path, "wb") as raw:
        hashing = _Hashing(raw)  # type: ignore[arg-type]
        with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for n in range(FILES // LAYERS):
                layer_of = index if n % 10 else rng.randrange(index + 1)  # every tenth path repeats a lower layer's
                name = f"srv/d{n % 97}/l{layer_of}-f{n}.bin"
                if index and n % 50 == 0:
                    info = tarfile.TarInfo(f"srv/d{n % 97}/.wh.l{index - 1}-f{n}.bin")
                    tar.addfile(info)
                    continue
                info = tarfile.TarInfo(name)
                info.size = rng.randrange(per_file // 2, per_file * 3 // 2)
                offset = rng.randrange(len(chunk) - info.size)
                tar.addfile(info, io.BytesIO(chunk[offset:offset + info.size]))
    return "sha256:" + hashing.hash.hexdigest()


def generate(root: Path) -> Path:
    rng = random.Random(7)
    chunk = os.urandom(4 << 20)
    diff_ids, names = [], []
    for index in range(LAYERS):
        layer = root / f"layer{index}.tar"
        diff_ids.append(_layer(layer, index, rng, chunk))
        names.append(layer.name)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "65532"},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": f"RUN step {i}"} for i in range(LAYERS)]}).encode()
    (root / "config.json").write_bytes(config)
    (root / "manifest.json").write_text(json.dumps([{"Config": "config.json", "RepoTags": ["bench:1"],
                                                     "Layers": names}]))
    archive = root / "image.tar"
    with tarfile.open(archive, "w") as tar:
        for name in [*names, "config.json", "manifest.json"]:
            tar.add(root / name, name)
            if name.endswith(".tar"):
                (root / name).unlink()
    return archive


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={k: v for k, v in os.environ.items() if k != "CI"})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss // 1024


def compare(slimgo: list[str], layout: Path, dive_json: Path, dive: Path, archive: Path) -> str:
    """Whether slimgo's dive-compatible figures equal dive's own on this image."""
    subprocess.run([str(dive), "--source", "docker-archive", str(archive), "--json", str(dive_json)], check=True,
                   capture_output=True, timeout=1200, env={k: v for k, v in os.environ.items() if k != "CI"})
    theirs = json.loads(dive_json.read_text())["image"]
    out = subprocess.run([*slimgo, "analyze", "--json", f"oci:{layout}:bench"], check=True, capture_output=True,
                         timeout=1200).stdout
    ours = json.loads(out)["waste"]["dive"]
    same = (ours["efficiency"], ours["wasted_bytes"]) == (theirs["efficiencyScore"], theirs["inefficientBytes"])
    return (f"dive's figures {'reproduced exactly' if same else 'NOT reproduced'}: efficiency "
            f"{ours['efficiency']} (dive {theirs['efficiencyScore']}), wasted bytes {ours['wasted_bytes']} "
            f"(dive {theirs['inefficientBytes']}).")


def dive_binary() -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.peers import go_peer

    return go_peer(*DIVE)


def main() -> None:
    dive = dive_binary()
    slimgo = [sys.executable, "-m", "slimgo"]
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-analyze-") as tmp:
        root = Path(tmp)
        archive = generate(root)
        layout = root / "layout"
        subprocess.run([*slimgo, "copy", f"docker-archive:{archive}", f"oci:{layout}:bench"], check=True,
                       capture_output=True, timeout=1200)
        size = archive.stat().st_size
        runs = {
            "slimgo analyze --json (docker-archive)": [*slimgo, "analyze", "--json", f"docker-archive:{archive}"],
            "dive --json (docker-archive)": [str(dive), "--source", "docker-archive", str(archive), "--json",
                                             str(root / "dive.json")],
            "slimgo analyze --json (oci layout)": [*slimgo, "analyze", "--json", f"oci:{layout}:bench"],
            "slimgo: the store opening the docker-archive alone (index only)": [sys.executable, "-c", OPEN_ONLY,
                                                                              f"docker-archive:{archive}"],
        }
        parity = compare(slimgo, layout, root / "dive.json", dive, archive)
        results: dict[str, tuple[float, int]] = {}
        for _ in range(REPEAT):  # interleaved, so both tools see the same machine; best time, highest RSS
            for name, argv in runs.items():
                took, rss = measure(argv)
                best = results.get(name, (took, rss))
                results[name] = (min(best[0], took), max(best[1], rss))
    ours, theirs = results["slimgo analyze --json (docker-archive)"], results["dive --json (docker-archive)"]
    oci = results["slimgo analyze --json (oci layout)"]
    rows = [[name, f"{t:.1f} s", f"{rss} MiB"] for name, (t, rss) in results.items()]
    body = (f"A generated docker-archive of {size / 1e9:.2f} GB, {FILES:,} files in {LAYERS} layers (every tenth "
            f"path repeats one from a lower layer; some whiteouts); best of {REPEAT} interleaved runs per tool, "
            "peak RSS the highest seen; dive cannot read an OCI layout.\n\n"
            + markdown_table(["run", "wall time", "peak RSS"], rows)
            + f"\n\nslimgo vs dive on the docker-archive: {theirs[0] / ours[0]:.2f}x the speed, "
            f"{ours[1] / max(theirs[1], 1):.2f}x the peak memory; from the OCI layout: "
            f"{theirs[0] / oci[0]:.2f}x dive's speed on the archive. The docker-archive store reads the archive in "
            "place; what the archive costs over the layout is hashing each layer against its diff_id, on a thread "
            "of its own while the analysis reads it.\n"
            f"\n{parity}\n")
    write_section("analyze", "slimgo analyze vs dive", body)


if __name__ == "__main__":
    main()
