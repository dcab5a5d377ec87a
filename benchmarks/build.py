# ruff: noqa: E402
"""Benchmark: the developer loop of `slimgo build` (warm no-change and one-line-change rebuilds) against bare
`go build`, buildah (daemonless) and ko, side by side in one run, on examples/hello and on caddy v2.10.0; time and
image size.

Run: python benchmarks/build.py [--runs N] [--no-caddy]   (from the repository root, with the virtualenv active)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on the path, where inspect.py would shadow the stdlib (which
# dataclasses imports): replace that entry before anything else is imported.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import contextlib
import gzip
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from benchmarks._report import markdown_table, write_section

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello"
GO_FLAGS = ["-trimpath", "-ldflags=-s -w"]
KO_FLAGS = ["-trimpath"]  # ko's defaults: no -s -w
MARKER = "hello from a slim Go image"
KO = ("github.com/google/ko", "v0.19.1")
CADDY = ("github.com/caddyserver/caddy/v2", "v2.10.0")
CADDY_MARKER = "caddy dev-loop marker"
# caddy's cmd/caddy/main.go, plus a line that prints the marker, so an edit changes the binary as a real one would
CADDY_MAIN = f"""// Command caddy is caddy's cmd/caddy/main.go in a module of its own, for a benchmark to edit.
package main

