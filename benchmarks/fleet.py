# ruff: noqa: E402
"""Benchmark: a fleet of 20 generated services in one module, `slimgo build ./...` against `ko build ./...` (both
two at a time) and bare `go build ./...`: cold, warm no-change, and a change to the package every service shares.

Run: python benchmarks/fleet.py [--runs N] [--cold-runs N]   (from the repository root, with the virtualenv active)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on the path, where inspect.py would shadow the stdlib: replace it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks._report import markdown_table, write_section
from benchmarks.build import GO_FLAGS, Skip, base_env, ko_env, run, start_ko, version_of

SERVICES = 20
JOBS = 2
MODULE = "example.com/fleet"
SHARED_MARKER = "fleet shared greeting"
TARGET_VS_KO = 0.8
STEP_TIMEOUT = 1800.0

SHARED_GO = f"""// Package shared is what every service of the fleet imports: a change here rebuilds all of them.
package shared

import (
\t"encoding/json"
\t"net/http"
)

// Greeting is the text every service answers with.
func Greeting(service string) string {{
\treturn "{SHARED_MARKER}: " + service
}}

// WriteJSON answers with ``value`` as JSON.
func WriteJSON(w http.ResponseWriter, value any) {{
\tw.Header().Set("Content-Type", "application/json")
\t_ = json.NewEncoder(w).Encode(value)
}}
"""

SERVICE_GO = """// Command {name} is one generated service of the fleet benchmark.
package main

import (
\t"flag"
\t"log"
\t"net/http"
\t"os"
\t"time"

\t"example.com/fleet/internal/shared"
)

func main() {{
\taddr := flag.String("addr", "127.0.0.1:{port}", "listen address")
\tflag.Parse()
\tstarted := time.Now()
\thttp.HandleFunc("/{name}", func(w http.ResponseWriter, _ *http.Request) {{
\t\tshared.WriteJSON(w, map[string]any{{"service": "{name}", "greeting": shared.Greeting("{name}"),
\t\t\t"pid": os.Getpid(), "uptime": time.Since(started).String()}})
\t}})
\tlog.Fatal(http.ListenAndServe(*addr, nil))
}}
"""


def generate(root: Path, count: int = SERVICES) -> list[str]:
    """A module with ``count`` main packages (cmd/svcNN) and one internal package they all import."""
    (root / "internal" / "shared").mkdir(parents=True)
    (root / "go.mod").write_text(f"module {MODULE}\n\ngo 1.24\n")
    (root / "internal" / "shared" / "shared.go").write_text(SHARED_GO)
    names = [f"svc{index:02d}" for index in range(1, count + 1)]
    for index, name in enumerate(names):
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text(SERVICE_GO.format(name=name, port=8100 + index))
    return names


@dataclass
class Tool:
    name: str
    build: Callable[[dict[str, str]], None]  # called with the environment of this run (its GOCACHE)
    times: dict[str, list[float]] = field(default_factory=dict)
    skipped: str | None = None
    images: int = 0


class Fleet:
    """The generated module and one builder per tool; each tool keeps its own output directory."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.src = tmp / "fleet"
        self.names = generate(self.src)
        self.shared = self.src / "internal" / "shared" / "shared.go"
        self.original = self.shared.read_text()

    def edit_shared(self) -> None:
        """A change to the shared package no earlier run has seen: every service recompiles and relinks."""
        self.shared.write_text(self.original.replace(SHARED_MARKER, f"{SHARED_MARKER} {uuid.uuid4().hex}"))

    def bare(self) -> Tool:
        out = self.tmp / "bare"
        out.mkdir()

        def build(env: dict[str, str]) -> None:
            run(["go", "build", *GO_FLAGS, "-o", f"{out}/", "./..."], self.src, env, timeout=STEP_TIMEOUT)

        return Tool("go build ./... (bare, -o DIR/)", build)

    def slimgo(self) -> Tool:
        exe = Path(sys.executable).with_name("slimgo")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "slimgo"]
        layout = self.tmp / "slimgo-oci"
        tool = Tool(f"slimgo build ./... --jobs {JOBS}", lambda env: None)

        def build(env: dict[str, str]) -> None:
            out = run([*cmd, "build", "--json", "--jobs", str(JOBS), "-o", f"oci:{layout}", "./..."], self.src, env,
                      timeout=STEP_TIMEOUT)
            tool.images = len(json.loads(out)["images"])

        tool.build = build
        return tool

    def ko(self, ko_bin: Path, registry: str) -> Tool:
        layout = self.tmp / "ko-oci"
        tool = Tool(f"ko build ./... -j {JOBS}", lambda env: None)

        def build(env: dict[str, str]) -> None:
            # ko v0.19 takes each main package by path (`./...` is refused: "found 21 local packages")
            out = run([str(ko_bin), "build", *[f"./cmd/{name}" for name in self.names], "-j", str(JOBS),
                       "--push=false", "--oci-layout-path", str(layout)], self.src, ko_env(env, registry),
                      timeout=STEP_TIMEOUT)
            tool.images = len([line for line in out.splitlines() if "@sha256:" in line])

        tool.build = build
        return tool


