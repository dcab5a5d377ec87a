"""Benchmark `slimgo lint` on 1,000 generated Dockerfiles against hadolint, and on a 10,000-object manifest set."""

from __future__ import annotations

import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# run as a script, this folder is sys.path[0], where a benchmark named like a stdlib module (inspect.py)
# would shadow it: import from the repository root instead
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from benchmarks._report import markdown_table, write_section  # noqa: E402
from slimgo.lint.generate import pins  # noqa: E402
from slimgo.lint.runner import lint_paths  # noqa: E402

DOCKERFILES = 1_000
MANIFEST_FILES = 100
OBJECTS_PER_FILE = 100  # 100 files x 100 documents = 10,000 objects
TARGET_MS = 5.0
SINGLE_RUNS = 25  # one-process-per-file runs for the CPU comparison (median of these)


def dockerfile_variant(rng: random.Random, i: int) -> str:
    """A realistic Go Dockerfile, good or bad in a random mix of ways."""
    builder = rng.choice([pins.BUILDER_IMAGE, "golang:1.26", "golang", "golang:1.26-alpine"])
    runtime = rng.choice([pins.RUNTIME_IMAGE, "scratch", "alpine:3.20", "debian:12-slim", "golang:1.26"])
    platform = "--platform=$BUILDPLATFORM " if rng.random() < 0.6 else ""
    cache = "--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build " \
        if rng.random() < 0.5 else ""
    cross = "GOOS=$TARGETOS GOARCH=$TARGETARCH " if rng.random() < 0.7 else ""
    flags = rng.choice(['-trimpath -ldflags="-s -w"', '-ldflags="-w"', "", "-trimpath"])
    lines = ["# syntax=docker/dockerfile:1"]
    if rng.random() < 0.2:
        lines.append("ARG GITHUB_TOKEN")
    lines += [f"FROM {platform}{builder} AS build", "WORKDIR /src"]
    if rng.random() < 0.7:
        lines += ["COPY go.mod go.sum ./", f"RUN {cache}go mod download"]
    lines += ["COPY . .", "ARG TARGETOS TARGETARCH"]
    if rng.random() < 0.3:
        lines.append("RUN go install golang.org/x/tools/cmd/stringer@latest")
    env = "CGO_ENABLED=0 " if rng.random() < 0.7 else ""
    lines += [f"RUN {cache}{env}{cross}go build {flags} -o /out/app ./cmd/svc{i}", "", f"FROM {runtime}"]
    if runtime.startswith(("alpine", "debian")) and rng.random() < 0.5:
        lines.append("RUN apk add --no-cache curl" if "alpine" in runtime else "RUN apt-get install -y curl")
    lines.append("COPY --from=build /out/app /app")
    lines.append(rng.choice(["USER 65532:65532", "USER nonroot", "USER root", ""]))
    lines.append(rng.choice(['ENTRYPOINT ["/app"]', "ENTRYPOINT /app", 'CMD ["/app", "serve"]']))
    return "\n".join(line for line in lines if line is not None) + "\n"


def deployment(i: int, secure: bool) -> str:
    ctx = """
        securityContext:
          runAsNonRoot: true
          runAsUser: 65532
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
          seccompProfile: {type: RuntimeDefault}""" if secure else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: svc-{i}}}
  template:
    metadata:
      labels: {{app: svc-{i}}}
    spec:
      containers:
      - name: app
        image: registry.example.com/svc-{i}:1.0{ctx}
        ports:
        - containerPort: 8080
"""


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(n: int, fn: Callable[[], object]) -> float:
    return min(timed(fn) for _ in range(n))


def cpu_ms(cmd: list[str], cwd: Path, env: dict[str, str], runs: int = SINGLE_RUNS) -> float:
    """Median user+system CPU time of ``cmd``, one process per run (how pre-commit and editors call linters)."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       timeout=60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return sorted(times)[len(times) // 2] * 1000


