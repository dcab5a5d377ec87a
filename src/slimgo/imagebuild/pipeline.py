"""`slimgo build` as a pipeline: find main packages, merge flags with the settings file, plan outputs, build every
image in parallel, and write them only once every build succeeded. Returns data; the CLI parses and renders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slimgo.errors import UsageError
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.imagebuild.options import FileSpec, ImageOptions, epoch_from_env, parse_pairs, parse_port
from slimgo.oci.image import ImageIndex, Layer, StoredImage
from slimgo.oci.platform import Platform
from slimgo.stores.transport import Location, Stores

if TYPE_CHECKING:
    from slimgo.imagebuild.builder import BuildResult

# Flags a .slimgo.yaml may set (the names of their values in BuildRequest.values).
SETTABLE = frozenset({
    "output", "platform", "base", "tzdata", "compression", "cgo", "ldflags", "tags", "gcflags", "no_strip",
    "no_trimpath", "app_dir", "file", "arg", "env", "user", "workdir", "port", "label", "annotation", "jobs",
    "compress", "strip_debug_handlers",
})


@dataclass(frozen=True)
class BuildRequest:
    """What the user asked for: the packages, every settable value, and which values they gave explicitly."""

    patterns: tuple[str, ...]
    values: Mapping[str, Any]
    explicit: frozenset[str] = frozenset()  # given on the command line or in the environment: the settings file
    multiple: frozenset[str] = frozenset()  # values that are lists (repeatable flags)
    config_path: Path | None = None
    image_tags: tuple[str, ...] = ()
    bare: bool = False
    repo: str = ""  # SLIMGO_REPO
    cwd: Path = Path()
    test: bool = False  # run `go test` first; build nothing unless it passes
    test_patterns: tuple[str, ...] = ()  # what --test runs (default: ./... of each main package's module)
    changed_since: str | None = None  # a git ref: build only the mains whose dependency closure changed since
    shard: tuple[int, int] | None = None  # (I, N): build only this CI runner's share of the mains


@dataclass(frozen=True)
class Plan:
    package: GoPackage
    go: GoBuildOptions
    image: ImageOptions
    outputs: tuple[Location, ...]


@dataclass(frozen=True)
class Outcome:
    """One package built and written: the result, and the reference of each output (first = the main one)."""

    result: BuildResult
    references: tuple[str, ...]


def run_build(request: BuildRequest, stores: Stores, cache_dir: Path,
              on_start: Callable[[Plan], None] = lambda _plan: None,
              before_write: Callable[[list[BuildResult]], None] = lambda _results: None,
              on_note: Callable[[str, str], None] = lambda _kind, _text: None,
              on_test_output: Callable[[str], None] = lambda _line: None) -> list[Outcome]:
    """Build every main package of ``request``; write each output only after every build succeeded."""
    from slimgo.imagebuild.stages import check_base_loader, check_cgo_dropped, run_tests, start_compiling

    toolchain = GoToolchain(list_cache=cache_dir / "golist")
    plans = plan_builds(request, toolchain, on_note)
    if request.test:
        run_tests(request, plans, toolchain, on_test_output)
    jobs = int(request.values["jobs"])
    with tempfile.TemporaryDirectory(prefix="slimgo-build-") as tmp, \
            ThreadPoolExecutor(max_workers=jobs) as compiler, ThreadPoolExecutor(max_workers=jobs) as pool:
        workdir = Path(tmp)
        # `go build` of every static plan starts now: the image stack below loads, and one package's layer is
        # compressed, while Go compiles and links the next
        compiled = start_compiling(plans, toolchain, cache_dir, workdir, compiler)
        from slimgo.imagebuild.base import LayerCache
        from slimgo.imagebuild.builder import ImageBuilder

        builder = ImageBuilder(toolchain, workdir, stores, LayerCache(workdir, cache_dir))

        def build_one(index: int) -> BuildResult:
            plan = plans[index]
            on_start(plan)
            check_base_loader(plan, stores)
            with ThreadPoolExecutor(max_workers=1) as side:  # `go list` for the cgo check runs while Go builds
                dropped = side.submit(check_cgo_dropped, plan, toolchain, on_note)
                result = builder.build(plan.package, plan.go, plan.image, compiled.get(index))
                dropped.result()
            return result

        results = list(pool.map(build_one, range(len(plans))))
        before_write(results)  # a check that may refuse the images (build --vuln) runs before any output exists
        # Every image is built before anything is written: a failed build leaves no partial output.
        return [Outcome(result, tuple(_write(stores, location, result, request.image_tags)
                                      for location in plan.outputs))
                for plan, result in zip(plans, results, strict=True)]


def plan_builds(request: BuildRequest, toolchain: GoToolchain,
                on_note: Callable[[str, str], None] = lambda _kind, _text: None) -> list[Plan]:
    """Every package with its merged options and outputs, checked before anything is built; ``on_note`` gets
    ("warning" | "note", text) for what the user should hear about."""
    from slimgo.imagebuild.stages import find_settings_for, select, with_kodata, with_overlays

    found = toolchain.list_main_packages(list(request.patterns) or ["."], request.cwd)
    settings = find_settings_for(request, found[0])
    for warning in settings.warnings:
        on_note("warning", warning)
    plans = []
    for package in found:
        values = merge(request, settings.for_package(package))
        outputs = tuple(plan_outputs(values["output"], package, len(found), request.bare, request.repo))
        image = with_kodata(image_options(values), package)
        check_outputs_take(outputs, image)
        plans.append(Plan(package, go_options(values), image, outputs))
    plans = select(request, plans, toolchain, on_note)
    plans = with_overlays(plans, toolchain, on_note)  # --strip-debug-handlers, --inject: checked before building
    stamped = sorted({plan.go.ldflags for plan in plans if plan.go.ldflags and plan.go.strip})
    if stamped:
        on_note("note", f"-ldflags {' / '.join(stamped)} added to the default -s -w (pass --no-strip to keep symbols)")
    return plans


def merge(request: BuildRequest, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Flags given explicitly win; then the settings file; then the flag defaults."""
    merged = dict(request.values)
    for name, value in settings.items():
        if name in request.explicit:
            continue
        if name in request.multiple:
            value = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
        merged[name] = value
    return merged