def cold_env(env: dict[str, str], tmp: Path) -> tuple[dict[str, str], Path | None]:
    """A cold run: an empty Go build cache and an empty slimgo cache (ko keeps nothing between runs by default),
    in a directory removed after the run."""
    fresh = Path(tempfile.mkdtemp(dir=tmp, prefix="cold-"))
    return {**env, "GOCACHE": str(fresh / "go-build"), "SLIMGO_CACHE_DIR": str(fresh / "slimgo"),
            "KOCACHE": str(fresh / "ko")}, fresh


def measure(tools: list[Tool], scenario: str, runs: int,
            env_of: Callable[[], tuple[dict[str, str], Path | None]], before: Callable[[], None] | None,
            warm_up: bool) -> None:
    """``runs`` rounds (after one warm-up round unless cold), each running every tool once in a rotating order."""
    for round_no in range(runs + (1 if warm_up else 0)):
        active = [t for t in tools if t.skipped is None]
        shift = round_no % max(len(active), 1)
        for tool in active[shift:] + active[:shift]:
            if before:
                before()
            env, scratch = env_of()
            start = time.perf_counter()
            try:
                tool.build(env)
            except Skip as why:
                tool.skipped = str(why)
                continue
            finally:
                if scratch is not None:
                    shutil.rmtree(scratch, ignore_errors=True)
            if round_no >= (1 if warm_up else 0):
                tool.times.setdefault(scenario, []).append(time.perf_counter() - start)


SCENARIOS = (("cold", "cold (empty Go build cache and tool caches)"), ("warm", "warm no-change"),
             ("change", "shared-package change"))


def report(tools: list[Tool], runs: dict[str, int], notes: list[str]) -> str:
    by_name = {t.name: t for t in tools}
    slim, ko = by_name[f"slimgo build ./... --jobs {JOBS}"], by_name[f"ko build ./... -j {JOBS}"]
    bare = by_name["go build ./... (bare, -o DIR/)"]
    rows: list[list[object]] = []
    lines: list[str] = []
    for scenario, label in SCENARIOS:
        ko_time = _median(ko, scenario)
        bare_time = _median(bare, scenario)
        for tool in tools:
            med = _median(tool, scenario)
            if med is None:
                rows.append([f"{tool.name}, {label}", "skipped" if tool.skipped else "—", "", "", "",
                             tool.skipped or ""])
                continue
            rows.append([f"{tool.name}, {label}", f"{med:.2f}", f"{min(tool.times[scenario]):.2f}",
                         f"{med / bare_time:.2f}x" if bare_time else "—", f"{med / ko_time:.2f}x" if ko_time else "—",
                         f"{tool.images} images" if tool.images else ""])
        slim_time = _median(slim, scenario)
        if slim_time and ko_time:
            verdict = "met" if slim_time / ko_time <= TARGET_VS_KO else "NOT met"
            lines.append(f"- {label}: slimgo {slim_time:.2f} s = {slim_time / ko_time:.2f}x ko ({ko_time:.2f} s), "
                         f"target at most {TARGET_VS_KO}x — **{verdict}**.")
        else:
            lines.append(f"- {label}: slimgo vs ko not measured (see the table) — **NOT met**.")
    table = markdown_table(["tool, scenario", "median s", "min s", "vs bare go build", "vs ko", "note"], rows)
    counts = ", ".join(f"{count} ({name})" for name, count in runs.items())
    return "\n".join([table, "", *lines, "", f"Runs per tool: {counts}; the warm and change rounds follow one "
                      "warm-up round; every round runs all tools once in a rotating order.", "",
                      *[f"- {note}" for note in notes]])