def single_file(root: Path, dockerfile: str, hadolint: str | None) -> tuple[list[list[object]], str]:
    """CPU per one-file run: slimgo, hadolint, and the interpreter floors, side by side."""
    work = root / "single"
    work.mkdir()
    (work / "Dockerfile").write_text(dockerfile)
    # as installed: bytecode written once (a checkout run with PYTHONDONTWRITEBYTECODE would compile every module)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(_HERE.parent / "src"), env.get("PYTHONPATH", "")])
    py = sys.executable
    slimgo_cmd = [py, "-m", "slimgo", "lint", "Dockerfile"]
    subprocess.run(slimgo_cmd, cwd=work, env=env, capture_output=True, check=False, timeout=60)  # writes .pyc
    cases: list[tuple[str, list[str]]] = [
        ("python -S -c pass (interpreter, no site)", [py, "-S", "-c", "pass"]),
        ("python -c pass (interpreter)", [py, "-c", "pass"]),
        ("python -c 'import click'", [py, "-c", "import click"]),
        ("python -c 'import slimgo.lint.dockerfile'", [py, "-c", "import slimgo.lint.dockerfile"]),
        ("slimgo lint Dockerfile", slimgo_cmd),
    ]
    if hadolint:
        cases.append(("hadolint Dockerfile", [hadolint, "Dockerfile"]))
    measured = {name: cpu_ms(cmd, work, env) for name, cmd in cases}
    rows: list[list[object]] = [[name, f"{ms:.1f}"] for name, ms in measured.items()]
    mine = measured["slimgo lint Dockerfile"]
    theirs = measured.get("hadolint Dockerfile")
    if theirs is None:
        return rows, f"hadolint is not installed: slimgo alone takes {mine:.1f} ms CPU per one-file run."
    verdict = "met" if mine <= theirs else "NOT met"
    return rows, (f"Target: one-file `slimgo lint Dockerfile` CPU <= hadolint's — {verdict}: {mine:.1f} ms vs "
                  f"{theirs:.1f} ms (ratio {mine / theirs:.2f}). Median of {SINGLE_RUNS} runs, user+system CPU.")


def main() -> None:
    rng = random.Random(42)
    hadolint = shutil.which("hadolint")
    slimgo = shutil.which("slimgo") or str(Path(sys.executable).parent / "slimgo")
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-lint-") as tmp:
        root = Path(tmp)
        dfdir = root / "dockerfiles"
        dfdir.mkdir()
        files = []
        for i in range(DOCKERFILES):
            path = dfdir / f"svc{i:04d}.Dockerfile"
            path.write_text(dockerfile_variant(rng, i))
            files.append(str(path))
        kdir = root / "manifests"
        kdir.mkdir()
        for f in range(MANIFEST_FILES):
            docs = [deployment(f * OBJECTS_PER_FILE + j, secure=(j % 2 == 0)) for j in range(OBJECTS_PER_FILE)]
            (kdir / f"deploy-{f:03d}.yaml").write_text("---\n".join(docs))

        single_rows, single_verdict = single_file(root, dockerfile_variant(rng, DOCKERFILES), hadolint)
        report = lint_paths([str(dfdir)])  # warm-up, and the finding count
        inproc = best_of(3, lambda: lint_paths([str(dfdir)]))
        cli = best_of(3, lambda: subprocess.run([slimgo, "lint", str(dfdir), "--format", "json", "--fail-on",
                                                 "never"], capture_output=True, check=True))
        rows: list[list[object]] = [
            ["slimgo lint (in-process)", DOCKERFILES, f"{inproc:.2f}", f"{inproc / DOCKERFILES * 1000:.2f}",
             len(report.findings)],
            ["slimgo lint DIR (CLI, one process)", DOCKERFILES, f"{cli:.2f}", f"{cli / DOCKERFILES * 1000:.2f}", ""],
        ]
        if hadolint:
            def run_hadolint() -> subprocess.CompletedProcess[bytes]:
                return subprocess.run([hadolint, "--no-fail", "-f", "json", *files], capture_output=True, check=False)

            start = time.perf_counter()
            hcount = run_hadolint().stdout.count(b'"code"')
            had = min(time.perf_counter() - start, best_of(1, run_hadolint))
            rows.append(["hadolint FILES (one process)", DOCKERFILES, f"{had:.2f}",
                         f"{had / DOCKERFILES * 1000:.2f}", hcount])
        else:
            rows.append(["hadolint", DOCKERFILES, "not installed", "", ""])

        k8s_report = lint_paths([str(kdir)])
        k8s = best_of(2, lambda: lint_paths([str(kdir)]))
        objects = MANIFEST_FILES * OBJECTS_PER_FILE
        rows.append(["slimgo lint manifests (in-process)", f"{objects} objects in {MANIFEST_FILES} files",
                     f"{k8s:.2f}", f"{k8s / objects * 1000:.3f} per object", len(k8s_report.findings)])

    per_file = inproc / DOCKERFILES * 1000
    verdict = "met" if per_file < TARGET_MS else "NOT met"
    body = (
        markdown_table(["run", "inputs", "seconds (best)", "ms per input", "findings"], rows)
        + f"\n\nTarget: under {TARGET_MS:.0f} ms per Dockerfile — {verdict} ({per_file:.2f} ms in-process). "
        "The CLI row includes Python start-up and imports once per run. hadolint reports its own rule set "
        "(DLxxxx/SCxxxx), so finding counts are not comparable one to one. No peer was available here for the "
        "Kubernetes set (kube-linter/kubeconform are not installed), so it is measured alone."
    )
    body += ("\n\nOne file per process (CPU milliseconds):\n\n"
             + markdown_table(["run", "CPU ms (median)"], single_rows) + f"\n\n{single_verdict}")
    write_section("lint", "Lint: 1,000 Dockerfiles vs hadolint; 10,000 Kubernetes objects", body)


if __name__ == "__main__":
    main()
