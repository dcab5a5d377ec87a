"""`slimgo build`: Go main packages to OCI images, written to layouts, archives or registries."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from slimgo.build.options import FileSpec, ImageOptions, epoch_from_env, parse_pairs, parse_port
from slimgo.cachedir import cache_root
from slimgo.cli import render
from slimgo.compression import COMPRESSIONS
from slimgo.errors import UsageError
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.oci.image import ImageIndex, Layer, StoredImage, open_tar
from slimgo.oci.platform import Platform
from slimgo.stores.layout import Artifact
from slimgo.stores.registry.options import PULL_POLICIES, from_flags, using
from slimgo.stores.transport import Location, write_artifact

if TYPE_CHECKING:
    from slimgo.build.builder import BuildResult, ImageBuilder

# Flags a .slimgo.yaml may set (click parameter names).
SETTABLE = {
    "output", "platform", "base", "tzdata", "compression", "cgo", "ldflags", "tags", "gcflags", "no_strip",
    "no_trimpath", "app_dir", "file", "arg", "env", "user", "workdir", "port", "label", "annotation", "jobs",
}


@click.command()
@click.argument("packages", nargs=-1)
@click.option("-o", "--output", multiple=True, metavar="TRANSPORT",
              help="Where to write: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], "
                   "docker://REF. Repeatable. Default: docker://$SLIMGO_REPO/<name> when SLIMGO_REPO is set, "
                   "else oci:dist/oci:<name>.")
@click.option("--tag", "image_tags", multiple=True, metavar="TAG",
              help="Tag for docker:// outputs (default: latest) and the default tag elsewhere. Repeatable.")
@click.option("--bare", is_flag=True, help="Push to $SLIMGO_REPO itself instead of $SLIMGO_REPO/<name>.")
@click.option("--pull", type=click.Choice(PULL_POLICIES), default="missing", show_default=True,
              envvar="SLIMGO_PULL", show_envvar=True,
              help="docker:// bases: always ask the registry; missing: use the local cache when it has the "
                   "image; never: the cache only (offline).")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
              help="Allow plain HTTP (or unverified TLS) to this registry; localhost and 127.0.0.1 always are. "
                   "Repeatable. Env: SLIMGO_INSECURE_REGISTRIES.")
@click.option("--platform", metavar="LIST", help="Comma-separated os/arch[/variant]; default: the host's.")
@click.option("--base", default="static", show_default=True,
              help="static (embedded distroless-equivalent), scratch, or an image in a transport.")
@click.option("--allow-unsafe-layers", is_flag=True,
              help="Build on a --base image whose layers have entries that escape the rootfs (refused by default).")
@click.option("--tzdata", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Add /usr/share/zoneinfo: auto = only when the program can load zone files.")
@click.option("--compression", type=click.Choice(COMPRESSIONS), default="gzip", show_default=True)
@click.option("--cgo", is_flag=True, help="Allow CGO_ENABLED=1 (needs a --base image with glibc; checked).")
@click.option("--ldflags", help="Replaces the default -ldflags '-s -w'.")
@click.option("--tags", help="Comma-separated build tags.")
@click.option("--gcflags", help="Passed to go build -gcflags.")
@click.option("--no-strip", is_flag=True, help="Keep the symbol table and DWARF (no -s -w).")
@click.option("--no-trimpath", is_flag=True, help="Do not pass -trimpath.")
@click.option("--app-dir", default="/app", show_default=True, help="Directory of the binary in the image.")
@click.option("--file", multiple=True, metavar="SRC:DEST[:MODE]", help="Add a file or directory. Repeatable.")
@click.option("--arg", multiple=True, help="An argument for the entrypoint (becomes Cmd). Repeatable.")
@click.option("--env", multiple=True, metavar="K=V", help="Environment variable. Repeatable.")
@click.option("--user", help="User as uid:gid (default 65532:65532, numeric so Kubernetes can verify it).")
@click.option("--workdir", help="Working directory.")
@click.option("--port", multiple=True, help="Exposed port, e.g. 8080/tcp. Repeatable.")
@click.option("--label", multiple=True, metavar="K=V", help="Config label. Repeatable.")
@click.option("--annotation", multiple=True, metavar="K=V", help="Manifest annotation. Repeatable.")
@click.option("--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default="CPU count",
              help="Packages/platforms built, and blobs pushed, in parallel.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per image instead of a reference.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file (default: .slimgo.yaml at the module root).")
@click.pass_context
def build(ctx: click.Context, /, packages: tuple[str, ...], as_json: bool, config_path: Path | None,
          image_tags: tuple[str, ...], bare: bool, pull: str, insecure: tuple[str, ...], **flags: Any) -> None:
    """Build Go main PACKAGES (default .) into minimal, static-verified, reproducible OCI images."""
    with using(from_flags(pull, insecure, int(flags["jobs"]))):
        _build(ctx, packages, as_json, config_path, image_tags, bare, flags)


def _build(ctx: click.Context, packages: tuple[str, ...], as_json: bool, config_path: Path | None,
           image_tags: tuple[str, ...], bare: bool, flags: dict[str, Any]) -> None:
    # The build stack (ELF readers, base layers, YAML) loads here, not when `slimgo build --help` parses flags.
    from slimgo.build.base import LayerCache
    from slimgo.build.builder import ImageBuilder
    from slimgo.build.settings import find_settings, load_settings

    patterns = list(packages) or ["."]
    toolchain = GoToolchain()
    cwd = Path.cwd()
    found = toolchain.list_main_packages(patterns, cwd)
    settings_path = config_path or find_settings(found[0].module_dir or found[0].dir)
    settings = load_settings(settings_path, SETTABLE)
    plans = []
    for package in found:
        values = _merge(ctx, flags, settings.for_main(package.binary_name))
        outputs = _outputs(values, package, len(found), bare)
        iopts = _image_options(values)
        _check_outputs_take(outputs, iopts)
        plans.append((package, _go_options(values), iopts, outputs))
    jobs = int(flags["jobs"])
    with tempfile.TemporaryDirectory(prefix="slimgo-build-") as tmp:
        workdir = Path(tmp)
        builder = ImageBuilder(toolchain, workdir, LayerCache(workdir, cache_root()))
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_build_one, builder, pkg, gopts, iopts) for pkg, gopts, iopts, _ in plans]
            results = [f.result() for f in futures]
        # Every image is built before anything is written: a failed build leaves no partial output.
        for (_package, _gopts, _iopts, outputs), result in zip(plans, results, strict=True):
            refs = [_write(location, result.artifact, result.name, image_tags) for location in outputs]
            if as_json:
                render.json_line(describe(result, refs[0]))
            else:
                render.result_line(refs[0])
            for extra in refs[1:]:
                render.log(f"also written: {extra}")
            if render.interactive():
                render.log(_summary(result))


def _summary(result: BuildResult) -> str:
    """One line for a person: what was built and how big it came out."""
    artifact = result.artifact
    images = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
    parts = []
    for built, image in zip(result.images, images, strict=True):
        size = sum(layer.descriptor.size for layer in image.layers)
        extras = ", with zoneinfo" if built.tzdata else ""
        parts.append(f"{built.platform}: {len(image.layers)} layers, {size / 1e6:.2f} MB compressed, "
                     f"binary {built.binary_size / 1e6:.2f} MB, {'static' if built.static else 'dynamic'}{extras}")
    return f"[green]built[/green] {result.package.import_path} ({result.images[0].go_version})\n  " + \
        "\n  ".join(parts)


def _build_one(builder: ImageBuilder, package: GoPackage, gopts: GoBuildOptions, iopts: ImageOptions) -> BuildResult:
    render.log(f"building {package.import_path} for {', '.join(str(p) for p in iopts.platforms)}")
    return builder.build(package, gopts, iopts)


def _merge(ctx: click.Context, flags: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Flags given on the command line win; then the settings file; then the flag defaults."""
    merged = dict(flags)
    for name, value in settings.items():
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        param = next(p for p in ctx.command.params if p.name == name)
        if getattr(param, "multiple", False):
            value = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
        merged[name] = value
    return merged