import (
\t"os"

\tcaddycmd "github.com/caddyserver/caddy/v2/cmd"

\t// plug in Caddy modules here
\t_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {{
\tif len(os.Args) > 1 && os.Args[1] == "dev-loop-marker" {{
\t\tprintln("{CADDY_MARKER}")
\t}}
\tcaddycmd.Main()
}}
"""
TARGET_VS_KO = 0.8  # every dev-loop row: slimgo at most 0.8x ko
TARGET_WARM_VS_BARE = 2.0  # warm no-change: slimgo at most 2x bare go build
TARGET_SIZE_VS_KO = 0.45  # slimgo's compressed image at most 0.45x ko's
STEP_TIMEOUT = 300.0
FIRST_BUILD_TIMEOUT = 1800.0  # a first build of caddy compiles ~400 packages
MB = 1_000_000
SLIMGO = "slimgo build"
SLIMGO_NO_SBOM = "slimgo build --sbom none"
KO_TOOL = "ko build (defaults)"
BARE = "go build (bare)"


class Skip(Exception):
    """A peer that cannot run here; the reason goes into the table instead of numbers."""


@dataclass(frozen=True)
class Sizes:
    compressed: int
    uncompressed: int
    layers: int


@dataclass
class Tool:
    """One row family: a build command timed as a whole, and the image it leaves (if any)."""

    name: str
    build: Callable[[], None]
    sizes: Callable[[], Sizes | None] = lambda: None
    times: dict[str, list[float]] = field(default_factory=dict)
    skipped: str | None = None
    note: str = ""


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = STEP_TIMEOUT) -> str:
    """Run ``cmd``; a failure raises with the tail of its stderr (the benchmark never shows a traceback for it)."""
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise Skip(f"`{' '.join(cmd[:3])}` did not finish within {timeout:.0f}s") from None
    except FileNotFoundError:
        raise Skip(f"`{cmd[0]}` is not installed") from None
    if proc.returncode != 0:
        tail = " / ".join(line.strip() for line in proc.stderr.strip().splitlines()[-3:])
        raise Skip(f"`{' '.join(cmd[:3])}` exited {proc.returncode}: {tail}")
    return proc.stdout


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    if shutil.which("go") is None and Path("/usr/local/go/bin/go").exists():
        env["PATH"] = "/usr/local/go/bin" + os.pathsep + env.get("PATH", "")
    env["CGO_ENABLED"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed slimgo has its bytecode compiled
    return env


# ---------------------------------------------------------------- image sizes, read from the layouts themselves


def _blob(layout: Path, digest: str) -> Path:
    algorithm, _, hexdigest = digest.partition(":")
    return layout / "blobs" / algorithm / hexdigest


def _open_layer(path: Path, media_type: str) -> IO[bytes]:
    if "gzip" in media_type:
        return cast(IO[bytes], gzip.open(path, "rb"))
    if "zstd" in media_type:
        from backports import zstd

        return cast(IO[bytes], zstd.ZstdFile(path, "rb"))
    return open(path, "rb")


def _uncompressed_size(path: Path, media_type: str) -> int:
    total = 0
    with _open_layer(path, media_type) as stream:
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return total


def layout_sizes(layout: Path, *, digest: str | None = None, ref_name: str | None = None) -> Sizes:
    """Compressed (blob sizes in the manifest) and uncompressed (the decompressed tars) size of one image."""
    index = json.loads((layout / "index.json").read_text())
    chosen = None
    for desc in index["manifests"]:
        annotations = desc.get("annotations") or {}
        if (digest and desc["digest"] == digest) or (ref_name and annotations.get(
                "org.opencontainers.image.ref.name") == ref_name):
            chosen = desc
    if chosen is None:
        raise Skip(f"{layout} has no image {digest or ref_name}")
    manifest = json.loads(_blob(layout, chosen["digest"]).read_text())
    if "manifests" in manifest:  # an index: take the host's image (these builds have one platform)
        manifest = json.loads(_blob(layout, manifest["manifests"][0]["digest"]).read_text())
    layers = manifest["layers"]
    return Sizes(
        compressed=sum(int(layer["size"]) for layer in layers),
        uncompressed=sum(_uncompressed_size(_blob(layout, layer["digest"]), layer["mediaType"]) for layer in layers),
        layers=len(layers),
    )


# ---------------------------------------------------------------- the peers


@dataclass(frozen=True)
class Program:
    """A Go main package to rebuild: its source directory, the file a one-line change edits and the string in it."""

    name: str
    label: str
    src: Path
    main_go: Path
    marker: str


def hello_program(tmp: Path) -> Program:
    src = tmp / "hello"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("dist"))
    return Program("hello", "examples/hello", src, src / "main.go", MARKER)


def caddy_program(tmp: Path, env: dict[str, str]) -> Program:
    """caddy's main package in a module of its own that requires caddy at its release (modules from the module
    proxy or the module cache), built once so the timed runs start with a warm build cache."""
    src = tmp / "caddy"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/caddy\n\ngo 1.24\n")
    (src / "main.go").write_text(CADDY_MAIN)
    module, version = CADDY
    run(["go", "get", f"{module}@{version}"], src, env, timeout=FIRST_BUILD_TIMEOUT)
    run(["go", "mod", "tidy"], src, env, timeout=FIRST_BUILD_TIMEOUT)
    for flags in (GO_FLAGS, KO_FLAGS):
        run(["go", "build", *flags, "-o", str(tmp / "caddy-first"), "."], src, env, timeout=FIRST_BUILD_TIMEOUT)
    return Program("caddy", f"caddy {version}", src, src / "main.go", CADDY_MARKER)


class Bench:
    """One program and one builder per tool, all sharing the Go build cache."""

    def __init__(self, tmp: Path, env: dict[str, str], program: Program) -> None:
        self.tmp = tmp / f"{program.name}-out"
        self.tmp.mkdir()
        self.env = env
        self.program = program
        self.src = program.src
        self.main_go = program.main_go
        self.original = self.main_go.read_text()
        if program.marker not in self.original:
            raise SystemExit(f"{self.main_go}: the string {program.marker!r} to edit is gone; update "
                             "benchmarks/build.py")
        self.edits = 0

    def edit_source(self) -> None:
        """A one-line change no earlier run has seen (a fresh nonce), so Go must recompile and relink."""
        self.edits += 1
        self.main_go.write_text(self.original.replace(self.program.marker,
                                                      f"{self.program.marker} {uuid.uuid4().hex}"))

    def go_build(self, output: Path, flags: Sequence[str] = GO_FLAGS) -> None:
        run(["go", "build", *flags, "-o", str(output), "."], self.src, self.env)

    # bare go build, into the same path each time as a developer would (Go then skips an up-to-date link)
    def bare(self) -> Tool:
        out = self.tmp / "bare" / self.program.name
        return Tool(BARE, lambda: self.go_build(out))

    def bare_ko_flags(self) -> Tool:
        out = self.tmp / "bare-ko-flags" / self.program.name
        return Tool("go build (bare, ko's flags: no -s -w)", lambda: self.go_build(out, KO_FLAGS))

    def bare_fresh(self) -> Tool:
        def build() -> None:
            out = Path(tempfile.mkdtemp(dir=self.tmp, prefix="fresh-")) / self.program.name
            try:
                self.go_build(out)
            finally:
                shutil.rmtree(out.parent, ignore_errors=True)

        return Tool("go build, new -o dir each run", build)

    def slimgo(self, *flags: str, name: str = SLIMGO) -> Tool:
        exe = Path(sys.executable).with_name("slimgo")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "slimgo"]
        layout = self.tmp / ("slimgo-oci" + "".join(flags).replace("-", "_"))
        last: dict[str, Any] = {}

        def build() -> None:
            out = run([*cmd, "build", "--json", *flags, "-o", f"oci:{layout}"], self.src, self.env)
            last.update(json.loads(out)["images"][0])  # one `slimgo.build` document

        def sizes() -> Sizes:
            return Sizes(int(last["compressed_size"]), int(last["uncompressed_size"]), len(last["layers"]))

        return Tool(name, build, sizes)

    def buildah(self) -> Tool:
        if shutil.which("buildah") is None:
            raise Skip("buildah is not installed")
        store = self.tmp / "buildah"
        # vfs and a private root/runroot: nothing of the machine's container storage is touched.
        cmd = ["buildah", "--root", str(store / "root"), "--runroot", str(store / "run"), "--storage-driver", "vfs"]
        name = self.program.name
        binary = store / "bin" / name
        layout = store / "oci"

        def build() -> None:
            self.go_build(binary)
            container = f"bench-{uuid.uuid4().hex[:12]}"
            run([*cmd, "from", "--name", container, "scratch"], self.src, self.env)
            run([*cmd, "copy", container, str(binary), f"/app/{name}"], self.src, self.env)
            run([*cmd, "config", "--entrypoint", f'["/app/{name}"]', "--user", "65532:65532", container],
                self.src, self.env)
            # buildah commits uncompressed layers by default; gzip them, as slimgo and ko do and a registry wants.
            run([*cmd, "commit", "--rm", "--disable-compression=false", container, f"oci:{layout}:{name}"],
                self.src, self.env)

        return Tool("buildah (vfs, FROM scratch)", build, lambda: layout_sizes(layout, ref_name=name))

    def ko(self, ko_bin: Path, registry: str) -> Tool:
        layout = self.tmp / "ko-oci"
        env = ko_env(self.env, registry)
        last: dict[str, str] = {}

        def build() -> None:
            out = run([str(ko_bin), "build", "--push=false", "--oci-layout-path", str(layout), "./"], self.src, env)
            last["digest"] = out.strip().splitlines()[-1].rpartition("@")[2]

        return Tool(KO_TOOL, build, lambda: layout_sizes(layout, digest=last["digest"]))


def ko_env(env: dict[str, str], registry: str) -> dict[str, str]:
    """ko's environment: the stand-in base from the local registry, and ko's own CGO_ENABLED default."""
    out = {**env, "KO_DOCKER_REPO": f"{registry}/ko", "KO_DEFAULTBASEIMAGE": f"{registry}/static:latest"}
    out.pop("CGO_ENABLED", None)  # ko's default (it sets CGO_ENABLED=0 itself)
    return out


def ko_binary() -> Path:
    """ko at its pinned release, built once where the tests keep their peers (scripts/peers.py)."""
    from benchmarks._timing import peer_binary

    try:
        return peer_binary(*KO)
    except RuntimeError as why:
        raise Skip(str(why).splitlines()[0]) from None


def write_static_base(directory: Path) -> None:
    """ko's stand-in base: one layer with slimgo's distroless-equivalent rootfs AND zoneinfo, user 65532 -- the
    content of ko's default (Chainguard static: passwd/group, CA bundle, tzdata, nonroot), which needs network."""
    from slimgo.base import static
    from slimgo.host import host_platform
    from slimgo.layer import build_layer
    from slimgo.oci.config import ImageConfig
    from slimgo.oci.image import assemble
    from slimgo.stores.transport import Location, Stores

    directory.mkdir(parents=True, exist_ok=True)
    layer = build_layer([*static.rootfs_entries(), *static.zoneinfo_entries()], directory)
    config = ImageConfig.empty(host_platform()).replace_runtime(Env=static.base_env(with_ca=True),
                                                                User=str(static.NONROOT_UID))
    Stores().write(Location.parse(f"oci:{directory / 'layout'}:static"), assemble(config, [layer]))


