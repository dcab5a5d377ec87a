"""`slimgo build`: Go main packages to OCI images, written to layouts, archives or registries."""

from __future__ import annotations

__all__ = ["build"]

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from slimgo.cli import render
from slimgo.cli.options import chosen_format, format_option, registry_options, stores_from
from slimgo.compression import COMPRESSIONS
from slimgo.stores.transport import SYNTAX

if TYPE_CHECKING:
    from slimgo.imagebuild.builder import BuildResult
    from slimgo.imagebuild.pipeline import Outcome, Plan


@click.command()
@click.argument("packages", nargs=-1)
@click.option("-o", "--output", multiple=True, metavar="TRANSPORT",
              help=f"Where to write: {SYNTAX}. Repeatable. Default: docker://$SLIMGO_REPO/<name> when "
                   "SLIMGO_REPO is set, else oci:dist/oci:<name>.")
@click.option("--tag", "image_tags", multiple=True, metavar="TAG",
              help="Tag for docker:// outputs (default: latest) and the default tag elsewhere. Repeatable.")
@click.option("--bare", is_flag=True, help="Push to $SLIMGO_REPO itself instead of $SLIMGO_REPO/<name>.")
@registry_options
@click.option("--platform", metavar="OS/ARCH[/VARIANT],...",
              help="Comma-separated platforms to build for (an index when several); default: the host's.")
@click.option("--base", default="static", show_default=True,
              help="static (embedded distroless-equivalent), scratch, or an image in a transport.")
@click.option("--allow-unsafe-layers", is_flag=True,
              help="Build on a --base image whose layers have entries that escape the rootfs (refused by default).")
