"""Benchmark: `slimgo context` on a 100,000-file tree against `tar -c DIR | wc -c`, and Kubernetes lint speed.

Run: python benchmarks/context.py [--files N] [--objects N]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on the path, where inspect.py would shadow the stdlib.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks._report import markdown_table, write_section  # noqa: E402
from slimgo.lint.context import scan_context  # noqa: E402
from slimgo.lint.k8s import lint_kubernetes  # noqa: E402

IGNORE = ".git\nnode_modules\ndist\n**/*.log\n.env\n"


def make_tree(root: Path, files: int, rng: random.Random) -> None:
    """A Go service with its .git, node_modules (a web UI) and build outputs, ``files`` files in all."""
    shares = [(".git/objects", 0.35), ("node_modules", 0.45), ("dist", 0.05), ("src", 0.10), ("vendor", 0.05)]
    made = 0
    for top, share in shares:
        count = int(files * share)
        for i in range(count):
            d = root / top / f"d{i % 97:02d}" / f"e{i % 13}"
            if i < 97 * 13:
                d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i}.dat").write_bytes(b"x" * rng.randint(0, 4096))
            made += 1
    while made < files:
        (root / f"top{made}.go").write_bytes(b"package main\n")
        made += 1
    (root / ".dockerignore").write_text(IGNORE)


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def tar_bytes(root: Path) -> int:
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    wc = subprocess.run(["wc", "-c"], stdin=tar.stdout, capture_output=True, text=True, check=True)
    assert tar.stdout is not None
    tar.stdout.close()
    tar.wait()
    return int(wc.stdout.strip())


def manifests(objects: int) -> str:
    docs = []
    for i in range(objects):
        if i % 4 == 0:
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{a: '1'}}\n")
            continue
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  template:\n    spec:\n"
            f"      hostNetwork: {'true' if i % 7 == 0 else 'false'}\n"
            "      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
            "      containers:\n        - name: app\n          image: example/app:1\n"
            "          ports: [{containerPort: 8080}]\n"
            "          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n"
        )
    return "---\n".join(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--objects", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ctx"
        root.mkdir()
        start = time.perf_counter()
        make_tree(root, args.files, rng)
        print(f"made {args.files:,} files in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        subprocess.run(["sync"], check=False)
        tar_bytes(root)  # warm the page cache for both tools alike
        report = scan_context(root)
        t_scan = best_of(3, lambda: scan_context(root))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        t_cli = best_of(3, lambda: subprocess.run(["slimgo", "context", str(root), "--json"], env=env,
                                                  capture_output=True, check=True))
        t_tar = best_of(3, lambda: tar_bytes(root))
        sent_tar = tar_bytes(root)
        (root / ".dockerignore").unlink()
        t_full = best_of(3, lambda: scan_context(root))
    rows = [
        ["`tar -c DIR \\| wc -c` (everything, contents read)", f"{t_tar:.2f}", f"{report.total.files:,}",
         f"{sent_tar:,}"],
        ["slimgo context, in-process (with .dockerignore)", f"{t_scan:.2f}", f"{report.sent.files:,}",
         f"{report.sent.bytes:,}"],
        ["`slimgo context DIR --json` (CLI, with .dockerignore)", f"{t_cli:.2f}", f"{report.sent.files:,}",
         f"{report.sent.bytes:,}"],
        ["slimgo context, in-process (no .dockerignore)", f"{t_full:.2f}", f"{report.total.files:,}",
         f"{report.total.bytes:,}"],
    ]
    body = (f"Tree: {args.files:,} files (.git, node_modules, dist, src, vendor); .dockerignore excludes "
            f"`.git`, `node_modules`, `dist`. Best of 3, warm page cache. slimgo stats every file (totals "
            f"with and without the ignore file) but matches only what BuildKit would walk; tar reads every byte.\n\n"
            + markdown_table(["tool", "seconds", "files", "bytes"], rows))

    text = manifests(args.objects)
    t_k8s = best_of(3, lambda: lint_kubernetes("all.yaml", text))
    findings = lint_kubernetes("all.yaml", text)
    body += (f"\n\nKubernetes: {args.objects:,} objects in one {len(text) / 1e6:.1f} MB file "
             f"({sum(1 for i in range(args.objects) if i % 4)} Deployments), level restricted: "
             f"{t_k8s:.2f} s ({t_k8s / args.objects * 1e6:.0f} µs per object), {len(findings):,} findings. "
             "No peer tool is installed here to compare with.")
    write_section("context", "Build context scan and Kubernetes lint", body)


if __name__ == "__main__":
    main()
