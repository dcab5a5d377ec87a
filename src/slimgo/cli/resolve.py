"""`slimgo resolve`: build and push every ko:// and slimgo:// image in Kubernetes YAML, print it with digests."""

from __future__ import annotations

__all__ = ["resolve"]

import os
import sys
from pathlib import Path

import click

from slimgo.cli import render
from slimgo.cli.options import registry_options, stores_from

# `slimgo build` parameters that are not build settings (the rest are passed on as build values)
_NOT_SETTINGS = frozenset({"packages", "fmt", "as_json", "config_path", "image_tags", "bare", "pull", "insecure",
                           "vuln_gate", "image_refs", "run_tests", "test_pkgs",
                           "changed_since", "shard"})


@click.command()
@click.option("-f", "--filename", "sources", multiple=True, required=True, metavar="FILE|DIR|-",
              help="Kubernetes YAML: a file, a directory of *.yaml/*.yml/*.json, or - for stdin. Repeatable.")
@click.option("-R", "--recursive", is_flag=True, help="Read the directories given to -f recursively.")
@click.option("--image-refs", "image_refs", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write each pushed image as REPO@sha256:..., one per line, to this file.")
@click.option("--platform", metavar="OS/ARCH[/VARIANT],...",
              help="Comma-separated platforms to build for (an index when several); default: the host's.")
@click.option("--base", help="Base image, as for `slimgo build --base` (default: the settings file's, or static).")
@click.option("--repo", metavar="REGISTRY/REPOSITORY", envvar="SLIMGO_REPO", show_envvar=True,
              help="Where images go, each as REPO/<name> (default: $SLIMGO_REPO, else ko's $KO_DOCKER_REPO).")
@click.option("--tag", "image_tags", multiple=True, metavar="TAG", help="Tags to push besides the digest.")
@click.option("--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default="CPU count",
              help="Packages built, and blobs pushed, in parallel.")
@registry_options
def resolve(sources: tuple[str, ...], recursive: bool, image_refs: Path | None, platform: str | None,
            base: str | None, repo: str | None, image_tags: tuple[str, ...], jobs: int, pull: str,
            insecure: tuple[str, ...]) -> None:
    """Build every ko://IMPORTPATH and slimgo://IMPORTPATH in the YAML, push each to $SLIMGO_REPO (or
    $KO_DOCKER_REPO), and print the YAML with each reference replaced by REPO@sha256:... (comments kept)."""
    from slimgo.cachedir import cache_root
    from slimgo.cli.build import build as build_command
    from slimgo.imagebuild.ko import repository
    from slimgo.imagebuild.pipeline import BuildRequest
    from slimgo.imagebuild.resolve import (
        check_image_refs_target,
        read_manifests,
        resolve_references,
        substitute,
        write_image_refs,
    )

    if image_refs is not None:
        check_image_refs_target(image_refs)
    manifests = read_manifests(sources, recursive, sys.stdin.buffer.read() if "-" in sources else None)
    given = [*(["--platform", platform] if platform else []), *(["--base", base] if base else []),
             "--jobs", str(jobs)]
    context = build_command.make_context("build", list(given))
    values = {name: value for name, value in context.params.items() if name not in _NOT_SETTINGS}
    explicit = frozenset(name for name, flag in (("platform", platform), ("base", base), ("jobs", "1")) if flag)
    multiple = frozenset(p.name for p in build_command.params if p.name and getattr(p, "multiple", False))
    request = BuildRequest(patterns=(), values=values, explicit=explicit, multiple=multiple, image_tags=image_tags,
                           repo=repository(repo, os.environ.get("KO_DOCKER_REPO")),
                           cwd=Path.cwd())
    resolved = resolve_references(manifests, request, cache_dir=cache_root(), stores=stores_from(pull, insecure, jobs),
                                  on_start=lambda plan: render.log(f"building {plan.package.import_path}"),
                                  on_note=lambda kind, text: (render.warning if kind == "warning" else render.note)(
                                      text))
    documents = [substitute(manifest, resolved) for manifest in manifests]
    if image_refs is not None:
        write_image_refs(image_refs, list(resolved.values()))
    render.text("---\n".join(doc if doc.endswith("\n") or not doc else doc + "\n" for doc in documents))