@contextlib.contextmanager
def local_registry(tmp: Path) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1 with its storage in ``tmp`` (the one `slimgo bench` starts); stopped
    on exit."""
    from slimgo.errors import SlimgoError
    from slimgo.gobuild.processes import local_registry as start

    with contextlib.ExitStack() as stack:
        try:
            host = stack.enter_context(start(tmp))
        except SlimgoError as err:
            raise Skip(f"docker-registry: {err.cause} (needed to serve ko a base image offline)") from None
        yield host


# ---------------------------------------------------------------- measuring and reporting


def measure(tools: list[Tool], scenario: str, runs: int, before: Callable[[], None] | None) -> None:
    """One warm-up, then ``runs`` rounds; each round runs every tool once, in a rotating order, so a burst of load
    on the machine falls on all of them alike."""
    active = [t for t in tools if t.skipped is None]
    for tool in active:
        try:
            if before:
                before()
            tool.build()
        except Skip as why:
            tool.skipped = str(why)
    active = [t for t in active if t.skipped is None]
    for round_no in range(runs):
        shift = round_no % max(len(active), 1)
        for tool in active[shift:] + active[:shift]:
            if tool.skipped:
                continue
            if before:
                before()
            start = time.perf_counter()
            try:
                tool.build()
            except Skip as why:
                tool.skipped = str(why)
                continue
            tool.times.setdefault(scenario, []).append(time.perf_counter() - start)


def image_sizes(tool: Tool) -> Sizes | None:
    if tool.skipped:
        return None
    try:
        return tool.sizes()
    except (Skip, OSError, KeyError, ValueError) as why:
        tool.note = f"image unreadable: {why}"
        return None


def _fmt_mb(value: int | None) -> str:
    return "—" if value is None else f"{value / MB:.2f}"


def _median(tool: Tool, scenario: str) -> float | None:
    times = tool.times.get(scenario)
    return statistics.median(times) if times else None


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "—"


def table(program: Program, tools: list[Tool], sizes: dict[str, Sizes | None]) -> list[list[object]]:
    """The rows of one program: each tool's median and minimum per scenario, against bare `go build` and ko."""
    by_name = {t.name: t for t in tools}
    ko = sizes.get(KO_TOOL)
    rows: list[list[object]] = []
    for scenario, label in (("warm", "warm no-change"), ("change", "one-line change")):
        base = _median(by_name[BARE], scenario)
        ko_time = _median(by_name[KO_TOOL], scenario)
        for tool in tools:
            med = _median(tool, scenario)
            name = f"{program.name}: {tool.name}, {label}"
            if med is None:
                if tool.skipped:
                    rows.append([name, "skipped", "", "", "", "", "", "", "", tool.skipped])
                continue
            # Sizes belong to the warm rows: a one-line change leaves them the same to within bytes.
            size = sizes.get(tool.name) if scenario == "warm" else None
            rows.append([
                name, f"{med:.3f}", f"{min(tool.times[scenario]):.3f}", _ratio(med, base), _ratio(med, ko_time),
                _fmt_mb(size.compressed if size else None), _fmt_mb(size.uncompressed if size else None),
                size.layers if size else "—",
                f"{size.compressed / ko.compressed:.2f}x" if size and ko else "—",
                tool.note if scenario == "warm" else "",
            ])
    return rows


