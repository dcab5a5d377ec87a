"""Rules on FROM lines: a minimal final stage, a separate toolchain stage, pinned base images."""

from __future__ import annotations

__all__ = ["CHECKS"]

import re
from collections.abc import Iterator

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts
from slimgo.lint.dockerfile.images import Kind, parse_ref
from slimgo.lint.dockerfile.parse import PLATFORM_ARGS, Stage
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


_VAR_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_LATEST = re.compile(r"^latest([-_.]|$)")


def _judge_unresolved(f: Facts, stage: Stage) -> Iterator[Finding]:
    """A FROM whose reference still holds a variable: say which, and judge the part that is fixed."""
    image = stage.image
    names = list(dict.fromkeys(_VAR_NAME.findall(image)))
    missing = [n for n in names if n not in PLATFORM_ARGS]
    if missing:
        undeclared = [n for n in missing if n not in f.df.global_args]
        detail = (f"ARG {', '.join(undeclared)} is not declared before the first FROM, so BuildKit makes it empty"
                  if undeclared else f"ARG {', '.join(missing)} has no default")
        yield RULES["SG106"].finding(
            f.path, stage.line, f"FROM {stage.raw_image} cannot be resolved here ({detail}): only its fixed "
            "part is judged",
            fix=f"give it a default: ARG {missing[0]}=<value> before the first FROM (or pass --build-arg)",
        )
    ref = parse_ref(image)
    if "$" in ref.repository or (ref.digest is not None and "$" not in ref.digest):
        return
    fixed = (ref.tag or "").split("$", 1)[0]
    unresolved = ", ".join(f"${n}" for n in names)
    if _LATEST.match(fixed):
        yield RULES["SG104"].finding(
            f.path, stage.line, f"base image {image} uses a :latest tag (whatever {unresolved} becomes): every "
            "build may get a different image",
        )
    elif fixed and ref.digest is None:
        yield RULES["SG105"].finding(
            f.path, stage.line, f"base image {image} is not pinned by digest, whatever {unresolved} becomes",
        )


def pinned_bases(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        image = stage.image
        if stage.parent is not None or image.lower() == "scratch":
            continue
        if f.unresolved(image):
            yield from _judge_unresolved(f, stage)
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