def go_options(values: Mapping[str, Any]) -> GoBuildOptions:
    tags = tuple(t for t in str(values.get("tags") or "").replace(" ", ",").split(",") if t)
    return GoBuildOptions(
        cgo=bool(values["cgo"]),
        strip=not values["no_strip"],
        trimpath=not values["no_trimpath"],
        ldflags=values.get("ldflags"),
        tags=tags,
        gcflags=values.get("gcflags"),
        env=parse_pairs(tuple(values.get("go_env") or ()), "env"),
        extra_flags=tuple(values.get("go_flags") or ()),
        strip_debug_handlers=bool(values.get("strip_debug_handlers")),
        inject=tuple(Path(path) for path in values.get("inject") or ()),
    )


def image_options(values: Mapping[str, Any]) -> ImageOptions:
    from slimgo.host import host_platform

    platform_text = values.get("platform")
    platforms = tuple(Platform.parse_list(str(platform_text))) if platform_text else (host_platform(),)
    if values["base"] not in ("static", "scratch"):  # the base module (and its CA bundle) loads after go build starts
        from slimgo.imagebuild.base import validate_base_spec

        validate_base_spec(str(values["base"]))
    return ImageOptions(
        platforms=platforms,
        base=str(values["base"]),
        tzdata=str(values["tzdata"]),
        compression=str(values["compression"]),
        app_dir=str(values["app_dir"]),
        files=tuple(FileSpec.parse(f) for f in values["file"]),
        args=tuple(values["arg"]) or None,
        env=parse_pairs(tuple(values["env"]), "--env"),
        user=values.get("user"),
        workdir=values.get("workdir"),
        ports=tuple(parse_port(str(p)) for p in values["port"]),
        labels=parse_pairs(tuple(values["label"]), "--label"),
        annotations=parse_pairs(tuple(values["annotation"]), "--annotation"),
        epoch=epoch_from_env(os.environ.get("SOURCE_DATE_EPOCH")),
        allow_unsafe_layers=bool(values.get("allow_unsafe_layers")),
        compress=values.get("compress") or None,
    )