def targets(program: Program, tools: list[Tool]) -> list[str]:
    """The dev-loop targets of one program, each said as met or NOT met."""
    by_name = {t.name: t for t in tools}
    lines = []
    for scenario, label in (("warm", "warm no-change"), ("change", "one-line change")):
        slim, ko = _median(by_name[SLIMGO], scenario), _median(by_name[KO_TOOL], scenario)
        bare = _median(by_name[BARE], scenario)
        if not slim or not ko:
            lines.append(f"- {program.label}, {label}: slimgo vs ko not measured (see the table) — **NOT met**.")
            continue
        verdict = "met" if slim / ko <= TARGET_VS_KO else "NOT met"
        text = (f"- {program.label}, {label}: slimgo {slim:.3f} s = {slim / ko:.2f}x ko ({ko:.3f} s), target at "
                f"most {TARGET_VS_KO}x — **{verdict}**")
        if scenario == "warm" and bare:
            verdict = "met" if slim / bare <= TARGET_WARM_VS_BARE else "NOT met"
            text += (f"; {slim / bare:.2f}x bare `go build` ({bare:.3f} s), target at most {TARGET_WARM_VS_BARE:g}x "
                     f"— **{verdict}**")
        elif bare:
            text += f"; {slim / bare:.2f}x bare `go build` ({bare:.3f} s)"
        plain = _median(by_name[SLIMGO_NO_SBOM], scenario) if SLIMGO_NO_SBOM in by_name else None
        if plain:
            text += f"; without the default SBOM (`--sbom none`) {plain:.3f} s = {plain / ko:.2f}x ko"
        lines.append(text + ".")
    return lines