def _median(tool: Tool, scenario: str) -> float | None:
    times = tool.times.get(scenario)
    return statistics.median(times) if times else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="warm and change runs per tool (after one warm-up)")
    parser.add_argument("--cold-runs", type=int, default=2, help="cold runs per tool")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/ alone")
    args = parser.parse_args(argv)
    runs = {"cold": max(1, min(args.cold_runs, 10)), "warm": max(1, min(args.runs, 20)),
            "change": max(1, min(args.runs, 20))}
    env = base_env()
    if shutil.which("go", path=env["PATH"]) is None:
        print("go is not installed; nothing to compare against", file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-fleet-") as tmpdir, contextlib.ExitStack() as stack:
        tmp = Path(tmpdir)
        fleet = Fleet(tmp, env)
        tools = [fleet.bare(), fleet.slimgo()]
        try:
            ko_bin, registry = start_ko(tmp, env, stack)
            tools.append(fleet.ko(ko_bin, registry))
            ko_version = version_of([str(ko_bin), "version"], env)
        except Skip as why:
            tools.append(Tool(f"ko build ./... -j {JOBS}", lambda _env: None, skipped=str(why)))
            ko_version = "not run"
        print(f"fleet of {SERVICES}: cold, {runs['cold']} runs per tool...", flush=True)
        measure(tools, "cold", runs["cold"], lambda: cold_env(env, tmp), None, warm_up=False)
        print(f"fleet of {SERVICES}: warm no-change, {runs['warm']} runs per tool...", flush=True)
        measure(tools, "warm", runs["warm"], lambda: (env, None), None, warm_up=True)
        print(f"fleet of {SERVICES}: shared-package change, {runs['change']} runs per tool...", flush=True)
        measure(tools, "change", runs["change"], lambda: (env, None), fleet.edit_shared, warm_up=True)
        notes = [
            f"The fleet: one generated module, {SERVICES} main packages (cmd/svc01..svc{SERVICES:02d}), each a small "
            "HTTP service (net/http, flag, log, time) importing one internal package (internal/shared: "
            f"encoding/json, net/http). Tools: {version_of(['go', 'version'], env)}; ko {ko_version}.",
            f"slimgo: `slimgo build --json --jobs {JOBS} -o oci:DIR ./...` (one layout, each image tagged with its "
            f"name). ko: `ko build ./cmd/svc01 ... ./cmd/svc{SERVICES:02d} -j {JOBS} --push=false "
            "--oci-layout-path DIR` (ko v0.19 refuses `./...` here, saying it found 21 local packages and expected "
            "1) on the stand-in static base served by a local docker-registry (as in the section above). Bare: "
            "`go build -trimpath -ldflags='-s -w' -o DIR/ ./...` (one go command builds all twenty, its own "
            "parallelism).",
            "Cold: every run gets a new, empty GOCACHE (so the standard library and the fleet compile from scratch) "
            "and a new, empty SLIMGO_CACHE_DIR and KOCACHE; the module cache is not involved (no dependencies "
            "outside the standard library). Warm: the same build again. Shared-package change: a string in "
            "internal/shared gets a fresh random suffix before every run, so all twenty services recompile and "
            "relink.",
            f"The machine is shared (2 cores): its 1-minute load average was {load:.1f} at the start; compare "
            "ratios within this run.",
        ]
        body = report(tools, runs, notes)
    if args.no_write:
        print(body)
    else:
        write_section("fleet", f"A fleet of {SERVICES} services: slimgo build ./... vs ko build ./...", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