def _go_options(values: dict[str, Any]) -> GoBuildOptions:
    tags = tuple(t for t in str(values.get("tags") or "").replace(" ", ",").split(",") if t)
    return GoBuildOptions(
        cgo=bool(values["cgo"]),
        strip=not values["no_strip"],
        trimpath=not values["no_trimpath"],
        ldflags=values.get("ldflags"),
        tags=tags,
        gcflags=values.get("gcflags"),
    )


def _image_options(values: dict[str, Any]) -> ImageOptions:
    from slimgo.build.base import validate_base_spec

    platform_text = values.get("platform")
    platforms = tuple(Platform.parse_list(str(platform_text))) if platform_text else (Platform.host(),)
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
    )


def _write(location: Location, artifact: Artifact, name: str, image_tags: tuple[str, ...]) -> str:
    """Write one output; a docker:// output is pushed under every --tag (its own tag, or latest, otherwise)."""
    if location.transport != "docker":
        return write_artifact(location, artifact, image_tags[0] if image_tags else name)
    from slimgo.stores import registry

    ref = registry.Reference.parse(location.path)
    if image_tags:
        ref = ref.with_tag(image_tags[0])
    return registry.pushed_reference(ref, registry.write(ref, artifact, extra_tags=image_tags[1:]))


def _outputs(values: dict[str, Any], package: GoPackage, count: int, bare: bool = False) -> list[Location]:
    repo = os.environ.get("SLIMGO_REPO", "").strip().removeprefix("docker://").rstrip("/")
    if bare and not repo:
        raise UsageError("--bare", "needs SLIMGO_REPO", "set SLIMGO_REPO=REGISTRY/REPOSITORY, or pass -o")
    if bare and count > 1:
        raise UsageError("--bare", f"would push {count} main packages to one repository",
                         "build one package with --bare, or drop --bare to push each to SLIMGO_REPO/<name>")
    default = (f"docker://{repo}" if bare else f"docker://{repo}/{package.binary_name}") if repo else "oci:dist/oci"
    specs = list(values["output"]) or [default]
    locations = [Location.parse(s) for s in specs]
    for location in locations:
        if count > 1 and location.tag and location.transport != "docker":
            raise UsageError(f"-o {location}", f"names one tag, but {count} main packages are being built",
                             "leave the tag out (each image is tagged with its name) or build one package")
    return locations


def _check_outputs_take(outputs: list[Location], iopts: ImageOptions) -> None:
    """Refuse before building what an output cannot hold, so no output is written when another would fail."""
    if len(iopts.platforms) > 1:
        for location in outputs:
            if location.transport == "docker-archive":
                plats = ", ".join(str(p) for p in iopts.platforms)
                raise UsageError(f"-o {location}", f"holds one platform only, but {len(iopts.platforms)} were asked "
                                 f"for ({plats})",
                                 "write an index with oci-archive:FILE or oci:DIR, or build a single --platform")


def _uncompressed_size(layer: Layer) -> int:
    known = getattr(layer, "uncompressed_size", None)
    if isinstance(known, int):
        return known
    total = 0
    with open_tar(layer) as stream:
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return total


def describe(result: BuildResult, reference: str) -> dict[str, Any]:
    """The --json record of one built image (for an index: its layers are those of every platform)."""
    artifact = result.artifact
    images: list[StoredImage] = list(artifact.images) if isinstance(artifact, ImageIndex) else [artifact]
    layers = []
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
    return {
        "reference": reference,
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
    }