def report(results: list[tuple[Program, list[Tool], dict[str, Sizes | None]]], notes: list[str],
           runs: dict[str, int]) -> str:
    rows = [row for program, tools, sizes in results for row in table(program, tools, sizes)]
    lines = [markdown_table(
        ["program: tool, scenario", "median s", "min s", "vs bare go build", "vs ko", "compressed MB",
         "uncompressed MB", "layers", "compressed vs ko", "note"], rows), ""]
    for program, tools, _sizes in results:
        lines += targets(program, tools)
    hello_sizes = results[0][2]
    slim_size, ko = hello_sizes.get(SLIMGO), hello_sizes.get(KO_TOOL)
    if slim_size and ko:
        ratio = slim_size.compressed / ko.compressed
        met = "met" if ratio <= TARGET_SIZE_VS_KO else "NOT met"
        lines.append(f"- examples/hello, size: slimgo's compressed image at most {TARGET_SIZE_VS_KO}x ko's "
                     f"default: measured {ratio:.2f}x — **{met}**.")
    lines += ["", "Each time is the median (and minimum) of "
              + ", ".join(f"{count} runs ({name})" for name, count in runs.items())
              + " after one warm-up; every round runs all tools once in a rotating order. Compressed = the layer "
              "blob sizes in the manifest; uncompressed = the layer tars after decompression; both from the image "
              "each tool wrote in its last warm run."]
    lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines)


def version_of(cmd: Sequence[str], env: dict[str, str]) -> str:
    try:
        return run(cmd, Path.cwd(), env, timeout=30).strip().splitlines()[0]
    except (Skip, IndexError):
        return "unknown"


def start_ko(tmp: Path, env: dict[str, str], stack: contextlib.ExitStack) -> tuple[Path, str]:
    """ko's binary, and a local registry serving its stand-in base."""
    ko_bin = ko_binary()
    write_static_base(tmp / "ko-base")
    registry = stack.enter_context(local_registry(tmp))
    run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{tmp / 'ko-base' / 'layout'}:static",
         f"docker://{registry}/static:latest"], tmp, env)
    return ko_bin, registry