def plan_outputs(specs: Sequence[str], package: GoPackage, count: int, bare: bool, repo: str) -> list[Location]:
    """Where one package goes: the -o values, else docker://$SLIMGO_REPO/<name> (or the repo itself with --bare),
    else oci:dist/oci."""
    repo = repo.strip().removeprefix("docker://").rstrip("/")
    if bare and not repo:
        raise UsageError("--bare", "needs SLIMGO_REPO", "set SLIMGO_REPO=REGISTRY/REPOSITORY, or pass -o")
    if bare and count > 1:
        raise UsageError("--bare", f"would push {count} main packages to one repository",
                         "build one package with --bare, or drop --bare to push each to SLIMGO_REPO/<name>")
    default = (f"docker://{repo}" if bare else f"docker://{repo}/{package.binary_name}") if repo else "oci:dist/oci"
    locations = [Location.parse(s) for s in (list(specs) or [default])]
    for location in locations:
        if count > 1 and location.tag and location.transport != "docker":
            raise UsageError(f"-o {location}", f"names one tag, but {count} main packages are being built",
                             "leave the tag out (each image is tagged with its name) or build one package")
    return locations


def check_outputs_take(outputs: Sequence[Location], iopts: ImageOptions) -> None:
    """Refuse before building what an output cannot hold, so no output is written when another would fail."""
    if len(iopts.platforms) > 1:
        for location in outputs:
            if location.transport == "docker-archive":
                plats = ", ".join(str(p) for p in iopts.platforms)
                raise UsageError(f"-o {location}", f"holds one platform only, but {len(iopts.platforms)} were asked "
                                 f"for ({plats})",
                                 "write an index with oci-archive:FILE or oci:DIR, or build a single --platform")


def _write(stores: Stores, location: Location, result: BuildResult, image_tags: Sequence[str]) -> str:
    """Write one output. A registry gets every --tag (the first replaces the reference's own tag); elsewhere the
    first --tag, or the image's name, is the default tag."""
    if location.transport == "docker":
        from slimgo.stores.registry.reference import Reference

        if image_tags:
            location = Location("docker", str(Reference.parse(location.path).with_tag(image_tags[0])))
        return stores.write(location, result.artifact, extra_tags=image_tags[1:])
    return stores.write(location, result.artifact, default_tag=image_tags[0] if image_tags else result.name)


def _uncompressed_size(layer: Layer) -> int:
    from slimgo.compression import open_tar

    known = getattr(layer, "uncompressed_size", None)
    if isinstance(known, int):
        return known
    total = 0
    with open_tar(layer) as stream:
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return total


def describe(outcome: Outcome) -> dict[str, Any]:
    """The machine-readable record of one built image (for an index: the layers of every platform)."""
    result = outcome.result
    artifact = result.artifact
    images: list[StoredImage] = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
    layers: list[dict[str, Any]] = []
    seen = set()
    for image in images:
        for layer in image.layers:
            if layer.descriptor.digest in seen:
                continue
            seen.add(layer.descriptor.digest)
            layers.append({
                "digest": str(layer.descriptor.digest),
                "media_type": layer.descriptor.media_type,
                "compressed_size": layer.descriptor.size,
                "uncompressed_size": _uncompressed_size(layer),
            })
    first = result.images[0]
    unpacked = {item["digest"]: item["uncompressed_size"] for item in layers}
    platform_images = [{
        "platform": str(built.platform),
        "digest": str(built.image.digest),
        "compressed_size": sum(layer.descriptor.size for layer in built.image.layers),
        "uncompressed_size": sum(unpacked[str(layer.descriptor.digest)] for layer in built.image.layers),
        "binary_size": built.binary_size,
        "static": built.static,
        "tzdata": built.tzdata,
    } for built in result.images]
    return {
        "reference": outcome.references[0],
        "references": list(outcome.references),
        "name": result.name,
        "package": result.package.import_path,
        "digest": str(artifact.digest),
        "platforms": [str(p.platform) for p in result.images],
        "layers": layers,
        "compressed_size": sum(item["compressed_size"] for item in layers),
        "uncompressed_size": sum(item["uncompressed_size"] for item in layers),
        "binary_size": first.binary_size,
        "binary_sizes": {str(p.platform): p.binary_size for p in result.images},
        "static": all(p.static for p in result.images),
        "tzdata": first.tzdata,
        "go_version": first.go_version,
        "platform_images": platform_images,
    }


__all__ = ["SETTABLE", "BuildRequest", "Outcome", "Plan", "describe", "plan_builds", "run_build"]
