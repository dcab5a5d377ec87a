"""Rules on FROM lines: a minimal final stage, a separate toolchain stage, pinned base images."""

from __future__ import annotations

from collections.abc import Iterator

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts
from slimgo.lint.dockerfile.images import Kind, parse_ref
from slimgo.lint.findings import Finding


def final_stage_base(f: Facts) -> Iterator[Finding]:
    final = f.df.final
    root = final.root
    kind = f.final_base.kind
    if kind is Kind.SDK:
        yield RULES["SG101"].finding(
            f.path, final.line, f"the final stage ships the toolchain image {root.image}: hundreds of MB of "
            "compilers and shells around one binary",
        )
    elif kind is Kind.DISTRO and not f.final_is_debug:
        yield RULES["SG102"].finding(
            f.path, final.line, f"the final stage ships the distribution {root.image}: a shell, a package "
            "manager and their CVEs the Go binary never uses",
        )
    if kind is not Kind.SDK:
        for run in f.go_runs(final, "build"):
            yield RULES["SG103"].finding(
                f.path, run.ins.line, "`go build` runs in the final stage, so the toolchain and sources ship "
                "with the binary",
            )


def pinned_bases(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        image = stage.image
        if stage.parent is not None or image.lower() == "scratch" or f.unresolved(image):
            continue
        ref = parse_ref(image)
        if ref.digest is None and (ref.tag is None or ref.tag == "latest"):
            what = "has no tag (so it means :latest)" if ref.tag is None else "uses :latest"
            yield RULES["SG104"].finding(
                f.path, stage.line, f"base image {image} {what}: every build may get a different image",
            )
            continue  # SG104's fix (a tag and a digest) covers SG105: one finding per FROM is enough
        if ref.digest is None:
            yield RULES["SG105"].finding(
                f.path, stage.line, f"base image {image} is not pinned by digest: a tag can be moved",
            )


CHECKS = [final_stage_base, pinned_bases]