def bench_program(bench: Bench, ko: tuple[Path, str] | str, runs: int,
                  with_peers: bool) -> tuple[list[Tool], dict[str, Sizes | None]]:
    """Every tool on one program: warm no-change rounds, then one-line-change rounds."""
    tools = [bench.bare(), bench.bare_ko_flags()]
    if with_peers:
        tools.append(bench.bare_fresh())
    tools.append(bench.slimgo())
    tools.append(bench.slimgo("--sbom", "none", name=SLIMGO_NO_SBOM))
    if with_peers:
        try:
            tools.append(bench.buildah())
        except Skip as why:
            tools.append(Tool("buildah (vfs, FROM scratch)", lambda: None, skipped=str(why)))
    tools.append(bench.ko(*ko) if isinstance(ko, tuple) else Tool(KO_TOOL, lambda: None, skipped=ko))
    print(f"{bench.program.label}: warm no-change, {runs} runs per tool...", flush=True)
    measure(tools, "warm", runs, None)
    sizes = {t.name: image_sizes(t) for t in tools}
    print(f"{bench.program.label}: one-line change, {runs} runs per tool...", flush=True)
    measure(tools, "change", runs, bench.edit_source)
    return tools, sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and scenario (after one warm-up)")
    parser.add_argument("--caddy-runs", type=int, default=3, help="the same for caddy (a link takes seconds)")
    parser.add_argument("--no-ko", action="store_true", help="leave ko out")
    parser.add_argument("--no-caddy", action="store_true", help="leave caddy out (its first build takes minutes)")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/ alone")
    args = parser.parse_args(argv)
    runs = {"examples/hello": max(1, min(args.runs, 50))}
    env = base_env()
    if shutil.which("go", path=env["PATH"]) is None:
        print("go is not installed; nothing to compare against", file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-build-") as tmpdir, contextlib.ExitStack() as stack:
        tmp = Path(tmpdir)
        ko: tuple[Path, str] | str
        try:
            if args.no_ko:
                raise Skip("left out (--no-ko)")
            ko = start_ko(tmp, env, stack)
            ko_version = version_of([str(ko[0]), "version"], env)
        except Skip as why:
            ko, ko_version = str(why), "not run"
        results = []
        hello = Bench(tmp, env, hello_program(tmp))
        results.append((hello.program, *bench_program(hello, ko, runs["examples/hello"], True)))
        if not args.no_caddy:
            print("caddy: resolving its modules and building it once...", flush=True)
            caddy = Bench(tmp, env, caddy_program(tmp, env))
            runs["caddy"] = max(1, min(args.caddy_runs, 50))
            results.append((caddy.program, *bench_program(caddy, ko, runs["caddy"], False)))
        base_sizes = layout_sizes(tmp / "ko-base" / "layout", ref_name="static") if isinstance(ko, tuple) else None
        notes = build_notes(tmp, env, ko_version, base_sizes, load)
        body = report(results, notes, runs)
    if args.no_write:
        print(body)
    else:
        write_section("build", "slimgo build vs go build, buildah and ko: the developer loop", body)
    return 0


def build_notes(tmp: Path, env: dict[str, str], ko_version: str, base_sizes: Sizes | None, load: float) -> list[str]:
    sizes = {name: (tmp / f"{name}-out" / "bare" / name) for name in ("hello", "caddy")}
    stripped = ", ".join(f"{name} {path.stat().st_size / MB:.2f} MB" for name, path in sizes.items()
                         if path.exists())
    return [
        f"Programs: examples/hello (net/http, encoding/json), copied to a temporary directory; caddy "
        f"{CADDY[1]}: caddy's cmd/caddy/main.go (plus one line printing a marker string) as the main package of a "
        f"temporary module that requires {CADDY[0]}@{CADDY[1]}. Tools: {version_of(['go', 'version'], env)}; "
        f"{version_of(['buildah', '--version'], env)}; ko {ko_version}.",
        "`go build (bare)`: `CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bare/NAME .`, the same "
        "output path each run — Go then finds the binary up to date and skips the link. `go build (bare, ko's "
        "flags)`: the same with `-trimpath` only, as ko builds: a one-line change links symbols and DWARF too. "
        "`go build, new -o dir each run` is the first command into a new directory, which always links: it "
        "shows what the link costs.",
        f"`slimgo build`: `slimgo build --json -o oci:DIR` (its defaults: static base, gzip, tzdata auto, an SPDX "
        f"SBOM attached to the layout); `--sbom none` is the same without the SBOM. "
        f"Stripped binaries: {stripped}. Python runs with its bytecode cache, as an installed slimgo does "
        "(PYTHONDONTWRITEBYTECODE is unset for every tool).",
        "buildah (examples/hello only): the same `go build` into a kept path, then `buildah --storage-driver vfs` "
        "(private --root and --runroot) `from scratch`, `copy` the binary, `config --entrypoint --user`, `commit "
        "--disable-compression=false` to `oci:DIR` (buildah's default is uncompressed layers; gzip them as the "
        "others do). Its image holds the binary only: no CA bundle, users or /tmp.",
        "ko: `ko build --push=false --oci-layout-path DIR ./` with its defaults (`-trimpath`, no `-s -w`, "
        "SBOM on). Its default base (cgr.dev/chainguard/static) is not reachable offline, so "
        "`KO_DEFAULTBASEIMAGE` names a stand-in served by a local docker-registry: one layer of slimgo's "
        "distroless-equivalent static rootfs (passwd/group, CA bundle, nsswitch, /tmp) plus the full "
        "zoneinfo tree, user 65532 — the same kinds of files as Chainguard static, not its bytes; ko fetches "
        "it from that registry on every build, as it does by default"
        + (f" ({_fmt_mb(base_sizes.compressed)} MB compressed, {_fmt_mb(base_sizes.uncompressed)} MB "
           "uncompressed)." if base_sizes else "."),
        "Warm no-change: the same build again, nothing edited. One-line change: before every run of every tool, "
        "a string in main.go gets a fresh random suffix, so Go recompiles the main package and relinks.",
        f"The machine is shared (2 cores): its 1-minute load average was {load:.1f} at the start; compare ratios "
        "within this run, not with other runs.",
    ]


if __name__ == "__main__":
    sys.exit(main())
