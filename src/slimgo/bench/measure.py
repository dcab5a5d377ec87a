"""Measures built variants: sizes read from the images, pull times from a local registry, start-up and peak RSS of
the binary each image holds; repetitions interleaved so a slow minute of the machine hits every variant alike."""

from __future__ import annotations

__all__ = ["BenchResult", "ContainerStarts", "Measured", "Program", "Stat", "run_bench"]

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from slimgo.bench.variants import Variant
from slimgo.errors import UnusableBinary
from slimgo.gobuild.processes import Started, local_registry, start_program
from slimgo.oci.image import StoredImage
from slimgo.rootfs import Rootfs
from slimgo.stores.registry.options import RegistryOptions
from slimgo.stores.transport import Location, Stores

_ELF = b"\x7fELF"
# Given by the caller when containers can be started (root, runc): (image, args, env, probe, timeout) -> a context
# holding a prepared bundle, which yields a function that starts it once and returns the milliseconds it took and
# the peak memory of the container's cgroup.
ContainerStarts = Callable[[StoredImage, Sequence[str], Mapping[str, str], "str | None", float],
                           AbstractContextManager[Callable[[], Started]]]


@dataclass(frozen=True)
class Stat:
    median: float
    min: float
    max: float
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stat:
        return cls(statistics.median(samples), min(samples), max(samples), tuple(samples))


@dataclass(frozen=True)
class Measured:
    variant: Variant
    binary_bytes: int
    compressed_bytes: int
    uncompressed_bytes: int
    pull_ms: Stat
    startup_ms: Stat
    rss_bytes: Stat
    startup_container_ms: Stat | None = None
    rss_container_bytes: Stat | None = None  # the container cgroup's peak; None when not measured


@dataclass(frozen=True)
class Program:
    """How the measured program is started: its arguments and environment, and the URL that says it is up."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    probe: str | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class BenchResult:
    package: str
    repetitions: int
    program: Program
    variants: tuple[Measured, ...]
    elapsed_s: Mapping[str, float] = field(default_factory=dict)  # wall time of each phase of the bench


def extract_entrypoint(image: StoredImage, dest: Path, where: str) -> Path:
    """Copy the image's entrypoint binary to ``dest``; an entrypoint that is not an ELF file is refused."""
    argv = list(image.config.runtime.get("Entrypoint") or [])
    rootfs = Rootfs(image.layers)
    node = rootfs.resolve(argv[0]) if argv else None
    if node is None or node.kind != "file":
        raise UnusableBinary(where, "has no entrypoint binary to measure", "bench a Go main package")
    with rootfs.member(node) as src, dest.open("wb") as out:
        head = src.read(len(_ELF))
        if head != _ELF:
            raise UnusableBinary(f"{where} {argv[0]}", "is not an ELF binary", "bench a Go main package")
        out.write(head)
        shutil.copyfileobj(src, out)
    dest.chmod(0o755)
    return dest


def _uncompressed(image: StoredImage) -> int:
    from slimgo.compression import open_tar

    total = 0
    for layer in image.layers:
        with open_tar(layer) as stream:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
    return total


def _pull_ms(reference: str, insecure: str, scratch: Path) -> float:
    """One cold pull: a fresh session with no blob cache, every layer downloaded and written to an empty layout."""
    target = scratch / "pull"
    start = time.perf_counter()
    stores = Stores(RegistryOptions(insecure=frozenset({insecure})))
    artifact = stores.read(reference)
    stores.write(Location("oci", str(target)), artifact, default_tag="pulled")
    elapsed = (time.perf_counter() - start) * 1000
    shutil.rmtree(target)
    return elapsed


def _complete(samples: Sequence[float], repetitions: int) -> Stat | None:
    """A figure measured in every round; one missing sample (an unreadable counter) makes it unmeasured."""
    return Stat.of(samples) if samples and len(samples) == repetitions else None


def _measure_once(bucket: dict[str, list[float]], reference: str, host: str, binary: Path, program: Program,
                  scratch: Path, in_container: Callable[[], Started] | None) -> None:
    """One round of one variant: a cold pull, a bare start, and a start in runc (one after the other, never
    overlapping, so no measurement shares the CPUs with another of ours)."""
    bucket["pull"].append(_pull_ms(reference, host, scratch))
    started = start_program([str(binary), *program.args], program.env or {}, program.probe, program.timeout)
    bucket["start"].append(started.ms)
    bucket["rss"].append(float(started.rss_bytes or 0))
    if in_container is not None:
        contained = in_container()
        bucket["container"].append(contained.ms)
        if contained.rss_bytes is not None:
            bucket["container_rss"].append(float(contained.rss_bytes))


def _summary(variant: Variant, image: StoredImage, binary: Path, bucket: dict[str, list[float]],
             repetitions: int) -> Measured:
    return Measured(
        variant=variant,
        binary_bytes=binary.stat().st_size,
        compressed_bytes=sum(layer.descriptor.size for layer in image.layers),
        uncompressed_bytes=_uncompressed(image),
        pull_ms=Stat.of(bucket["pull"]),
        startup_ms=Stat.of(bucket["start"]),
        rss_bytes=Stat.of(bucket["rss"]),
        startup_container_ms=Stat.of(bucket["container"]) if bucket["container"] else None,
        rss_container_bytes=_complete(bucket["container_rss"], repetitions),
    )


def run_bench(package: str, built: Sequence[tuple[Variant, StoredImage]], program: Program, repetitions: int,
              stores: Stores, on_step: Callable[[str], None] = lambda _msg: None,
              container: ContainerStarts | None = None) -> BenchResult:
    """Push every variant to a registry started for the bench, then measure them ``repetitions`` times, interleaved."""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="slimgo-bench-") as tmp, ExitStack() as stack:
        scratch = Path(tmp)
        binaries = {v.name: extract_entrypoint(image, scratch / v.name, package) for v, image in built}
        samples: dict[str, dict[str, list[float]]] = {
            v.name: {"pull": [], "start": [], "rss": [], "container": [], "container_rss": []} for v, _ in built}
        starts = {} if container is None else {
            v.name: stack.enter_context(container(image, program.args, program.env or {}, program.probe,
                                                  program.timeout)) for v, image in built}
        (scratch / "registry").mkdir()
        with local_registry(scratch / "registry") as host:
            references = {v.name: stores.write(Location("docker", f"{host}/bench/{v.name}:latest"),
                                               image).split("@")[0] for v, image in built}
            measuring = time.perf_counter()
            for round_ in range(repetitions):
                on_step(f"round {round_ + 1} of {repetitions}")
                # Rotate the order each round: no variant always runs first (cold CPU caches) or last.
                for variant, _image in [*built[round_ % len(built):], *built[:round_ % len(built)]]:
                    _measure_once(samples[variant.name], references[variant.name], host, binaries[variant.name],
                                  program, scratch, starts.get(variant.name))
            measured_s = time.perf_counter() - measuring
        measured = tuple(_summary(variant, image, binaries[variant.name], samples[variant.name], repetitions)
                         for variant, image in built)
    return BenchResult(package, repetitions, program, measured,
                       {"prepare": time.perf_counter() - began - measured_s, "measure": measured_s})