@click.option("--tzdata", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Add /usr/share/zoneinfo: auto = only when the program can load zone files.")
@click.option("--compression", type=click.Choice(COMPRESSIONS), default="gzip", show_default=True)
@click.option("--compress", metavar="upx[:fast|:best|:lzma]",
              help="Pack the binary with UPX (tested, started once, refused when it does not shrink). Smaller "
                   "pulls, slower starts: measure with `slimgo bench`.")
@click.option("--cgo", is_flag=True, help="Allow CGO_ENABLED=1 (needs a --base image with glibc; checked).")
@click.option("--ldflags", help="Added to the default -ldflags '-s -w' (with --no-strip: used alone).")
@click.option("--tags", help="Comma-separated build tags.")
@click.option("--gcflags", help="Passed to go build -gcflags.")
@click.option("--no-strip", is_flag=True, help="Keep the symbol table and DWARF (no -s -w).")
@click.option("--no-trimpath", is_flag=True, help="Do not pass -trimpath.")
@click.option("--strip-debug-handlers", is_flag=True,
              help="Leave out net/http/pprof and expvar where the main module imports them only for their side "
                   "effects (`import _`), through go build -overlay: the source is not written.")
@click.option("--inject", multiple=True, metavar="FILE.go", type=click.Path(path_type=Path, resolve_path=True),
              help="Add this Go file (package main) to the main package through go build -overlay, e.g. a "
                   "build-info init. Repeatable.")
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
@format_option("text", "json")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file (default: .slimgo.yaml at the module root).")
@click.option("--image-refs", "image_refs", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write each built image's reference (REPO@sha256:... for a registry), one per line, here.")
@click.option("--test", "run_tests", is_flag=True,
              help="Run `go test` (same flags) on the module first; write nothing unless it passes. Output: stderr.")
@click.option("--test-pkgs", "test_pkgs", metavar="PATTERN", multiple=True,
              help="What --test runs instead of ./... of the module (implies --test). Repeatable.")
@click.option("--changed-since", "changed_since", metavar="GIT-REF",
              help="Build only the mains whose dependency closure (or go.mod/go.sum) changed since this git ref.")
@click.option("--shard", metavar="I/N", help="Build only this CI runner's stable share of the mains (1 <= I <= N).")
@click.option("--vuln", "vuln_gate", is_flag=True,
              help="Scan the built images with `slimgo vuln` first; write nothing if vulnerable code is linked.")
@click.option("--sbom", "sbom_text", default="auto", show_default="spdx", metavar="spdx,cyclonedx|none",
              help="Attach SBOMs in these formats to each image written to a layout or registry (OCI 1.1 "
                   "referrers); none: attach nothing. Archives carry no referrers.")
@click.option("--sign", "sign_key", metavar="FILE|env://VAR",
              help="Sign each image written to a layout or registry with this key, as cosign does (see slimgo sign).")
@click.option("--provenance", is_flag=True,
              help="Attach a SLSA v1 provenance (in-toto) to each image written to a layout or registry; with "
                   "--sign, also attest it as cosign attest does.")
@click.option("--debug-variant", is_flag=True,
              help="Also write <tag>-debug: the same image plus a static busybox at /busybox, on PATH.")
@click.option("--debug-tools", multiple=True, type=click.Path(path_type=Path, dir_okay=False), metavar="PATH",
              help="Static binaries for the debug variant instead of /bin/busybox (Debian's busybox-static).")
@click.pass_context
def build(ctx: click.Context, /, packages: tuple[str, ...], fmt: str, as_json: bool, config_path: Path | None,
          image_tags: tuple[str, ...], bare: bool, pull: str, insecure: tuple[str, ...], vuln_gate: bool,
          sbom_text: str, sign_key: str | None, provenance: bool, debug_variant: bool,
          debug_tools: tuple[Path, ...], image_refs: Path | None, run_tests: bool, test_pkgs: tuple[str, ...],
          changed_since: str | None, shard: str | None, **flags: Any) -> None:
    """Build Go main PACKAGES (default .) into minimal, static-verified, reproducible OCI images."""
    # The build stack (Go toolchain, ELF readers, base layers, YAML) loads here, not when --help parses flags.
    from slimgo.cachedir import cache_root
    from slimgo.imagebuild.pipeline import BuildRequest, describe, run_build

    explicit = frozenset(name for name in flags if ctx.get_parameter_source(name) in (
        ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT))
    multiple = frozenset(p.name for p in ctx.command.params if p.name and getattr(p, "multiple", False))
    request = BuildRequest(patterns=packages, values=flags, explicit=explicit, multiple=multiple,
                           config_path=config_path, image_tags=image_tags, bare=bare,
                           repo=_repository(),
                           cwd=Path.cwd(), test=run_tests or bool(test_pkgs), test_patterns=test_pkgs,
                           changed_since=changed_since, shard=_shard(shard))
    if image_refs is not None:
        from slimgo.imagebuild.resolve import check_image_refs_target

        check_image_refs_target(image_refs)
    stores = stores_from(pull, insecure, int(flags["jobs"]))
    formats, key = _supply_settings(sbom_text, sign_key)  # a bad key or password fails before anything is built
    tools = _debug_tools(debug_variant, debug_tools)
    outcomes = run_build(request, stores, cache_root(), on_start=_started,
                         before_write=(lambda results: _vuln_check(results, config_path)) if vuln_gate
                         else lambda _results: None, on_note=_note, on_test_output=render.error)
    if formats or key is not None or provenance or tools is not None:
        from slimgo.supply.publish import publish

        parameters = {"packages": list(packages) or ["."],
                      "flags": {name: flags[name] if isinstance(flags[name], (str, int, bool)) else
                                [str(v) for v in flags[name]] for name in sorted(explicit)}}
        for line in publish(stores, [ref for outcome in outcomes for ref in outcome.references], formats, key,
                            parameters if provenance else None, tools):
            render.log(line)
    if image_refs is not None:
        from slimgo.imagebuild.resolve import image_ref, write_image_refs

        write_image_refs(image_refs, [image_ref(outcome.references[0]) for outcome in outcomes])
    if chosen_format(fmt, as_json) == "json":
        render.document("slimgo.build", {"images": [describe(outcome) for outcome in outcomes]})
        return
    for outcome in outcomes:
        render.result_line(outcome.references[0])
        for extra in outcome.references[1:]:
            render.log(f"also written: {extra}")
        if render.interactive():
            render.log(_summary(outcome))


def _repository() -> str:
    slimgo_repo, ko_repo = os.environ.get("SLIMGO_REPO"), os.environ.get("KO_DOCKER_REPO")
    if not slimgo_repo and not ko_repo:
        return ""
    from slimgo.imagebuild.ko import repository

    return repository(slimgo_repo, ko_repo)


def _shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    from slimgo.imagebuild.fleet import parse_shard

    return parse_shard(text)


def _supply_settings(sbom_text: str, sign_key: str | None) -> tuple[list[str], Any]:
    if sbom_text == "none" and sign_key is None:  # --sbom none, unsigned: the supply-chain stack stays unloaded
        return [], None
    from slimgo.supply.publish import sbom_formats

    formats = sbom_formats(sbom_text)
    if sign_key is None:
        return formats, None
    from slimgo.cli.sign import private_key

    return formats, private_key(sign_key)


def _debug_tools(wanted: bool, paths: tuple[Path, ...]) -> list[Path] | None:
    if not wanted:
        return None
    from slimgo.supply.debug import tools

    return tools(paths)


def _vuln_check(results: list[BuildResult], config_path: Path | None) -> None:
    from slimgo.cachedir import cache_root
    from slimgo.oci.image import ImageIndex
    from slimgo.vuln.gate import check_images

    images = [(r.name, image) for r in results
              for image in (r.artifact.images if isinstance(r.artifact, ImageIndex) else [r.artifact])]
    findings = check_images(images, cache_root() / "vuln", Path.cwd(), config_path)
    render.log(f"vuln: no vulnerable code linked ({len(findings)} advisories affect modules, none present)")


def _note(kind: str, text: str) -> None:
    (render.warning if kind == "warning" else render.note)(text)


def _started(plan: Plan) -> None:
    render.log(f"building {plan.package.import_path} for {', '.join(str(p) for p in plan.image.platforms)}")


def _summary(outcome: Outcome) -> str:
    """One line for a person: what was built and how big it came out."""
    from slimgo.oci.image import ImageIndex

    result = outcome.result
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
